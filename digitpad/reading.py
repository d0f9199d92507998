"""Reading pictures safely: files, bytes, arrays and sketchpad values → a small grayscale image.

Every picture is checked from its header before it is decoded (at most `MAX_PIXELS` over all
the parts of one request, a JPEG counted at the reduced size it is decoded at), and shrunk
right after decoding, so a request never holds more than a few megabytes for long.
A sketchpad value is read from its composite; without one, from its background and at most
one layer (a sketchpad has one).

    to_grayscale(open_image("photo.jpg"), max_side=512)   # (H, W) float32 in [0, 255]
"""

import io
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageOps

MAX_PIXELS = 16_000_000  # A phone photo is 12 megapixels; a sketchpad a fraction of one.
KEEP_SIDE = 2048  # Decoded pictures are shrunk to this at once: plenty for a digit or a number.
MAX_LAYERS = 1  # Layers read from a sketchpad value without a composite.
LARGE_DECODE = 4_000_000  # Pixels above which a decode is worth handing memory back after.
UNIT = f"{MAX_PIXELS // 1_000_000} megapixels"
# What a visitor reads when a picture cannot be read (the static page says the same).
TOO_LARGE = "The picture is {width}×{height} pixels; the limit is " + UNIT + ". Send a smaller picture."
BOMB_PIXELS = 2 * Image.MAX_IMAGE_PIXELS  # Pillow refuses to open a picture of more (a bomb).
FAR_TOO_LARGE = f"The picture is far too large: over {BOMB_PIXELS // 1_000_000} megapixels. Send a smaller picture."
NOT_A_PICTURE = "That file is not a picture that can be read: send a PNG, JPEG or WebP image."
DAMAGED = "The picture file is truncated or damaged: send it again or another one."
NO_DIGIT_IN_PHOTO = "No digit found in this picture: nothing on it is dark and large enough to be one."
# Whether any thread decoded a large picture since last asked: Gradio decodes a request's
# pictures in one worker thread and runs its function in another.
_large_decode = threading.Event()


class NoInkError(ValueError):
    """The image holds no digit: it is blank, or what is there is too small to read."""


def _too_large(width: int, height: int) -> ValueError:
    return ValueError(TOO_LARGE.format(width=width, height=height))


def _lazy_open(source) -> Image.Image:
    """Open a path, bytes or file object without decoding it; a `ValueError` if it is not a picture."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, Path)) and not Path(source).is_file():
        raise ValueError("No such file.")
    try:
        return Image.open(source)
    except Image.DecompressionBombError:
        raise ValueError(FAR_TOO_LARGE) from None
    except (OSError, SyntaxError, ValueError):
        raise ValueError(NOT_A_PICTURE) from None


def _decode(image: Image.Image) -> Image.Image:
    """Decode a lazily opened picture at the size a digit needs, upright by its EXIF tag."""
    if image.width * image.height > LARGE_DECODE:
        _large_decode.set()
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValueError(DAMAGED) from None
    return shrink(image, KEEP_SIDE)


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size a JPEG may be decoded down to: its own shape, the longer side `KEEP_SIDE`.
    (Asking for `KEEP_SIDE` on both sides would keep a 3:2 camera photo of 6000×4000 at full
    size, since its shorter side is under twice `KEEP_SIDE`.)"""
    scale = KEEP_SIDE / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def open_images(sources) -> list[Image.Image]:
    """Decode several pictures of one request, refusing them all (before any is decoded) when
    together they hold more than `MAX_PIXELS` (a JPEG counted at the size it is decoded at:
    1/2, 1/4 or 1/8 of its own, its longer side down to `KEEP_SIDE`). Raises `ValueError` with a sentence for the user."""
    images = [_lazy_open(source) for source in sources]
    sizes = [image.size for image in images]
    for image in images:
        if image.format == "JPEG":
            # Decoded at 1/2, 1/4 or 1/8 of its size (its longer side no less than KEEP_SIDE)
            # and judged at that size: a 24-megapixel photo costs what a 6-megapixel one does.
            image.draft(image.mode, _draft_size(image.size))
    total = sum(image.width * image.height for image in images)
    if total > MAX_PIXELS:
        raise _too_large(*max(sizes, key=lambda s: s[0] * s[1]))
    return [_decode(image) for image in images]


