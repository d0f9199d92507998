"""Synthesise photographed and scanned-looking digits for the upload and CLI tests.

    python scripts/make_paper_fixtures.py      # writes tests/fixtures/paper/*.jpg

Half are the committed pen-drawn digits, half MNIST test digits, each put on "paper": a
tinted, grainy background with a shadow across it, grey ink, a little blur and rotation, a
margin around the digit, and JPEG compression. Some carry an EXIF orientation with their
pixels stored sideways, as phones save them. File names start with the true digit.
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitpad.drawings import load_drawn_digits, render_strokes  # noqa: E402

OUT = ROOT / "tests/fixtures/paper"
PER_SOURCE = 50


def on_paper(ink: np.ndarray, rng) -> Image.Image:
    """`(h, w)` ink alpha in [0, 1] (digit filling it) → an RGB photo of it on paper."""
    digit_h = ink.shape[0]
    size = int(digit_h / rng.uniform(0.35, 0.6))
    alpha = np.zeros((size, size), np.float32)
    top = int(rng.uniform(0.1, 0.9) * (size - ink.shape[0]))
    left = int(rng.uniform(0.1, 0.9) * (size - ink.shape[1]))
    alpha[top : top + ink.shape[0], left : left + ink.shape[1]] = ink[: size - top, : size - left]
    paper = rng.uniform(175, 235)
    tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.98)])
    ink_level = rng.uniform(15, 70)
    gray = paper * (1 - alpha) + ink_level * alpha
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    ramp = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) + 0.5
    gray = gray * (1 - rng.uniform(0.2, 0.45) * np.clip(ramp, 0, 1))  # A shadow across the page.
    gray = gray + rng.normal(0, rng.uniform(3, 9), gray.shape)  # Paper grain and sensor noise.
    rgb = np.clip(gray[:, :, None] * tint, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * size / 400))
    fill = tuple(int(v) for v in np.asarray(image).reshape(-1, 3).mean(axis=0))
    image = image.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC, fillcolor=fill)
    return image


def save(image: Image.Image, path: Path, rng, sideways: bool) -> None:
    quality = int(rng.integers(50, 86))
    if sideways:  # Stored rotated, with the EXIF tag that tells a viewer to turn it back.
        exif = Image.Exif()
        exif[0x0112] = 6  # "Rotate 90° clockwise to display".
        image.transpose(Image.Transpose.ROTATE_90).save(path, quality=quality, exif=exif)
    else:
        image.save(path, quality=quality)


def main() -> None:
    rng = np.random.default_rng(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jpg"):
        old.unlink()
    drawn = load_drawn_digits(ROOT / "tests/fixtures/drawn-digits.jsonl.gz")
    for index, record in enumerate(drawn[:: max(1, len(drawn) // PER_SOURCE)][:PER_SOURCE]):
        height = int(rng.uniform(120, 420))
        layer = render_strokes(record["strokes"], 2 * height, height, (height, height),
                               rng.uniform(0.02, 0.05) * height)
        alpha = layer[:, :, 3].astype(np.float32) / 255
        rows = np.flatnonzero(alpha.max(axis=1) > 0)
        cols = np.flatnonzero(alpha.max(axis=0) > 0)
        ink = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        save(on_paper(ink, rng), OUT / f"{record['label']}_drawn_{index:02d}.jpg", rng, index % 7 == 3)
    with np.load(ROOT / "tests/fixtures/mnist-test.npz") as archive:
        x, y = archive["x_test"][:PER_SOURCE], archive["y_test"][:PER_SOURCE]
    for index, (image, label) in enumerate(zip(x, y)):
        scale = int(rng.integers(5, 16))
        big = Image.fromarray(image).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)
        ink = np.asarray(big, np.float32) / 255
        save(on_paper(ink, rng), OUT / f"{label}_mnist_{index:02d}.jpg", rng, index % 7 == 3)
    print(f"wrote {len(list(OUT.glob('*.jpg')))} images to {OUT}")


if __name__ == "__main__":
    main()
