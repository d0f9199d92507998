"""Split the ink of one drawing into digits, left to right, and read them all at once.

    number = read_number(model, sketchpad_value)
    number.text, [d.box for d in number.digits]
    ('2024', [(top, bottom, left, right), ...])          # boxes in the picture's pixels

Pieces of ink are the connected components of the ink mask. Pieces that share most of their
horizontal extent belong to one digit (the two strokes of a 4, the bar of a 5 or a 7), and a
small piece joins its nearest neighbour (a dot, a broken stroke). A piece much wider than
a digit is tall is split where the ink is thinnest, which separates most touching pairs.
"""

from dataclasses import dataclass

import numpy as np

from digitpad.classify import classify_inputs
from digitpad.preprocess import (FAINT_LEVEL, INK_LEVEL, MAX_PIECES, READ_SIZE, clean_ink,
                                 ink_bbox, ink_map, ink_to_input)
from digitpad.reading import as_picture, to_grayscale

OVERLAP_TO_MERGE = 0.5  # Share of the narrower piece's width that two pieces of one digit share.
SMALL_PIECE = 0.4  # A piece lower than this share of the tallest piece joins a neighbour.
WIDE_PIECE = 1.25  # A piece wider than this many times its height may be several digits.
SPLIT_MARGIN = 0.1  # Touching digits are split only if every part reads this much surer.
DIGIT_ASPECT = 0.75  # Typical width of a digit over its height, to count digits in a wide piece.
NUMBER_SIDE = 2 * READ_SIZE  # A number is read from a picture shrunk to this longer side.
MAX_DIGITS = 20  # The longest number read.


@dataclass
class Digit:
    """One digit found in the picture: its box (top, bottom, left, right in the picture's
    pixels, ends exclusive), the network's `(28, 28, 1)` input and its `(10,)` probabilities."""

    box: tuple
    model_input: np.ndarray
    probabilities: np.ndarray

    @property
    def value(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))


@dataclass
class Number:
    digits: list  # Their boxes are in the original picture's pixels.
    scale: int  # Original picture pixels per pixel of `picture`.
    picture: np.ndarray  # The `(H, W)` grayscale picture the digits were read from (shrunk).

    @property
    def text(self) -> str:
        return "".join(str(d.value) for d in self.digits)


