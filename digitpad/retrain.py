"""Retraining with the audience's corrections, kept only if it reads no worse.

`train_model.py --extra-data feedback` calls `retrain_with_corrections`: the new model is
trained into a fresh folder, both models are read on MNIST's test split and the held-out
writers, and the served model is replaced only if neither figure dropped (or when forced).
"""

import json
from functools import partial
from pathlib import Path

from digitpad.classify import classify_inputs
from digitpad.report import evaluate
from digitpad.training import train_and_report


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
    mnist = evaluate(partial(classify_inputs, model), x_test, y_test)["accuracy"]
    drawn = None
    if held_out:
        labels, guesses, _ = read_drawings(model, held_out)
        drawn = round(float((labels == guesses).mean()), 5)
    return {"mnist": mnist, "held_out": drawn}


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
    for item in staging.parent.iterdir():  # Staged under the same names as at --out.
        shutil.copy2(item, out.parent / item.name)
    shutil.rmtree(staging.parent)  # All of it is at `out` now; a refused model's stays to look at.
    print(f"New model written to {out}" + (" (forced)" if worse else ""))
    return True
