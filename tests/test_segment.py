"""Reading whole numbers: segmentation into digits and one batched classification."""

import numpy as np
import pytest

from digitpad.drawings import render_number, render_strokes, sketchpad_value
from digitpad.preprocess import NoInkError
from digitpad.segment import find_digits, read_number, split_wide


def pick(drawn_digits, text, strokes=None):
    """Stroke records spelling `text`; with `strokes`, only records drawn in that many strokes."""
    chosen = []
    for char in text:
        pool = [d for d in drawn_digits if d["label"] == int(char)
                and (strokes is None or len(d["strokes"]) == strokes)]
        chosen.append(pool[len(chosen) % len(pool)])
    return chosen


@pytest.mark.parametrize("text, seed", [("2024", 0), ("31", 1), ("90210", 2), ("468", 3), ("1357", 4)])
def test_numbers_are_read_left_to_right(model, drawn_digits, text, seed):
    value, boxes = render_number([r["strokes"] for r in pick(drawn_digits, text)],
                                 np.random.default_rng(seed))
    number = read_number(model, value)
    assert number.text == text
    lefts = [d.box[2] for d in number.digits]
    assert lefts == sorted(lefts)
    for digit, (left, right) in zip(number.digits, boxes):
        assert left - 3 <= digit.box[2] and digit.box[3] <= right + 3  # Each box is its digit's.
        assert digit.model_input.shape == (28, 28, 1)
        np.testing.assert_allclose(digit.probabilities.sum(), 1.0, atol=1e-4)


def test_digits_written_in_two_strokes_stay_whole(model, drawn_digits):
    two_stroke = sorted({d["label"] for d in drawn_digits if len(d["strokes"]) == 2})
    assert two_stroke, "the fixture has digits drawn in two strokes"
    text = "".join(str(d) for d in two_stroke[:4])
    value, _ = render_number([r["strokes"] for r in pick(drawn_digits, text, strokes=2)],
                             np.random.default_rng(5))
    assert read_number(model, value).text == text


def test_a_single_digit_is_one_digit(model, drawn_digits):
    record = pick(drawn_digits, "7")[0]
    value = sketchpad_value(render_strokes(record["strokes"], 448, 300, (224, 224), 12))
    number = read_number(model, value)
    assert number.text == "7" and len(number.digits) == 1


def test_a_broken_stroke_joins_its_digit():
    ink = np.zeros((120, 300), np.float32)
    ink[10:55, 40:46] = 1.0   # A "1" drawn in two pieces with a gap ...
    ink[62:110, 40:46] = 1.0
    ink[10:110, 150:156] = 1.0  # ... and a whole "1" to its right.
    assert len(find_digits(ink)) == 2


def test_touching_digits_are_split_where_ink_is_thinnest():
    yy, xx = np.mgrid[0:100, 0:160]
    ring = lambda cx: np.abs(np.hypot(yy - 50, (xx - cx) * 1.3) - 38) < 5  # noqa: E731
    ink = (ring(40) | ring(118)).astype(np.float32)  # "00" with the rings touching.
    parts = split_wide(ink)
    assert len(parts) == 2
    assert 70 <= parts[0][1] <= 90


def test_blank_wide_canvas_has_no_number(model):
    with pytest.raises(NoInkError):
        read_number(model, np.full((320, 896, 4), 255, np.uint8))


def test_the_public_names_read_files_by_path(model, drawn_digits, tmp_path):
    """`classify` and `read_number` take a path, as the package docstring and README promise."""
    from PIL import Image

    from digitpad import classify

    value, _ = render_number([pick(drawn_digits, "3")[0]["strokes"], pick(drawn_digits, "8")[0]["strokes"]],
                             np.random.default_rng(3))
    path = tmp_path / "number.png"
    Image.fromarray(value["composite"]).save(path)
    assert read_number(model, path).text == read_number(model, value).text
    assert read_number(model, str(path)).text == "38"
    from helpers import ROOT

    assert int(np.argmax(classify(model, str(ROOT / "digitpad" / "examples" / "7.png")))) == 7
