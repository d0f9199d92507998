"""How well the app reads real pen-drawn digits by writers it never trained on.

The held-out writers of the fixed split (`digitpad/drawn.py`: pendigits writers 3 and 4, a
fifth of each UNIPEN site's writers) are rendered at a random canvas size, brush width, digit
size and position (seeded), as a browser sketchpad sends them, then read through
`digitpad.classify.classify` — the function behind the app's `/predict`. Prints accuracy
overall, per site, per digit, the weakest writers and the commonest confusions, and MNIST's
test accuracy. With `--naive`, the typical demo's pipeline (whole canvas resized to 28×28,
same model) is scored on the same renderings for comparison.

    python benchmarks/drawn_digits.py                 # about two minutes on 2 cores
    python benchmarks/drawn_digits.py --renders 1 --naive
    python benchmarks/drawn_digits.py --sketchpads acceptance    # issue 11's brush and size ranges
    python benchmarks/drawn_digits.py --photos --baseline OLD.tflite   # written on paper, photographed
    python benchmarks/drawn_digits.py --photos marker --crop 0.03 --renders 1   # a marker, cropped tight
    python benchmarks/drawn_digits.py --side tuning --model /tmp/t/digitpad.keras --errors /tmp/e
    python benchmarks/drawn_digits.py --side tuning --model /tmp/new/digitpad.tflite --baseline /tmp/old/digitpad.tflite
    python benchmarks/drawn_digits.py --side tuning --sites ced,ibm --model /tmp/s/digitpad.tflite
    python benchmarks/drawn_digits.py --side tuning --sites ced,ibm --within-fold 1 --model /tmp/s/digitpad.tflite --baseline /tmp/f1/digitpad.tflite

`--side tuning` reads the tuning writers (`digitpad.drawn.tuning_split`) for a model trained
with `train_model.py --tuning`; `--errors DIR` draws every misread drawing on contact sheets
to look at, for the training and tuning sides only: the held-out writers are never looked at.
`--photos` writes each drawing on paper and photographs it instead (`digitpad.paper`: JPEG,
shadow, grain, blur, tilt, sometimes stored sideways; `--photos KIND` for a desk, a small note,
a marker, a pencil, ruled or squared paper; `--on desk` or `--on note` lays the last four on a
desk too; `--crop 0.03` crops each photo to the digit, as a person crops a photo before
uploading it) and reads the JPEG bytes as `python -m digitpad predict` reads a file. `--baseline OTHER` reads the very same renderings with a
second model and prints the change from it to `--model`, with a 95% interval from resampling
the writers: whether a change of recipe is more than the luck of who was in the sample
(`digitpad.evaluation.paired_comparison`).
"""

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.classify import classify_inputs  # noqa: E402
from digitpad.data import load_mnist  # noqa: E402
from digitpad.drawings import ACCEPTANCE_SKETCHPADS, contact_sheets, render_random  # noqa: E402
from digitpad.drawn import (DEFAULT_FOLDER, load_shared_drawings, site_fold_within,  # noqa: E402
                            site_list, split_by_writer, split_fingerprint, tuning_split)
from digitpad.evaluation import (drawing_inputs, drawing_report, format_comparison,  # noqa: E402
                                 format_report, guesses_of, paired_comparison)
from digitpad.inference import DEFAULT_MODEL, ModelFileError, load_model  # noqa: E402
from digitpad.paper import PENS, RULINGS  # noqa: E402
from digitpad.reading import to_grayscale  # noqa: E402
from digitpad.report import evaluate  # noqa: E402

