"""The page in a photo: the desk beyond it, a small page read as ink (a sticky note on a
dark desk), and ink along the picture's edge or the desk, which is not writing.

    beyond_page(gray)               # (H, W) gray in [0, 255] → (H, W) bool, the desk
    without_edge_pieces(ink, desk)  # (H, W) ink → the same without pieces at the edge or desk

The JavaScript in `web/page.js` mirrors it function by function, with the same names.
"""

import numpy as np
from PIL import Image

from digitpad.shapes import INK_LEVEL, MIN_INK_PIXELS, closing, edge_labels, longer_side, stroke_width

DESK_RATIO = 0.8  # Background darker than this share of the page near it, and darker by
DESK_STEP = 32  # this many grey levels, is a desk beyond the page: a shadow darkens it gradually.
SHARP_REACH = 3  # A desk meets the page at a sharp edge: the page this many pixels (of the
SHARP_SHARE = 0.25  # ~128-px closed picture) on towards its centre, along this share of its border.
EDGE_DIGIT_SPAN = 0.1  # A piece this share of a photo's longer side, clear of its edge, is the digit.
EDGE_NARROW = 0.25  # Edge ink reaching in that far, or this share of the shorter side (a 1 cropped to
EDGE_STROKES = 0.5  # its box), may be writing: it is if its strokes are at most this share of its depth wide.
PAGE_HOLES = 0.4  # Light ink's holes this far from the background, towards the ink's level or
# away from it, are not a board seen through a loop: the "ink" is a page, the holes its middle or strokes.
MIN_HOLES = 0.005  # Holes covering less than this share of the picture are not weighed.
PAGE_EDGE = 5  # Pixels (of the read picture) the page is grown by: its blurred edge is desk too.
SHEET_FILL = 0.88  # A sheet fills this share of the smallest rectangle round it, or more ...
SHEET_STROKES = 0.1  # ... and the strokes written on it are at most this share of its span wide.


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
    holes = (outside > 0) & ~np.isin(outside, edge_labels(outside))
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
    return small, closing(small, window), window


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
    edge = edge_labels(labels)
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
    at_the_edge = edge_labels(rest)
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


def without_edge_pieces(ink: np.ndarray, beyond: np.ndarray | None = None) -> np.ndarray:
    """An `(H, W)` ink map without the pieces of ink that touch the picture's edge, or the
    desk beyond the page where `beyond` (bool, `(H, W)`) says so: in a photo they are a
    shadow's rim, the desk's or a corner the camera turned in, not writing. Those that reach
    in from the picture's edge (`_edge_reach`) `EDGE_DIGIT_SPAN` of its longer side, or
    `EDGE_NARROW` of its shorter side if that is less, may be the digit, run off the picture
    or cropped to its ink. When no piece clear of the edge and the desk spans `EDGE_DIGIT_SPAN`
    of the longer side, they stay, and the others, rims and corners of a page with nothing
    written on it, go. When one does (the digit, or a part of it: a 5's bar, its body touching
    the edge), they stay if their strokes are at most `EDGE_STROKES` of that depth wide (a
    band of desk or shadow is about as wide as it reaches in) and they are not next to the
    desk. Ink on the desk itself goes all the same."""
    from scipy import ndimage

    if beyond is not None:
        ink = np.where(beyond, 0.0, ink).astype(np.float32)
    mask = ink > INK_LEVEL
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if not count:
        return ink
    edge = edge_labels(labels)
    desk_side = labels[:0, 0]
    if beyond is not None:  # Pieces next to the desk go with the edge's.
        near = labels[ndimage.maximum_filter(beyond, size=3)]
        desk_side = np.unique(near[near > 0])
        edge = np.union1d(edge, desk_side)
    if not len(edge):
        return ink
    spans = [longer_side(box) for label, box in enumerate(ndimage.find_objects(labels), start=1)
             if label not in edge]
    reach = EDGE_DIGIT_SPAN * max(ink.shape)
    deep = min(reach, EDGE_NARROW * min(ink.shape))  # Nothing in a 1's own crop reaches further.
    depths = _edge_reach(labels, count)[edge - 1]
    kept = depths >= deep
    if max(spans, default=0) >= reach:  # The digit is clear of the edge, at least in part.
        kept &= ~np.isin(edge, desk_side)
        kept[kept] = [stroke_width(labels == label) <= EDGE_STROKES * depth
                      for label, depth in zip(edge[kept], depths[kept])]
    edge = edge[~kept]
    return np.where(np.isin(labels, edge), 0.0, ink).astype(np.float32) if len(edge) else ink


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
