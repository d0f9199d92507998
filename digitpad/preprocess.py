"""Turn whatever a sketchpad, an upload or a file gives into the network's 28×28 input.

The recipe is MNIST's own: ink bright on dark, crop to the ink, scale the longer side to
20 px keeping the aspect ratio (anti-aliased), and place the result in a 28×28 field so
that its centre of mass is in the middle. Two steps make real drawings look like MNIST:
the polarity (dark-on-light or light-on-dark) is read from the image, and the stroke width
is brought to MNIST's typical width before the final downscale, so that a thin pen on a big
canvas and a fat brush on a small digit both end up as MNIST-like strokes.

    >>> preprocess(sketchpad_value)            # {"background", "layers", "composite"}
    array of shape (28, 28, 1), float32 in [0, 255]
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageOps

MAX_PIXELS = 25_000_000  # Larger images are refused before decoding (memory, decompression bombs).
READ_SIZE = 512  # Larger pictures are shrunk to this first: plenty for a 20-px digit, and fast.
WORK_SIZE = 80  # Longer side of the ink while its strokes are measured and adjusted.
BOX_SIZE = 20  # MNIST scales the digit's longer side to 20 px ...
FIELD_SIZE = 28  # ... and centres it by mass in a 28×28 field.
# MNIST's median stroke width in the 20-px box, measured with `stroke_width` on the
# training set (see tests/test_preprocess.py::test_mnist_stroke_width_matches_constant).
MNIST_STROKE_WIDTH = 2.6
INK_LEVEL = 0.5  # Ink map value above which a pixel counts as ink.
MIN_INK_PIXELS = 12  # Fewer inked pixels than this is a speck, not a digit.
MAX_INK_FRACTION = 0.5  # More ink than background is noise or a photo, not a drawn digit.

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class NoInkError(ValueError):
    """The image holds no digit: it is blank, or what is there is too small to read."""


def to_grayscale(image, max_side: int | None = None) -> np.ndarray:
    """Flatten any image Gradio or a user hands over to `(H, W) float32` in [0, 255].

    Accepts the sketchpad's dict (`{"background", "layers", "composite"}`), a PIL image in
    any mode (1, L, LA, P, RGB, RGBA, CMYK, I;16, I, F), or a numpy array `(H, W)`,
    `(H, W, 1|3|4)`. Transparent pixels are composited onto white, as a viewer shows them.
    With `max_side`, a larger image is shrunk by a whole factor (box filter) to fit.
    """
    if isinstance(image, dict):
        image = _composite_of(image)
    if image is None:
        raise NoInkError("The canvas is empty.")
    if isinstance(image, np.ndarray):
        image = _array_to_pil(image)
    if not isinstance(image, Image.Image):
        raise ValueError(f"Expected an image, got {type(image).__name__}.")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"The image is {width}×{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels."
        )
    if width == 0 or height == 0:
        raise NoInkError("The image is empty.")
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
    if max_side and max(width, height) > max_side:
        image = image.reduce(-(-max(width, height) // max_side))
    return np.asarray(image, dtype=np.float32)


def open_image(source) -> Image.Image:
    """A path, bytes or file object → a decoded PIL image, as a viewer shows it.

    Refuses what is not an image, is truncated, or has more than `MAX_PIXELS` pixels
    (before decoding it) with a `ValueError`; turns photos upright by their EXIF
    orientation; decodes big JPEGs at a reduced size, which is all a digit needs.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, Path)) and not Path(source).is_file():
        raise ValueError("No such file.")
    limit = f"the limit is {MAX_PIXELS // 1_000_000} megapixels"
    try:
        image = Image.open(source)
    except Image.DecompressionBombError:
        raise ValueError(f"The image is far too large: {limit}.") from None
    except (OSError, SyntaxError) as error:
        raise ValueError(f"Not an image that can be read ({type(error).__name__}).") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValueError(f"The image is {width}×{height} pixels; {limit}.")
    if image.format == "JPEG":
        image.draft(image.mode, (2 * READ_SIZE, 2 * READ_SIZE))
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"The image file is truncated or corrupt ({type(error).__name__}).") from None


def _composite_of(value: dict):
    """The picture a sketchpad value shows: its composite, or background and layers flattened."""
    composite = value.get("composite")
    if composite is not None:
        return composite
    parts = [p for p in [value.get("background"), *(value.get("layers") or [])] if p is not None]
    if not parts:
        return None
    parts = [_array_to_pil(p) if isinstance(p, np.ndarray) else p for p in parts]
    flat = Image.new("RGBA", parts[0].size, (255, 255, 255, 0))
    for part in parts:
        flat = Image.alpha_composite(flat, part.convert("RGBA").resize(flat.size))
    return flat


