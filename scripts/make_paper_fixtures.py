"""Synthesise photographed and scanned-looking digits for the upload and CLI tests.

    python scripts/make_paper_fixtures.py      # writes tests/fixtures/paper/*.jpg

Half are the committed pen-drawn digits, half MNIST test digits, each put on "paper" by
`digitpad.paper`: a tinted, grainy background with a shadow across it, grey ink, a little blur
and rotation, a margin around the digit, and JPEG compression. Every seventh carries an EXIF
orientation with its pixels stored sideways, as phones save them. File names start with the
true digit.
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitpad.drawings import load_drawn_digits  # noqa: E402
from digitpad.paper import jpeg_bytes, on_paper, photo_of_strokes  # noqa: E402

OUT = ROOT / "tests/fixtures/paper"
PER_SOURCE = 50


def main() -> None:
    rng = np.random.default_rng(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jpg"):
        old.unlink()
    drawn = load_drawn_digits(ROOT / "tests/fixtures/drawn-digits.jsonl.gz")
    for index, record in enumerate(drawn[:: max(1, len(drawn) // PER_SOURCE)][:PER_SOURCE]):
        jpeg = photo_of_strokes(record["strokes"], rng, sideways=index % 7 == 3)
        (OUT / f"{record['label']}_drawn_{index:02d}.jpg").write_bytes(jpeg)
    with np.load(ROOT / "tests/fixtures/mnist-test.npz") as archive:
        x, y = archive["x_test"][:PER_SOURCE], archive["y_test"][:PER_SOURCE]
    for index, (image, label) in enumerate(zip(x, y)):
        scale = int(rng.integers(5, 16))
        big = Image.fromarray(image).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)
        ink = np.asarray(big, np.float32) / 255
        jpeg = jpeg_bytes(on_paper(ink, rng), rng, sideways=index % 7 == 3)
        (OUT / f"{label}_mnist_{index:02d}.jpg").write_bytes(jpeg)
    print(f"wrote {len(list(OUT.glob('*.jpg')))} images to {OUT}")


if __name__ == "__main__":
    main()
