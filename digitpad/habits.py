"""Stroke-level augmentation: the same drawing as other people would have written it.

Works on pen strokes (a list of `(n, 2) float` arrays of `[x, y]` points, y pointing up, in
any units) before they are rendered, so that every change is drawn with the pen's own width:

- `warp_strokes`: slant, rotation, aspect and a small smooth (elastic) wobble of the path;
- habits that many people share but the shared data hold in few writers: the pen not lifted
  between strokes (`join_strokes`), crossbars and curled bars on 7s, slashes through 0s,
  short and long flags and bases on 1s, open and closed tops on 4s, hooked tails on 9s.

    strokes = habit_variant(record["strokes"], record["label"], rng)   # list of (n, 2)
"""

import numpy as np

HABIT_CHANCE = 0.25  # Chance that a drawing of the right digit gets one of its habits.
JOIN_CHANCE = 0.1  # Chance that a drawing of several strokes is written without lifting the pen.


def as_arrays(strokes) -> list[np.ndarray]:
    """JSON strokes → a list of `(n, 2) float64` arrays (single points become one-point strokes)."""
    return [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes if len(s)]


def _box(strokes):
    every = np.concatenate(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    return low, high, np.maximum(high - low, 1e-6)


def _line(start, end, points: int = 8) -> np.ndarray:
    """A straight pen stroke from `start` to `end`, sampled as a tablet samples a path."""
    t = np.linspace(0.0, 1.0, points)[:, None]
    return (1 - t) * np.asarray(start, float) + t * np.asarray(end, float)


def warp_strokes(strokes, rng, rotation=10.0, shear=0.3, aspect=0.25, wobble=0.025):
    """Rotate (±`rotation`°), slant (x += shear·y), stretch the width (×e^±`aspect`) and
    bend the path smoothly (a random sine field of `wobble` × the digit's size)."""
    low, high, span = _box(strokes)
    centre = (low + high) / 2
    size = float(span.max())
    angle = np.deg2rad(rng.uniform(-rotation, rotation))
    cos, sin = np.cos(angle), np.sin(angle)
    slant = rng.uniform(-shear, shear)
    stretch = np.exp(rng.uniform(-aspect, aspect))
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[stretch, slant], [0.0, 1.0]])
    frequency = rng.uniform(0.5, 1.5, size=(2, 2)) * 2 * np.pi / size
    phase = rng.uniform(0, 2 * np.pi, size=2)
    amplitude = wobble * size * rng.uniform(0.0, 1.0)
    warped = []
    for stroke in strokes:
        local = stroke - centre
        bend = amplitude * np.sin(local @ frequency.T + phase)  # (n, 2) smooth offsets
        warped.append((local + bend) @ matrix.T + centre)
    return warped


def join_strokes(strokes):
    """The pen not lifted: every stroke joined to the next by its travel, drawn as ink."""
    return [np.concatenate(strokes)]


def add_crossbar(strokes, rng):
    """A 7 with a short bar across its stem, a little below the middle."""
    low, high, span = _box(strokes)
    y = high[1] - rng.uniform(0.45, 0.6) * span[1]
    every = np.concatenate(strokes)
    near = every[np.abs(every[:, 1] - y) < 0.08 * span[1]]
    x = float(near[:, 0].mean()) if len(near) else float((low[0] + high[0]) / 2)
    half = rng.uniform(0.18, 0.3) * span[1]
    tilt = rng.uniform(-0.05, 0.05) * span[1]
    return [*strokes, _line((x - half, y - tilt), (x + half, y + tilt))]


def curl_seven(strokes, rng):
    """A 7 whose bar starts with a curl: a small loop at the top left, drawn into the bar."""
    low, high, span = _box(strokes)
    first = strokes[0]
    start = first[0]
    if start[1] < high[1] - 0.3 * span[1]:  # The first stroke does not start at the top.
        return strokes
    radius = rng.uniform(0.06, 0.14) * span[1]
    centre = start - np.array([0.0, radius])
    turn = np.linspace(1.5 * np.pi, 0.5 * np.pi, 10)  # Bottom, round the left, up to the start.
    curl = centre + radius * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    return [np.concatenate([curl[:-1], first]), *strokes[1:]]


