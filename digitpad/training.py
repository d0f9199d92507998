"""Train the network, export it, and write the model file with its report.

`train_model.py` is the command line around `train_and_report`; tests call it on tiny data.
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def export_litert(model, path) -> Path:
    """Export the Keras model to a LiteRT (`.tflite`) file for a TensorFlow-free server, and a
    batch-1 twin (`<name>-batch1.tflite`) for the browser, whose runtime wants fixed shapes."""
    import tensorflow as tf

    path = Path(path)
    model.export(str(path), format="litert", verbose=False)
    model.export(str(path.with_name(path.stem + "-batch1.tflite")), format="litert", verbose=False,
                 input_signature=[tf.TensorSpec([1, 28, 28, 1], tf.float32)])
    return path


def compiled_model(steps: int, learning_rate: float = 2e-3):
    """The network, compiled as training runs it: Adam at `learning_rate`, decayed to zero
    along a cosine over `steps` steps, and label-smoothed cross-entropy."""
    import keras

    from digitpad.network import build_model

    model = build_model()
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(steps, 1))
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        # Label smoothing keeps the network from being certain about everything, so a low
        # top probability really means "not sure" in the app.
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
        metrics=["accuracy"],
    )
    return model


def train_and_report(train, test, *, epochs, batch_size, seed, out, data_sha256,
                     learning_rate=2e-3, plots=True, extra=None, extra_weight=20,
                     extra_source=None, drawn=None, held_out=None, split=None,
                     held_out_renders=2, augment_drawn=False, started=None) -> dict:
    """Train on `train = (x, y)`, evaluate on `test`, save the model and its report.

    `drawn = (x, y)` are rendered pen drawings added to training (see `digitpad.drawn`);
    `held_out` are the stroke records of the writers kept out, read after training through
    the app's own path (`held_out_renders` sketchpads each) with the exported LiteRT model;
    `split` describes the split for the report; the drawn renderings skip the image warp
    that MNIST gets (they are sketchpad variants of warped strokes already) unless
    `augment_drawn`; `started` is when the run began (its wall time then includes the
    rendering of the drawings).

    Writes `out` (the `.keras` file), a `.tflite` export beside it, and in the same folder
    `metrics.json`, `training.png` and `confusion.png`. Returns the metrics.
    """
    import keras
    import tensorflow as tf

    from digitpad.augment import add_european_styles, training_dataset
    from digitpad.report import evaluate, plot_confusion, plot_history
    from digitpad.data import sha256_of_arrays

    started = started or time.time()
    keras.utils.set_random_seed(seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = train, test

    x_train, y_train = add_european_styles(x_train, y_train, seed)
    mnist_images = len(x_train)
    augment = np.ones(len(x_train), bool)
    if drawn is not None and len(drawn[0]):  # Real pen drawings, as the app reads them.
        x_train = np.concatenate([x_train, drawn[0]])
        y_train = np.concatenate([y_train, np.asarray(drawn[1], y_train.dtype)])
        augment = np.concatenate([augment, np.full(len(drawn[0]), bool(augment_drawn))])
    if extra is not None:  # Corrected drawings from the audience, repeated to count.
        x_extra, y_extra = extra
        x_train = np.concatenate([x_train, np.repeat(x_extra, extra_weight, axis=0)])
        y_train = np.concatenate([y_train, np.repeat(y_extra, extra_weight, axis=0)])
        augment = np.concatenate([augment, np.ones(len(x_extra) * extra_weight, bool)])
    model = compiled_model(epochs * int(np.ceil(len(x_train) / batch_size)), learning_rate)
    dataset = training_dataset(x_train, y_train, batch_size, seed, augment=augment)
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

        read = "Tuning" if split and split.get("read", "").startswith("tuning") else "Held-out"
        print(f"Reading the {len(held_out)} {read.lower()} drawings, {held_out_renders} sketchpads "
              "each, through the app's path ...", flush=True)
        labels, guesses, writers = read_drawings(load_model(out.with_suffix(".tflite")), held_out,
                                                 renders=held_out_renders, seed=0,
                                                 workers=os.cpu_count() or 1)
        held_out_report = {"renders": held_out_renders, "seed": 0,
                           **drawing_report(labels, guesses, writers)}
        print(f"{read} writers: " + format_report(held_out_report), flush=True)
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
        "augment_drawn": bool(augment_drawn),
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


def prepare_drawings(folder, renders: int, seed: int, workers=None, limit=None,
                     balance_writers=True, habits=True, tuning=0, tuning_sites=()):
    """Load the shared pen drawings, split them by writer, and render the training side
    (`renders` per drawing on average; shared out by writer with `balance_writers`, see
    `digitpad.drawn.renders_by_writer`).

    Returns `((x, y), held_out_records, split_description)`; `limit` keeps that many drawings
    of each side (smoke tests). With `tuning`, a fold number (0: none), the training side is
    split again (`digitpad.drawn.tuning_split`; with `tuning_sites`, every training writer
    at those sites is read): the run fits on the rest and the records returned for reading
    are the tuning writers', so the held-out writers are neither trained on nor read. Raises
    `ValueError` for a tuning site with no training writers.
    """
    from digitpad.drawn import RENDER_CAP, load_excluded, load_shared_drawings, \
        render_training_set, renders_by_writer, split_by_writer, split_fingerprint, \
        tuning_pendigits, tuning_split

    records = load_shared_drawings(folder)
    excluded = load_excluded()
    train, held_out = split_by_writer(records, excluded)
    if tuning:
        train, held_out = tuning_split(train, fold=tuning, sites=tuning_sites)
    if limit:
        train, held_out = train[:limit], held_out[:limit]
    split = {
        "rule": "pendigits writers 3 and 4, and a fifth of each UNIPEN site's writers "
                "(first by SHA-256 of the writer id), held out; see digitpad/drawn.py",
        "read": ("tuning writers: every training writer at site " + ", ".join(tuning_sites)
                 + " (sites left out of training; the held-out writers neither trained on nor read)")
                if tuning and tuning_sites else
                f"tuning writers, fold {tuning} ({tuning_pendigits(tuning)} "
                "and a fifth of each site's training writers; the held-out writers neither "
                "trained on nor read)" if tuning
                else "held-out writers",
        "train_drawings": len(train),
        "train_writers": len({r["writer"] for r in train}),
        "held_out_drawings": len(held_out),
        "held_out_writers": len({r["writer"] for r in held_out}),
        "excluded_as_unreadable": sum(r["id"] in excluded for r in records),
        "renders_per_training_drawing": renders,
        "habits": bool(habits),
        "renders_shared_by_writer": "square root of the writer's drawings, at most "
                                    f"{RENDER_CAP}× the average per drawing" if balance_writers else None,
        "fingerprint": split_fingerprint(train, held_out),
    }
    print(f"Drawn digits: {split['train_drawings']} drawings by {split['train_writers']} writers "
          f"for training, {split['held_out_drawings']} by {split['held_out_writers']} "
          + ("for tuning (held-out writers left out), " if tuning else "held out, ")
          + f"{split['excluded_as_unreadable']} set aside as unreadable.", flush=True)
    started = time.time()

    def progress(done, total):
        if done % 5000 == 0 or done == total:
            print(f"  rendered {done}/{total} in {time.time() - started:.0f} s", flush=True)

    counts = renders_by_writer(train, renders, seed) if balance_writers else renders
    drawn = render_training_set(train, counts, seed, workers=workers, progress=progress,
                                habits=habits)
    return drawn, held_out, split
