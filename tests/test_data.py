"""The MNIST loaders on tiny IDX and npz files written in tmp_path."""


import numpy as np
import pytest

from digitpad.data import IDX_NAMES, load_mnist, parse_idx, sha256_of_arrays
from helpers import tiny_mnist, write_idx_folder


@pytest.mark.parametrize("gzipped", [True, False])
def test_idx_folder_round_trips(tmp_path, gzipped):
    arrays = tiny_mnist(np.random.default_rng(0))
    (x_train, y_train), (x_test, y_test) = load_mnist(write_idx_folder(tmp_path / "m", arrays, gzipped))
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_npz_round_trips(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(1))
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x_train, _), (_, y_test) = load_mnist(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_truncated_idx_file_names_the_file(tmp_path):
    folder = write_idx_folder(tmp_path / "m", tiny_mnist(np.random.default_rng(2)), gzipped=False)
    images = folder / IDX_NAMES["x_train"]
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte is truncated"):
        load_mnist(folder)


def test_labels_out_of_range_are_refused(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(3))
    arrays["y_train"][0] = 11
    with pytest.raises(ValueError, match=r"labels range over 0\.\.11"):
        load_mnist(write_idx_folder(tmp_path / "m", arrays))


def test_label_count_must_match_images(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(4))
    arrays["y_test"] = arrays["y_test"][:-1]
    with pytest.raises(ValueError, match=r"5 images but 4 labels"):
        load_mnist(write_idx_folder(tmp_path / "m", arrays))


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "too short"),
        (b"\x00\x00\x08\x05" + b"\x00" * 12, "not an MNIST IDX file"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "image header is incomplete"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "promises 3 bytes"),
    ],
)
def test_parse_idx_rejects_bad_bytes(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_idx(raw, name="file")


def test_missing_files_and_paths_say_how_to_fix(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"--data \.\./shared/mnist"):
        load_mnist(tmp_path / "empty")
    with pytest.raises(ValueError, match="neither a folder nor an .npz"):
        load_mnist(tmp_path / "nothing-here")


def test_corrupt_gzip_is_reported(tmp_path):
    folder = write_idx_folder(tmp_path / "m", tiny_mnist(np.random.default_rng(5)))
    labels = folder / f"{IDX_NAMES['y_test']}.gz"
    labels.write_bytes(labels.read_bytes()[:20])
    with pytest.raises(ValueError, match="damaged gzip"):
        load_mnist(folder)


def test_fingerprint_changes_with_the_data():
    a = np.zeros((2, 28, 28), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 1
    assert sha256_of_arrays(a) == sha256_of_arrays(a.copy())
    assert sha256_of_arrays(a) != sha256_of_arrays(b)