MNIST = Path(__file__).resolve().parent.parent.parent / "shared" / "mnist"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_FOLDER, help="drawn-digit folder")
    parser.add_argument("--mnist", type=Path, default=MNIST, help="MNIST IDX folder")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file")
    parser.add_argument("--renders", type=int, default=2, help="random renderings of each digit")
    parser.add_argument("--seed", type=int, default=0, help="seed for the renderings")
    parser.add_argument("--side", choices=["held-out", "train", "tuning"], default="held-out",
                        help="which side of the writer split to read (tuning: the tuning "
                             "writers of the training side, for a model trained with --tuning)")
    parser.add_argument("--fold", type=int, default=1,
                        help="with --side tuning: the tuning fold the model was trained for "
                             "(train_model.py --tuning-fold)")
    parser.add_argument("--sites", type=site_list, default=(),
                        help="with --side tuning: the model was trained with --tuning-sites "
                             "(comma-separated): read every training writer at these sites")
    parser.add_argument("--within-fold", type=int, default=0,
                        help="with --sites: read only the sites' writers that tuning fold N also "
                             "reads, so that --baseline can be that fold's model: the same people "
                             "read within their site and as a site never seen (0: all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes that render the drawings")
    parser.add_argument("--errors", type=Path, default=None,
                        help="folder for contact sheets of the misread drawings (not with "
                             "--side held-out)")
    parser.add_argument("--naive", action="store_true", help="also score the naive pipeline")
    parser.add_argument("--sketchpads", choices=["app", "acceptance"], default="app",
                        help="app: the ranges training renders (brush 1.5 px to Gradio's default, "
                             "digit 30-85%% of the canvas); acceptance: issue 11's (stroke "
                             "1.5-6.5%% of the canvas wide, digit 35-80%%)")
    parser.add_argument("--photos", nargs="?", const="page",
                        choices=["page", "desk", "note", "marker", "pencil", "ruled", "squared"],
                        default=None,
                        help="each rendering a photo of the digit written on paper, read as an "
                             "uploaded file is, instead of a sketchpad; desk: the page lies on a "
                             "desk whose edge may show; note: a small page wholly in view "
                             "on a desk; marker, pencil: a plain page written with a thick pen "
                             "or in grey (digitpad.paper.PENS); ruled, squared: a ballpoint on "
                             "paper with printed lines (digitpad.paper.RULINGS)")
    parser.add_argument("--on", choices=["desk", "note"], default=None,
                        help="with --photos marker, pencil, ruled or squared (or page): the page "
                             "lies on a desk too, as with --photos desk or note")
    parser.add_argument("--crop", type=float, default=None, metavar="MARGIN",
                        help="with --photos: each photo cropped to the digit, with this share of "
                             "its size round it (0.03: a tight crop)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a second model file: read the same renderings with it and print "
                             "the change from it to --model, with a 95%% interval by writer")
    return parser.parse_args(argv)


