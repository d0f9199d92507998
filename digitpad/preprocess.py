"""Turn whatever a sketchpad, an upload or a file gives into the network's 28×28 input.

The recipe is MNIST's own: ink bright on dark, crop to the ink, scale the longer side to
20 px keeping the aspect ratio (anti-aliased), and place the result in a 28×28 field so
that its centre of mass is in the middle. Two steps make real drawings look like MNIST:
the polarity (dark-on-light or light-on-dark) is read from the image, and the stroke width
is brought to MNIST's typical width before the final downscale, so that a thin pen on a big
canvas and a fat brush on a small digit both end up as MNIST-like strokes.

    preprocess(sketchpad_value)            # {"background", "layers", "composite"}
    array of shape (28, 28, 1), float32 in [0, 255]
"""

import numpy as np
from PIL import Image

from digitpad.reading import NoInkError, to_grayscale

READ_SIZE = 512  # Larger pictures are shrunk to this first: plenty for a 20-px digit, and fast.
WORK_SIZE = 80  # Longer side of the ink while its strokes are measured and adjusted.
BOX_SIZE = 20  # MNIST scales the digit's longer side to 20 px ...
FIELD_SIZE = 28  # ... and centres it by mass in a 28×28 field.
# MNIST's median stroke width in the 20-px box, measured with `stroke_width` on the
# training set (see tests/test_preprocess.py::test_mnist_stroke_width_matches_constant).
MNIST_STROKE_WIDTH = 2.6
INK_LEVEL = 0.5  # Ink map value above which a pixel counts as ink.
FAINT_LEVEL = 0.05  # Any visible ink, for cropping without the checks.
MIN_INK_PIXELS = 12  # Fewer inked pixels than this is a speck, not a digit.
MIN_INK_SPAN = 0.03  # Ink spanning less than this share of the picture's longer side is a speck.
MAX_INK_FRACTION = 0.75  # More ink than this is noise or a filled area, not a digit (a thick
# marker's digit photographed and cropped to its box covers up to about 70% of the picture).
MIN_CONTRAST = 32  # Grey levels between background and ink below which nothing is ink.
SPECK_FRACTION = 0.02  # Pieces smaller than this share of the largest are specks.
MAX_PIECES = 60  # More separate pieces of ink than this (after specks) is noise, not writing.
DRAWN_BACKGROUND = 0.5  # A drawing's background is one grey level over this share of it or more
# (a thick brush can still look like uneven light); a photo's never is, and only a photo has a desk.
DESK_RATIO = 0.8  # Background darker than this share of the page near it, and darker by
DESK_STEP = 32  # this many grey levels, is a desk beyond the page: a shadow darkens it gradually.
SHARP_REACH = 3  # A desk meets the page at a sharp edge: the page this many pixels (of the
SHARP_SHARE = 0.25  # ~128-px closed picture) on towards its centre, along this share of its border.
EDGE_DIGIT_SPAN = 0.1  # A piece this share of a photo's side, clear of its edge: drop edge ink.
EDGE_NARROW = 0.25  # Edge ink reaching in this share of its shorter side stays (a 1 cropped to its box).
PAGE_HOLES = 0.4  # Light ink's holes this far from the background, towards the ink's level or
# away from it, are not a board seen through a loop: the "ink" is a page, the holes its middle or strokes.
MIN_HOLES = 0.005  # Holes covering less than this share of the picture are not weighed.
PAGE_EDGE = 5  # Pixels (of the read picture) the page is grown by: its blurred edge is desk too.
SHEET_FILL = 0.88  # A sheet fills this share of the smallest rectangle round it, or more ...
SHEET_STROKES = 0.1  # ... and the strokes written on it are at most this share of its span wide.
BLOB_RATIO = 0.55  # A lighting estimate darker than this share of one WIDE_WINDOWS times as wide,
WIDE_WINDOWS = 3  # clear of the picture's edge, is a blob of ink (a shadow darkens far less).
BOARD_SMOOTHER = 20  # Light ink's lighting this many times smoother than dark ink's is a board's:
# chalk, whatever the count of ink or its edges says (pages measured: at most 10 times rougher).
RULE_LEVEL = 0.25  # Ruled or squared paper's lines fainter than this in the ink map do no harm.
RULE_TILT = 21  # Darker ones are found at slopes up to this many hundredths (12°) off level or upright,
RULE_COVER = 0.8  # near ink along this share of their length, at least
RULE_LENGTH = 0.5  # this share of the page's width,
RULE_WIDTH = 0.03  # at most this share of the picture's longer side wide, with page clear of ink
RULE_GAP = 0.01  # along most of their length this share of it beyond them on both sides (a thick
RULE_LINES = 2  # stroke has ink there), and at least two of them parallel (a long stroke is one),
RULE_ALONE = 0.97  # or one alone near ink along this share of the page's width that runs on
RULE_BEYOND = 0.05  # this share of it beyond the rest of the ink at both ends (a stroke stops there).
RULE_SHARE = 0.5  # A line's darkness is this quantile of the ink along it: its median (strokes cross it).
RULE_SIZE = 128  # Lines are sought first in the ink map shrunk (by a max filter) to about this.

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
    Once the checks have chosen, the ink is measured in that polarity (`_ink_from_flat`), not
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
        ink = _ink_from_flat(flat)
    else:  # Uneven lighting: a photo, perhaps with a desk beyond the page.
        closed = closed_picture(gray) if photo else None
        beyond = beyond_page(gray, closed) if closed else np.zeros(gray.shape, bool)
        if not dark_ink:  # A shadow can take a page's median below mid-grey; so can a desk.
            ink = _ink_from_flat(flat, False)
            paper = lighting_estimate(gray, True)
            other = np.where(beyond, 255.0, flatten_background(gray, True, estimate=paper))
            dark = _ink_from_flat(other, True)
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
        ink = _ink_from_flat(flat, True)
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


