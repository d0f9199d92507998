"""Digits written on paper and photographed, synthesised from pen strokes or from ink images.

A "photo" is a JPEG: a tinted, grainy sheet with a shadow across it, grey ink, a little blur
and rotation, a margin around the digit, at 50–85% JPEG quality, and now and then stored
sideways with the EXIF tag a phone writes. `tests/fixtures/paper/` was made with these
functions (`scripts/make_paper_fixtures.py`), and `benchmarks/drawn_digits.py --photos` puts
the held-out writers' digits through them.

    jpeg = photo_of_strokes(record["strokes"], np.random.default_rng(0))   # bytes
    preprocess(open_image(jpeg))   # what `python -m digitpad predict` does with a file

Limits: the sheet is plain (no ruled lines, no page edge, no perspective), and the digit
fills 35–60% of the picture, so these are easier than some real phone photos.
"""

import io

import numpy as np
from PIL import Image, ImageFilter

from digitpad.drawings import render_strokes

SIDEWAYS_CHANCE = 1 / 7  # Photos stored rotated, with the EXIF tag that turns them back.
SHADOW = (0.2, 0.45)  # How much darker the far side of the page is (the fixtures' range).
DEEP_SHADOW = (0.2, 0.7)  # The benchmark's: a phone's own shadow, a lamp to one side.


def on_paper(ink: np.ndarray, rng, shadow=SHADOW) -> Image.Image:
    """`(h, w)` ink alpha in [0, 1] (digit filling it) → an RGB photo of it on paper, its far
    side darker by a share drawn from `shadow`."""
    digit_h = ink.shape[0]
    size = int(digit_h / rng.uniform(0.35, 0.6))
    alpha = np.zeros((size, size), np.float32)
    top = int(rng.uniform(0.1, 0.9) * (size - ink.shape[0]))
    left = int(rng.uniform(0.1, 0.9) * (size - ink.shape[1]))
    alpha[top : top + ink.shape[0], left : left + ink.shape[1]] = ink[: size - top, : size - left]
    paper = rng.uniform(175, 235)
    tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.98)])
    ink_level = rng.uniform(15, 70)
    gray = paper * (1 - alpha) + ink_level * alpha
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    ramp = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) + 0.5
    gray = gray * (1 - rng.uniform(*shadow) * np.clip(ramp, 0, 1))  # A shadow across the page.
    gray = gray + rng.normal(0, rng.uniform(3, 9), gray.shape)  # Paper grain and sensor noise.
    rgb = np.clip(gray[:, :, None] * tint, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * size / 400))
    fill = tuple(int(v) for v in np.asarray(image).reshape(-1, 3).mean(axis=0))
    image = image.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC, fillcolor=fill)
    return image


def jpeg_bytes(image: Image.Image, rng, sideways: bool) -> bytes:
    """The photo as a phone or scanner saves it: JPEG at quality 50–85, and if `sideways`
    its pixels stored turned, with the EXIF orientation that turns them back."""
    quality = int(rng.integers(50, 86))
    out = io.BytesIO()
    if sideways:
        exif = Image.Exif()
        exif[0x0112] = 6  # "Rotate 90° clockwise to display".
        image.transpose(Image.Transpose.ROTATE_90).save(out, format="JPEG", quality=quality, exif=exif)
    else:
        image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def photo_of_strokes(strokes, rng, sideways: bool | None = None, shadow=SHADOW) -> bytes:
    """Pen strokes → JPEG bytes of the digit written on paper (120–420 px tall, a pen 4–10% of
    its height wide) and photographed. `sideways=None` stores it turned one time in seven."""
    height = int(rng.uniform(120, 420))
    layer = render_strokes(strokes, 2 * height, height, (height, height),
                           rng.uniform(0.02, 0.05) * height)
    alpha = layer[:, :, 3].astype(np.float32) / 255
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    cols = np.flatnonzero(alpha.max(axis=0) > 0)
    ink = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    image = on_paper(ink, rng, shadow)
    if sideways is None:
        sideways = bool(rng.random() < SIDEWAYS_CHANCE)
    return jpeg_bytes(image, rng, sideways)
