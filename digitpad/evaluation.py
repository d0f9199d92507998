"""Scoring the model on real pen drawings, as users draw them, through the app's own path.

Shared by the training report and `benchmarks/drawn_digits.py`, so both print the same figures.

    labels, guesses, writers = read_drawings(model, held_out, renders=2, seed=0)
    report = drawing_report(labels, guesses, writers)   # overall, per site, per digit, ...
"""

import collections

import numpy as np

from digitpad.classify import classify
from digitpad.drawings import render_random

MIN_WRITER_DIGITS = 50  # Writers with fewer digits are too few to rank by accuracy.


def read_drawings(model, records, renders: int = 1, seed: int = 0, progress=None):
    """Render each record `renders` times as a sketchpad would (random canvas, brush, size,
    place; seeded) and read it through `classify`, the function behind `/predict`.

    Returns `(labels, guesses, writers)` arrays of length `len(records) * renders`; a drawing
    read as "no digit" counts as guess -1. `progress(done, total)` is called as it goes.
    """
    rng = np.random.default_rng(seed)
    total = len(records) * renders
    labels, guesses, writers = [], [], []
    for index in range(total):
        record = records[index % len(records)]
        value, _ = render_random(record["strokes"], rng)
        labels.append(int(record["label"]))
        writers.append(str(record.get("writer", "")))
        try:
            guesses.append(int(np.argmax(classify(model, value))))
        except ValueError:
            guesses.append(-1)
        if progress:
            progress(index + 1, total)
    return np.asarray(labels), np.asarray(guesses), np.asarray(writers)


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
