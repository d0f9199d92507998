"""Read digits in image files from the command line, or export the static page.

    python -m digitpad predict photo.jpg scans/*.png          # one line per file
    python -m digitpad predict --number --json cheque.png     # whole numbers, JSON lines
    python -m digitpad export-web out/                        # the in-browser site

Every file goes through the same preprocessing and model as the app. A file that cannot be
read is reported on stderr with its reason and skipped; the exit status is 1 if any file
failed (2 for bad arguments), else 0. The model is loaded once and files are classified in
batches; with many files, they are read and preprocessed on every core the process may use.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
from pathlib import Path

import numpy as np

from digitpad.classify import classify_inputs
from digitpad.inference import DEFAULT_MODEL, ModelFileError, load_model
from digitpad.preprocess import NoInkError, preprocess
from digitpad.reading import NO_DIGIT_IN_PHOTO, open_image
from digitpad.segment import read_number

BATCH_SIZE = 256
PARALLEL_FROM = 32  # Files from which reading them on several cores pays for starting workers.
CHUNK = 8  # Files a worker reads per errand.


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m digitpad", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="read the digit (or number) in image files",
                                  formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    predict.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, WebP, ...)")
    predict.add_argument("--number", action="store_true",
                         help="read every digit, left to right, as a whole number")
    predict.add_argument("--json", action="store_true", help="one JSON object per file")
    predict.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file")
    export = commands.add_parser("export-web", help="write the static site that runs the model "
                                 "in the visitor's browser", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    export.add_argument("out", type=Path, help="folder to write the site to (index.html and its files)")
    export.add_argument("--model", type=Path, default=DEFAULT_MODEL.with_name("digitpad-batch1.tflite"),
                        help="the batch-1 LiteRT model the page runs")
    return parser.parse_args(argv)


def export_web_command(args) -> int:
    from digitpad.export_web import export_web

    try:
        written = export_web(args.out, args.model)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in written)
    print(f"Wrote {len(written)} files ({size / 2**20:.1f} MB) to {args.out}: serve that folder "
          f"with any static file server, e.g. `python -m http.server -d {args.out}`.")
    return 0


def progress_bar(total: int):
    """A progress bar on stderr for long runs (tqdm), silent for a handful of files or a pipe."""
    from tqdm import tqdm

    return tqdm(total=total, unit="image", file=sys.stderr, disable=total < 100 or not sys.stderr.isatty())


def report(path: Path, text: str, confidence: float, as_json: bool, extra=None) -> None:
    if as_json:
        print(json.dumps({"file": str(path), "prediction": text,
                          "confidence": round(confidence, 4), **(extra or {})}))
    else:
        print(f"{path}: {text} ({confidence:.0%})")


def fail(path: Path, reason: str, as_json: bool) -> None:
    print(f"error: {path}: {reason}", file=sys.stderr)
    if as_json:
        print(json.dumps({"file": str(path), "error": reason}))


def read_file(path: Path):
    """One file → `(the network's input, None)`, or `(None, the reason)` if it cannot be read."""
    try:
        return preprocess(open_image(path)), None
    except NoInkError:
        return None, NO_DIGIT_IN_PHOTO
    except (OSError, ValueError) as error:
        return None, str(error) or type(error).__name__


def worker_pool(files: int):
    """A pool of one worker a core (those this process may use) for many files; else a
    context that gives None. Started before the model is loaded, so that nothing but this
    thread is forked."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if files < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return contextlib.nullcontext()
    return multiprocessing.get_context("fork").Pool(min(cores, files // CHUNK))


def predict_digits(model, paths, as_json, pool=None) -> int:
    """Single digits: preprocess every file (in `pool` if given), classify in batches, and
    answer in the files' order, a failure where its file was. Returns the failures."""
    failures, progress = 0, progress_bar(len(paths))
    read = pool.imap(read_file, paths, CHUNK) if pool else map(read_file, paths)
    for start in range(0, len(paths), BATCH_SIZE):
        batch = []
        for path in paths[start : start + BATCH_SIZE]:
            batch.append((path, *next(read)))
            progress.update()
        inputs = [model_input for _, model_input, reason in batch if reason is None]
        answers = iter(classify_inputs(model, np.stack(inputs)) if inputs else [])
        for path, _, reason in batch:
            if reason is not None:
                failures += 1
                fail(path, reason, as_json)
                continue
            p = next(answers)
            report(path, str(int(np.argmax(p))), float(np.max(p)), as_json,
                   {"probabilities": [round(float(v), 4) for v in p]} if as_json else None)
    progress.close()
    return failures


def predict_numbers(model, paths, as_json) -> int:
    """Whole numbers: each file is segmented and its digits read in one call."""
    failures, progress = 0, progress_bar(len(paths))
    for path in paths:
        try:
            number = read_number(model, open_image(path))
            confidence = min(d.confidence for d in number.digits)
            report(path, number.text, confidence, as_json,
                   {"digits": [{"digit": d.value, "confidence": round(d.confidence, 4),
                                "box": list(d.box)} for d in number.digits]} if as_json else None)
        except (OSError, ValueError) as error:
            failures += 1
            fail(path, str(error) or type(error).__name__, as_json)
        progress.update()
    progress.close()
    return failures


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == "export-web":
        return export_web_command(args)
    paths = list(args.images)
    with worker_pool(0 if args.number else len(paths)) as pool:  # Numbers: one process.
        try:
            model = load_model(args.model)
        except ModelFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if args.number:
            return 1 if predict_numbers(model, paths, args.json) else 0
        return 1 if predict_digits(model, paths, args.json, pool) else 0
