"""The shared pen-drawn digits as training and validation data, split by writer.

`../shared/drawn-digits/` holds `pendigits-dev.jsonl.gz` (4 writers) and
`unipen-train.jsonl.gz` (320 writers at 9 sites). Every record gets a `writer` of the form
`"site/person"` (`"pendigits/3"`) and an `id` (a fingerprint of its strokes).

The split is fixed by rule, not drawn at random per digit, so that no person is on both
sides: pendigits writers 3 and 4 are held out; at each UNIPEN site, the writers whose
SHA-256 of their id sorts first are held out, a fifth of the site (at least one). A few UNIPEN
drawings cannot be read as their label by anyone; `splits/unipen-excluded.tsv` lists them with
a reason each, and they are left out of both sides; so are copies of a held-out drawing.

    records = load_shared_drawings(folder)            # list of dicts
    train, held_out = split_by_writer(records)
    x, y = render_training_set(train, renders=3, seed=1)   # (N, 28, 28) uint8, (N,)
"""

import csv
import hashlib
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from digitpad.drawings import load_drawn_digits, render_random
from digitpad.habits import habit_variant
from digitpad.preprocess import preprocess

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT.parent / "shared" / "drawn-digits"
FILES = {"pendigits": "pendigits-dev.jsonl.gz", "unipen": "unipen-train.jsonl.gz"}
EXCLUDED = ROOT / "splits" / "unipen-excluded.tsv"
HELD_OUT_PENDIGITS = {"pendigits/3", "pendigits/4"}
TUNING_PENDIGITS = ("pendigits/2", "pendigits/1")  # Read by odd and even tuning folds: see tuning_split.
HELD_OUT_FRACTION = 0.2
RENDER_CAP = 2  # With writers' shares: a drawing gets at most this many times the average renders.


