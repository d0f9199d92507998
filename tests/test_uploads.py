"""Photos and scans of digits on paper: through the CLI and the app's upload, as drawn."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import PAPER, ROOT, draw
from digitpad.classify import classify
from digitpad.reading import NO_DIGIT_IN_PHOTO, open_image



def truth(path) -> int:
    return int(path.name.split("_")[0])


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "digitpad", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_answers():
    """The CLI's JSON answers for every paper fixture, by file name."""
    result = run_cli("predict", "--json", *PAPER)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {Path(row["file"]).name: row for row in rows}


def test_paper_digits_are_recognised_by_the_cli(cli_answers):
    assert len(cli_answers) == len(PAPER) >= 100
    right = [int(cli_answers[p.name]["prediction"]) == truth(p) for p in PAPER]
    assert np.mean(right) >= 0.97
    for row in cli_answers.values():
        assert abs(sum(row["probabilities"]) - 1) < 1e-3 and 0 <= row["confidence"] <= 1


def test_cli_answers_as_drawing_the_same_digit(model, drawn_digits, cli_answers):
    for path in [p for p in PAPER if "_drawn_" in p.name][:10]:
        index = int(path.stem.split("_")[-1])
        record = drawn_digits[index * max(1, len(drawn_digits) // 50)]
        assert record["label"] == truth(path)
        drawn = int(np.argmax(classify(model, draw(record))))
        assert int(cli_answers[path.name]["prediction"]) == drawn


@pytest.mark.parametrize("size", [(5712, 4284), (6000, 4000), (3648, 5472)])
def test_a_photo_of_a_cameras_full_size_is_read_and_a_picture_as_large_in_png_is_not(model, tmp_path, size):
    """A JPEG is judged by the size it is decoded at (1/2, 1/4, 1/8 of its own): a 24-megapixel
    photo (an iPhone's default; a 3:2 camera's 6000×4000; a 20-megapixel camera's, upright) is
    read as its 12-kilopixel fixture is; a PNG of the same size is refused from its header, as
    is a JPEG beyond the pixel count that Pillow calls a bomb."""
    from digitpad.reading import MAX_PIXELS

    path = next(p for p in PAPER if Image.open(p).getexif().get(0x0112) is None)
    photo = Image.open(path).convert("RGB").resize(size, Image.BILINEAR)
    assert photo.width * photo.height > MAX_PIXELS
    photo.save(tmp_path / "big.jpg", quality=85)
    assert 1000 <= max(open_image(tmp_path / "big.jpg").size) <= 2048
    assert int(np.argmax(classify(model, open_image(tmp_path / "big.jpg")))) == truth(path)
    photo.save(tmp_path / "big.png")
    with pytest.raises(ValueError, match=f"{size[0]}×{size[1]} pixels; the limit is 16 megapixels"):
        open_image(tmp_path / "big.png")
    Image.new("L", (16000, 12000), 255).save(tmp_path / "bomb.jpg", quality=50)
    with pytest.raises(ValueError, match="far too large: over 178 megapixels"):
        open_image(tmp_path / "bomb.jpg")


def test_exif_orientation_is_respected():
    sideways = next(p for p in PAPER if Image.open(p).getexif().get(0x0112) == 6)
    stored = Image.open(sideways)
    upright = open_image(sideways)
    assert upright.size == (stored.size[1], stored.size[0])


def test_cli_reports_bad_files_and_carries_on(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    missing = tmp_path / "missing.png"
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 250).save(blank)
    good = PAPER[0]
    result = run_cli("predict", fake, good, missing, blank)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3
    assert str(fake) in errors[0] and "not a picture" in errors[0]
    assert str(missing) in errors[1]
    assert errors[2] == f"error: {blank}: {NO_DIGIT_IN_PHOTO}"
    assert result.stdout.startswith(f"{good}: {truth(good)} (")


def test_many_files_are_answered_in_their_order_with_bad_ones_in_place(model, tmp_path):
    """From `PARALLEL_FROM` files on, the CLI reads them on every core; the answers must come
    out in the files' order, each as reading that file alone gives it."""
    from digitpad.classify import classify_inputs
    from digitpad.cli import PARALLEL_FROM, read_file

    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    good = PAPER[: PARALLEL_FROM + 9]
    files = [*good[:17], fake, *good[17:]]
    result = run_cli("predict", "--json", *files)
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["file"] for row in rows] == list(map(str, files))
    assert "not a picture" in rows[17]["error"] and str(fake) in result.stderr
    alone = classify_inputs(model, np.stack([read_file(path)[0] for path in good]))
    answered = np.array([row["probabilities"] for row in rows if "error" not in row])
    assert np.array_equal(answered.argmax(axis=1), alone.argmax(axis=1))
    assert np.abs(answered - alone).max() < 1e-3


def test_cli_reads_numbers(tmp_path, drawn_digits):
    from digitpad.drawings import render_number

    chosen = [next(d for d in drawn_digits if d["label"] == k) for k in (3, 1, 9)]
    value, _ = render_number([r["strokes"] for r in chosen], np.random.default_rng(2))
    path = tmp_path / "number.png"
    Image.fromarray(value["composite"]).save(path)
    result = run_cli("predict", "--number", "--json", path)
    assert result.returncode == 0
    row = json.loads(result.stdout)
    assert row["prediction"] == "319" and len(row["digits"]) == 3


@pytest.mark.parametrize("args, code", [(["predict"], 2), (["predict", "--model", "/nope.keras", "x.png"], 2)])
def test_cli_bad_arguments(args, code):
    result = run_cli(*args)
    assert result.returncode == code
    assert result.stderr.strip()


def test_upload_through_the_app_matches_the_cli(client, cli_answers):
    from gradio_client import handle_file

    for path in PAPER[::25]:
        label = client.predict(handle_file(str(path)), api_name="/predict_upload")[0]
        assert label["label"] == cli_answers[path.name]["prediction"]


def test_an_uploaded_photo_of_a_blank_page_is_answered_with_a_sentence_about_the_photo(client, tmp_path):
    """No guess, and the verdict speaks of the picture, not of drawing on the canvas."""
    from gradio_client import handle_file

    from digitpad.answers import PROMPT
    from digitpad.paper import SHADOW, jpeg_bytes, on_paper

    rng = np.random.default_rng(3)
    (tmp_path / "blank.jpg").write_bytes(jpeg_bytes(on_paper(np.zeros((200, 100), np.float32), rng, SHADOW, False), rng, False))
    label, bars, preview, message = client.predict(handle_file(str(tmp_path / "blank.jpg")), api_name="/predict_upload")
    assert message == NO_DIGIT_IN_PHOTO != PROMPT
    assert preview is None and not (label or {}).get("label")


def test_a_photo_of_strokes_is_a_seeded_jpeg_read_upright():
    from digitpad.paper import photo_of_strokes

    strokes = [[[0, 0], [0, 100]], [[-20, 80], [0, 100]]]  # A 1 with a flag, tablet y up.
    jpeg = photo_of_strokes(strokes, np.random.default_rng(3), sideways=False)
    assert jpeg[:2] == b"\xff\xd8"
    assert jpeg == photo_of_strokes(strokes, np.random.default_rng(3), sideways=False)  # Seeded.
    upright = open_image(jpeg)
    turned = photo_of_strokes(strokes, np.random.default_rng(3), sideways=True)
    assert Image.open(io.BytesIO(turned)).getexif().get(0x0112) == 6
    assert open_image(turned).size == upright.size  # Stored sideways, read back upright.
    gray = np.asarray(upright.convert("L"), np.float32)
    assert gray.min() < 0.6 * np.median(gray)  # Dark ink on lighter paper.


def test_photos_of_drawings_are_read_through_the_upload_path(model, drawn_digits):
    from digitpad.evaluation import drawing_inputs, guesses_of

    records = drawn_digits[::5]
    inputs, labels, _ = drawing_inputs(records, renders=1, seed=7, photos=True)
    again, _, _ = drawing_inputs(records, renders=1, seed=7, photos=True, workers=2)
    np.testing.assert_array_equal(inputs, again)  # Seeded per photo: workers change nothing.
    sketchpads, _, _ = drawing_inputs(records, renders=1, seed=7)
    assert not np.allclose(inputs, sketchpads)
    assert np.mean(guesses_of(model, inputs) == labels) >= 0.9


def test_a_page_on_a_desk_shows_the_desk_beside_the_digit_never_over_it():
    from digitpad.paper import on_a_desk

    page, box = np.full((200, 200), 220.0), (80, 90, 140, 120)  # The digit's top, left, bottom, right.
    shown = 0
    for seed in range(20):
        gray, desk = on_a_desk(page, box, np.random.default_rng(seed))
        assert not desk[80 - 5 : 140 + 5, 90 - 5 : 120 + 5].any()  # 3% of the frame clear of it.
        assert (gray[~desk] == 220).all() and (gray[desk] < 190).all()
        shown += bool(desk.any())
    assert shown >= 15


def test_photos_of_pages_on_a_desk_are_read(model, drawn_digits):
    from digitpad.evaluation import drawing_inputs, guesses_of

    records = drawn_digits[::5]
    inputs, labels, _ = drawing_inputs(records, renders=1, seed=7, photos=True, desk=True)
    plain, _, _ = drawing_inputs(records, renders=1, seed=7, photos=True)
    assert not np.allclose(inputs, plain)
    assert np.mean(guesses_of(model, inputs) == labels) >= 0.9


def test_a_small_note_lies_wholly_in_the_frame_on_a_desk():
    from digitpad.paper import on_a_note

    page = np.full((200, 200), 220.0)
    for seed in range(10):
        gray, desk = on_a_note(page, np.random.default_rng(seed))
        frame = gray.shape[0]
        assert 0.3 <= 200 / frame <= 0.7 and (~desk).sum() == 200 * 200
        rows, cols = np.nonzero(~desk)
        margin = int(0.02 * frame)
        assert rows.min() >= margin and cols.min() >= margin
        assert rows.max() < frame - margin and cols.max() < frame - margin
        assert (gray[~desk] == 220).all() and (gray[desk] < 190).all()


def test_photos_of_small_notes_are_read(model, drawn_digits):
    """A note 30–70% of the frame on a dark desk: 99 of these 100 are read (90 before the
    page that reads as light ink was looked for, `page_read_as_ink`; 98 before a notched one was)."""
    from digitpad.evaluation import drawing_inputs, guesses_of

    inputs, labels, _ = drawing_inputs(drawn_digits, renders=1, seed=9, photos=True, desk="note")
    assert np.mean(guesses_of(model, inputs) == labels) >= 0.95


def test_a_note_whose_light_ink_reading_is_notched_is_told_by_its_brightness(model, drawn_digits):
    """A note large enough that the light-ink lighting estimate reaches into it: the "ink" (the
    page) has a dark notch, so it neither holds the board in its holes nor fills a rectangle,
    and the page was read as a stroke (a 0). What is brighter than halfway from the desk to
    the page is the sheet, whole, with the digit's strokes as its holes."""
    from digitpad.evaluation import DEEP_SHADOW
    from digitpad.paper import photo_of_strokes
    from digitpad.lighting import flatten_background, ink_from_flat
    from digitpad.page import page_read_as_ink
    from digitpad.reading import to_grayscale

    record = drawn_digits[20 * 11 % len(drawn_digits)]
    photo = open_image(photo_of_strokes(record["strokes"], np.random.default_rng(20), shadow=DEEP_SHADOW,
                                        desk="note"))
    gray = to_grayscale(photo, max_side=512)
    light_ink = ink_from_flat(flatten_background(gray, dark_ink=False))
    page = page_read_as_ink(gray, light_ink)
    assert page is not None and 0.05 < page.mean() < 0.5
    assert int(np.argmax(classify(model, photo))) == record["label"] == 2


def test_a_flat_stroke_is_photographed_on_a_page_that_holds_it():
    """A 1 written as a lone, nearly flat line (as some tablets' segmentation leaves it) is far
    wider than tall; the page is sized by the longer side, so the whole line is on it."""
    from digitpad.paper import photo_of_strokes
    from digitpad.preprocess import preprocess

    for seed in range(5):
        jpeg = photo_of_strokes([[[0, 0], [300, 20]]], np.random.default_rng(seed), sideways=False)
        line = preprocess(open_image(jpeg))[:, :, 0]
        assert (line.max(axis=0) > 100).sum() >= 18  # The longer side, 20 px in the field.