def naive_input(value) -> np.ndarray:
    """The typical demo's pipeline: the whole canvas resized to 28×28, inverted."""
    gray = to_grayscale(value)
    small = np.asarray(Image.fromarray(gray).resize((28, 28), Image.Resampling.BILINEAR))
    return (255.0 - np.clip(small, 0, 255))[:, :, None].astype(np.float32)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.errors and args.side == "held-out":
        print("error: --errors draws misread drawings to look at, and the held-out writers are "
              "never looked at; use --side tuning or train", file=sys.stderr)
        return 2
    if not args.data.is_dir():
        print(f"skipped: no drawn digits at {args.data} (they live in ../shared/drawn-digits)")
        return 0
    if args.sites and args.side != "tuning":
        print("error: --sites: only with --side tuning", file=sys.stderr)
        return 2
    if args.photos and (args.naive or args.sketchpads != "app"):
        print("error: --photos: not with --naive or --sketchpads (photos have no sketchpad)",
              file=sys.stderr)
        return 2
    if args.on and args.photos in (None, "desk", "note"):
        print("error: --on: only with --photos page, marker, pencil, ruled or squared", file=sys.stderr)
        return 2
    if args.crop is not None and (not args.photos or not 0 <= args.crop <= 1):
        print("error: --crop: only with --photos, a share from 0 to 1", file=sys.stderr)
        return 2
    if args.within_fold and not args.sites:
        print("error: --within-fold: only with --sites", file=sys.stderr)
        return 2
    train, held_out = split_by_writer(load_shared_drawings(args.data))
    records = {"held-out": held_out, "train": train}.get(args.side)
    if args.side == "tuning":
        try:
            records = (site_fold_within(train, args.sites, args.within_fold) if args.within_fold
                       else tuning_split(train, args.fold, sites=args.sites)[1])
        except ValueError as error:
            print(f"error: --sites: {error}", file=sys.stderr)
            return 2
    try:
        model = load_model(args.model)
        baseline = load_model(args.baseline) if args.baseline else None
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    readings = {None: f"renderings on {args.sketchpads} sketchpads", "page": "photos on paper",
                "desk": "photos on paper on a desk",
                "note": "photos of a small note on a desk",
                "marker": "photos of a page written with a marker",
                "pencil": "photos of a page written in pencil grey",
                "ruled": "photos of ruled paper", "squared": "photos of squared paper"}[args.photos]
    if args.on:
        readings += {"desk": " on a desk", "note": ", a small note on a desk"}[args.on]
    if args.crop is not None:
        readings += f", cropped to the digit with {args.crop:.0%} of it round it"
    print(f"{len(records)} drawings by {len({r['writer'] for r in records})} {args.side} writers "
          f"× {args.renders} {readings}, model {model.path.name}, "
          f"split {split_fingerprint(train, held_out)[:12]}")
    started = time.time()

    def progress(done, total):
        if done % 1000 == 0 or done == total:
            print(f"  {done}/{total} drawings, {time.time() - started:.0f} s", flush=True)

    sketchpads = ACCEPTANCE_SKETCHPADS if args.sketchpads == "acceptance" else {}
    desk = {"desk": True, "note": "note"}.get(args.on or args.photos, False)
    inputs, labels, writers = drawing_inputs(records, args.renders, args.seed, progress,
                                             workers=args.workers, sketchpads=sketchpads,
                                             photos=bool(args.photos), desk=desk,
                                             pen=args.photos if args.photos in PENS else "pen",
                                             ruling=args.photos if args.photos in RULINGS else None,
                                             crop=args.crop)
    guesses = guesses_of(model, inputs)
    report = drawing_report(labels, guesses, writers)
    path = "python -m digitpad predict" if args.photos else "/predict"
    print(f"\ndigitpad (same path as {path}): " + format_report(report))
    if baseline:
        comparison = paired_comparison(labels, guesses_of(baseline, inputs), guesses, writers)
        print(f"\nchange from {args.baseline} to {args.model}: " + format_comparison(comparison))
    wrong = (labels != guesses).reshape(args.renders, len(records))
    print(f"  drawings misread in every rendering: {int(wrong.all(axis=0).sum())}, "
          f"in some but not all: {int((wrong.any(axis=0) & ~wrong.all(axis=0)).sum())}")
    if args.errors:
        misread = [(records[i % len(records)], int(guesses[i])) for i in np.flatnonzero(labels != guesses)]
        sheets = contact_sheets([(r["strokes"], f"{r['writer'][:22]}\n{r['label']} read as {guess}")
                                 for r, guess in misread], args.errors, "misread")
        print(f"\n{len(misread)} misread drawings drawn on {sheets} sheet(s) in {args.errors}")
    if args.naive:  # The same renderings again (same seed), read the naive way.
        rng = np.random.default_rng(args.seed)
        naive = []
        for index in range(len(labels)):
            value, _ = render_random(records[index % len(records)]["strokes"], rng, **sketchpads)
            naive.append(int(np.argmax(classify_inputs(model, naive_input(value)[None])[0])))
        print(f"\nnaive pipeline (whole canvas resized): {np.mean(np.asarray(naive) == labels):.2%}")
    one = np.zeros((1, 28, 28, 1), np.float32)
    for _ in range(50):
        model.predict(one)  # Warm-up.
    started = time.perf_counter()
    for _ in range(1000):
        model.predict(one)
    print(f"\nmodel alone: {(time.perf_counter() - started):.3f} ms a digit (1,000 single-digit calls)")
    if args.mnist.is_dir():
        _, (x_test, y_test) = load_mnist(args.mnist)
        mnist = evaluate(partial(classify_inputs, model), x_test, y_test)["accuracy"]
        print(f"\nMNIST test accuracy: {mnist:.2%}")
    print(f"\naccuracy {report['accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