def page_read_as_ink(gray: np.ndarray, ink: np.ndarray) -> np.ndarray | None:
    """The page, if light `ink` (an `(H, W)` ink map of the `(H, W)` gray photo) is a small page
    on a dark desk read as light ink, else None: `(H, W)` bool, grown by `PAGE_EDGE`.

    Light strokes (chalk on a board) hold in their loops the board they are written on: the
    background. A page read as light ink holds something else in its holes: its own unlit middle
    (where the background estimate reaches no desk, as bright as the "ink") or its dark strokes
    (darker than the desk when the rest of it reads as ink). So the holes' median is placed on the
    scale from the background (the picture's median, 0) to the ink's (1); `PAGE_HOLES` from 0,
    either way, is a page. The page is the largest piece of the ink with its holes filled. A
    page small enough to read as ink all over, its strokes no darker than the desk, is found by
    its shape instead (`written_sheet`); so is a page whose "ink" the lighting estimate has cut
    a notch out of, by the shape of what is brighter than halfway from background to ink.
    """
    from scipy import ndimage

    mask = ink > INK_LEVEL
    if not mask.any():
        return None
    background = float(np.median(gray))
    level = float(np.median(gray[mask]))
    page, holes = _largest_filled(mask)
    if holes.sum() >= MIN_HOLES * mask.size:
        scale = max(level - background, 1.0)
        if abs(float(np.median(gray[holes])) - background) >= PAGE_HOLES * scale:
            return ndimage.maximum_filter(page, size=PAGE_EDGE)
    if written_sheet(page, holes & page):
        return ndimage.maximum_filter(page, size=PAGE_EDGE)
    # The sheet as the picture shows it, brighter than halfway from the background to the
    # ink: a lighting estimate that reaches into a page wider than its window cuts a notch
    # out of the "ink", where the page's own brightness has none.
    page, holes = _largest_filled(gray > np.float32((background + level) / 2))  # As the page's script.
    if written_sheet(page, holes & page):
        return ndimage.maximum_filter(page, size=PAGE_EDGE)
    return None


def _largest_filled(mask: np.ndarray):
    """`(piece, holes)`: the largest piece of the `(H, W)` bool `mask` with its holes filled,
    and the holes of the whole mask (what is not in it and not joined to the picture's edge).
    (Labelling finds the holes in a third of the time `ndimage.binary_fill_holes` takes.)"""
    from scipy import ndimage

    outside, _ = ndimage.label(~mask, structure=np.ones((3, 3)))
    holes = (outside > 0) & ~np.isin(outside, _edge_labels(outside))
    pieces, count = ndimage.label(mask | holes, structure=np.ones((3, 3)))
    if not count:
        return np.zeros_like(mask), holes
    return pieces == int(np.argmax(np.bincount(pieces.ravel())[1:])) + 1, holes


def written_sheet(piece: np.ndarray, holes: np.ndarray) -> bool:
    """Whether a bright `piece` (`(H, W)` bool) with dark `holes` in it looks like a sheet of
    paper written on: it fills `SHEET_FILL` of the smallest rectangle round it (at any angle;
    a sheet seen from above does, a loop of chalk does not: round, its filled shape fills at
    most π/4), and its holes are strokes, at most `SHEET_STROKES` of its span wide (a boxy loop's
    middle is not)."""
    if holes.sum() < MIN_INK_PIXELS:
        return False
    rows, cols = np.nonzero(piece)
    span = max(np.ptp(rows), np.ptp(cols)) + 1
    if stroke_width(holes) > SHEET_STROKES * span:
        return False
    return float(piece.sum()) >= SHEET_FILL * smallest_rectangle(piece)