def add_slash(strokes, rng):
    """A slashed zero: a line from above the right shoulder to below the left foot."""
    low, high, span = _box(strokes)
    over = rng.uniform(0.0, 0.15)
    start = (high[0] - 0.1 * span[0] + over * span[0], high[1] + over * span[1])
    end = (low[0] + 0.1 * span[0] - over * span[0], low[1] - over * span[1])
    return [*strokes, _line(start, end)]


def add_flag(strokes, rng):
    """A 1 with a flag, short or long (up to two thirds of its height): an up-stroke from
    the left that leads into the top of the stem."""
    low, high, span = _box(strokes)
    every = np.concatenate(strokes)
    top = every[np.argmax(every[:, 1])]
    length = rng.uniform(0.2, 0.65) * span[1]
    angle = np.deg2rad(rng.uniform(20, 60))  # Below the horizontal, towards the left.
    start = top + length * np.array([-np.cos(angle), -np.sin(angle)])
    return [_line(start, top), *strokes]


def add_base(strokes, rng):
    """A 1 standing on a short horizontal base."""
    low, high, span = _box(strokes)
    every = np.concatenate(strokes)
    foot = every[np.argmin(every[:, 1])]
    half = rng.uniform(0.15, 0.3) * span[1]
    return [*strokes, _line((foot[0] - half, low[1]), (foot[0] + half, low[1]))]


def _four_parts(strokes):
    """A two-stroke 4 as `(arm, stem)`: the arm is the wider stroke (down, then across)."""
    if len(strokes) != 2:
        return None
    widths = [np.ptp(s[:, 0]) / max(np.ptp(s[:, 1]), 1e-6) for s in strokes]
    arm, stem = (strokes[0], strokes[1]) if widths[0] >= widths[1] else (strokes[1], strokes[0])
    if len(arm) < 2 or len(stem) < 2:
        return None
    if stem[0, 1] < stem[-1, 1]:  # Drawn upwards: take it top to bottom.
        stem = stem[::-1]
    return arm, stem


def open_four(strokes, rng):
    """A 4 in one open stroke: down, across, then down from the bar, no stem above it."""
    parts = _four_parts(strokes)
    if parts is None:
        return strokes
    arm, stem = parts
    low, high, span = _box(strokes)
    bar = arm[-1, 1] + rng.uniform(0.0, 0.1) * span[1]
    below = stem[stem[:, 1] <= bar]
    if len(below) < 2:
        return strokes
    return [np.concatenate([arm, below])]


def close_four(strokes, rng):
    """A 4 with a closed top: the arm's start joined to the top of the stem."""
    parts = _four_parts(strokes)
    if parts is None:
        return strokes
    arm, stem = parts
    start = arm[0] if arm[0, 1] >= arm[-1, 1] else arm[-1]
    return [*strokes, _line(start, stem[0])]


def add_hook(strokes, rng):
    """A 9 whose tail ends in a hook curling back to the left."""
    low, high, span = _box(strokes)
    last = strokes[-1]
    end = last[-1]
    if end[1] > low[1] + 0.3 * span[1]:  # The pen did not finish at the bottom: no tail to hook.
        return strokes
    radius = rng.uniform(0.08, 0.18) * span[1]
    turn = np.linspace(0.0, -np.pi * rng.uniform(0.6, 1.0), 8)
    centre = end + np.array([-radius, 0.0])
    hook = centre + radius * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    return [*strokes[:-1], np.concatenate([last, hook[1:]])]


HABITS = {
    0: (add_slash,),
    1: (add_flag, add_base),
    4: (open_four, close_four),
    7: (add_crossbar, curl_seven),
    9: (add_hook,),
}


def habit_variant(strokes, label: int, rng, warp: bool = True, habits: bool = True):
    """One random variant of a drawing: maybe a habit of its digit, maybe the pen not
    lifted (neither with `habits=False`), then warped. JSON or array strokes in, a list of
    `(n, 2)` arrays out."""
    strokes = as_arrays(strokes)
    choices = HABITS.get(int(label), ()) if habits else ()
    if choices and rng.random() < HABIT_CHANCE:
        strokes = choices[int(rng.integers(len(choices)))](strokes, rng)
    if habits and len(strokes) > 1 and rng.random() < JOIN_CHANCE:
        strokes = join_strokes(strokes)
    return warp_strokes(strokes, rng) if warp else strokes
