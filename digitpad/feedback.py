"""Corrections from the audience, kept on disk for the next training run.

Each correction is one folder under `<root>/entries/`, written whole or not at all:

    entries/20261123T204501Z-3f2a…/
        drawing.png   the picture as the user drew it
        input.png     the 28×28 input the model saw (MNIST convention: ink bright on dark)
        entry.json    {"predicted": 4, "corrected": 9, "timestamp": "2026-11-23T20:45:01Z", ...}

Entries are never changed once written. An entry is assembled in a hidden temporary folder
and renamed into place, which is atomic on one file system, so a reader sees complete
entries only and concurrent writers never meet (every entry has its own random name).

    save_correction(root, drawing, model_input, predicted=4, corrected=9)
    x, y = load_corrections(root)          # (N, 28, 28) uint8, (N,) uint8
"""

import datetime
import io
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from digitpad.limits import env_number
from digitpad.sessions import SessionTable

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "feedback"
DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # Disk the folder may take, whatever the entries hold.
DRAWING_SIDE = 448  # Stored drawings are shrunk to this longer side: a few kB to a few tens.
_lock = threading.Lock()  # Makes "check the caps, then add" one step within a server process.
_usage: dict[Path, list[int]] = {}  # root → [entries, bytes], counted once, then kept up to date.


class FeedbackFullError(ValueError):
    """The feedback folder holds as many entries as it may."""


def feedback_root() -> Path:
    """Where corrections go: `$DIGITPAD_FEEDBACK_DIR`, or `feedback/` in the project."""
    return Path(os.environ.get("DIGITPAD_FEEDBACK_DIR", DEFAULT_ROOT))


def max_entries() -> int:
    """The cap on stored corrections: `$DIGITPAD_FEEDBACK_MAX`, or 10,000."""
    return env_number("DIGITPAD_FEEDBACK_MAX", DEFAULT_MAX_ENTRIES)


def max_bytes() -> int:
    """The cap on the folder's size: `$DIGITPAD_FEEDBACK_MAX_BYTES`, or 200 MB."""
    return env_number("DIGITPAD_FEEDBACK_MAX_BYTES", DEFAULT_MAX_BYTES)


def _scan_usage(root) -> list[int]:
    entries = Path(root) / "entries"
    count = size = 0
    if entries.is_dir():
        for folder in entries.iterdir():
            if folder.name.startswith("."):
                continue
            count += 1
            size += sum(p.stat().st_size for p in folder.iterdir()) if folder.is_dir() else folder.stat().st_size
    return [count, size]


def count_entries(root) -> int:
    entries = Path(root) / "entries"
    return sum(1 for p in entries.iterdir() if not p.name.startswith(".")) if entries.is_dir() else 0


def _encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def save_correction(root, drawing, model_input, predicted: int, corrected: int,
                    cap: int | None = None, byte_cap: int | None = None) -> Path:
    """Store one correction; returns its folder. `drawing`: a PIL image or `(H, W[, C]) uint8`,
    stored as a grayscale PNG of at most 448 px; `model_input`: `(28, 28, 1)` float in [0, 255].

    The caps (entries and bytes) are checked before anything is written. Raises
    `FeedbackFullError` at a cap and `ValueError` for a label that is not a digit.
    """
    if not (0 <= int(corrected) <= 9 and 0 <= int(predicted) <= 9):
        raise ValueError("Labels must be digits 0–9.")
    cap = max_entries() if cap is None else cap
    byte_cap = max_bytes() if byte_cap is None else byte_cap
    image = drawing if isinstance(drawing, Image.Image) else Image.fromarray(np.asarray(drawing))
    image = image.convert("L")
    image.thumbnail((DRAWING_SIDE, DRAWING_SIDE))
    pixels = np.clip(np.asarray(model_input).reshape(28, 28), 0, 255).astype(np.uint8)
    now = datetime.datetime.now(datetime.timezone.utc)
    meta = {"predicted": int(predicted), "corrected": int(corrected),
            "timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z")}
    files = {"drawing.png": _encode_png(image), "input.png": _encode_png(Image.fromarray(pixels)),
             "entry.json": (json.dumps(meta) + "\n").encode()}
    size = sum(len(data) for data in files.values())
    root = Path(root)
    entries = root / "entries"
    with _lock:
        usage = _usage.get(root.resolve())
        if usage is None:  # The folder is counted once per process, then kept up to date.
            usage = _usage[root.resolve()] = _scan_usage(root)
        if usage[0] >= cap or usage[1] + size > byte_cap:
            raise FeedbackFullError(
                f"The feedback folder is full ({usage[0]} corrections, {usage[1] // 2**20} MB); "
                "thank you all the same. Ask the presenter to retrain with it and clear it."
            )
        entries.mkdir(parents=True, exist_ok=True)
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}"
        staging = entries / f".{name}.tmp"
        staging.mkdir()
        for file_name, data in files.items():
            (staging / file_name).write_bytes(data)
        final = entries / name
        staging.rename(final)
        usage[0] += 1
        usage[1] += size
    return final


