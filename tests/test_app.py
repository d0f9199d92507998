"""The real app on loopback, called through `gradio_client` as the browser and API users do."""

import base64
import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from helpers import ROOT, draw, editor_value, png_file, predict, top_digit


@pytest.fixture(scope="module")
def good_drawing(drawn_digits, tmp_path_factory):
    """A drawn 6 as a PNG composite, and its label."""
    record = next(d for d in drawn_digits if d["label"] == 6)
    path = png_file(tmp_path_factory.mktemp("good"), draw(record)["composite"])
    return path, 6


def test_drawn_digits_are_read_through_the_api(client, drawn_digits, tmp_path):
    records = [next(d for d in drawn_digits if d["label"] == k) for k in range(10)]
    for record in records:
        path = png_file(tmp_path, draw(record)["composite"], f"{record['label']}.png")
        result = predict(client, editor_value(path))
        assert top_digit(result) == record["label"]
        label, bars, preview, message = result
        assert label["confidences"][0]["confidence"] > 0.5
        digits = [row[0] for row in bars["data"]]
        probabilities = [row[1] for row in bars["data"]]
        assert digits == [str(d) for d in range(10)]  # All ten, in fixed order.
        assert abs(sum(probabilities) - 1) < 1e-3 and np.argmax(probabilities) == record["label"]
        encoded = preview.split("base64,")[1].split('"')[0]
        assert Image.open(io.BytesIO(base64.b64decode(encoded))).size == (28, 28)
        assert str(record["label"]) in message


def test_the_layer_alone_is_enough(client, drawn_digits, tmp_path):
    """A client that sends only a transparent ink layer (no composite) still gets an answer."""
    from gradio_client import handle_file

    record = next(d for d in drawn_digits if d["label"] == 2)
    layer = png_file(tmp_path, draw(record)["layers"][0], "layer.png")
    result = predict(client, {"background": None, "layers": [handle_file(layer)], "composite": None})
    assert top_digit(result) == 2


def make_hostile(kind, drawn, tmp_path):
    """Write the hostile input `kind` to a file; return its path (or None for a cleared canvas)."""
    gray = np.asarray(Image.fromarray(drawn).convert("L"))
    if kind == "cleared":
        return None
    if kind == "blank":
        return png_file(tmp_path, np.full((448, 448, 4), 255, np.uint8))
    if kind == "transparent":
        return png_file(tmp_path, np.zeros((448, 448, 4), np.uint8))
    if kind == "all black":
        return png_file(tmp_path, np.zeros((448, 448), np.uint8))
    if kind == "1x1":
        return png_file(tmp_path, np.zeros((1, 1, 4), np.uint8))
    if kind == "6000x6000":
        return png_file(tmp_path, Image.new("L", (6000, 6000), 255))
    if kind == "bomb 30000x30000":
        return png_file(tmp_path, Image.new("1", (30000, 30000), 1))
    if kind == "not an image":
        path = tmp_path / "fake.png"
        path.write_text("this is not a picture")
        return str(path)
    if kind == "truncated png":
        buffer = io.BytesIO()
        Image.fromarray(drawn).save(buffer, format="PNG")
        path = tmp_path / "truncated.png"
        path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        return str(path)
    if kind == "palette":
        return png_file(tmp_path, Image.fromarray(gray).convert("P"))
    if kind == "16-bit":
        return png_file(tmp_path, Image.fromarray(gray.astype(np.uint16) * 257))
    if kind == "cmyk jpeg":
        return png_file(tmp_path, Image.fromarray(gray).convert("CMYK"), "cmyk.jpg", "JPEG")
    if kind == "LA":
        return png_file(tmp_path, Image.fromarray(gray).convert("LA"))
    if kind == "white on black":
        return png_file(tmp_path, 255 - gray)
    if kind == "noise":
        return png_file(tmp_path, np.random.default_rng(0).integers(0, 256, (300, 300), dtype=np.uint8))
    raise AssertionError(kind)


HOSTILE = [
    # kind, what must come back: "blank" (no digit), "digit" (the drawn 6), or an error fragment
    ("cleared", "blank"),
    ("blank", "blank"),
    ("transparent", "blank"),
    ("all black", "blank"),
    ("1x1", "blank"),
    ("6000x6000", "megapixels"),
    ("bomb 30000x30000", "megapixels"),
    ("not an image", "not a picture that can be read"),
    ("truncated png", "truncated or damaged"),
    ("palette", "digit"),
    ("16-bit", "digit"),
    ("cmyk jpeg", "digit"),
    ("LA", "digit"),
    ("white on black", "digit"),
    ("noise", "noise"),
]


