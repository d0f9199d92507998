"""Write the small committed fixtures and example drawings from ../shared (run once by hand).

    python scripts/make_fixtures.py

- tests/fixtures/mnist-test.npz: MNIST's 10,000 test images and labels (compressed).
- tests/fixtures/drawn-digits.jsonl.gz: 10 pen-drawn digits of each class (all 4 writers).
- digitpad/examples/*.png: one drawing of each digit, rendered as the sketchpad would show it.
"""

import gzip
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitpad.data import load_mnist  # noqa: E402
from digitpad.drawings import load_drawn_digits, render_strokes, sketchpad_value  # noqa: E402

SHARED = ROOT.parent / "shared"
PER_DIGIT = 10


def main() -> None:
    _, (x_test, y_test) = load_mnist(SHARED / "mnist")
    np.savez_compressed(ROOT / "tests/fixtures/mnist-test.npz", x_test=x_test, y_test=y_test)

    digits = load_drawn_digits(SHARED / "drawn-digits/pendigits-dev.jsonl.gz")
    chosen = []
    for label in range(10):
        of_label = [d for d in digits if d["label"] == label]
        # Spread the picks over the writers: every writer's style appears.
        chosen += sorted(of_label, key=lambda d: (d["writer"], len(d["strokes"])))[:: len(of_label) // PER_DIGIT][:PER_DIGIT]
    with gzip.open(ROOT / "tests/fixtures/drawn-digits.jsonl.gz", "wt", encoding="utf-8") as out:
        for record in chosen:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")

    examples = ROOT / "digitpad/examples"
    examples.mkdir(exist_ok=True)
    for label in range(10):
        record = [d for d in chosen if d["label"] == label][3]
        layer = render_strokes(record["strokes"], canvas_size=448, height=300,
                               centre=(224, 224), radius=14)
        composite = sketchpad_value(layer)["composite"]
        Image.fromarray(composite).convert("L").save(examples / f"{label}.png", optimize=True)
    print(f"wrote {len(chosen)} drawn digits, {len(x_test)} MNIST test images, 10 examples")


if __name__ == "__main__":
    main()
