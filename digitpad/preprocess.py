"""Turn whatever a sketchpad, an upload or a file gives into the network's 28×28 input.

The recipe is MNIST's own: ink bright on dark, crop to the ink, scale the longer side to
20 px keeping the aspect ratio (anti-aliased), and place the result in a 28×28 field so
that its centre of mass is in the middle. Two steps make real drawings look like MNIST:
the polarity (dark-on-light or light-on-dark) is read from the image, and the stroke width
is brought to MNIST's typical width before the final downscale, so that a thin pen on a big
canvas and a fat brush on a small digit both end up as MNIST-like strokes.

    preprocess(sketchpad_value)            # {"background", "layers", "composite"}
    array of shape (28, 28, 1), float32 in [0, 255]

A photo's own steps live beside this module, each with one idea: `lighting` (a shadow evened
out), `page` (the desk beyond the page, ink along the edges) and `ruling` (a notebook's printed
lines); `shapes` holds the measures they share with the drawing's steps. The JavaScript in
`web/preprocess.js` (and `lighting.js`, `page.js`, `ruling.js`, `shapes.js`) mirrors them
function by function, with the same names.
"""

import numpy as np
from PIL import Image

from digitpad.lighting import flatten_background, ink_from_flat, lighting_estimate, roughness
from digitpad.page import beyond_page, closed_picture, page_read_as_ink, without_edge_pieces
from digitpad.reading import NoInkError, to_grayscale
from digitpad.ruling import without_ruling
from digitpad.shapes import INK_LEVEL, MIN_INK_PIXELS, longer_side, stroke_width

READ_SIZE = 512  # Larger pictures are shrunk to this first: plenty for a 20-px digit, and fast.
WORK_SIZE = 80  # Longer side of the ink while its strokes are measured and adjusted.
BOX_SIZE = 20  # MNIST scales the digit's longer side to 20 px ...
FIELD_SIZE = 28  # ... and centres it by mass in a 28×28 field.
# MNIST's median stroke width in the 20-px box, measured with `stroke_width` on the
# training set (see tests/test_preprocess.py::test_mnist_stroke_width_matches_constant).
MNIST_STROKE_WIDTH = 2.6
FAINT_LEVEL = 0.05  # Any visible ink, for cropping without the checks.
MIN_INK_SPAN = 0.03  # Ink spanning less than this share of the picture's longer side is a speck.
MAX_INK_FRACTION = 0.75  # More ink than this is noise or a filled area, not a digit (a thick
# marker's digit photographed and cropped to its box covers up to about 70% of the picture).
MIN_CONTRAST = 32  # Grey levels between background and ink below which nothing is ink.
SPECK_FRACTION = 0.02  # Pieces smaller than this share of the largest are specks.
MAX_PIECES = 60  # More separate pieces of ink than this (after specks) is noise, not writing.
DRAWN_BACKGROUND = 0.5  # A drawing's background is one grey level over this share of it or more
# (a thick brush can still look like uneven light); a photo's never is, and only a photo has a desk.
BOARD_SMOOTHER = 20  # Light ink's lighting this many times smoother than dark ink's is a board's:
# chalk, whatever the count of ink or its edges says (pages measured: at most 10 times rougher).


