"""What the drawing's steps and the photo's steps both measure: which pixels of an ink map are
ink, how wide its strokes are, which pieces touch the picture's edge, and a closing.

    stroke_width(mask)          # (H, W) bool → mean stroke width in pixels
    edge_labels(labels)         # (H, W) int labels → the labels along the edge

The JavaScript in `web/shapes.js` mirrors it function by function, with the same names.
"""

import numpy as np

INK_LEVEL = 0.5  # Ink map value above which a pixel counts as ink.
MIN_INK_PIXELS = 12  # Fewer inked pixels than this is a speck, not a digit.


def closing(picture: np.ndarray, window: int) -> np.ndarray:
    """`picture` closed: a max filter, then a min filter, `window` wide."""
    from scipy import ndimage

    return ndimage.minimum_filter(ndimage.maximum_filter(picture, size=window), size=window)


def edge_labels(labels: np.ndarray) -> np.ndarray:
    """The piece labels (above 0) along the edge of an `(H, W)` label array."""
    found = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return found[found > 0]


def longer_side(box) -> int:
    """The longer side of a piece's box, `ndimage.find_objects`' `(rows, cols)` slices."""
    rows, cols = box
    return max(rows.stop - rows.start, cols.stop - cols.start)


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
