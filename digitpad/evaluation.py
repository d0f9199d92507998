"""Scoring the model on real pen drawings, as users draw them, through the app's own path.

Shared by the training report and `benchmarks/drawn_digits.py`, so both print the same figures.

    labels, guesses, writers = read_drawings(model, held_out, renders=2, seed=0)
    report = drawing_report(labels, guesses, writers)   # overall, per site, per digit, ...
    inputs, labels, writers = drawing_inputs(tuning, renders=2)   # two models, same readings:
    change = paired_comparison(labels, guesses_of(old, inputs), guesses_of(new, inputs), writers)
"""

import collections
import multiprocessing

import numpy as np

from digitpad.classify import classify_inputs
from digitpad.drawings import aspect_of, random_condition, render_strokes, sketchpad_value
from digitpad.paper import DEEP_SHADOW, photo_of_strokes
from digitpad.preprocess import preprocess
from digitpad.reading import open_image

READ_BATCH = 256  # Readings classified in one call of the model.
MIN_WRITER_DIGITS = 50  # Writers with fewer digits are too few to rank by accuracy.


def _model_input(task):
    """`(strokes, condition)` → the preprocessed `(28, 28, 1)` input, or None for "no digit"."""
    strokes, condition = task
    try:
        return preprocess(sketchpad_value(render_strokes(strokes, **condition)))
    except ValueError:
        return None


def _photo_input(task):
    """`(strokes, seed, paper)` → the preprocessed input of a photo of the digit on paper (shadows
    up to `DEEP_SHADOW`; `paper`: `photo_of_strokes`' desk, pen, ruling and crop), read from its
    JPEG bytes as `python -m digitpad predict` reads a file; None for "no digit" (a fault in
    making the photo raises: it is not the reader's)."""
    strokes, seed, paper = task
    jpeg = photo_of_strokes(strokes, np.random.default_rng(seed), shadow=DEEP_SHADOW, **paper)
    try:
        return preprocess(open_image(jpeg))
    except ValueError:
        return None


def drawing_inputs(records, renders: int = 1, seed: int = 0, progress=None, workers: int = 1,
                   sketchpads=None, photos: bool = False, desk: bool | str = False, pen: str = "pen",
                   ruling: str | None = None, crop: float | None = None):
    """Render each record `renders` times as a sketchpad would (random canvas, brush, size,
    place; seeded; `sketchpads` are ranges for `random_condition`, such as
    `ACCEPTANCE_SKETCHPADS`) and preprocess each rendering the way `/predict` does. With
    `photos`, each rendering is instead a photo of the digit on paper (`digitpad.paper`; on a
    desk whose edge may show if `desk`; a small note wholly in view if `desk="note"`; written
    with `pen`, one of `digitpad.paper.PENS`; on ruled or squared paper if `ruling`, one of
    `digitpad.paper.RULINGS`; cropped to the digit with `crop` of its size round it if `crop`),
    read as an uploaded file is.

    Returns `(inputs, labels, writers)`: `(M, 28, 28, 1) float32` inputs, M =
    `len(records) * renders`; a rendering that reads as "no digit" gets an input of NaN,
    which `guesses_of` reads as guess -1. `progress(done, total)` is called as it goes.
    The sketchpads are drawn from one seeded sequence before any is rendered, so `workers`
    processes (rendering is most of the work) give exactly what one does.
    """
    rng = np.random.default_rng(seed)
    total = len(records) * renders
    chosen = [records[index % len(records)] for index in range(total)]
    if photos:
        work = _photo_input
        paper = {"desk": desk, "pen": pen, "ruling": ruling, "crop": crop}
        tasks = [(r["strokes"], int(rng.integers(2**63)), paper) for r in chosen]
    else:
        work = _model_input
        tasks = [(r["strokes"], random_condition(rng, aspect_of(r["strokes"]), **(sketchpads or {})))
                 for r in chosen]
    labels = np.asarray([int(r["label"]) for r in chosen])
    writers = np.asarray([str(r.get("writer", "")) for r in chosen])
    inputs = np.full((total, 28, 28, 1), np.nan, dtype=np.float32)  # NaN: "no digit".
    pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
    try:
        images = pool.imap(work, tasks, chunksize=32) if pool else map(work, tasks)
        for index, image in enumerate(images):
            if image is not None:
                inputs[index] = image
            if progress:
                progress(index + 1, total)
    finally:
        if pool:
            pool.close()
            pool.join()
    return inputs, labels, writers


