"""Training-time augmentation: MNIST digits as people draw them.

Works on whole batches `(N, 28, 28, 1) float32` in [0, 255] inside a `tf.data` pipeline:
a random affine warp (rotation, shear, anisotropic zoom, shift) and a random change of
stroke thickness (blending with a grey dilation or erosion). Drawn digits are slanted,
squashed and stroked with every pen width; MNIST alone has few of each.
"""

import math

import numpy as np

import tensorflow as tf

ROTATION_DEGREES = 12.0
SHEAR = 0.25
ZOOM = (0.85, 1.10)
SHIFT_PIXELS = 2.0


def _affine_transforms(batch_size, generator):
    """Per-image 3×3 maps (as ImageProjectiveTransform's 8 numbers) from output to input pixels."""
    angle = generator.uniform([batch_size], -1.0, 1.0) * (ROTATION_DEGREES * math.pi / 180)
    shear = generator.uniform([batch_size], -SHEAR, SHEAR)
    zoom_x = generator.uniform([batch_size], *ZOOM)
    zoom_y = generator.uniform([batch_size], *ZOOM)
    shift_x = generator.uniform([batch_size], -SHIFT_PIXELS, SHIFT_PIXELS)
    shift_y = generator.uniform([batch_size], -SHIFT_PIXELS, SHIFT_PIXELS)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Forward map (about the centre): zoom, then shear, then rotate. Its inverse takes each
    # output pixel back to where it came from, which is what the transform op wants.
    a = cos * zoom_x
    b = (cos * shear - sin) * zoom_y
    c = sin * zoom_x
    d = (sin * shear + cos) * zoom_y
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    centre = 13.5
    ox = centre + shift_x
    oy = centre + shift_y
    tx = centre - (ia * ox + ib * oy)
    ty = centre - (ic * ox + id_ * oy)
    zeros = tf.zeros([batch_size])
    return tf.stack([ia, ib, tx, ic, id_, ty, zeros, zeros], axis=1)


def _thickness(images, generator):
    """Blend each image with its 3×3 grey dilation (thicker) or erosion (thinner)."""
    batch_size = tf.shape(images)[0]
    dilated = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=2, strides=1, padding="SAME")
    choice = generator.uniform([batch_size, 1, 1, 1])
    weight = generator.uniform([batch_size, 1, 1, 1], 0.0, 1.0)
    thicker = images + weight * (dilated - images)
    thinner = images + 0.6 * weight * (eroded - images)
    return tf.where(choice < 0.35, thicker, tf.where(choice < 0.55, thinner, images))


def augment_batch(images, generator):
    """`(N, 28, 28, 1) float32` in [0, 255] → the same batch, warped and re-stroked at random."""
    batch_size = tf.shape(images)[0]
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=_affine_transforms(batch_size, generator),
        output_shape=tf.constant([28, 28]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return tf.clip_by_value(_thickness(warped, generator), 0.0, 255.0)


def training_dataset(x, y, batch_size, seed, augment=True):
    """A shuffled, batched, augmented `tf.data.Dataset` of `(images, one-hot labels)`.

    `augment` is one flag for every image or one per image (`(N,) bool`): images marked
    False go in as they are (the same random numbers are drawn either way, so marking none
    False gives the very batches of `augment=True`).
    """
    generator = tf.random.Generator.from_seed(seed)
    images = tf.convert_to_tensor(x.reshape(-1, 28, 28, 1), dtype=tf.float32)
    labels = tf.one_hot(tf.convert_to_tensor(y, dtype=tf.int32), 10)
    marks = np.broadcast_to(np.asarray(augment, dtype=bool), (len(x),))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels, marks))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if marks.any():
        dataset = dataset.map(lambda xb, yb, mb: (
            tf.where(mb[:, None, None, None], augment_batch(xb, generator), xb), yb))
    else:
        dataset = dataset.map(lambda xb, yb, mb: (xb, yb))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _stroke_line(image, start, end, width):
    """Draw an anti-aliased line (in 28×28 pixel units) onto a copy of a `(28, 28)` uint8 digit."""
    from PIL import Image, ImageDraw

    k = 4  # Draw at 4× and shrink: anti-aliased like the rest of MNIST.
    canvas = Image.new("L", (28 * k, 28 * k), 0)
    draw = ImageDraw.Draw(canvas)
    points = [(start[0] * k, start[1] * k), (end[0] * k, end[1] * k)]
    draw.line(points, fill=255, width=max(1, round(width * k)))
    radius = width * k / 2
    for x, y in points:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    stroke = np.asarray(canvas.resize((28, 28), Image.Resampling.BOX))
    return np.maximum(image, stroke)


def add_crossbar(seven, rng):
    """A European 7: a short horizontal bar across the stem, a little below the middle."""
    rows = np.flatnonzero(seven.max(axis=1) > 128)
    top, bottom = rows[0], rows[-1]
    y = top + rng.uniform(0.45, 0.6) * (bottom - top)
    band = seven[int(y) - 1 : int(y) + 2] > 128
    cols = np.flatnonzero(band.any(axis=0))
    if len(cols) == 0:
        return seven
    x = cols.mean()
    half = rng.uniform(2.5, 4.5)
    tilt = rng.uniform(-0.8, 0.8)
    return _stroke_line(seven, (x - half, y + tilt), (x + half, y - tilt), rng.uniform(1.8, 2.8))


def add_flag(one, rng):
    """A European 1: a long up-stroke (flag) from the top of the stem down to the left."""
    rows = np.flatnonzero(one.max(axis=1) > 128)
    top, bottom = rows[0], rows[-1]
    cols = np.flatnonzero(one[top : top + 2].max(axis=0) > 128)
    x, y = cols.mean(), float(top) + 0.5
    length = rng.uniform(0.25, 0.45) * (bottom - top)
    angle = np.deg2rad(rng.uniform(25, 60))  # Below the horizontal, towards the left.
    end = (max(x - length * np.cos(angle), 1.0), y + length * np.sin(angle))
    return _stroke_line(one, (x, y), end, rng.uniform(1.8, 2.8))


def add_european_styles(x, y, seed, fraction=0.3):
    """Append restyled copies of a `fraction` of the 7s (crossbar) and 1s (flag) to `(x, y)`.

    MNIST was written in the United States and has few of either; people elsewhere write
    both, and an MNIST-only network reads them as 2s and 7s.
    `x: (N, 28, 28) uint8, y: (N,)` → `(N + M, 28, 28) uint8, (N + M,)`.
    """
    rng = np.random.default_rng(seed)
    extra_x, extra_y = [], []
    for digit, restyle in ((7, add_crossbar), (1, add_flag)):
        chosen = np.flatnonzero(y == digit)
        chosen = rng.choice(chosen, size=int(len(chosen) * fraction), replace=False)
        for index in chosen:
            extra_x.append(restyle(x[index], rng))
            extra_y.append(digit)
    if not extra_x:
        return x, y
    return np.concatenate([x, np.stack(extra_x)]), np.concatenate([y, np.asarray(extra_y, y.dtype)])
