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
    """Export the Keras model to a LiteRT (`.tflite`) file for a TensorFlow-free server, and a
    batch-1 twin (`<name>-batch1.tflite`) for the browser, whose runtime wants fixed shapes."""
    import tensorflow as tf

    path = Path(path)
    model.export(str(path), format="litert", verbose=False)
    model.export(str(path.with_name(path.stem + "-batch1.tflite")), format="litert", verbose=False,
                 input_signature=[tf.TensorSpec([1, 28, 28, 1], tf.float32)])
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


def compare(model_path, test, held_out=None) -> dict:
    """Accuracy of the model at `model_path` on MNIST's test split and (when given) the
    held-out writers' drawings, one rendering each; `None` for what cannot be measured."""
    from digitpad.evaluation import read_drawings
    from digitpad.inference import ModelFileError, load_model

    try:
        model = load_model(model_path)
    except ModelFileError:
        return {"mnist": None, "held_out": None}
    x_test, y_test = test
    mnist = evaluate(model.predict, x_test, y_test)["accuracy"]
    drawn = None
    if held_out:
        labels, guesses, _ = read_drawings(model, held_out)
        drawn = round(float((labels == guesses).mean()), 5)
    return {"mnist": mnist, "held_out": drawn}


def train_and_report(train, test, *, epochs, batch_size, seed, out, data_sha256,
                     learning_rate=2e-3, plots=True, extra=None, extra_weight=20,
                     extra_source=None, drawn=None, held_out=None, split=None,
                     held_out_renders=2, started=None) -> dict:
    """Train on `train = (x, y)`, evaluate on `test`, save the model and its report.

    `drawn = (x, y)` are rendered pen drawings added to training (see `digitpad.drawn`);
    `held_out` are the stroke records of the writers kept out, read after training through
    the app's own path (`held_out_renders` sketchpads each) with the exported LiteRT model;
    `split` describes the split for the report; `started` is when the run began (its
    wall time then includes the rendering of the drawings).

    Writes `out` (the `.keras` file), a `.tflite` export beside it, and in the same folder
    `metrics.json`, `training.png` and `confusion.png`. Returns the metrics.
    """
    import keras
    import tensorflow as tf

    from digitpad.augment import add_european_styles, training_dataset
    from digitpad.data import sha256_of_arrays
    from digitpad.network import build_model

    started = started or time.time()
    keras.utils.set_random_seed(seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = train, test

    x_train, y_train = add_european_styles(x_train, y_train, seed)
    mnist_images = len(x_train)
    if drawn is not None and len(drawn[0]):  # Real pen drawings, as the app reads them.
        x_train = np.concatenate([x_train, drawn[0]])
        y_train = np.concatenate([y_train, np.asarray(drawn[1], y_train.dtype)])
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
    held_out_report = None
    if held_out:
        from digitpad.evaluation import drawing_report, format_report, read_drawings
        from digitpad.inference import load_model

        print(f"Reading the {len(held_out)} held-out drawings, {held_out_renders} sketchpads each, "
              "through the app's path ...", flush=True)
        labels, guesses, writers = read_drawings(load_model(out.with_suffix(".tflite")), held_out,
                                                 renders=held_out_renders, seed=0)
        held_out_report = {"renders": held_out_renders, "seed": 0,
                           **drawing_report(labels, guesses, writers)}
        print("Held-out writers: " + format_report(held_out_report), flush=True)
    wall = time.time() - started
    metrics.update({
        "model_file": out.name,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "learning_rate": learning_rate,
        "training_images": int(len(x_train)),
        "training_images_mnist": int(mnist_images),
        "training_images_drawn": 0 if drawn is None else int(len(drawn[0])),
        "split": split,
        "held_out": held_out_report,
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


def dry_run_slice(train, test, images: int):
    """The first `images` of each split: a smoke test's data."""
    (x_train, y_train), (x_test, y_test) = train, test
    return (x_train[:images], y_train[:images]), (x_test[:images], y_test[:images])


def prepare_drawings(folder, renders: int, seed: int, workers=None, limit=None):
    """Load the shared pen drawings, split them by writer, and render the training side.

    Returns `((x, y), held_out_records, split_description)`; `limit` keeps that many drawings
    of each side (smoke tests).
    """
    from digitpad.drawn import load_excluded, load_shared_drawings, render_training_set, \
        split_by_writer, split_fingerprint

    records = load_shared_drawings(folder)
    excluded = load_excluded()
    train, held_out = split_by_writer(records, excluded)
    if limit:
        train, held_out = train[:limit], held_out[:limit]
    split = {
        "rule": "pendigits writers 3 and 4, and a fifth of each UNIPEN site's writers "
                "(first by SHA-256 of the writer id), held out; see digitpad/drawn.py",
        "train_drawings": len(train),
        "train_writers": len({r["writer"] for r in train}),
        "held_out_drawings": len(held_out),
        "held_out_writers": len({r["writer"] for r in held_out}),
        "excluded_as_unreadable": sum(r["id"] in excluded for r in records),
        "renders_per_training_drawing": renders,
        "fingerprint": split_fingerprint(train, held_out),
    }
    print(f"Drawn digits: {split['train_drawings']} drawings by {split['train_writers']} writers "
          f"for training, {split['held_out_drawings']} by {split['held_out_writers']} held out, "
          f"{split['excluded_as_unreadable']} set aside as unreadable.", flush=True)
    started = time.time()

    def progress(done, total):
        if done % 5000 == 0 or done == total:
            print(f"  rendered {done}/{total} in {time.time() - started:.0f} s", flush=True)

    drawn = render_training_set(train, renders, seed, workers=workers, progress=progress)
    return drawn, held_out, split


def record_comparison(out: Path, before: dict, after: dict, kept: str) -> None:
    """Print the before/after table and add it to the report at `out`'s metrics.json."""
    print("\n| | MNIST test | held-out writers |\n|---|---|---|")
    for name, figures in (("before (model at --out)", before), ("after", after)):
        cells = [f"{figures[k]:.2%}" if figures.get(k) is not None else "–" for k in ("mnist", "held_out")]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    metrics_path = Path(out).parent / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    metrics["extra_data"].update(before=before, after=after, kept=kept)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")


def retrain_with_corrections(train, test, *, out, force=False, held_out=None, **settings) -> bool:
    """Train with the audience's corrections into a fresh folder, then replace the model at
    `out` only if the new one reads MNIST and the held-out writers at least as well (or
    `force`). A room's worth of wrong "corrections" must not poison the served model.

    Returns True when the new model was kept.
    """
    import shutil
    import tempfile

    out = Path(out)
    before = compare(out, test, held_out)
    staging = Path(tempfile.mkdtemp(prefix="digitpad-retrain-")) / out.name
    train_and_report(train, test, out=staging, held_out=held_out, **settings)
    after = compare(staging, test, held_out)
    worse = [name for name in ("mnist", "held_out")
             if before.get(name) is not None and after.get(name) is not None
             and after[name] < before[name]]
    keep_new = force or not worse
    record_comparison(staging, before, after, "new" if keep_new else "old")
    if not keep_new:
        print(f"Kept the old model at {out}: the new one reads {' and '.join(worse)} worse "
              f"(its files are in {staging.parent}; --force replaces the old one anyway).")
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    for item in staging.parent.iterdir():
        shutil.copy2(item, out.parent / (out.name if item == staging else
                                         out.with_suffix(".tflite").name if item.suffix == ".tflite" else item.name))
    print(f"New model written to {out}" + (" (forced)" if worse else ""))
    return True
