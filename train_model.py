"""Train digitpad's digit network on MNIST and write the model with its report.

    python train_model.py                        # downloads MNIST with Keras
    python train_model.py --data ../shared/mnist # offline, from the IDX files
    python train_model.py --dry-run --out /tmp/model.keras
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

from digitpad.data import load_mnist, sha256_of_arrays
from digitpad.inference import DEFAULT_MODEL

DRY_RUN_IMAGES = 512
DRAWN_DIGITS = Path(__file__).resolve().parent.parent / "shared/drawn-digits/pendigits-dev.jsonl.gz"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TensorFlow's start-up chatter out of the log.


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", default=None,
                        help="folder of the four MNIST IDX files (.gz or not) or an mnist.npz "
                             "(None: download it with keras.datasets.mnist)")
    parser.add_argument("--epochs", type=int, default=14, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=128, help="images per training step")
    parser.add_argument("--learning-rate", type=float, default=2e-3,
                        help="Adam's starting rate, decayed to zero along a cosine")
    parser.add_argument("--seed", type=int, default=1, help="seed for weights, shuffling, augmentation")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the .keras model; the .tflite export and the "
                             "report (metrics.json, training.png, confusion.png) go beside it "
                             "(None: model/digitpad.keras, or a temporary folder with --dry-run)")
    parser.add_argument("--extra-data", type=Path, default=None,
                        help="a feedback folder of corrected drawings (see README) to add to "
                             "training; before/after accuracy is reported")
    parser.add_argument("--extra-weight", type=int, default=20,
                        help="how many times each corrected drawing is repeated per epoch")
    parser.add_argument("--drawn", type=Path, default=DRAWN_DIGITS,
                        help="pen-drawn digits for the before/after comparison (skipped if absent)")
    parser.add_argument("--dry-run", action="store_true",
                        help=f"smoke test: {DRY_RUN_IMAGES} images, one epoch, no plots")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            print(f"error: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    try:
        (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    extra = None
    if args.extra_data is not None:
        from digitpad.feedback import load_corrections

        try:
            extra = load_corrections(args.extra_data)
        except (OSError, ValueError) as error:
            print(f"error: --extra-data: {error}", file=sys.stderr)
            return 1
    data_sha256 = sha256_of_arrays(x_train, y_train, x_test, y_test)
    epochs = args.epochs
    if args.dry_run:
        x_train, y_train = x_train[:DRY_RUN_IMAGES], y_train[:DRY_RUN_IMAGES]
        x_test, y_test = x_test[:DRY_RUN_IMAGES], y_test[:DRY_RUN_IMAGES]
        epochs = 1
    if args.out is None:
        # A dry run must never overwrite the committed model and its report.
        args.out = Path(tempfile.mkdtemp(prefix="digitpad-dry-run-")) / "digitpad.keras" if args.dry_run else DEFAULT_MODEL
    print(f"Training on {len(x_train)} images, testing on {len(x_test)}, {epochs} epochs.")

    from digitpad.training import compare, train_and_report  # Imports TensorFlow: after checks.

    before = compare(args.out, (x_test, y_test), args.drawn) if extra is not None else None
    metrics = train_and_report(
        (x_train, y_train), (x_test, y_test),
        epochs=epochs, batch_size=args.batch_size, seed=args.seed, out=args.out,
        data_sha256=data_sha256, learning_rate=args.learning_rate, plots=not args.dry_run,
        extra=extra, extra_weight=args.extra_weight, extra_source=args.extra_data,
    )
    print(f"Test accuracy {metrics['accuracy']:.4%} (loss {metrics['loss']:.4f}) "
          f"in {metrics['wall_time_seconds']:.0f} s; model written to {args.out}")
    if extra is not None:
        after = compare(args.out, (x_test, y_test), args.drawn)
        record_comparison(args.out, before, after)
    return 0


def record_comparison(out: Path, before: dict, after: dict) -> None:
    """Print the before/after table and add it to the new model's metrics.json."""
    import json

    print("\n| | MNIST test | drawn digits |\n|---|---|---|")
    for name, figures in (("before (previous model at --out)", before), ("after", after)):
        cells = [f"{figures[k]:.2%}" if figures.get(k) is not None else "–" for k in ("mnist", "drawn")]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    metrics_path = out.parent / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    metrics["extra_data"]["before"], metrics["extra_data"]["after"] = before, after
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