def open_image(source) -> Image.Image:
    """A path, bytes or file object → a decoded PIL image, as a viewer shows it, at most
    `KEEP_SIDE` pixels on its longer side. Refuses what is not a picture, is truncated, or
    has more than `MAX_PIXELS` pixels (checked before decoding) with a `ValueError`."""
    return open_images([source])[0]


def took_large_decode() -> bool:
    """Whether a large picture was decoded (in any thread) since the last call; clears it."""
    large = _large_decode.is_set()
    _large_decode.clear()
    return large


def shrink(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink a picture by a whole factor (box filter) so its longer side is ≤ `max_side`.

    Transparent pictures are averaged with premultiplied alpha, so that whatever colour hides
    under transparent pixels does not bleed into the ink.
    """
    factor = -(-max(image.size) // max_side)
    if factor <= 1:
        return image
    if image.mode in ("1", "P", "PA") or image.mode.startswith("I;16"):
        transparent = "transparency" in image.info or image.mode == "PA"
        image = image.convert("RGBA" if transparent else ("I" if image.mode.startswith("I;16") else "L"))
    if image.mode in ("RGBA", "LA"):
        premultiplied = {"RGBA": "RGBa", "LA": "La"}[image.mode]
        return image.convert(premultiplied).reduce(factor).convert(image.mode)
    return image.reduce(factor)


def composite_of(value: dict):
    """The picture a sketchpad value shows: its composite, or else its background with at
    most `MAX_LAYERS` layer flattened on top (a sketchpad has one layer)."""
    composite = value.get("composite")
    if composite is not None:
        return composite
    parts = [value.get("background"), *(value.get("layers") or [])[:MAX_LAYERS]]
    parts = [_array_to_pil(p) if isinstance(p, np.ndarray) else p for p in parts if p is not None]
    if not parts:
        return None
    total = sum(part.width * part.height for part in parts)
    if total > MAX_PIXELS:
        raise _too_large(*parts[0].size)
    parts = [shrink(part, KEEP_SIDE) for part in parts]
    flat = Image.new("RGBA", parts[0].size, (255, 255, 255, 0))
    for part in parts:
        flat = Image.alpha_composite(flat, part.convert("RGBA").resize(flat.size))
    return flat


def as_picture(image):
    """What any caller may hand over → the one picture to read: a sketchpad value's composite
    (`composite_of`), a path's decoded image (`open_image`), else the image or array itself."""
    if isinstance(image, dict):
        return composite_of(image)
    if isinstance(image, (str, Path)):
        return open_image(image)
    return image


def _array_to_pil(array: np.ndarray) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"An image array must be (H, W) or (H, W, 1|3|4); got {array.shape}.")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise _too_large(array.shape[1], array.shape[0])
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = np.asarray(array, dtype=np.float64)
        if array.size and np.nanmax(array) <= 1.0:
            array = array * 255.0  # Floats in [0, 1], as many libraries hand them over.
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    return Image.fromarray(array)


def to_grayscale(image, max_side: int | None = None) -> np.ndarray:
    """Flatten any image Gradio or a user hands over to `(H, W) float32` in [0, 255].

    Accepts the sketchpad's dict (`{"background", "layers", "composite"}`), a path, a PIL image in
    any mode (1, L, LA, P, RGB, RGBA, CMYK, I;16, I, F), or a numpy array `(H, W)`,
    `(H, W, 1|3|4)`. Transparent pixels are composited onto white, as a viewer shows them.
    With `max_side`, a larger image is first shrunk by a whole factor (box filter) to fit.
    """
    image = as_picture(image)
    if image is None:
        raise NoInkError("The canvas is empty.")
    if isinstance(image, np.ndarray):
        image = _array_to_pil(image)
    if not isinstance(image, Image.Image):
        raise ValueError(f"Expected an image, got {type(image).__name__}.")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_large(width, height)
    if width == 0 or height == 0:
        raise NoInkError("The image is empty.")
    if max_side:
        image = shrink(image, max_side)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        return np.clip(values * (255.0 / top), 0, 255).astype(np.float32)
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        # Onto white: darkness = (255 - luminance) × alpha. Whatever colour hides under
        # transparent pixels (often black) then counts for nothing.
        rgba = image.convert("RGBA")
        darkness = ImageChops.multiply(ImageOps.invert(rgba.convert("L")), rgba.getchannel("A"))
        image = ImageOps.invert(darkness)
    else:
        image = image.convert("L")
    return np.asarray(image, dtype=np.float32)