def ink_map(gray: np.ndarray) -> np.ndarray:
    """`(H, W)` gray in [0, 255] → `(H, W) float32` ink in [0, 1]: 1 is ink, 0 is background.

    The background is the image's most common level (its median): a light background means
    dark ink, a dark one light ink. Ink is measured from the background towards the far end
    of the range, so grey paper or a faint pen still gives full-strength strokes. Under
    uneven lighting a dark median is checked: a deep shadow across a photographed page can
    take it below mid-grey, and a shadowed page is far commoner than a lit blackboard. Dark
    ink is read instead if that finds less ink (paper read as light ink is most of the
    picture; strokes read as dark ink are a small part of it), or ink that stands out more
    sharply (`edge_step`): read as light ink, the lit paper beside dark strokes is a halo
    whose outer side fades into the page, and a thick or grey pen's strokes can hold as much
    ink as that halo; or if the page's lighting that dark ink implies is smoother than the
    board's that light ink does (`roughness`): a min filter round a page's grey strokes follows
    them, and a grey pencil's strokes in shadow step little from the page, while the dark
    reading's rims at the shadow's dark end add ink. Light ink is kept, whatever the count and
    the edges say, when its lighting is far the smoother (`BOARD_SMOOTHER`): thick chalk on a
    board lit from one side, the board's dark end taken for a desk, reads as less ink with
    sharper edges as dark ink, the desk its background. In a photo (not a drawing,
    whose background is one grey level), a desk beyond the page (`beyond_page`) is
    background and the page's edge is kept sharp (`flatten_background`'s `closed`). Light
    ink in a photo is checked once more: a small page wholly in view on a wide desk (a sticky
    note) can read as light ink, the page the "stroke" (`page_read_as_ink`); then the page's
    dark ink is read, and all round it is desk.
    Once the checks have chosen, the ink is measured in that polarity (`ink_from_flat`), not
    the median's: a thick marker's digit cropped to its box, or a very fat brush, covers more
    of the picture than the paper does.
    A photo's dark ink loses the lines of ruled or squared paper (`without_ruling`), and ink
    along the picture's edge or the desk is then dropped (`without_edge_pieces`).
    """
    level = float(np.median(gray))
    dark_ink = level >= 128
    estimate = lighting_estimate(gray, dark_ink)
    flat = flatten_background(gray, dark_ink, estimate=estimate)
    paper = estimate if dark_ink else None  # The lighting of a page, for dark ink.
    photo = float(np.mean(gray == level)) < DRAWN_BACKGROUND
    closed = beyond = None
    if flat is gray:
        ink = ink_from_flat(flat)
    else:  # Uneven lighting: a photo, perhaps with a desk beyond the page.
        closed = closed_picture(gray) if photo else None
        beyond = beyond_page(gray, closed) if closed else np.zeros(gray.shape, bool)
        if not dark_ink:  # A shadow can take a page's median below mid-grey; so can a desk.
            ink = ink_from_flat(flat, False)
            paper = lighting_estimate(gray, True)
            other = np.where(beyond, 255.0, flatten_background(gray, True, estimate=paper))
            dark = ink_from_flat(other, True)
            rough_page, rough_board = roughness(paper), roughness(estimate)
            if rough_page < rough_board or (rough_page < BOARD_SMOOTHER * rough_board and (
                    (dark[~beyond] > INK_LEVEL).sum() < (ink[~beyond] > INK_LEVEL).sum()
                    or edge_step(gray, dark, beyond) > edge_step(gray, ink, beyond))):
                dark_ink = True
    if photo and not dark_ink:  # Light strokes, or a small page on a wide desk read as ink?
        page = page_read_as_ink(gray, ink)
        if page is not None:
            dark_ink, beyond = True, ~page
    if beyond is not None and dark_ink:
        flat = np.where(beyond, 255.0, flatten_background(gray, True, closed, paper)).astype(np.float32)
        ink = ink_from_flat(flat, True)
    if photo and dark_ink:
        ink = without_ruling(ink, None if beyond is None else ~beyond)
    if beyond is not None:
        ink = without_edge_pieces(ink, beyond if dark_ink else None)
    background = float(np.median(flat))
    contrast = max(background - float(flat.min()), float(flat.max()) - background)
    if contrast < MIN_CONTRAST:  # Too faint to be ink: JPEG noise or an empty page.
        return np.zeros_like(flat, dtype=np.float32)
    return ink


