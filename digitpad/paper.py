"""Digits written on paper and photographed, synthesised from pen strokes or from ink images.

A "photo" is a JPEG: a tinted, grainy sheet with a shadow across it, grey ink, a little blur
and rotation, a margin around the digit, at 50–85% JPEG quality, and now and then stored
sideways with the EXIF tag a phone writes. `tests/fixtures/paper/` was made with these
functions (`scripts/make_paper_fixtures.py`), and `benchmarks/drawn_digits.py --photos` puts
the held-out writers' digits through them.

    jpeg = photo_of_strokes(record["strokes"], np.random.default_rng(0))   # bytes
    preprocess(open_image(jpeg))   # what `python -m digitpad predict` does with a file

Limits: the sheet is plain unless `ruling` says otherwise (`RULINGS`: ruled or squared, its
lines level and upright before the photo's tilt), has no perspective, its edge shows only with
`desk=True` (or `desk="note"`: a small note wholly in the frame), the digit fills 35–60%
of the page (unless `crop` crops the photo to it), and the pen is a ballpoint unless `pen`
says otherwise (`PENS`), so these are easier than some real phone photos.
"""

import io

import numpy as np
from PIL import Image, ImageFilter

from digitpad.drawings import render_strokes

SIDEWAYS_CHANCE = 1 / 7  # Photos stored rotated, with the EXIF tag that turns them back.
SHADOW = (0.2, 0.45)  # How much darker the far side of the page is (the fixtures' range).
DEEP_SHADOW = (0.2, 0.7)  # The benchmark's: a phone's own shadow, a lamp to one side.
# Pens: the brush's radius as a share of the digit's height, and the ink's grey level.
PENS = {"pen": ((0.02, 0.05), (15, 70)), "marker": ((0.08, 0.14), (15, 70)),
        "pencil": ((0.02, 0.05), (70, 140))}
# Printed lines: their spacing as a share of the digit's size (its longer side: a digit written
# between the lines of ruled paper, or across two or three squares), and both ways or level only.
RULINGS = {"ruled": ((0.8, 1.6), False), "squared": ((0.4, 1.0), True)}
LINE_DARKNESS = (30, 120)  # Grey levels a line is darker than the paper: pale blue to grey print.
LINE_WIDTH = (0.01, 0.025)  # A line's width as a share of the digit's size.


def on_a_desk(gray: np.ndarray, digit_box, rng):
    """The `(size, size)` page `gray` as a sheet lying on a desk: on each side of the frame, 60%
    of the time, the page's edge comes into view, anywhere from the frame's edge to 3% of the
    frame short of the digit (`digit_box`: top, left, bottom, right), with the desk (grey level
    20–150, grainy) beyond it. Returns the new gray and the desk's mask."""
    size = gray.shape[0]
    top, left, bottom, right = digit_box
    level = rng.uniform(20, 150)
    rows, cols = np.mgrid[0:size, 0:size]
    desk = np.zeros(gray.shape, bool)
    for room, beyond in ((top, rows), (left, cols), (size - bottom, size - 1 - rows), (size - right, size - 1 - cols)):
        if rng.random() < 0.6:
            desk |= beyond < rng.uniform(0, max(room - 0.03 * size, 1))
    return np.where(desk, level + rng.normal(0, 6, gray.shape), gray), desk


def on_a_note(gray: np.ndarray, rng):
    """The `(size, size)` page `gray` as a small note lying wholly in the frame on a desk (a
    sticky note, a card): the page 30–70% of the frame's width, anywhere in it at least 2% of
    the frame from its edge, the desk (grey level 20–150, grainy) all round. Returns the new
    gray and the desk's mask."""
    size = gray.shape[0]
    frame = int(size / rng.uniform(0.3, 0.7))
    margin = int(0.02 * frame)
    top, left = (margin + int(rng.uniform(0, 1) * (frame - size - 2 * margin)) for _ in range(2))
    out = rng.uniform(20, 150) + rng.normal(0, 6, (frame, frame))
    out[top : top + size, left : left + size] = gray
    desk = np.ones(out.shape, bool)
    desk[top : top + size, left : left + size] = False
    return out, desk


def ruled_lines(size: int, digit_size: int, rng, ruling: str) -> np.ndarray:
    """The printed lines of a `(size, size)` page of `ruling` paper (`RULINGS`) behind a digit
    whose longer side is `digit_size` px: `(size, size) float32` coverage in [0, 1], anti-aliased."""
    spacings, squared = RULINGS[ruling]
    spacing = digit_size * rng.uniform(*spacings)
    width = max(1.0, digit_size * rng.uniform(*LINE_WIDTH))

    def across(offset):  # Coverage of the lines along one axis: 1 on a line, 0 between.
        along = (np.arange(size) + offset) % spacing
        return np.clip(width / 2 + 0.5 - np.minimum(along, spacing - along), 0, 1).astype(np.float32)

    lines = np.repeat(across(rng.uniform(0, spacing))[:, None], size, axis=1)
    if squared:
        lines = np.maximum(lines, across(rng.uniform(0, spacing))[None, :])
    return lines


