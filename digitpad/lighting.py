"""Uneven lighting in a photo (a shadow across the page, a lamp's falloff, a vignette): its
estimate, how smooth that is, the picture with it divided out, and the ink of what is left.

    flatten_background(gray)    # (H, W) gray in [0, 255] → (H, W) float32, evenly lit
    ink_from_flat(flat)         # (H, W) evenly lit gray → (H, W) float32 ink in [0, 1]

The JavaScript in `web/lighting.js` mirrors it function by function, with the same names.
"""

import numpy as np
from PIL import Image

from digitpad.shapes import closing, edge_labels

BLOB_RATIO = 0.55  # A lighting estimate darker than this share of one WIDE_WINDOWS times as wide,
WIDE_WINDOWS = 3  # clear of the picture's edge, is a blob of ink (a shadow darkens far less).


def ink_from_flat(gray: np.ndarray, dark_ink: bool | None = None) -> np.ndarray:
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
            edges = without_ink_blobs(edges, lambda: closing(shrunk, (WIDE_WINDOWS * window) | 1))
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
    blob &= ~np.isin(labels, edge_labels(labels))
    return np.where(blob, wide, estimate)