def edge_step(gray: np.ndarray, ink: np.ndarray, beyond: np.ndarray) -> float:
    """How sharply `ink` stands out of `gray`: the mean grey-level step across its border, over
    every pair of pixels two apart in a row or a column (a blurred edge spans a few) with one
    inked (above `INK_LEVEL`, off the desk `beyond`) and one not; 0 if there are none.

    Strokes step from the paper all round. The lit paper beside dark strokes, read as light
    ink, steps only on its inner side, against the strokes: on its outer side it fades into
    the page."""
    mask = (ink > INK_LEVEL) & ~beyond
    values = gray.astype(np.float64)
    total, count = 0.0, 0
    for cross, step in ((mask[2:] != mask[:-2], values[2:] - values[:-2]),
                        (mask[:, 2:] != mask[:, :-2], values[:, 2:] - values[:, :-2])):
        total += float(np.abs(step[cross]).sum())
        count += int(cross.sum())
    return total / count if count else 0.0


def clean_ink(ink: np.ndarray) -> np.ndarray:
    """Drop specks from an `(H, W)` ink map and check that a digit remains; returns the map.

    Connected pieces of ink smaller than 2% of the largest are specks (dust, JPEG noise, a
    stray tap) and are erased. Raises `NoInkError` when too little ink is left (or only a
    speck), and `ValueError` for noise: most of the ink in specks, more than `MAX_PIECES`
    pieces, or ink over most of the image.
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
    keep = sizes >= max(2, SPECK_FRACTION * sizes.max())
    kept = int(sizes[keep].sum())
    if int(keep.sum()) > MAX_PIECES or kept < 0.5 * total:  # Ink in crumbs, not strokes.
        raise ValueError("This looks like noise, not a digit on a blank background.")
    if kept < MIN_INK_PIXELS:
        raise NoInkError("No ink found: draw a digit.")
    boxes = ndimage.find_objects(labels)
    span = MIN_INK_SPAN * max(ink.shape)
    if max(map(longer_side, boxes)) < span:
        raise NoInkError("Only specks of ink: draw a digit.")  # Grain all over a blank page.
    kept_boxes = [box for box, kept_piece in zip(boxes, keep) if kept_piece]
    height = max(rows.stop for rows, _ in kept_boxes) - min(rows.start for rows, _ in kept_boxes)
    width = max(cols.stop for _, cols in kept_boxes) - min(cols.start for _, cols in kept_boxes)
    if max(height, width) < span:
        raise NoInkError("Only a speck of ink: draw a digit.")
    if not keep.all():
        kept_mask = np.concatenate([[False], keep])[labels]
        ink = ink * kept_mask + ink * (~mask)
    return ink


def ink_bbox(ink: np.ndarray, level: float = INK_LEVEL):
    """The bounding box `(top, bottom, left, right)` (exclusive ends) of the ink above `level`.
    Raises `NoInkError` when there is none."""
    from scipy import ndimage

    found = ndimage.find_objects((ink > level).astype(np.int8))
    if not found:
        raise NoInkError("No ink found: draw a digit.")
    rows, cols = found[0]
    return rows.start, rows.stop, cols.start, cols.stop


def digit_stroke_width(model_input: np.ndarray) -> float:
    """Stroke width of a 28×28 digit (MNIST's or ours) in pixels of its 20-px box.

    Measured as `normalise_strokes` measures: the ink's longer side scaled to 80 px, then
    `stroke_width`, then divided by 4.
    """
    ink = np.asarray(model_input, dtype=np.float32).reshape(28, 28) / 255.0
    top, bottom, left, right = ink_bbox(ink, FAINT_LEVEL)
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
    top, bottom, left, right = ink_bbox(redrawn, FAINT_LEVEL)
    return redrawn[top:bottom, left:right]


def centre_by_mass(digit: np.ndarray, size: int = FIELD_SIZE) -> np.ndarray:
    """Place a `(h, w)` digit (h, w ≤ 20) in a `(size, size)` field, its centre of mass in the middle."""
    field = np.zeros((size, size), dtype=np.float32)
    # In float64, as the JavaScript sums: float32 sums of a bar of equal values miss the exact
    # half a tie needs, and the two placed such a bar a pixel apart.
    total = float(digit.sum(dtype=np.float64))
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