def _array_to_pil(array: np.ndarray) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"An image array must be (H, W) or (H, W, 1|3|4); got {array.shape}.")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = np.asarray(array, dtype=np.float64)
        if array.size and np.nanmax(array) <= 1.0:
            array = array * 255.0  # Floats in [0, 1], as many libraries hand them over.
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    return Image.fromarray(array)


def ink_map(gray: np.ndarray) -> np.ndarray:
    """`(H, W)` gray in [0, 255] → `(H, W) float32` ink in [0, 1]: 1 is ink, 0 is background.

    The background is the image's most common level (its median): a light background means
    dark ink, a dark one light ink. Ink is measured from the background towards the far end
    of the range, so grey paper or a faint pen still gives full-strength strokes.
    """
    background = float(np.median(gray))
    gray = flatten_background(gray, dark_ink=background >= 128)
    background = float(np.median(gray))
    if background >= 128:
        darkest = float(gray.min())
        ink = (background - gray) / max(background - darkest, 1.0)
    else:
        brightest = float(gray.max())
        ink = (gray - background) / max(brightest - background, 1.0)
    contrast = max(background - float(gray.min()), float(gray.max()) - background)
    if contrast < 32:  # Too faint to be ink: JPEG noise or an empty page.
        return np.zeros_like(gray, dtype=np.float32)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


def clean_ink(ink: np.ndarray) -> np.ndarray:
    """Drop specks from an `(H, W)` ink map and check that a digit remains; returns the map.

    Connected pieces of ink smaller than 2% of the largest are specks (dust, JPEG noise, a
    stray tap) and are erased. Raises `NoInkError` when too little ink is left, and
    `ValueError` when most of the ink was specks or it covers most of the image: noise.
    """
    from scipy import ndimage  # Imported here: only predictions need it, not start-up.

    mask = ink > INK_LEVEL
    total = int(mask.sum())
    if total < MIN_INK_PIXELS:
        raise NoInkError("No ink found: draw a digit.")
    if total > MAX_INK_FRACTION * mask.size:
        raise ValueError("This looks like noise or a filled area, not a digit on a blank background.")
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())[1:]
    keep = sizes >= max(2, 0.02 * sizes.max())
    kept = int(sizes[keep].sum())
    if sizes.max() < 0.05 * total or kept < 0.5 * total:  # Ink in crumbs, not strokes.
        raise ValueError("This looks like noise, not a digit on a blank background.")
    if kept < MIN_INK_PIXELS:
        raise NoInkError("No ink found: draw a digit.")
    if not keep.all():
        ink = ink * np.concatenate([[False], keep])[labels] + ink * (~mask)
    return ink


