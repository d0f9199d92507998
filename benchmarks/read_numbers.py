"""How well the app reads whole numbers written on its wide canvas.

Numbers of 2–5 random digits are composed from the held-out writers' pen-drawn digits (the
writer split of `digitpad/drawn.py`: people the model never trained on; random digits, sizes,
gaps down to near-touching, a drifting baseline; seeded), rendered as a sketchpad sends
them, and read by `digitpad.segment.read_number` — the function behind `/read_number`.
Targets (issue 6): ≥ 95% of numbers exactly right, ≥ 98% of digits right.

    python benchmarks/read_numbers.py                  # 1,000 numbers, about a minute
"""

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.drawings import render_number  # noqa: E402
from digitpad.drawn import DEFAULT_FOLDER, load_shared_drawings, split_by_writer  # noqa: E402
from digitpad.inference import DEFAULT_MODEL, load_model  # noqa: E402
from digitpad.segment import read_number  # noqa: E402



def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: digits read wrong, missed or made up."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_FOLDER, help="drawn-digit folder")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file")
    parser.add_argument("--numbers", type=int, default=1000, help="numbers to write and read")
    parser.add_argument("--seed", type=int, default=0, help="seed for the numbers")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skipped: no drawn digits at {args.data} (they live in ../shared/drawn-digits)")
        return 0
    _, records = split_by_writer(load_shared_drawings(args.data))
    model = load_model(args.model)
    rng = np.random.default_rng(args.seed)
    exact, digits_right, digits_total, started = 0, 0, 0, time.time()
    by_length, errors = collections.Counter(), collections.Counter()
    for index in range(args.numbers):
        length = int(rng.integers(2, 6))
        chosen = [records[i] for i in rng.choice(len(records), size=length, replace=False)]
        truth = "".join(str(r["label"]) for r in chosen)
        value, _ = render_number([r["strokes"] for r in chosen], rng)
        try:
            read = read_number(model, value).text
        except ValueError:
            read = ""
        exact += read == truth
        by_length[(length, read == truth)] += 1
        digits_total += length
        digits_right += max(0, length - edit_distance(read, truth))
        if len(read) == length:
            kind = "wrong digit"
        else:
            kind = "too many digits" if len(read) > length else "too few digits"
        if read != truth:
            errors[kind] += 1
        if (index + 1) % 100 == 0:
            print(f"  {index + 1}/{args.numbers} numbers, {exact / (index + 1):.1%} exact, "
                  f"{time.time() - started:.0f} s", flush=True)
    print(f"\nwhole numbers exactly right: {exact / args.numbers:.2%} of {args.numbers} (target ≥ 95%)")
    print(f"digits right: {digits_right / digits_total:.2%} of {digits_total} (target ≥ 98%; "
          "counted by edit distance: a digit misread, missed or made up is one wrong)")
    lengths = "  ".join(
        f"{n} digits: {by_length[(n, True)] / max(by_length[(n, True)] + by_length[(n, False)], 1):.1%}"
        for n in range(2, 6)
    )
    print(f"by length  {lengths}")
    print("errors     " + ", ".join(f"{k} ×{v}" for k, v in errors.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