def guesses_of(model, inputs) -> np.ndarray:
    """The digit `model` reads in each of `drawing_inputs`' inputs, `READ_BATCH` at a call;
    -1 for a rendering that read as "no digit"."""
    readable = np.flatnonzero(~np.isnan(inputs[:, 0, 0, 0]))
    guesses = np.full(len(inputs), -1)
    for start in range(0, len(readable), READ_BATCH):
        where = readable[start : start + READ_BATCH]
        guesses[where] = classify_inputs(model, inputs[where]).argmax(axis=1)
    return guesses


def read_drawings(model, records, renders: int = 1, seed: int = 0, progress=None, workers: int = 1):
    """Read each record `renders` times as `/predict` would (`drawing_inputs`, then the model).

    Returns `(labels, guesses, writers)` arrays of length `len(records) * renders`; a drawing
    read as "no digit" counts as guess -1.
    """
    inputs, labels, writers = drawing_inputs(records, renders, seed, progress, workers)
    return labels, guesses_of(model, inputs), writers


def drawing_report(labels, guesses, writers, weakest: int = 5, confusions: int = 8) -> dict:
    """Accuracy overall, per writer on average (each writer counts once, however many digits
    they gave: what a stranger can expect), both for pendigits and UNIPEN writers apart, per
    site (the part of the writer id before "/"), per digit, the `weakest` writers with at
    least `MIN_WRITER_DIGITS` readings, and the commonest confusions."""
    labels, guesses, writers = map(np.asarray, (labels, guesses, writers))
    right = labels == guesses
    sites = np.asarray([w.split("/", 1)[0] for w in writers])

    def accuracy(mask):
        return round(float(right[mask].mean()), 4)

    def writer_mean(mask):
        means = [right[mask & (writers == w)].mean() for w in set(writers[mask].tolist())]
        return round(float(np.mean(means)), 4)

    per_writer = []
    for writer in sorted(set(writers.tolist())):
        mask = writers == writer
        if mask.sum() >= MIN_WRITER_DIGITS:
            per_writer.append({"writer": writer, "digits": int(mask.sum()), "accuracy": accuracy(mask)})
    per_writer.sort(key=lambda row: (row["accuracy"], row["writer"]))
    pairs = collections.Counter((int(t), int(g)) for t, g in zip(labels, guesses) if t != g)
    return {
        "drawings": int(len(labels)),
        "writers": len(set(writers.tolist())),
        "accuracy": accuracy(np.ones_like(right)),
        "writer_mean_accuracy": writer_mean(np.ones_like(right)),
        # Issue 11's acceptance reads two groups of new people, pendigits-like and UNIPEN-like,
        # each writer-balanced: the same two figures here.
        "per_collection": {name: {"readings": int(mask.sum()), "accuracy": accuracy(mask),
                                  "writer_mean_accuracy": writer_mean(mask)}
                           for name, mask in (("pendigits", sites == "pendigits"),
                                              ("UNIPEN", sites != "pendigits")) if mask.any()},
        "per_site": {s: accuracy(sites == s) for s in sorted(set(sites.tolist()))},
        "per_digit": {str(d): accuracy(labels == d) for d in range(10) if (labels == d).any()},
        "weakest_writers": per_writer[:weakest],
        "writers_below_96": sum(row["accuracy"] < 0.96 for row in per_writer),
        "confusions": [{"true": t, "read": g, "count": n} for (t, g), n in pairs.most_common(confusions)],
    }


def format_report(report: dict) -> str:
    """The report as a few lines of text for a terminal or a log."""
    lines = [f"{report['accuracy']:.2%} of {report['drawings']} readings by {report['writers']} "
             f"writers; {report['writer_mean_accuracy']:.2%} per writer on average"]
    lines.append("  per collection  " + "  ".join(
        f"{name}: {c['accuracy']:.2%} of {c['readings']}, {c['writer_mean_accuracy']:.2%} per writer"
        for name, c in report.get("per_collection", {}).items()))
    lines.append("  per site   " + "  ".join(f"{s}:{a:.1%}" for s, a in report["per_site"].items()))
    lines.append("  per digit  " + "  ".join(f"{d}:{a:.1%}" for d, a in report["per_digit"].items()))
    lines.append(f"  weakest writers (≥ {MIN_WRITER_DIGITS} readings)  " + "  ".join(
        f"{row['writer']}:{row['accuracy']:.1%} of {row['digits']}" for row in report["weakest_writers"]))
    lines.append(f"  writers below 96%: {report['writers_below_96']}")
    if report["confusions"]:
        lines.append("  confusions " + ", ".join(
            f"{c['true']}→{c['read']} ×{c['count']}" for c in report["confusions"]))
    return "\n".join(lines)


