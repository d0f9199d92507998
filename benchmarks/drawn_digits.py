"""How well the app reads real pen-drawn digits, rendered as a browser sketchpad sends them.

Every digit of the drawn-digit set is rendered at a random canvas size, brush width, digit
size and position (seeded), then pushed through `digitpad.classify.classify` — the function
behind the app's `/predict`. The naive pipeline (whole canvas resized to 28×28, same model)
is scored on the same renderings for comparison.

    python benchmarks/drawn_digits.py                 # about a minute on 2 cores
    python benchmarks/drawn_digits.py --renders 3     # three renderings of every digit
"""

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.classify import drawn_accuracy  # noqa: E402
from digitpad.drawings import load_drawn_digits, render_random  # noqa: E402
from digitpad.inference import DEFAULT_MODEL, load_model  # noqa: E402
from digitpad.preprocess import naive_preprocess  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/drawn-digits/pendigits-dev.jsonl.gz"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="drawn digits (.jsonl.gz)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file")
    parser.add_argument("--renders", type=int, default=2, help="random renderings of each digit")
    parser.add_argument("--seed", type=int, default=0, help="seed for the renderings")
    parser.add_argument("--writers", type=str, default=None,
                        help="comma-separated writer ids to score (default: all)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pipeline")
    return parser.parse_args(argv)


def report(name, labels, guesses):
    labels, guesses = np.asarray(labels), np.asarray(guesses)
    print(f"\n{name}: {np.mean(labels == guesses):.2%} of {len(labels)} drawings")
    per_digit = "  ".join(f"{d}:{np.mean(guesses[labels == d] == d):.1%}" for d in range(10))
    print(f"  per digit  {per_digit}")
    confusions = collections.Counter(
        (int(t), int(g)) for t, g in zip(labels, guesses) if t != g
    ).most_common(6)
    if confusions:
        print("  confusions " + ", ".join(f"{t}→{g} ×{n}" for (t, g), n in confusions))
    return float(np.mean(labels == guesses))


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: no drawn digits at {args.data} (they live in ../shared/drawn-digits)")
        return 0
    digits = load_drawn_digits(args.data)
    if args.writers:
        keep = {int(w) for w in args.writers.split(",")}
        digits = [d for d in digits if d["writer"] in keep]
    model = load_model(args.model)
    print(f"{len(digits)} drawings × {args.renders} renderings, model {model.path.name}")
    started = time.time()

    def progress(done, total):
        if done % 200 == 0 or done == total:
            print(f"  {done}/{total} drawings, {time.time() - started:.0f} s", flush=True)

    labels, guesses = drawn_accuracy(model, digits, args.renders, args.seed, progress)
    writers = [digits[i % len(digits)]["writer"] for i in range(len(labels))]
    naive_guesses = []
    if not args.no_naive:  # The same renderings again (same seed), read the naive way.
        rng = np.random.default_rng(args.seed)
        for index in range(len(labels)):
            value, _ = render_random(digits[index % len(digits)]["strokes"], rng)
            naive_guesses.append(int(np.argmax(model.predict(naive_preprocess(value)[None])[0])))
    accuracy = report("digitpad (same path as /predict)", labels, guesses)
    labels_arr, guesses_arr, writers_arr = map(np.asarray, (labels, guesses, writers))
    per_writer = "  ".join(
        f"writer {w}: {np.mean(guesses_arr[writers_arr == w] == labels_arr[writers_arr == w]):.1%}"
        for w in sorted(set(writers))
    )
    print(f"  per writer {per_writer}")
    if naive_guesses:
        report("naive pipeline (whole canvas resized to 28×28)", labels, naive_guesses)
    print(f"\naccuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