def smallest_rectangle(piece: np.ndarray) -> float:
    """The area of the smallest rectangle, at any angle, round a `(H, W)` bool piece's pixels
    (squares): one side lies along an edge of their convex hull, whose corners are among the
    outer corners of each row's first and last pixel (at most four a row, whatever the piece)."""
    from scipy.spatial import ConvexHull

    rows = np.flatnonzero(piece.any(axis=1))
    first = np.argmax(piece[rows], axis=1)
    last = piece.shape[1] - np.argmax(piece[rows, ::-1], axis=1)
    corners = np.concatenate([np.stack([rows + dy, cols], axis=1)
                              for dy in (0, 1) for cols in (first, last)])
    points = np.unique(corners, axis=0).astype(np.float64)
    hull = points[ConvexHull(points).vertices]  # In order round it.
    edges = np.roll(hull, -1, axis=0) - hull
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    along = edges / lengths[:, None]
    across = np.stack([-along[:, 1], along[:, 0]], axis=1)
    u, v = along @ hull.T, across @ hull.T  # Every hull point on every edge's two axes.
    return float(((u.max(axis=1) - u.min(axis=1)) * (v.max(axis=1) - v.min(axis=1))).min())


def closed_picture(gray: np.ndarray):
    """A `(H, W)` gray photo at about 128 px, and the same closed (a max filter, then a min
    filter) with an odd window an eighth of its longer side wide: the strokes are wiped out,
    and a page's edge or a desk beyond it stays where it is. Returns `(small, closed, window)`."""
    factor = max(1, max(gray.shape) // 128)
    small = np.asarray(Image.fromarray(gray).reduce(factor), dtype=np.float32) if factor > 1 else gray
    window = (max(small.shape) // 8) | 1
    return small, _closing(small, window), window


def _closing(picture: np.ndarray, window: int) -> np.ndarray:
    """`picture` closed: a max filter, then a min filter, `window` wide."""
    from scipy import ndimage

    return ndimage.minimum_filter(ndimage.maximum_filter(picture, size=window), size=window)


def beyond_page(gray: np.ndarray, closed=None) -> np.ndarray:
    """Where a photo of dark ink on paper shows a desk beyond the page: `(H, W)` bool.

    On the closed picture (`closed_picture(gray)`, or `closed` if given), what is darker than
    `DESK_RATIO` of the brightest page within the window's reach, and by `DESK_STEP` grey
    levels, is desk (a shadow darkens a page gradually, far less over such a distance) if it
    reaches the picture's edge (a thick stroke's blob does not) and is not a stroke running
    along it (`_strokes_at_the_edge`), or is a ring all round a small
    page clear of it with what lies beyond it as dark (`_round_the_page`; then that is desk
    too), and meets the page at a sharp edge, the page on the side of its own centre
    (`_sharp_pieces`), and so is a rim around it.
    None is desk unless the page beside those sharp edges is brighter than it by `DESK_STEP`
    (chalk on a board is not a page on a desk). The page beside it, not all the rest: the rest
    holds the part of a wide desk that lies beyond the page's reach.
    """
    from scipy import ndimage

    height, width = gray.shape
    small, closed, window = closed or closed_picture(gray)
    page = ndimage.maximum_filter(closed, size=2 * window + 1)
    desk = _darker_than_page(closed, page)
    labels, _ = ndimage.label(desk, structure=np.ones((3, 3)))
    edge = _edge_labels(labels)
    ring, outside = _round_the_page(labels, edge, small, closed)
    edge = edge[~_strokes_at_the_edge(labels, edge, small, page, window)]
    kept, beside = _sharp_pieces(labels, np.union1d(edge, ring), closed)
    desk = np.isin(labels, kept)
    if np.isin(ring, kept).any():
        desk |= outside
    if desk.any():
        level = float(np.median(beside))  # The page beside the desk.
        if desk.all() or not level > np.median(closed[desk]) + DESK_STEP:
            desk[:] = False  # Not a bright page beside a dark desk (chalk on a board, say).
        else:
            desk = _along_the_edge(desk, small, window, level)
    desk = ndimage.maximum_filter(desk, size=3)  # Its blurred edge too.
    rows = ((np.arange(height) + 0.5) * desk.shape[0] / height).astype(int)  # Back to full size,
    cols = ((np.arange(width) + 0.5) * desk.shape[1] / width).astype(int)  # nearest neighbour.
    return desk[rows[:, None], cols[None, :]]


def _darker_than_page(picture: np.ndarray, page: np.ndarray) -> np.ndarray:
    """The desk's test: where `picture` is darker than `DESK_RATIO` of `page` (the brightest
    page within reach, the same shape) and by `DESK_STEP` grey levels. `(H, W)` bool."""
    return (picture < DESK_RATIO * page) & (picture < page - DESK_STEP)


def _strokes_at_the_edge(labels: np.ndarray, candidates: np.ndarray, small: np.ndarray,
                         page: np.ndarray, window: int) -> np.ndarray:
    """Which `candidates` (labels of dark pieces of the closed picture along its edge) are a
    stroke at the picture's edge, not a desk: bool, one a candidate. At the picture's edge the
    closing's window sees one side of a stroke only, so a stroke along the edge wider than half
    the window stays in it. What is dark in `small` (by the desk's own test against `page`),
    joined to such a piece and wiped out by the closing runs on into the picture, further than
    half `window` from its edge, and there is more of it than of the piece: the rest of the
    digit. A desk's dark lies within its pieces, or along the edge with them (its narrow parts)."""
    from scipy import ndimage

    pieces, _ = ndimage.label(_darker_than_page(small, page), structure=np.ones((3, 3)))
    height, width = small.shape
    band = window // 2  # Narrower than this at the picture's edge, the closing wipes out.
    inside = np.zeros(small.shape, bool)
    inside[band:height - band, band:width - band] = True
    stroke = np.zeros(len(candidates), bool)
    for k, label in enumerate(candidates):
        piece = labels == label
        touching = np.unique(pieces[piece])
        joined = np.isin(pieces, touching[touching > 0])
        stroke[k] = int((joined & inside & (labels == 0)).sum()) > int((joined & piece).sum())
    return stroke


def _round_the_page(labels: np.ndarray, edge: np.ndarray, small: np.ndarray, closed: np.ndarray):
    """A small page wholly in view, away from the picture's edge, has desk all round it, and
    the desk beyond the reach of its light looks like page: what is darker than the page
    within reach is a ring round it, clear of the picture's edge. The dark piece of `labels`
    (`edge`: the labels along the picture's edge) that is all that borders the page (the piece
    of what is not dark that holds the `closed` picture's brightest point, its holes filled),
    if it is clear of the picture's edge and what lies beyond it is no brighter than itself by
    more than half `DESK_STEP` (a marker's 0 round the page's brightest point has the lit page
    beyond it), and the page is a sheet written on (`written_sheet`, its strokes darker than
    the closing by `DESK_STEP` in `small`): the closing of thick chalk strokes on a board is a
    bright piece too, without writing in it. Returns (its label in a 1-array, or an empty one;
    what lies beyond it, `(H, W)` bool)."""
    from scipy import ndimage

    none = (labels[:0, 0], np.zeros(labels.shape, bool))
    rest, _ = ndimage.label(labels == 0, structure=np.ones((3, 3)))
    if not rest.any():
        return none
    brightest = rest.flat[int(np.argmax(np.where(rest > 0, closed, -np.inf)))]
    at_the_edge = _edge_labels(rest)
    outside = np.isin(rest, at_the_edge)
    if brightest in at_the_edge or not outside.any():
        return none
    filled, _ = _largest_filled(rest == brightest)
    around = np.unique(labels[ndimage.maximum_filter(filled, size=3) & ~filled])
    if len(around) != 1 or np.isin(around, edge).any():
        return none
    if not written_sheet(filled, filled & (small < closed - DESK_STEP)):
        return none
    if np.median(closed[outside]) > np.median(closed[labels == around[0]]) + DESK_STEP / 2:
        return none
    return around, outside


def _along_the_edge(desk: np.ndarray, small: np.ndarray, window: int, level: float) -> np.ndarray:
    """The desk (bool, at `small`'s size) grown into what is darker than the page's `level` (by
    `DESK_RATIO` and `DESK_STEP`), and not above the desk's own median by more than half
    `DESK_STEP` (a shadowed page beside a light desk is not desk), within `window` pixels of the
    picture's edge: the desk's narrow parts (a page seen at a slant leaves wedges of desk),
    which the closing wipes out with the strokes. Only what joins the desk found grows: a
    stroke running off the page elsewhere stays."""
    from scipy import ndimage

    band = np.ones(desk.shape, bool)
    band[window:-window, window:-window] = False
    limit = min(DESK_RATIO * level, level - DESK_STEP, float(np.median(small[desk])) + DESK_STEP / 2)
    pieces, _ = ndimage.label(desk | band & (small < limit), structure=np.ones((3, 3)))
    return np.isin(pieces, np.unique(pieces[desk]))


def _sharp_pieces(labels: np.ndarray, candidates: np.ndarray, closed: np.ndarray):
    """The `candidates` (labels of dark pieces in `labels`) that meet the page at a sharp edge,
    the page being on the side of its own middle; and the closed picture's levels on the
    page's side of those sharp edges. Returns `(labels kept, levels)`.

    The page is the piece of what is not dark that holds its brightest point (a desk too deep
    for the page to be within reach is another piece, and can be larger). Along a piece's
    border with it, the edge is sharp where the closed picture, `SHARP_REACH` pixels on towards
    the page's centre, is brighter by half `DESK_STEP`. A desk's is, along much of its border;
    the dark end of a shadow meets the page along a gradual slope, and where it meets something
    brighter beyond it (a lit surface, a corner) the brighter side faces away from the page's
    centre.
    """
    from scipy import ndimage

    if not len(candidates):
        return candidates, closed[:0, 0]
    dark = np.isin(labels, candidates)
    rest, pieces = ndimage.label(~dark, structure=np.ones((3, 3)))
    if not pieces:
        return candidates[:0], closed[:0, 0]
    page = rest == rest.flat[int(np.argmax(np.where(rest > 0, closed, -np.inf)))]
    ys, xs = np.nonzero(dark & ndimage.maximum_filter(page, size=3))
    height, width = closed.shape
    page_ys, page_xs = np.nonzero(page)
    dy, dx = int(page_ys.sum()) / len(page_ys) - ys, int(page_xs.sum()) / len(page_xs) - xs
    far = np.maximum(np.sqrt(dy * dy + dx * dx), 1.0)
    on_y = np.clip(np.floor(ys + SHARP_REACH * dy / far + 0.5), 0, height - 1).astype(int)
    on_x = np.clip(np.floor(xs + SHARP_REACH * dx / far + 0.5), 0, width - 1).astype(int)
    sharp = closed[on_y, on_x] - closed[ys, xs] >= DESK_STEP / 2
    border = labels[ys, xs]
    count = np.bincount(border, minlength=labels.max() + 1)[candidates]
    share = np.bincount(border, weights=sharp, minlength=labels.max() + 1)[candidates] / np.maximum(count, 1)
    kept = candidates[share >= SHARP_SHARE]
    return kept, closed[on_y, on_x][sharp & np.isin(border, kept)]


def without_ruling(ink: np.ndarray, page: np.ndarray | None = None) -> np.ndarray:
    """An `(H, W)` ink map without the printed lines of ruled or squared paper: lines running
    about level, then about upright, across the page (`page`, bool `(H, W)`: not the desk) are
    found (`ruling_slope`) and taken out as if they were the paper's own shade, so a stroke that
    crosses one keeps what ink it has beyond the line's (`line_darkness`). Lines darker than the
    ink (a pencil on grey print) set its scale, so the ink is then scaled again to its darkest
    pixel off the lines. Faint lines, under `RULE_LEVEL`, are left: they do no harm. Unchanged
    when there are none."""
    if page is None:
        page = np.ones(ink.shape, bool)
    ruled = np.zeros(ink.shape, bool)
    for upright in (False, True):
        work, on_page = (ink.T, page.T) if upright else (ink, page)
        found = ruling_slope(work, on_page)
        if found is None:
            continue
        lines = line_darkness(work, on_page, *found)
        work = np.where(on_page, np.clip((work - lines) / np.maximum(1.0 - lines, 0.05), 0.0, 1.0), work)
        ink = np.ascontiguousarray((work.T if upright else work).astype(np.float32))
        ruled |= (lines > 0).T if upright else lines > 0
    if ruled.any():  # Lines darker than the ink set its scale.
        off = page & ~ruled
        top = float(ink[off].max()) if off.any() else 0.0
        if INK_LEVEL < top < 1.0:
            ink = np.minimum(ink / top, 1.0).astype(np.float32)
    return ink


def ruling_slope(ink: np.ndarray, page: np.ndarray):
    """The slope (rows per column) of ruled lines running about level across the `(H, W)` ink
    map's `page`, and the lines (`_ruled_lines`' runs along `_line_bins`), or None. Sought in
    hundredths on the ink shrunk by a max filter to about `RULE_SIZE`, then in thousandths around
    the best of those at full size. One line alone must run on beyond the rest of the ink
    (`runs_beyond`): a long stroke of the digit does not."""
    factor = max(1, max(ink.shape) // RULE_SIZE)
    small = _pooled(ink, factor, np.maximum)
    coarse = _best_slope(small, _pooled(page, factor, np.minimum), [k / 100 for k in range(-RULE_TILT, RULE_TILT + 1)],
                         blur=int(factor > 1))
    if coarse is None:
        return None
    fine = [(10 * (coarse[0] - RULE_TILT) + j) / 1000 for j in range(-5, 6)]
    found = _best_slope(ink, page, fine)
    if found is None:
        return None
    slope, runs = fine[found[0]], found[1]
    if len(runs) < RULE_LINES and not runs_beyond(ink, page, slope, runs[0]):
        return None
    return slope, runs


def runs_beyond(ink: np.ndarray, page: np.ndarray, slope: float, run) -> bool:
    """Whether a line about level of the given slope, the lines of pixels `run` (`(start, end)`
    along `_line_bins`), runs on `RULE_BEYOND` of the `(H, W)` page's width beyond the rest of
    the ink (above `INK_LEVEL`, clear of it by `RULE_GAP`) at both ends. There must be a rest:
    a lone line is a 1."""
    bins = _line_bins(ink.shape, slope)
    start, end = run
    gap = max(2, int(RULE_GAP * max(ink.shape)))
    line = (bins >= start) & (bins < end) & (ink > RULE_LEVEL) & page
    rest = ((bins < start - gap) | (bins >= end + gap)) & (ink > INK_LEVEL) & page
    line, rest = np.flatnonzero(line.any(axis=0)), np.flatnonzero(rest.any(axis=0))
    if not len(line) or not len(rest):
        return False
    reach = RULE_BEYOND * _page_width(page)
    return bool(rest[0] - line[0] >= reach and line[-1] - rest[-1] >= reach)


def _pooled(picture: np.ndarray, factor: int, combine) -> np.ndarray:
    """An `(H, W)` picture shrunk by a whole `factor`, each block's pixels reduced with
    `combine` (`np.maximum`: a max filter; `np.minimum`); a part block at the end is dropped."""
    height, width = (side // factor * factor for side in picture.shape)
    rows = picture[0:height:factor, :width]
    for offset in range(1, factor):
        rows = combine(rows, picture[offset:height:factor, :width])
    pooled = rows[:, 0::factor]
    for offset in range(1, factor):
        pooled = combine(pooled, rows[:, offset::factor])
    return pooled


def _best_slope(ink, page, slopes, blur=0):
    """Of `slopes`, the one along which the `(H, W)` ink map's ruled lines (`_ruled_lines`) hold
    the most ink: its index and its lines, or None if none has lines. All slopes' lines are
    counted at once, first only the pixels near ink: the page is counted only for slopes with
    `RULE_LINES` lines or more that could be covered, or one that could be alone. `blur`: see
    `_ruled_lines`."""
    height, width = ink.shape
    shifts = _line_shifts(width, slopes)
    count = height + int(shifts.max())

    def tally(mask, chosen):
        rows, cols = np.nonzero(mask)
        bins = (rows[None, :] + shifts[chosen][:, cols]) + np.arange(len(chosen))[:, None] * count
        return np.bincount(bins.ravel(), minlength=len(chosen) * count).reshape(len(chosen), count)

    hits = tally(_near_lines(ink) & page, np.arange(len(slopes)))
    page_width = _page_width(page)
    chosen = np.flatnonzero(((hits >= RULE_COVER * RULE_LENGTH * page_width).sum(axis=1) >= RULE_LINES)
                            | (hits >= RULE_ALONE * page_width).any(axis=1))
    if not len(chosen):
        return None
    counts = tally(page, chosen)
    best, found = 0.0, None
    for index, on_page in zip(chosen, counts):
        runs = _ruled_lines(on_page, hits[index], page_width, max(ink.shape), blur)
        held = sum(float(hits[index, start:end].sum()) for start, end in runs)
        if held > best:
            best, found = held, (int(index), runs)
    return found


def _near_lines(ink: np.ndarray) -> np.ndarray:
    """Pixels of an `(H, W)` ink map above `RULE_LEVEL`, or a row from one: a line a slope's
    bins cut at a slant need not lie in one bin. `(H, W)` bool."""
    above = ink > RULE_LEVEL
    near = above.copy()
    near[1:] |= above[:-1]
    near[:-1] |= above[1:]
    return near


def _line_shifts(width: int, slopes) -> np.ndarray:
    """For lines of each of `slopes` (rows per column) across a picture `width` wide, what each
    column adds to a pixel's row to give its line's number, from 0: `(len(slopes), width)` int."""
    slopes = np.asarray(slopes, dtype=np.float64)
    shifts = np.floor(0.5 - np.arange(width)[None, :] * slopes[:, None]).astype(np.int64)
    return shifts - shifts.min(axis=1, keepdims=True)


def _line_bins(shape, slope: float) -> np.ndarray:
    """Each pixel's line of the given slope (rows per column), numbered from 0: `(H, W)` int."""
    rows, cols = np.indices(shape)
    return rows + _line_shifts(shape[1], [slope])[0][cols]


def _page_width(page: np.ndarray) -> int:
    """How many columns of the `(H, W)` picture hold some of its `page`: how long a line about
    level across it can be (a small page's lines are short)."""
    return int(page.any(axis=0).sum())


def _ruled_lines(counts, hits, page_width, side, blur=0):
    """The ruled lines among lines of pixels of a picture whose longer side is `side`, of which
    `counts` (`(n,)`) are on its page and `hits` near ink: runs of lines, `[(start, end)]`, near
    ink along `RULE_COVER` of their length or more, each line at least `RULE_LENGTH` of the
    `page_width` (`_page_width`) long, at most `RULE_WIDTH` of `side` wide and with clearer lines
    `RULE_GAP` of it beyond on both sides, give or take `blur` lines each side (a shrunk
    picture's); none unless there are `RULE_LINES`, or one near ink along `RULE_ALONE` of the
    page's width."""
    cover = np.where(counts >= RULE_LENGTH * page_width, hits / np.maximum(counts, 1), 0.0)
    covered = np.concatenate([[False], cover >= RULE_COVER, [False]])
    starts = np.flatnonzero(covered[1:] & ~covered[:-1])
    ends = np.flatnonzero(covered[:-1] & ~covered[1:])
    gap = max(2, int(RULE_GAP * side)) + blur
    padded = np.concatenate([np.zeros(gap), cover, np.zeros(gap)])
    runs = [(start, end) for start, end in zip(starts, ends)
            if end - start <= max(3, RULE_WIDTH * side) + 2 * blur
            and padded[start] <= 0.5 and padded[end - 1 + 2 * gap] <= 0.5]
    alone = len(runs) == 1 and hits[runs[0][0] : runs[0][1]].max() >= RULE_ALONE * page_width
    return runs if len(runs) >= RULE_LINES or alone else []


def line_darkness(ink: np.ndarray, page: np.ndarray, slope: float, runs) -> np.ndarray:
    """How dark the ruled lines of the given slope are at each pixel of the `(H, W)` ink map,
    0 off them: on each of the lines of pixels `runs` (`ruling_slope`'s), the `RULE_SHARE`
    quantile of its `page` pixels' ink, and a line's neighbours take the darker of the two (its
    blurred edge). `(H, W) float64`."""
    bins = _line_bins(ink.shape, slope)
    count = int(bins.max()) + 1
    on_page = bins[page]
    counts = np.bincount(on_page, minlength=count)
    values = np.clip(ink[page], 0.0, 0.999).astype(np.float64)
    keys = np.sort(on_page + values)  # By line, then by ink.
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    picks = np.minimum(starts + (RULE_SHARE * counts).astype(np.int64), len(keys) - 1)
    darkness = np.clip(keys[picks] - np.arange(count), 0.0, 1.0)
    lines = np.zeros(count, bool)
    for start, end in runs:
        lines[max(start - 1, 0) : end + 1] = True
    darkness = np.where(lines, darkness, 0.0)
    edged = darkness.copy()
    edged[1:] = np.maximum(edged[1:], darkness[:-1])
    edged[:-1] = np.maximum(edged[:-1], darkness[1:])
    return edged[bins]


def _edge_labels(labels: np.ndarray) -> np.ndarray:
    """The piece labels (above 0) along the edge of an `(H, W)` label array."""
    found = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return found[found > 0]


def without_edge_pieces(ink: np.ndarray, beyond: np.ndarray | None = None) -> np.ndarray:
    """An `(H, W)` ink map without the pieces of ink that touch the picture's edge, or the
    desk beyond the page where `beyond` (bool, `(H, W)`) says so: in a photo they are a
    shadow's rim, the desk's or a corner the camera turned in, not writing. When no piece
    clear of them spans `EDGE_DIGIT_SPAN` of the picture's longer side, the digit itself may
    run off the picture or the page: then only those that reach less than that far in from
    the picture's edge (`_edge_reach`), or less than `EDGE_NARROW` of its shorter side, go,
    rims and corners of a page with nothing written on it. Ink on the desk itself goes all the
    same."""
    from scipy import ndimage

    if beyond is not None:
        ink = np.where(beyond, 0.0, ink).astype(np.float32)
    mask = ink > INK_LEVEL
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if not count:
        return ink
    edge = _edge_labels(labels)
    if beyond is not None:  # Pieces next to the desk go with the edge's.
        near = labels[ndimage.maximum_filter(beyond, size=3)]
        edge = np.union1d(edge, near[near > 0])
    if not len(edge):
        return ink
    spans = [_longer_side(box) for label, box in enumerate(ndimage.find_objects(labels), start=1)
             if label not in edge]
    reach = EDGE_DIGIT_SPAN * max(ink.shape)
    if max(spans, default=0) < reach:
        deep = min(reach, EDGE_NARROW * min(ink.shape))  # Nothing in a 1's own crop reaches further.
        edge = edge[_edge_reach(labels, count)[edge - 1] < deep]
    return np.where(np.isin(labels, edge), 0.0, ink).astype(np.float32) if len(edge) else ink


def _longer_side(box) -> int:
    """The longer side of a piece's box, `ndimage.find_objects`' `(rows, cols)` slices."""
    rows, cols = box
    return max(rows.stop - rows.start, cols.stop - cols.start)


def _edge_reach(labels: np.ndarray, count: int) -> np.ndarray:
    """How far each of the `count` pieces of an `(H, W)` label array reaches into the picture:
    its pixels' greatest distance in pixels from the picture's nearest side, `(count,)`. Not
    from the desk: a small page found with its strokes cut out leaves only their fringe, all
    along the "desk", and that fringe is the digit."""
    from scipy import ndimage

    height, width = labels.shape
    rows, cols = np.indices(labels.shape)
    depth = np.minimum(np.minimum(rows, height - 1 - rows), np.minimum(cols, width - 1 - cols))
    return ndimage.maximum(depth, labels, index=np.arange(1, count + 1))


def _ink_from_flat(gray: np.ndarray, dark_ink: bool | None = None) -> np.ndarray:
    """Ink in [0, 1] of an evenly lit `(H, W)` gray image: dark ink if `dark_ink`, light ink if
    False, and if None as its median says (the background is most of a drawing).

    The background is the median, or, where the ink is most of the picture (a thick marker's
    digit cropped tight: its median is ink), the median of the levels on the background's side
    of mid-grey."""
    background = float(np.median(gray))
    if dark_ink is None:
        dark_ink = background >= 128
    elif dark_ink != (background >= 128):
        side = gray[gray >= 128] if dark_ink else gray[gray < 128]
        if side.size:
            background = float(np.median(side))
    if dark_ink:
        darkest = float(gray.min())
        ink = (background - gray) / max(background - darkest, 1.0)
    else:
        brightest = float(gray.max())
        ink = (gray - background) / max(brightest - background, 1.0)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


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
    if max(map(_longer_side, boxes)) < span:
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


def flatten_background(gray: np.ndarray, dark_ink: bool = True, closed=None, estimate=None) -> np.ndarray:
    """Even out uneven lighting (a shadow across paper, a vignette) in a `(H, W)` gray image.

    The lighting is estimated at low resolution (`lighting_estimate`; `estimate`, if worked
    out already), then divided out. A flat background — every drawing made on the
    canvas — is returned unchanged. Given `closed` (dark ink only; `closed_picture`'s
    `(small, closed, window)`), whose closed picture keeps a page's edge where it is, the
    estimate is held to that: near the edge, the smooth estimate spills the page's brightness
    onto the desk, a rim of false ink.
    """
    height, width = gray.shape
    if estimate is None:
        estimate = lighting_estimate(gray, dark_ink)
    if float(estimate.max() - estimate.min()) < 24:
        return gray
    estimate = np.asarray(Image.fromarray(estimate).resize((width, height), Image.Resampling.BILINEAR))
    if dark_ink:
        if closed is not None:
            shrunk, edges, window = closed
            edges = without_ink_blobs(edges, lambda: _closing(shrunk, (WIDE_WINDOWS * window) | 1))
            estimate = np.minimum(estimate, np.asarray(
                Image.fromarray(edges).resize((width, height), Image.Resampling.BILINEAR)))
        return np.clip(gray / np.maximum(estimate, 1.0) * 255.0, 0, 255).astype(np.float32)
    return np.clip((gray - estimate) / np.maximum(255.0 - estimate, 1.0) * 255.0, 0, 255).astype(np.float32)


def lighting_estimate(gray: np.ndarray, dark_ink: bool = True) -> np.ndarray:
    """The lighting of a `(H, W)` gray image at about 64 px (its longer side reduced by a whole
    factor): a max filter (min for light ink) with a window an eighth of the picture wipes out
    the strokes (for dark ink, blobs of ink wider than that too: `without_ink_blobs`), and a
    mean filter as wide smooths what is left. `(h, w) float32`."""
    from scipy import ndimage

    height, width = gray.shape
    factor = max(1, max(height, width) // 64)
    small = np.asarray(Image.fromarray(gray).reduce(factor), dtype=np.float32) if factor > 1 else gray
    size = max(3, max(small.shape) // 8)
    spread = ndimage.maximum_filter if dark_ink else ndimage.minimum_filter
    paper = spread(small, size=size)
    if dark_ink:
        paper = without_ink_blobs(paper, lambda: spread(small, size=WIDE_WINDOWS * size))
    return ndimage.uniform_filter(paper, size=size)


def roughness(estimate: np.ndarray) -> float:
    """How far a `(h, w)` lighting estimate is from lighting: the root mean square of what a
    quadratic surface fitted to it (least squares; coordinates scaled to its longer side) leaves.
    A shadow, a lamp's falloff or a vignette is smooth; an estimate of the wrong polarity follows
    the strokes (a max filter round a board's chalk, a min filter round a page's pencil)."""
    rows, cols = np.indices(estimate.shape, dtype=np.float64) / max(estimate.shape)
    y, x = rows.ravel(), cols.ravel()
    terms = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)
    values = estimate.astype(np.float64).ravel()
    # By the normal equations, as the page does: six terms on [0, 1] are well conditioned, and
    # a fit takes 0.3 ms (2 ms by `lstsq`'s SVD).
    fit = np.linalg.solve(terms.T @ terms, terms.T @ values)
    return float(np.sqrt(np.mean((values - terms @ fit) ** 2)))


def without_ink_blobs(estimate: np.ndarray, wide_filter) -> np.ndarray:
    """A lighting estimate of dark ink on paper (a max filter or a closing, which wipes out
    strokes narrower than its window), with the wide one (`wide_filter()`: the same with a
    window `WIDE_WINDOWS` times as wide) where it is darker than `BLOB_RATIO` of that, in
    pieces clear of the picture's edge. There a blob of ink wider than the window (a marker's
    strokes where they meet) survived it, and would read as paper: a square hole in the
    strokes. A shadow darkens the page by far less over a window's width, and a desk reaches
    the picture's edge. The wide filter is never brighter than the estimate's brightest value,
    so an estimate whose darkest is not under that ratio of it (a drawing's, mostly) holds no
    blob, and the wide one is not computed."""
    from scipy import ndimage

    if float(estimate.min()) >= BLOB_RATIO * estimate.max():
        return estimate
    wide = wide_filter()
    blob = estimate < BLOB_RATIO * wide
    if not blob.any():
        return estimate
    labels, _ = ndimage.label(blob, structure=np.ones((3, 3)))
    blob &= ~np.isin(labels, _edge_labels(labels))
    return np.where(blob, wide, estimate)


def ink_bbox(ink: np.ndarray, level: float = INK_LEVEL):
    """The bounding box `(top, bottom, left, right)` (exclusive ends) of the ink above `level`.
    Raises `NoInkError` when there is none."""
    from scipy import ndimage

    found = ndimage.find_objects((ink > level).astype(np.int8))
    if not found:
        raise NoInkError("No ink found: draw a digit.")
    rows, cols = found[0]
    return rows.start, rows.stop, cols.start, cols.stop


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
