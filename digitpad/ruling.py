"""The printed lines of ruled or squared paper, found and taken out of a photo's ink map.

    without_ruling(ink, page)   # (H, W) ink in [0, 1], (H, W) bool page → (H, W) ink without lines

The JavaScript in `web/ruling.js` mirrors it function by function, with the same names.
"""

import numpy as np

from digitpad.shapes import INK_LEVEL

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
