"""Loading MNIST: Keras' one-line download, a folder of IDX files, or an `mnist.npz`.

Every loader returns `((x_train, y_train), (x_test, y_test))` with
`x: (N, 28, 28) uint8` (ink bright on dark, MNIST's convention) and `y: (N,) uint8` in 0..9,
and raises `ValueError` with a sentence that says what is wrong and how to fix it.
"""

import gzip
import hashlib
from pathlib import Path

import numpy as np

IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
FIX_HINT = "pass a folder of the four MNIST IDX files, e.g. --data ../shared/mnist"


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse the bytes of one IDX file.

    Images (magic 0x803) → `(N, rows, cols) uint8`; labels (magic 0x801) → `(N,) uint8`.
    Raises `ValueError` for an unknown magic number or a file shorter than its header says.
    """
    if len(raw) < 8:
        raise ValueError(f"{name} is too short to be an IDX file ({len(raw)} bytes).")
    magic = int.from_bytes(raw[0:4], "big")
    if magic == IMAGES_MAGIC:
        if len(raw) < 16:
            raise ValueError(f"{name} is truncated: its image header is incomplete.")
        count, rows, cols = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
        shape, offset = (count, rows, cols), 16
    elif magic == LABELS_MAGIC:
        count = int.from_bytes(raw[4:8], "big")
        shape, offset = (count,), 8
    else:
        raise ValueError(f"{name} is not an MNIST IDX file (magic number {magic:#010x}).")
    expected = int(np.prod(shape))
    body = raw[offset:]
    if len(body) != expected:
        raise ValueError(
            f"{name} is truncated or corrupt: its header promises {expected} bytes of data, "
            f"the file holds {len(body)}."
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def _read_maybe_gzipped(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path} is a damaged gzip file ({error}).") from None
    return raw


def _find_idx(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem, folder / stem.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    raise ValueError(f"{folder} has no {stem}(.gz): {FIX_HINT}.")


def validate(x_train, y_train, x_test, y_test):
    """Check shapes, dtypes, counts and label range; return the four arrays as uint8."""
    pairs = {"training": (x_train, y_train), "test": (x_test, y_test)}
    for split, (x, y) in pairs.items():
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"The {split} images have shape {x.shape}; MNIST images are 28×28.")
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(
                f"The {split} split has {len(x)} images but {len(y)} labels; they must match."
            )
        if len(x) == 0:
            raise ValueError(f"The {split} split is empty.")
        if x.dtype != np.uint8 and (x.min() < 0 or x.max() > 255):
            raise ValueError(f"The {split} images have values outside 0..255.")
        if y.min() < 0 or y.max() > 9:
            raise ValueError(
                f"The {split} labels range over {int(y.min())}..{int(y.max())}; digits are 0..9."
            )
    return tuple(np.asarray(a, dtype=np.uint8) for a in (x_train, y_train, x_test, y_test))


def load_idx_folder(folder):
    """Load the four MNIST IDX files (gzipped or not, standard names) from `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder: {FIX_HINT}.")
    arrays = {}
    for key, stem in IDX_NAMES.items():
        path = _find_idx(folder, stem)
        arrays[key] = parse_idx(_read_maybe_gzipped(path), name=str(path))
    x_train, y_train, x_test, y_test = validate(*(arrays[k] for k in IDX_NAMES))
    return (x_train, y_train), (x_test, y_test)


def load_npz(path):
    """Load a Keras-style `mnist.npz` holding x_train, y_train, x_test, y_test."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in IDX_NAMES if k not in archive.files]
            if missing:
                raise ValueError(f"{path} lacks {', '.join(missing)}: {FIX_HINT}.")
            arrays = [archive[k] for k in IDX_NAMES]
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is not a readable .npz file ({error}).") from None
    x_train, y_train, x_test, y_test = validate(*arrays)
    return (x_train, y_train), (x_test, y_test)


def load_mnist(data=None):
    """Load MNIST from `data` (a folder of IDX files or an .npz), or download it with Keras.

    (x_train, y_train), (x_test, y_test) = load_mnist("../shared/mnist")
    x_train.shape, y_test.shape
    ((60000, 28, 28), (10000,))
    """
    if data is None:
        import keras  # Heavy; only the download path needs it.

        try:
            arrays = keras.datasets.mnist.load_data()
        except Exception as error:  # The download has many ways to fail; all end the same.
            raise ValueError(f"Downloading MNIST failed ({error}); offline, {FIX_HINT}.") from None
        (x_train, y_train), (x_test, y_test) = arrays
        x_train, y_train, x_test, y_test = validate(x_train, y_train, x_test, y_test)
        return (x_train, y_train), (x_test, y_test)
    path = Path(data)
    if path.is_file() and path.suffix == ".npz":
        return load_npz(path)
    if path.is_dir():
        return load_idx_folder(path)
    raise ValueError(f"{path} is neither a folder nor an .npz file: {FIX_HINT}.")


def sha256_of_arrays(*arrays) -> str:
    """A fingerprint of the data a model was trained on, recorded in its report."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