PHOTO_CORRECTION = ("Corrections are kept for drawings, not photos: draw the digit on the canvas, "
                    "then click the one you meant if the model reads it wrong.")


class CorrectionGate:
    """Who may store a correction: a session that was shown a prediction of its drawing in the
    last `window` seconds, at most `per_session` times. Remembers the newest `sessions` sessions.

        gate.saw_prediction(session)      # after each /predict
        gate.saw_prediction(session, photo=True)  # after each /predict_upload
        gate.admit(session)               # before each /correct: raises ValueError if not

    A correction stores the sketchpad's drawing, so one that follows the answer for an uploaded
    photo is refused: the drawing still on the sketchpad is not what the visitor is correcting.
    """

    def __init__(self, per_session: int = 20, window: float = 600.0, sessions: int = 10_000):
        self.per_session, self.window, self.sessions = per_session, window, sessions
        # session → [time of last prediction, corrections, the last answer was for a photo]
        self._seen = SessionTable(sessions, new=lambda: [0.0, 0, False])

    def saw_prediction(self, session, photo: bool = False) -> None:
        with self._seen.touch(session) as entry:
            entry[0], entry[2] = time.monotonic(), photo

    def admit(self, session) -> None:
        with self._seen.peek(session) as entry:
            if entry is None or time.monotonic() - entry[0] > self.window:
                raise ValueError("Draw a digit and see the model's answer first, then correct it.")
            if entry[2]:
                raise ValueError(PHOTO_CORRECTION)
            if entry[1] >= self.per_session:
                raise ValueError(f"Thank you! That is {self.per_session} corrections from you "
                                 "already, which is all one visitor can send.")
            entry[1] += 1


def _read_entry(folder: Path):
    """One entry folder → `(28×28 uint8 input, corrected digit)`; `ValueError` with the reason."""
    if not folder.is_dir():
        raise ValueError("not an entry folder")
    try:
        meta = json.loads((folder / "entry.json").read_text())
        corrected = int(meta["corrected"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError("entry.json is missing or unreadable") from None
    if not 0 <= corrected <= 9:
        raise ValueError(f"the corrected label {corrected} is not a digit")
    try:
        with Image.open(folder / "input.png") as image:
            if image.size != (28, 28):  # Checked from the header, before decoding.
                raise ValueError(f"input.png is {image.size[0]}×{image.size[1]}, not 28×28")
            return np.asarray(image.convert("L"), dtype=np.uint8), corrected
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise ValueError("input.png is missing or unreadable") from None


def load_corrections(root):
    """Every readable entry under `root` → `(x: (N, 28, 28) uint8, y: (N,) uint8)`, oldest first.

    An entry that cannot be read (no `entry.json`, a label that is not a digit, a picture that
    is not 28×28, a stray file) is skipped with one warning line saying why.
    """
    entries = Path(root) / "entries"
    if not entries.is_dir():
        raise ValueError(f"{root} holds no feedback (no entries/ folder).")
    xs, ys = [], []
    for folder in sorted(p for p in entries.iterdir() if not p.name.startswith(".")):
        try:
            x, y = _read_entry(folder)
        except ValueError as reason:
            print(f"warning: skipping feedback entry {folder.name}: {reason}", file=sys.stderr)
            continue
        xs.append(x)
        ys.append(y)
    if not xs:
        raise ValueError(f"{root} holds no feedback entries.")
    return np.stack(xs), np.asarray(ys, dtype=np.uint8)
