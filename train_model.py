"""Train digitpad's digit network on MNIST and real pen drawings; write the model and its report.

    python train_model.py --data ../shared/mnist   # offline: MNIST IDX files + ../shared/drawn-digits
    python train_model.py                          # downloads MNIST with Keras
    python train_model.py --dry-run --out /tmp/model.keras
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from digitpad.data import load_mnist, sha256_of_arrays
from digitpad.drawn import DEFAULT_FOLDER as DRAWN_FOLDER, site_list
from digitpad.inference import DEFAULT_MODEL

DRY_RUN_IMAGES = 512
DRY_RUN_DRAWINGS = 60
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TensorFlow's start-up chatter out of the log.


def at_least_one(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def at_least_zero(text: str) -> int:
    """argparse type: a whole number ≥ 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", default=None,
                        help="folder of the four MNIST IDX files (.gz or not) or an mnist.npz "
                             "(None: download it with keras.datasets.mnist)")
    parser.add_argument("--drawn-data", type=Path, default=DRAWN_FOLDER,
                        help="folder of the pen-drawn digits (pendigits-dev / unipen-train "
                             ".jsonl.gz); used when it is there, split by writer")
    parser.add_argument("--no-drawn", action="store_true",
                        help="train on MNIST alone, even when --drawn-data is there")
    parser.add_argument("--drawn-renders", type=at_least_one, default=4,
                        help="sketchpad renderings of a training drawing on average, each a fresh "
                             "variant (habits, slant, aspect, wobble, brush, canvas)")
    parser.add_argument("--balance-writers", action=argparse.BooleanOptionalAction, default=True,
                        help="share the renderings out by writer (square root of each writer's "
                             "drawings) rather than equally per drawing")
    parser.add_argument("--no-habits", action="store_true",
                        help="render the drawings without the synthesized habits (slashed 0, "
                             "flagged 1, open 4, crossed 7, hooked 9, pen not lifted): to "
                             "measure what they bring")
    parser.add_argument("--tuning", action="store_true",
                        help="choose settings without the held-out writers: fit on four fifths "
                             "of the training writers and read the other fifth (and pendigits "
                             "writer 2) instead; the held-out writers are neither trained on nor read")
    parser.add_argument("--tuning-fold", type=at_least_one, default=1,
                        help="with --tuning: which fifth of the training writers to read (another "
                             "fold draws them with another hash salt, pendigits writer 1 or 2 by turn)")
    parser.add_argument("--tuning-sites", type=site_list, default=(),
                        help="with --tuning: read every training writer at these UNIPEN sites "
                             "(comma-separated, e.g. ced,ibm) and leave the sites out of "
                             "training, instead of a fold: how a site never seen fares")
    parser.add_argument("--augment-drawn", action=argparse.BooleanOptionalAction, default=False,
                        help="warp and re-stroke the drawn renderings in the training pipeline "
                             "too, as MNIST is (the default lets them in as the sketchpad "
                             "rendered them: their strokes were already warped)")
    parser.add_argument("--epochs", type=at_least_one, default=12, help="passes over the training set")
    parser.add_argument("--batch-size", type=at_least_one, default=128, help="images per training step")
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
    parser.add_argument("--extra-weight", type=at_least_one, default=20,
                        help="how many times each corrected drawing is repeated per epoch")
    parser.add_argument("--force", action="store_true",
                        help="with --extra-data: replace the model at --out even when the new "
                             "one reads MNIST or the held-out writers worse")
    parser.add_argument("--workers", type=at_least_zero, default=0,
                        help="processes that render the drawings (0: one per core)")
    parser.add_argument("--dry-run", action="store_true",
                        help=f"smoke test: {DRY_RUN_IMAGES} images, {DRY_RUN_DRAWINGS} drawings, "
                             "one epoch, no plots")
    args = parser.parse_args(argv)
    if args.tuning_fold != 1 and not args.tuning:
        parser.error("--tuning-fold: only with --tuning (it chooses which writers a tuning run reads)")
    if args.tuning_sites and not args.tuning:
        parser.error("--tuning-sites: only with --tuning (it chooses which writers a tuning run reads)")
    if args.out is not None and args.out.suffix != ".keras":
        # Checked before any work: a folder given here used to fail only at the save, after training.
        parser.error(f"--out: give a file ending in .keras (the report goes beside it), not {args.out}")
    return args


def main(argv=None) -> int:
    started = time.time()
    args = parse_args(argv)
    try:
        (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    data_sha256 = sha256_of_arrays(x_train, y_train, x_test, y_test)
    extra = None
    if args.extra_data is not None:
        from digitpad.feedback import load_corrections

        try:
            extra = load_corrections(args.extra_data)
        except (OSError, ValueError) as error:
            print(f"error: --extra-data: {error}", file=sys.stderr)
            return 1
    from digitpad import training

    if args.dry_run:
        (x_train, y_train), (x_test, y_test) = training.dry_run_slice(
            (x_train, y_train), (x_test, y_test), DRY_RUN_IMAGES)
        args.epochs = 1
    if args.out is None:
        # A dry run must never overwrite the committed model and its report.
        args.out = Path(tempfile.mkdtemp(prefix="digitpad-dry-run-")) / "digitpad.keras" if args.dry_run else DEFAULT_MODEL

    drawn = held_out = split = None
    if not args.no_drawn and args.drawn_data.is_dir():
        try:
            drawn, held_out, split = training.prepare_drawings(
                args.drawn_data, args.drawn_renders, args.seed, args.workers or None,
                limit=DRY_RUN_DRAWINGS if args.dry_run else None, balance_writers=args.balance_writers,
                habits=not args.no_habits, tuning=args.tuning_fold if args.tuning else 0,
                tuning_sites=args.tuning_sites)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    else:
        print("Drawn digits: none (--no-drawn, or no folder at --drawn-data); MNIST alone.")
    print(f"Training on {len(x_train)} MNIST images"
          + (f" and {len(drawn[0])} drawn renderings" if drawn is not None else "")
          + f", testing on {len(x_test)}, {args.epochs} epochs.", flush=True)

    settings = dict(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                    data_sha256=data_sha256, learning_rate=args.learning_rate,
                    plots=not args.dry_run, extra=extra, extra_weight=args.extra_weight,
                    extra_source=args.extra_data, drawn=drawn, held_out=held_out, split=split,
                    augment_drawn=args.augment_drawn, started=started)
    if extra is None:
        metrics = training.train_and_report((x_train, y_train), (x_test, y_test), out=args.out, **settings)
        print(f"Test accuracy {metrics['accuracy']:.4%} (loss {metrics['loss']:.4f}) "
              f"in {metrics['wall_time_seconds']:.0f} s; model written to {args.out}")
        return 0
    from digitpad.retrain import retrain_with_corrections

    kept = retrain_with_corrections((x_train, y_train), (x_test, y_test), out=args.out,
                                    force=args.force, **settings)
    return 0 if kept else 3


if __name__ == "__main__":
    sys.exit(main())
