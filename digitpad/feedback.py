"""Corrections from the audience, kept on disk for the next training run.

Each correction is one folder under `<root>/entries/`, written whole or not at all:

    entries/20261123T204501Z-3f2a…/
        drawing.png   the picture as the user drew it
        input.png     the 28×28 input the model saw (MNIST convention: ink bright on dark)
        entry.json    {"predicted": 4, "corrected": 9, "timestamp": "2026-11-23T20:45:01Z", ...}

Entries are never changed once written. An entry is assembled in a hidden temporary folder
and renamed into place, which is atomic on one file system, so a reader sees complete
entries only and concurrent writers never meet (every entry has its own random name).

    >>> save_correction(root, drawing, model_input, predicted=4, corrected=9)
    >>> x, y = load_corrections(root)          # (N, 28, 28) uint8, (N,) uint8
"""

import datetime
import json
import os
import threading
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "feedback"
DEFAULT_MAX_ENTRIES = 10_000
_lock = threading.Lock()  # Makes "check the cap, then add" one step within a server process.


class FeedbackFullError(ValueError):
    """The feedback folder holds as many entries as it may."""


def feedback_root() -> Path:
    """Where corrections go: `$DIGITPAD_FEEDBACK_DIR`, or `feedback/` in the project."""
    return Path(os.environ.get("DIGITPAD_FEEDBACK_DIR", DEFAULT_ROOT))


def max_entries() -> int:
    """The cap on stored corrections: `$DIGITPAD_FEEDBACK_MAX`, or 10,000."""
    return int(os.environ.get("DIGITPAD_FEEDBACK_MAX", DEFAULT_MAX_ENTRIES))


def count_entries(root) -> int:
    entries = Path(root) / "entries"
    return sum(1 for p in entries.iterdir() if not p.name.startswith(".")) if entries.is_dir() else 0


def save_correction(root, drawing, model_input, predicted: int, corrected: int,
                    cap: int | None = None) -> Path:
    """Store one correction; returns its folder. `drawing`: a PIL image or `(H, W[, C]) uint8`;
    `model_input`: `(28, 28, 1)` float in [0, 255]. Raises `FeedbackFullError` at the cap and
    `ValueError` for a label that is not a digit."""
    if not (0 <= int(corrected) <= 9 and 0 <= int(predicted) <= 9):
        raise ValueError("Labels must be digits 0–9.")
    cap = max_entries() if cap is None else cap
    entries = Path(root) / "entries"
    entries.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}"
    staging = entries / f".{name}.tmp"
    staging.mkdir()
    image = drawing if isinstance(drawing, Image.Image) else Image.fromarray(np.asarray(drawing))
    image.save(staging / "drawing.png")
    pixels = np.clip(np.asarray(model_input).reshape(28, 28), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(staging / "input.png")
    meta = {"predicted": int(predicted), "corrected": int(corrected),
            "timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z")}
    (staging / "entry.json").write_text(json.dumps(meta) + "\n")
    with _lock:
        if count_entries(root) >= cap:
            for part in staging.iterdir():
                part.unlink()
            staging.rmdir()
            raise FeedbackFullError(
                f"The feedback folder is full ({cap} corrections); thank you all the same. "
                "Ask the presenter to retrain with it and clear it."
            )
        final = entries / name
        staging.rename(final)
    return final


def load_corrections(root):
    """Every complete entry under `root` → `(x: (N, 28, 28) uint8, y: (N,) uint8)`, oldest first."""
    entries = Path(root) / "entries"
    if not entries.is_dir():
        raise ValueError(f"{root} holds no feedback (no entries/ folder).")
    xs, ys = [], []
    for folder in sorted(p for p in entries.iterdir() if not p.name.startswith(".")):
        meta = json.loads((folder / "entry.json").read_text())
        xs.append(np.asarray(Image.open(folder / "input.png").convert("L"), dtype=np.uint8))
        ys.append(int(meta["corrected"]))
    if not xs:
        raise ValueError(f"{root} holds no feedback entries.")
    return np.stack(xs), np.asarray(ys, dtype=np.uint8)