@pytest.mark.parametrize("kind, expected", HOSTILE, ids=[k for k, _ in HOSTILE])
def test_hostile_input_gets_a_clear_answer_and_the_server_keeps_serving(
    client, drawn_digits, good_drawing, tmp_path, kind, expected
):
    from gradio_client.exceptions import AppError

    record = next(d for d in drawn_digits if d["label"] == 6)
    path = make_hostile(kind, draw(record)["composite"], tmp_path)
    value = None if path is None else editor_value(path)
    if expected in ("blank", "digit"):
        result = predict(client, value)
        if expected == "blank":
            label, bars, preview, message = result
            assert top_digit(result) is None and bars is None and preview is None
            assert "Draw a digit" in message
        else:
            assert top_digit(result) == 6
    else:
        with pytest.raises(AppError) as error:
            predict(client, value)
        assert expected in str(error.value)
        assert "upstream" not in str(error.value)
    good_path, good_label = good_drawing
    assert top_digit(predict(client, editor_value(good_path))) == good_label


def test_oversized_upload_is_refused_and_server_keeps_serving(client, good_drawing, tmp_path):
    noise = np.random.default_rng(1).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)
    path = png_file(tmp_path, noise, "big.png")  # About 12 MB of incompressible PNG.
    with pytest.raises(Exception) as error:
        predict(client, editor_value(path))
    assert "upstream" not in str(error.value)
    good_path, good_label = good_drawing
    assert top_digit(predict(client, editor_value(good_path))) == good_label


def test_concurrent_users_get_the_answers_they_get_alone(live_app, drawn_digits, tmp_path):
    from gradio_client import Client

    records = [next(d for d in drawn_digits if d["label"] == k) for k in range(10)]
    paths = [png_file(tmp_path, draw(r)["composite"], f"c{r['label']}.png") for r in records]
    alone_client = Client(live_app, verbose=False)
    alone = [predict(alone_client, editor_value(p))[0] for p in paths]

    def user(index):
        own = Client(live_app, verbose=False)
        return [(i % 10, predict(own, editor_value(paths[i % 10]))[0]) for i in range(index, index + 5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [a for batch in pool.map(user, range(8)) for a in batch]
    assert len(answers) == 40
    for digit, label in answers:
        assert label == alone[digit]


def test_missing_model_exits_with_one_line():
    env_model = {"DIGITPAD_MODEL": "/nonexistent/digitpad.keras"}
    import os

    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, **env_model})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "python train_model.py" in lines[0]


@pytest.mark.parametrize("setting, value", [("DIGITPAD_CACHE_MB", "lots"), ("DIGITPAD_QUEUE_SIZE", "1.5"),
                                            ("DIGITPAD_FEEDBACK_MAX", "-3"), ("DIGITPAD_FEEDBACK_MAX_BYTES", "nan"),
                                            ("DIGITPAD_QUEUE_PER_ADDRESS", "0"), ("DIGITPAD_QUEUE_SIZE", "0")])
def test_a_bad_setting_exits_with_one_line_that_names_it(setting, value):
    import os

    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, setting: value})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and f"${setting}" in result.stderr


def test_read_number_through_the_api(client, drawn_digits, tmp_path):
    from digitpad.drawings import render_number

    chosen = [next(d for d in drawn_digits if d["label"] == k) for k in (4, 0, 7)]
    value, _ = render_number([r["strokes"] for r in chosen], np.random.default_rng(7))
    path = png_file(tmp_path, value["composite"], "number.png")
    text, boxes, inputs, message = client.predict(editor_value(path), api_name="/read_number")
    assert text == "407"
    assert len(boxes["annotations"]) == 3
    assert inputs.count("<img") == 3 and "407" in message


def test_read_number_on_a_blank_canvas_reads_nothing(client, tmp_path):
    path = png_file(tmp_path, np.full((320, 896, 4), 255, np.uint8))
    text, boxes, inputs, message = client.predict(editor_value(path), api_name="/read_number")
    assert text == "" and boxes is None and "Write a number" in message