def paired_comparison(labels, before, after, writers, rounds: int = 2000, seed: int = 0) -> dict:
    """How a second model's guesses (`after`) differ from a first's (`before`) on the same
    readings: misread readings of each, readings one reads right and the other wrong, the
    per-writer figure of each, and a 95% interval of its change and of the overall
    accuracy's change from `rounds` resamplings of the writers (with replacement; seeded).

    The interval says how far the change could be luck of which people were in the sample.
    It is wide when a writer with a few readings decides it: one drawing of a writer with 14
    readings, misread on both sketchpads, moves the per-writer figure of 53 writers by 0.27
    points. When one person holds all of the change, the interval reaches zero (the
    resamplings that leave them out). The writers whose readings changed are listed, most
    changed first. Raises `ValueError` unless the four arrays have one entry per reading.
    """
    labels, before, after, writers = map(np.asarray, (labels, before, after, writers))
    if not len(labels) or not len(labels) == len(before) == len(after) == len(writers):
        raise ValueError(f"paired_comparison needs one label, two guesses and a writer per reading; "
                         f"got {len(labels)}, {len(before)}, {len(after)} and {len(writers)}")
    names, index = np.unique(writers, return_inverse=True)
    readings = np.bincount(index, minlength=len(names))
    right_before = np.bincount(index, weights=labels == before, minlength=len(names))
    right_after = np.bincount(index, weights=labels == after, minlength=len(names))
    change = (right_after - right_before) / readings
    picks = np.random.default_rng(seed).integers(0, len(names), (rounds, len(names)))
    per_writer = change[picks].mean(axis=1)
    overall = (right_after - right_before)[picks].sum(axis=1) / readings[picks].sum(axis=1)

    def interval(values):
        return [round(float(v), 4) for v in np.percentile(values, [2.5, 97.5])]

    changed = [{"writer": str(names[k]), "readings": int(readings[k]),
                "misread_before": int(readings[k] - right_before[k]),
                "misread_after": int(readings[k] - right_after[k])}
               for k in np.flatnonzero(right_after != right_before)]
    changed.sort(key=lambda row: (-abs(row["misread_after"] - row["misread_before"]), row["writer"]))
    return {
        "readings": int(len(labels)),
        "writers": int(len(names)),
        "misread_before": int((labels != before).sum()),
        "misread_after": int((labels != after).sum()),
        "fixed": int(((labels != before) & (labels == after)).sum()),
        "broken": int(((labels == before) & (labels != after)).sum()),
        "accuracy_change": round(float((right_after - right_before).sum() / readings.sum()), 4),
        "accuracy_change_interval": interval(overall),
        "writer_mean_before": round(float((right_before / readings).mean()), 4),
        "writer_mean_after": round(float((right_after / readings).mean()), 4),
        "writer_mean_change": round(float(change.mean()), 4),
        "writer_mean_change_interval": interval(per_writer),
        "changed_writers": changed,
    }


def format_comparison(comparison: dict, writers: int = 6) -> str:
    """A paired comparison as a few lines of text."""
    c = comparison

    def points(value):
        return f"{value * 100:+.2f}"

    lines = [
        f"misread {c['misread_before']} → {c['misread_after']} of {c['readings']} readings "
        f"({c['fixed']} fixed, {c['broken']} broken)",
        f"  per writer {c['writer_mean_before']:.2%} → {c['writer_mean_after']:.2%}: "
        f"{points(c['writer_mean_change'])} points, 95% interval by writer "
        f"{points(c['writer_mean_change_interval'][0])} to {points(c['writer_mean_change_interval'][1])}",
        f"  all readings {points(c['accuracy_change'])} points, 95% interval by writer "
        f"{points(c['accuracy_change_interval'][0])} to {points(c['accuracy_change_interval'][1])}",
    ]
    rows = c["changed_writers"]
    lines.append("  writers that changed  " + ("  ".join(
        f"{r['writer']}: {r['misread_before']}→{r['misread_after']} misread of {r['readings']}"
        for r in rows[:writers]) + (f"  (and {len(rows) - writers} more)" if len(rows) > writers else "")
        if rows else "none"))
    return "\n".join(lines)