def drawing_id(strokes) -> str:
    """A short fingerprint of a drawing's strokes (12 hex digits)."""
    text = json.dumps(strokes, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def load_shared_drawings(folder=DEFAULT_FOLDER) -> list[dict]:
    """Both drawn-digit files of `folder` as records `{"id", "label", "writer", "strokes"}`.

    Raises `ValueError` when the folder holds neither file.
    """
    folder = Path(folder)
    records = []
    for source, name in FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        for record in load_drawn_digits(path):
            writer = str(record["writer"])
            if "/" not in writer:
                writer = f"{source}/{writer}"
            records.append({"id": drawing_id(record["strokes"]), "label": int(record["label"]),
                            "writer": writer, "strokes": record["strokes"]})
    if not records:
        raise ValueError(f"No drawn digits in {folder}: expected {' or '.join(FILES.values())}.")
    return records


def site_of(writer: str) -> str:
    return writer.split("/", 1)[0]


def _fifth_of_each_site(writers, pendigits, salt="") -> set[str]:
    """`pendigits` writers, and at each UNIPEN site the fifth (at least one) whose SHA-256 of
    `salt + id` sorts first."""
    writers = set(writers)
    by_site = defaultdict(list)
    for writer in writers:
        if site_of(writer) != "pendigits":
            by_site[site_of(writer)].append(writer)
    chosen = {w for w in writers if w in pendigits}
    for site, members in by_site.items():
        members.sort(key=lambda w: hashlib.sha256((salt + w).encode()).hexdigest())
        count = max(1, round(HELD_OUT_FRACTION * len(members)))
        chosen.update(members[:count])
    return chosen


def held_out_writers(writers) -> set[str]:
    """The writers kept for validation, by the rule in this module's docstring."""
    return _fifth_of_each_site(writers, HELD_OUT_PENDIGITS)


def tuning_pendigits(fold: int = 1) -> str:
    """The pendigits training writer read in tuning fold `fold`: writer 2, then 1, by turn."""
    return TUNING_PENDIGITS[(fold - 1) % 2]


def tuning_split(train, fold: int = 1, sites=()):
    """The training side split again by writer, for choosing settings without the held-out
    writers: `train` → `(fit, tuning)`. Fold 1's tuning writers are pendigits writer 2 and a
    fifth of each UNIPEN site's training writers (first by SHA-256 of `"tuning:" + id`, at
    least one a site); fold `k > 1` salts the hash with `"tuning<k>:"` and reads pendigits
    writer 1 on even folds, so that a change can be checked on a second group of people.
    With `sites`, the tuning writers are instead every training writer at those sites: how
    people fare at a site (its tablets, its instructions) the run has never seen.
    A drawing that is also a tuning writer's under another name is left out of `fit`.
    A run on `fit` may be read on `tuning` as often as needed: the held-out writers stay
    unread. Raises `ValueError` for a site with no training writers.
    """
    if sites:
        known = {site_of(r["writer"]) for r in train}
        if set(sites) - known:
            raise ValueError(f"no training writers at site {', '.join(sorted(set(sites) - known))} "
                             f"(the training side's sites: {', '.join(sorted(known))})")
        tuning_writers = {r["writer"] for r in train if site_of(r["writer"]) in set(sites)}
    else:
        salt = "tuning:" if fold == 1 else f"tuning{fold}:"
        tuning_writers = _fifth_of_each_site((r["writer"] for r in train), {tuning_pendigits(fold)}, salt)
    tuning = [r for r in train if r["writer"] in tuning_writers]
    tuning_ids = {r["id"] for r in tuning}
    fit = [r for r in train if r["writer"] not in tuning_writers and r["id"] not in tuning_ids]
    return fit, tuning


def site_list(text: str) -> tuple[str, ...]:
    """argparse type for `--tuning-sites` / `--sites`: comma-separated site names (`ced,ibm`)."""
    import argparse

    sites = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not sites:
        raise argparse.ArgumentTypeError("give one or more site names, comma-separated")
    return sites


def site_fold_within(train, sites, fold: int) -> list[dict]:
    """The drawings of the training writers at `sites` whom tuning fold `fold` also reads:
    people a `sites` run never saw a site-mate of, and a fold run read within their site, so
    the two runs can read the very same people."""
    fold_writers = {r["writer"] for r in tuning_split(train, fold)[1]}
    return [r for r in tuning_split(train, sites=sites)[1] if r["writer"] in fold_writers]


def load_excluded(path=EXCLUDED) -> dict[str, str]:
    """The drawings set aside as unreadable: `{id: reason}`."""
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as rows:
        return {row["id"]: row["reason"] for row in csv.DictReader(rows, delimiter="\t")}


def _unique(records):
    seen = set()
    return [r for r in records if not (r["id"] in seen or seen.add(r["id"]))]


def split_by_writer(records, excluded=None):
    """`records` → `(train, held_out)` lists, whole writers on one side, excluded ids dropped.

    The UNIPEN file holds a few hundred drawings twice, some under two writers' names: each
    side keeps one copy, and a drawing that is also on the held-out side is left out of
    training, so that no drawing is on both sides either.
    """
    excluded = load_excluded() if excluded is None else excluded
    kept = [r for r in records if r["id"] not in excluded]
    held = held_out_writers(r["writer"] for r in kept)
    held_out = _unique([r for r in kept if r["writer"] in held])
    held_ids = {r["id"] for r in held_out}
    train = _unique([r for r in kept if r["writer"] not in held and r["id"] not in held_ids])
    return train, held_out


def split_fingerprint(train, held_out) -> str:
    """SHA-256 over both sides' writer lists and drawing ids: the same split, the same value."""
    digest = hashlib.sha256()
    for side in (train, held_out):
        digest.update(json.dumps(sorted({r["writer"] for r in side})).encode())
        digest.update(json.dumps(sorted(r["id"] for r in side)).encode())
    return digest.hexdigest()


def render_one(task) -> np.ndarray:
    """`(strokes, label, seed, habits)` → one `(28, 28) uint8` model input: a variant of the
    drawing (with or without habits), rendered on a random sketchpad and read by the app's
    own preprocessing."""
    strokes, label, seed, habits = task
    rng = np.random.default_rng(seed)
    for _ in range(3):  # A warp can (rarely) leave nothing readable: try another.
        value, _ = render_random(habit_variant(strokes, label, rng, habits=habits), rng)
        try:
            return np.clip(preprocess(value)[:, :, 0], 0, 255).round().astype(np.uint8)
        except ValueError:
            continue
    return None


def renders_by_writer(records, renders: int, seed: int, cap: int = RENDER_CAP) -> np.ndarray:
    """How many times to render each record so that writers, not drawings, share the budget.

    A few writers gave hundreds of digits and most gave a dozen; rendering every drawing
    equally lets those few teach most of what the network learns of people. Here a writer's
    renderings grow as the square root of their drawings (the usual compromise between one
    share per drawing and one per writer), at most `cap × renders` per drawing, scaled so that
    the total stays `renders × len(records)`. Fractions are rounded up or down at random
    (seeded), so a prolific writer's drawings are rendered once or not at all.
    """
    writers = [r["writer"] for r in records]
    counts = Counter(writers)
    sizes = np.asarray([counts[w] for w in writers], dtype=float)
    budget, ceiling = renders * len(records), cap * renders
    low, high = 0.0, float(budget)  # Bisect the scale c in min(ceiling, c / sqrt(n)).
    for _ in range(60):
        scale = (low + high) / 2
        if np.minimum(ceiling, scale / np.sqrt(sizes)).sum() < budget:
            low = scale
        else:
            high = scale
    share = np.minimum(ceiling, high / np.sqrt(sizes))
    rng = np.random.default_rng(seed)
    return np.floor(share + rng.random(len(share))).astype(int)


def render_training_set(records, renders, seed: int, workers: int | None = None,
                        progress=None, habits: bool = True):
    """Every record rendered `renders` times (a number, or one count per record; each a fresh
    variant and sketchpad), through the app's preprocessing. Returns `(x, y)`:
    `(N, 28, 28) uint8`, `(N,) uint8`.

    Runs on `workers` processes (default: every core); `progress(done, total)` as it goes.
    `habits=False` leaves out the synthesized habits (an ablation: do they pay?).
    """
    import multiprocessing

    counts = np.broadcast_to(np.asarray(renders, dtype=int), (len(records),))
    chosen = [r for r, count in zip(records, counts) for _ in range(count)]
    base = np.random.SeedSequence(seed)
    tasks = [(r["strokes"], r["label"], int(s.generate_state(1)[0]), habits)
             for r, s in zip(chosen, base.spawn(len(chosen)))]
    labels = [r["label"] for r in chosen]
    workers = workers or os.cpu_count() or 1
    images = []
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for index, image in enumerate(pool.imap(render_one, tasks, chunksize=64)):
                images.append(image)
                if progress:
                    progress(index + 1, len(tasks))
    else:
        for index, task in enumerate(tasks):
            images.append(render_one(task))
            if progress:
                progress(index + 1, len(tasks))
    keep = [i for i, image in enumerate(images) if image is not None]
    x = np.stack([images[i] for i in keep]) if keep else np.zeros((0, 28, 28), np.uint8)
    return x, np.asarray([labels[i] for i in keep], dtype=np.uint8)
