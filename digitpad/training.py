"""Train the network, evaluate it, and write the model file with its report.

`train_model.py` is the command line around `train_and_report`; tests call it on tiny data.
"""

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np


def evaluate(predict, x_test, y_test) -> dict:
    """Accuracy, per-digit accuracy and the confusion matrix of `predict` on a test split.

    `predict` maps `(N, 28, 28, 1) float32` → `(N, 10)` probabilities.
    """
    probabilities = predict(x_test.reshape(-1, 28, 28, 1).astype(np.float32))
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test.astype(int), predicted), 1)
    per_digit = {
        str(d): round(float(confusion[d, d] / max(confusion[d].sum(), 1)), 4) for d in range(10)
    }
    eps = 1e-7
    loss = float(-np.mean(np.log(probabilities[np.arange(len(y_test)), y_test] + eps)))
    return {
        "accuracy": round(float((predicted == y_test).mean()), 5),
        "loss": round(loss, 5),
        "per_digit_accuracy": per_digit,
        "confusion_matrix": confusion.tolist(),
    }


def export_litert(model, path) -> Path:
    """Export the Keras model to a LiteRT (`.tflite`) file for a TensorFlow-free server."""
    path = Path(path)
    model.export(str(path), format="litert", verbose=False)
    return path


def plot_history(history: dict, path) -> None:
    """Loss and accuracy per epoch, training against test, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for axis, key, title in ((left, "loss", "Loss"), (right, "accuracy", "Accuracy")):
        axis.plot(epochs, history[key], marker="o", label="training (augmented)")
        axis.plot(epochs, history[f"val_{key}"], marker="o", label="MNIST test")
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_confusion(confusion, path) -> None:
    """The test confusion matrix as a labelled heat map PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion)
    figure, axis = plt.subplots(figsize=(6, 5.4))
    axis.imshow(np.log1p(confusion), cmap="Blues")
    for true in range(10):
        for guess in range(10):
            if confusion[true, guess]:
                colour = "white" if true == guess else "black"
                axis.text(guess, true, confusion[true, guess], ha="center", va="center",
                          fontsize=8, color=colour)
    axis.set_xticks(range(10))
    axis.set_yticks(range(10))
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title("MNIST test confusion matrix")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def compare(model_path, test, drawn_path) -> dict:
    """Accuracy of the model at `model_path` on MNIST's test split and (if the file exists)
    the pen-drawn digits, one rendering each; `None` for what cannot be measured."""
    from digitpad.classify import drawn_accuracy
    from digitpad.drawings import load_drawn_digits
    from digitpad.inference import ModelFileError, load_model

    try:
        model = load_model(model_path)
    except ModelFileError:
        return {"mnist": None, "drawn": None}
    x_test, y_test = test
    mnist = evaluate(model.predict, x_test, y_test)["accuracy"]
    drawn = None
    if drawn_path is not None and Path(drawn_path).is_file():
        labels, guesses = drawn_accuracy(model, load_drawn_digits(drawn_path))
        drawn = float((labels == guesses).mean())
    return {"mnist": mnist, "drawn": drawn}


def train_and_report(train, test, *, epochs, batch_size, seed, out, data_sha256,
                     learning_rate=2e-3, plots=True, extra=None, extra_weight=20,
                     extra_source=None) -> dict:
    """Train on `train = (x, y)`, evaluate on `test`, save the model and its report.

    Writes `out` (the `.keras` file), a `.tflite` export beside it, and in the same folder
    `metrics.json`, `training.png` and `confusion.png`. Returns the metrics.
    """
    import keras
    import tensorflow as tf

    from digitpad.augment import add_european_styles, training_dataset
    from digitpad.data import sha256_of_arrays
    from digitpad.network import build_model

    started = time.time()
    keras.utils.set_random_seed(seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = train, test

    x_train, y_train = add_european_styles(x_train, y_train, seed)
    if extra is not None:  # Corrected drawings from the audience, repeated to count.
        x_extra, y_extra = extra
        x_train = np.concatenate([x_train, np.repeat(x_extra, extra_weight, axis=0)])
        y_train = np.concatenate([y_train, np.repeat(y_extra, extra_weight, axis=0)])
    model = build_model()
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(steps, 1))
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        # Label smoothing keeps the network from being certain about everything, so a low
        # top probability really means "not sure" in the app.
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
        metrics=["accuracy"],
    )
    dataset = training_dataset(x_train, y_train, batch_size, seed)
    test_data = (x_test.reshape(-1, 28, 28, 1).astype(np.float32), keras.utils.to_categorical(y_test, 10))
    # A live progress bar on a terminal; one line per epoch in a log file.
    verbose = 1 if sys.stdout.isatty() else 2
    history = model.fit(dataset, epochs=epochs, validation_data=test_data, verbose=verbose)

    model.save(out)
    export_litert(model, out.with_suffix(".tflite"))

    def predict(batch):
        return model.predict(batch, batch_size=1000, verbose=0)

    metrics = evaluate(predict, x_test, y_test)
    wall = time.time() - started
    metrics.update({
        "model_file": out.name,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "learning_rate": learning_rate,
        "training_images": int(len(x_train)),
        "test_images": int(len(x_test)),
        "parameters": int(model.count_params()),
        "wall_time_seconds": round(wall, 1),
        "data_sha256": data_sha256,
        "extra_data": None if extra is None else {
            "source": str(extra_source),
            "entries": int(len(extra[0])),
            "weight": extra_weight,
            "sha256": sha256_of_arrays(*extra),
        },
        "history": {k: [round(float(v), 5) for v in vals] for k, vals in history.history.items()},
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
    })
    (out.parent / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if plots:
        plot_history(history.history, out.parent / "training.png")
        plot_confusion(metrics["confusion_matrix"], out.parent / "confusion.png")
    return metrics