def flatten_background(gray: np.ndarray, dark_ink: bool = True) -> np.ndarray:
    """Even out uneven lighting (a shadow across paper, a vignette) in a `(H, W)` gray image.

    The background is estimated at low resolution by a max filter (min for light ink) that
    wipes out the strokes, then divided out. A flat background — every drawing made on the
    canvas — is returned unchanged.
    """
    from scipy import ndimage

    height, width = gray.shape
    factor = max(1, max(height, width) // 64)
    small = np.asarray(Image.fromarray(gray).reduce(factor), dtype=np.float32) if factor > 1 else gray
    size = max(3, max(small.shape) // 8)
    spread = ndimage.maximum_filter if dark_ink else ndimage.minimum_filter
    estimate = ndimage.uniform_filter(spread(small, size=size), size=size)
    if float(estimate.max() - estimate.min()) < 24:
        return gray
    estimate = np.asarray(Image.fromarray(estimate).resize((width, height), Image.Resampling.BILINEAR))
    if dark_ink:
        return np.clip(gray / np.maximum(estimate, 1.0) * 255.0, 0, 255).astype(np.float32)
    return np.clip((gray - estimate) / np.maximum(255.0 - estimate, 1.0) * 255.0, 0, 255).astype(np.float32)


def ink_bbox(ink: np.ndarray):
    """The bounding box `(top, bottom, left, right)` (exclusive ends) of the ink (above 0.5)."""
    mask = ink > INK_LEVEL
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        raise NoInkError("No ink found: draw a digit.")
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary `(H, W)` mask: twice its area over its perimeter.

    For a stroke of width w and length L, the area is w·L and the boundary about 2·L.
    """
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    inner = padded[1:-1, 1:-1]
    boundary = inner & ~(
        padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    return 2.0 * area / max(int(boundary.sum()), 1)


def digit_stroke_width(model_input: np.ndarray) -> float:
    """Stroke width of a 28×28 digit (MNIST's or ours) in pixels of its 20-px box.

    Measured as `normalise_strokes` measures: the ink's longer side scaled to 80 px, then
    `stroke_width`, then divided by 4.
    """
    ink = np.asarray(model_input, dtype=np.float32).reshape(28, 28) / 255.0
    top, bottom, left, right = ink_bbox_loose(ink)
    work = _resize_longer_side(ink[top:bottom, left:right], WORK_SIZE)
    return stroke_width(work > INK_LEVEL) * BOX_SIZE / WORK_SIZE


def _resize_longer_side(ink: np.ndarray, size: int) -> np.ndarray:
    height, width = ink.shape
    scale = size / max(height, width)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(np.asarray(ink, dtype=np.float32)).resize(new, Image.Resampling.LANCZOS))


def normalise_strokes(ink: np.ndarray, target: float = MNIST_STROKE_WIDTH) -> np.ndarray:
    """Thicken or thin the strokes of a cropped `(h, w)` ink map so that, once its longer side
    is 20 px, they are `target` px wide and at full strength. Returns the new map, cropped.

    Works at 80 px on the ink's mask (above half its own peak, so a faint hairline counts) and
    redraws it from the mask's signed distance: pixels within the new half-width are ink.
    """
    from scipy import ndimage  # Imported here: only predictions need it, not start-up.

    work = np.clip(_resize_longer_side(ink, WORK_SIZE), 0.0, 1.0)
    work = np.pad(work, WORK_SIZE // 8)
    mask = work > 0.5 * max(float(np.percentile(work[work > 0.02], 99)), 0.1)
    width = stroke_width(mask)
    radius = (target * WORK_SIZE / BOX_SIZE - width) / 2.0
    signed_distance = ndimage.distance_transform_edt(~mask) - ndimage.distance_transform_edt(mask)
    redrawn = np.clip(radius + 0.5 - signed_distance, 0.0, 1.0).astype(np.float32)
    if (redrawn > INK_LEVEL).sum() < MIN_INK_PIXELS:  # Thinning would erase the digit.
        redrawn = np.clip(0.5 - signed_distance, 0.0, 1.0).astype(np.float32)
    top, bottom, left, right = ink_bbox_loose(redrawn)
    return redrawn[top:bottom, left:right]


def ink_bbox_loose(ink: np.ndarray):
    """Bounding box of any visible ink (above 5%), without the blank and noise checks."""
    mask = ink > 0.05
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def centre_by_mass(digit: np.ndarray, size: int = FIELD_SIZE) -> np.ndarray:
    """Place a `(h, w)` digit (h, w ≤ 20) in a `(size, size)` field, its centre of mass in the middle."""
    field = np.zeros((size, size), dtype=np.float32)
    total = float(digit.sum())
    height, width = digit.shape
    if total > 0:
        ys, xs = np.indices(digit.shape)
        cy, cx = float((ys * digit).sum() / total), float((xs * digit).sum() / total)
    else:
        cy, cx = (height - 1) / 2, (width - 1) / 2
    top = int(round((size - 1) / 2 - cy))
    left = int(round((size - 1) / 2 - cx))
    top = min(max(top, 0), size - height)
    left = min(max(left, 0), size - width)
    field[top : top + height, left : left + width] = digit
    return field


def ink_to_input(ink: np.ndarray, normalise: bool = True) -> np.ndarray:
    """A cropped `(h, w)` ink map in [0, 1] → the network's `(28, 28, 1) float32` in [0, 255]."""
    if normalise:
        ink = normalise_strokes(ink)
    digit = np.clip(_resize_longer_side(ink, BOX_SIZE), 0.0, 1.0)
    return (centre_by_mass(digit) * 255.0)[:, :, None]


def preprocess(image, normalise: bool = True) -> np.ndarray:
    """Any image or sketchpad value → the network's `(28, 28, 1) float32` input in [0, 255].

    Raises `NoInkError` (a `ValueError`) for a blank canvas and `ValueError` for what is
    not a usable image: the model is never asked about nothing.
    """
    ink = clean_ink(ink_map(to_grayscale(image, max_side=READ_SIZE)))
    top, bottom, left, right = ink_bbox(ink)
    return ink_to_input(ink[top:bottom, left:right], normalise=normalise)


def naive_preprocess(image) -> np.ndarray:
    """The typical demo's pipeline, for comparison only: the whole canvas resized to 28×28."""
    gray = to_grayscale(image)
    small = np.asarray(Image.fromarray(np.asarray(gray, dtype=np.float32)).resize((28, 28), Image.Resampling.BILINEAR))
    return (255.0 - np.clip(small, 0, 255))[:, :, None].astype(np.float32)
