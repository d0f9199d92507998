"""Scoring the model on real pen drawings, as users draw them, through the app's own path.

Shared by the training report and `benchmarks/drawn_digits.py`, so both print the same figures.

    labels, guesses, writers = read_drawings(model, held_out, renders=2, seed=0)
    report = drawing_report(labels, guesses, writers)   # overall, per site, per digit, ...
"""

import collections
import multiprocessing

import numpy as np

from digitpad.classify import classify_inputs
from digitpad.drawings import aspect_of, random_condition, render_strokes, sketchpad_value
from digitpad.preprocess import preprocess

READ_BATCH = 256  # Readings classified in one call of the model.
MIN_WRITER_DIGITS = 50  # Writers with fewer digits are too few to rank by accuracy.


def _model_input(task):
    """`(strokes, condition)` → the preprocessed `(28, 28, 1)` input, or None for "no digit"."""
    strokes, condition = task
    try:
        return preprocess(sketchpad_value(render_strokes(strokes, **condition)))
    except ValueError:
        return None


def read_drawings(model, records, renders: int = 1, seed: int = 0, progress=None, workers: int = 1):
    """Render each record `renders` times as a sketchpad would (random canvas, brush, size,
    place; seeded) and read it the way `/predict` does (`preprocess`, then the model).

    Returns `(labels, guesses, writers)` arrays of length `len(records) * renders`; a drawing
    read as "no digit" counts as guess -1. `progress(done, total)` is called as it goes.
    The sketchpads are drawn from one seeded sequence before any is rendered, so `workers`
    processes (rendering is most of the work) read exactly what one would.
    """
    rng = np.random.default_rng(seed)
    total = len(records) * renders
    chosen = [records[index % len(records)] for index in range(total)]
    tasks = [(r["strokes"], random_condition(rng, aspect_of(r["strokes"]))) for r in chosen]
    labels = np.asarray([int(r["label"]) for r in chosen])
    writers = np.asarray([str(r.get("writer", "")) for r in chosen])
    guesses = np.full(total, -1)
    pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
    inputs = pool.imap(_model_input, tasks, chunksize=32) if pool else map(_model_input, tasks)
    try:
        batch, where = [], []
        for index, image in enumerate(inputs):
            if image is not None:
                batch.append(image)
                where.append(index)
            if len(batch) == READ_BATCH or (index == total - 1 and batch):
                guesses[where] = classify_inputs(model, np.stack(batch)).argmax(axis=1)
                batch, where = [], []
            if progress:
                progress(index + 1, total)
    finally:
        if pool:
            pool.close()
            pool.join()
    return labels, guesses, writers


def drawing_report(labels, guesses, writers, weakest: int = 5, confusions: int = 8) -> dict:
    """Accuracy overall, per writer on average (each writer counts once, however many digits
    they gave: what a stranger can expect), per site (the part of the writer id before "/"),
    per digit, the `weakest` writers with at least `MIN_WRITER_DIGITS` readings, and the
    commonest confusions."""
    labels, guesses, writers = map(np.asarray, (labels, guesses, writers))
    right = labels == guesses
    sites = np.asarray([w.split("/", 1)[0] for w in writers])

    def accuracy(mask):
        return round(float(right[mask].mean()), 4)

    per_writer, writer_means = [], []
    for writer in sorted(set(writers.tolist())):
        mask = writers == writer
        writer_means.append(right[mask].mean())
        if mask.sum() >= MIN_WRITER_DIGITS:
            per_writer.append({"writer": writer, "digits": int(mask.sum()), "accuracy": accuracy(mask)})
    per_writer.sort(key=lambda row: (row["accuracy"], row["writer"]))
    pairs = collections.Counter((int(t), int(g)) for t, g in zip(labels, guesses) if t != g)
    return {
        "drawings": int(len(labels)),
        "writers": len(set(writers.tolist())),
        "accuracy": accuracy(np.ones_like(right)),
        "writer_mean_accuracy": round(float(np.mean(writer_means)), 4),
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
    lines.append("  per site   " + "  ".join(f"{s}:{a:.1%}" for s, a in report["per_site"].items()))
    lines.append("  per digit  " + "  ".join(f"{d}:{a:.1%}" for d, a in report["per_digit"].items()))
    lines.append(f"  weakest writers (≥ {MIN_WRITER_DIGITS} readings)  " + "  ".join(
        f"{row['writer']}:{row['accuracy']:.1%} of {row['digits']}" for row in report["weakest_writers"]))
    lines.append(f"  writers below 96%: {report['writers_below_96']}")
    if report["confusions"]:
        lines.append("  confusions " + ", ".join(
            f"{c['true']}→{c['read']} ×{c['count']}" for c in report["confusions"]))
    return "\n".join(lines)
