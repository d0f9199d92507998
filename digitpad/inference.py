"""Load the trained network once and run it on batches of 28×28 inputs.

The server prefers the LiteRT export (`model/digitpad.tflite`): it loads in a blink and runs
a digit in well under a millisecond without importing TensorFlow. Without an export it falls
back to the Keras file, loaded in safe mode and called through a compiled function.

    model = load_model()                       # once, at start-up
    model.predict(batch)                       # (N, 28, 28, 1) float32 0..255 → (N, 10)
"""

import contextlib
import functools
import os
import sys
import threading
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent.parent / "model"
DEFAULT_MODEL = MODEL_DIR / "digitpad.keras"


class ModelFileError(ValueError):
    """The model file is missing or cannot be read."""


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what native code writes to file descriptor 2 (Python errors still raise)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LiteRTModel:
    """A LiteRT interpreter behind a lock (an interpreter must not run two calls at once)."""

    def __init__(self, path: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.path = path
        with _quiet_native_stderr():  # LiteRT announces its XNNPACK delegate on stderr.
            self._interpreter = Interpreter(model_path=str(path), num_threads=1)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0
        self._lock = threading.Lock()

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """`(N, 28, 28, 1) float32` in [0, 255] → `(N, 10) float32` probabilities."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        with self._lock:
            if len(batch) != self._batch:
                self._interpreter.resize_tensor_input(self._input, batch.shape)
                self._interpreter.allocate_tensors()
                self._batch = len(batch)
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()


class KerasModel:
    """The `.keras` file, loaded in safe mode, called through one compiled function."""

    def __init__(self, path: Path):
        import keras

        self.path = path
        self._model = keras.saving.load_model(path, safe_mode=True, compile=False)

        import tensorflow as tf

        self._call = tf.function(
            lambda x: self._model(x, training=False),
            input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)],
        )

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """`(N, 28, 28, 1) float32` in [0, 255] → `(N, 10) float32` probabilities."""
        return np.asarray(self._call(np.asarray(batch, dtype=np.float32)))


def load_model(path=DEFAULT_MODEL, prefer_litert: bool = True):
    """Load the model at `path` (a `.keras` or `.tflite` file) and warm it up.

    With `prefer_litert`, a `.tflite` file beside a `.keras` path is used instead.
    Raises `ModelFileError` with the command that makes the file when it is missing or broken.
    """
    path = Path(path)
    litert = path.with_suffix(".tflite")
    if path.suffix == ".tflite" or (prefer_litert and litert.is_file()):
        chosen, loader = litert, LiteRTModel
    else:
        chosen, loader = path, KerasModel
    if not chosen.is_file():
        raise ModelFileError(
            f"No model file at {chosen}: train one with `python train_model.py --data ../shared/mnist`."
        )
    try:
        model = loader(chosen)
        model.predict(np.zeros((1, 28, 28, 1), dtype=np.float32))
    except Exception as error:  # Any failure to read the file means the same to the user.
        raise ModelFileError(
            f"Cannot read the model file {chosen} ({type(error).__name__}: {error}); "
            "retrain it with `python train_model.py --data ../shared/mnist`."
        ) from None
    return model


@functools.cache
def get_model(path: str = str(DEFAULT_MODEL)):
    """The model at `path`, loaded once per process on first use (the app loads it at start-up)."""
    return load_model(path)


def model_path_from_env() -> str:
    """The model file to serve: `$DIGITPAD_MODEL`, or the committed one."""
    return os.environ.get("DIGITPAD_MODEL", str(DEFAULT_MODEL))