def on_paper(ink: np.ndarray, rng, shadow=SHADOW, desk: bool | str = False,
             ink_levels=PENS["pen"][1], ruling: str | None = None, crop: float | None = None) -> Image.Image:
    """`(h, w)` ink alpha in [0, 1] (digit filling it) → an RGB photo of it on paper (its longer
    side 35–60% of the page's) in ink of a grey level drawn from `ink_levels`, its far side
    darker by a share drawn from `shadow`; with `desk`, the page lies on a desk whose edge may
    show (`on_a_desk`; `"note"`: a small page wholly in view, `on_a_note`), and the corners the
    tilt turns in are the desk's; with `ruling` (`RULINGS`), the paper has printed lines
    `LINE_DARKNESS` darker than it; with `crop`, the photo is cropped to the digit with that share
    of its size round it (`to_the_digit`). Plain paper draws the same random numbers as before
    rulings, and a crop draws none."""
    size = int(max(ink.shape) / rng.uniform(0.35, 0.6))  # A flat 1 fits too.
    alpha = np.zeros((size, size), np.float32)
    top = int(rng.uniform(0.1, 0.9) * (size - ink.shape[0]))
    left = int(rng.uniform(0.1, 0.9) * (size - ink.shape[1]))
    alpha[top : top + ink.shape[0], left : left + ink.shape[1]] = ink[: size - top, : size - left]
    paper = rng.uniform(175, 235)
    tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.98)])
    ink_level = rng.uniform(*ink_levels)
    if ruling:
        paper = paper - rng.uniform(*LINE_DARKNESS) * ruled_lines(size, max(ink.shape), rng, ruling)
    gray = paper * (1 - alpha) + ink_level * alpha
    beyond = None
    if desk == "note":
        gray, beyond = on_a_note(gray, rng)
        if crop is not None:  # The digit's ink where the page lies in the frame.
            rows, cols = np.nonzero(~beyond)
            alpha = np.pad(alpha, ((rows[0], gray.shape[0] - size - rows[0]), (cols[0], gray.shape[1] - size - cols[0])))
        size = gray.shape[0]
    elif desk:
        gray, beyond = on_a_desk(gray, (top, left, top + ink.shape[0], left + ink.shape[1]), rng)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    ramp = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) + 0.5
    gray = gray * (1 - rng.uniform(*shadow) * np.clip(ramp, 0, 1))  # A shadow across the page.
    gray = gray + rng.normal(0, rng.uniform(3, 9), gray.shape)  # Paper grain and sensor noise.
    rgb = np.clip(gray[:, :, None] * tint, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * size / 400))
    shown = np.asarray(image)[beyond] if beyond is not None and beyond.any() else np.asarray(image).reshape(-1, 3)
    fill = tuple(int(v) for v in shown.mean(axis=0))
    tilt = rng.uniform(-8, 8)
    image = image.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=fill)
    return image if crop is None else to_the_digit(image, alpha, tilt, crop)


def to_the_digit(image: Image.Image, alpha: np.ndarray, angle: float, margin: float) -> Image.Image:
    """The photo `image` cropped as a person crops it to the digit: `alpha` is the digit's ink in
    its frame before the tilt by `angle` degrees; the crop is the tilted digit's box with `margin`
    of its longer side round it, as far as the photo goes."""
    tilted = np.asarray(Image.fromarray(np.uint8(alpha * 255)).rotate(angle, resample=Image.Resampling.BICUBIC)) > 64
    rows, cols = np.flatnonzero(tilted.any(axis=1)), np.flatnonzero(tilted.any(axis=0))
    room = round(margin * max(rows[-1] - rows[0], cols[-1] - cols[0]))
    return image.crop((max(cols[0] - room, 0), max(rows[0] - room, 0),
                       min(cols[-1] + 1 + room, image.width), min(rows[-1] + 1 + room, image.height)))


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


def photo_of_strokes(strokes, rng, sideways: bool | None = None, shadow=SHADOW,
                     desk: bool | str = False, pen: str = "pen", ruling: str | None = None,
                     crop: float | None = None) -> bytes:
    """Pen strokes → JPEG bytes of the digit written on paper (120–420 px tall; with `pen`'s
    width and ink, `PENS`: a ballpoint 4–10% of its height wide, a marker 16–28%, a pencil's
    grey) and photographed, on a desk if `desk`, on ruled or squared paper if `ruling`, cropped
    to the digit if `crop` (as `on_paper` takes them). `sideways=None` stores it turned one time
    in seven."""
    widths, ink_levels = PENS[pen]
    height = int(rng.uniform(120, 420))
    layer = render_strokes(strokes, 2 * height, height, (height, height),
                           rng.uniform(*widths) * height)
    alpha = layer[:, :, 3].astype(np.float32) / 255
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    cols = np.flatnonzero(alpha.max(axis=0) > 0)
    ink = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    image = on_paper(ink, rng, shadow, desk, ink_levels, ruling, crop)
    if sideways is None:
        sideways = bool(rng.random() < SIDEWAYS_CHANCE)
    return jpeg_bytes(image, rng, sideways)