def _pieces(mask):
    """Connected pieces of a mask → (label image, list of [top, bottom, left, right, ids])."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    pieces = []
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is not None:
            rows, cols = found
            pieces.append([rows.start, rows.stop, cols.start, cols.stop, {index}])
    return labels, pieces


def _union(a, b):
    return [min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]), a[4] | b[4]]


def _overlap(a, b) -> float:
    shared = min(a[3], b[3]) - max(a[2], b[2])
    return shared / max(min(a[3] - a[2], b[3] - b[2]), 1)


def group_pieces(pieces):
    """Merge pieces into digits by horizontal overlap and size; returns groups left to right."""
    groups = sorted(pieces, key=lambda p: p[2])
    merged = True
    while merged and len(groups) > 1:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if _overlap(groups[i], groups[j]) >= OVERLAP_TO_MERGE:
                    groups[i] = _union(groups[i], groups.pop(j))
                    merged = True
                    break
            if merged:
                break
    tallest = max(g[1] - g[0] for g in groups)
    changed = True
    while changed and len(groups) > 1:
        changed = False
        for i, group in enumerate(groups):
            if group[1] - group[0] < SMALL_PIECE * tallest:
                others = [k for k in range(len(groups)) if k != i]
                gap = [max(groups[k][2] - group[3], group[2] - groups[k][3], 0) for k in others]
                nearest = others[int(np.argmin(gap))]
                if min(gap) <= 0.25 * tallest:
                    keep, drop = min(i, nearest), max(i, nearest)
                    groups[keep] = _union(groups[keep], groups[drop])
                    groups.pop(drop)
                    changed = True
                    break
    return sorted(groups, key=lambda g: g[2])


def split_wide(ink_crop: np.ndarray) -> list:
    """Column ranges `(start, stop)` of the digits in a crop that may hold touching digits."""
    height, width = ink_crop.shape
    count = min(int(round(width / (DIGIT_ASPECT * height))), MAX_DIGITS)
    if width < WIDE_PIECE * height or count < 2:
        return [(0, width)]
    profile = (ink_crop > INK_LEVEL).sum(axis=0).astype(float)
    cuts = []
    for k in range(1, count):
        centre = k * width / count
        low, high = int(centre - 0.2 * width / count), int(centre + 0.2 * width / count) + 1
        cuts.append(low + int(np.argmin(profile[low:high])))
    edges = [0, *cuts, width]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def _trim(part, top, left):
    """Crop a piece of ink to its own extent: `(box, crop)` or None if it holds no ink."""
    if part.size == 0 or (part > INK_LEVEL).sum() < 4:
        return None
    rows_start, rows_stop, cols_start, cols_stop = ink_bbox(part, FAINT_LEVEL)
    box = (top + rows_start, top + rows_stop, left + cols_start, left + cols_stop)
    return box, part[rows_start:rows_stop, cols_start:cols_stop]


def find_digits(ink: np.ndarray):
    """`(H, W)` ink map (cleaned) → one entry per digit-like group of ink, left to right:
    `(box, crop, splits)` where `splits` lists `(box, crop)` parts if the group is wide
    enough to be touching digits (else it is empty)."""
    from scipy import ndimage

    mask = ink > INK_LEVEL
    labels, pieces = _pieces(mask)
    if not pieces:
        return []
    if len(pieces) > MAX_PIECES:
        raise ValueError(f"This picture has {len(pieces)} separate marks: too many to be a number "
                         f"(digitpad reads up to {MAX_DIGITS} digits). Clear it and write the number.")
    groups = group_pieces(pieces)
    if len(groups) > MAX_DIGITS:
        raise ValueError(f"This picture holds about {len(groups)} digits; digitpad reads up to "
                         f"{MAX_DIGITS}. Write a shorter number.")
    # Every inked pixel (anti-aliased fringe too) belongs to its nearest piece.
    nearest = labels[tuple(ndimage.distance_transform_edt(labels == 0, return_distances=False,
                                                          return_indices=True))]
    found = []
    for top, bottom, left, right, ids in groups:
        pad = 2
        top, left = max(top - pad, 0), max(left - pad, 0)
        bottom, right = min(bottom + pad, ink.shape[0]), min(right + pad, ink.shape[1])
        own = np.isin(nearest[top:bottom, left:right], list(ids))
        whole = _trim(ink[top:bottom, left:right] * own, top, left)
        if whole is None:
            continue
        (top, bottom, left, right), crop = whole
        ranges = split_wide(crop)
        splits = [] if len(ranges) < 2 else [
            part for start, stop in ranges
            if (part := _trim(crop[:, start:stop], top, left + start)) is not None
        ]
        found.append((whole[0], crop, splits if len(splits) > 1 else []))
    return found


def read_number(model, image) -> Number:
    """Any picture (a path, image or array) or sketchpad value → the `Number` written in it,
    every candidate read in one batched call. A wide piece is taken as touching digits only
    when its parts read more surely than the whole. Raises `NoInkError` for a blank picture, `ValueError` for noise."""
    original = as_picture(image)
    width = original.shape[1] if isinstance(original, np.ndarray) else getattr(original, "width", 0)
    gray = to_grayscale(original, max_side=NUMBER_SIDE)
    scale = max(1, round(width / gray.shape[1])) if width else 1
    ink = clean_ink(ink_map(gray))
    found = find_digits(ink)
    candidates = [(box, crop) for box, crop, _ in found]
    candidates += [part for _, _, splits in found for part in splits]
    inputs = np.stack([ink_to_input(crop) for _, crop in candidates]).astype(np.float32)
    probabilities = classify_inputs(model, inputs)
    read = {id(crop): (box, model_input, p)
            for (box, crop), model_input, p in zip(candidates, inputs, probabilities)}
    digits = []
    for box, crop, splits in found:
        whole = read[id(crop)]
        parts = [read[id(part_crop)] for _, part_crop in splits]
        if parts and min(p[2].max() for p in parts) > whole[2].max() + SPLIT_MARGIN:
            chosen = parts
        else:
            chosen = [whole]
        digits += [Digit(tuple(int(v) * scale for v in b), x, p) for b, x, p in chosen]
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"This picture holds {len(digits)} digits; digitpad reads up to {MAX_DIGITS}.")
    return Number(digits, scale, gray)
