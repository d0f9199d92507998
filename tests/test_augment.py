"""The training pipeline's image augmentation (TensorFlow; training only)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from digitpad.augment import training_dataset  # noqa: E402


def digits(count=40):
    """Bars of different lengths and places: every warp moves some ink."""
    x = np.zeros((count, 28, 28), np.uint8)
    for i in range(count):
        x[i, 6 + i % 10 : 20 + i % 5, 10 + i % 7 : 14 + i % 7] = 255
    return x, np.arange(count) % 10


def batches(dataset):
    images, labels = zip(*[(xb.numpy(), yb.numpy()) for xb, yb in dataset])
    return np.concatenate(images), np.concatenate(labels)


def test_images_marked_false_go_in_as_they_are_and_the_rest_are_warped():
    x, y = digits()
    marks = np.arange(len(x)) % 2 == 0
    images, labels = batches(training_dataset(x, y, 16, seed=3, augment=marks))
    # Shuffled: find each output image by its label and position among the originals.
    originals = {x[i].tobytes(): i for i in range(len(x))}
    unchanged = [originals.get(image[:, :, 0].astype(np.uint8).tobytes()) for image in images]
    untouched = {i for i in unchanged if i is not None}
    assert untouched == set(np.flatnonzero(~marks))
    assert all(labels[k].argmax() == y[i] for k, i in enumerate(unchanged) if i is not None)


def test_marking_every_image_is_the_same_as_augmenting_all():
    x, y = digits()
    everything, _ = batches(training_dataset(x, y, 16, seed=5, augment=True))
    marked, _ = batches(training_dataset(x, y, 16, seed=5, augment=np.ones(len(x), bool)))
    plain, _ = batches(training_dataset(x, y, 16, seed=5, augment=False))
    np.testing.assert_array_equal(everything, marked)
    assert not np.array_equal(everything, plain)
