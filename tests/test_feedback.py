"""Corrections from the audience: stored whole, never lost, capped, and used in training."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from digitpad.feedback import (CorrectionGate, FeedbackFullError, count_entries, load_corrections,
                               save_correction)
from helpers import FIXTURES, draw, editor_value, png_file, run_training, start_app, stop, write_idx_folder


def test_save_and_load_round_trip(tmp_path):
    drawing = np.full((64, 64), 255, np.uint8)
    model_input = np.zeros((28, 28, 1), np.float32)
    model_input[5:20, 12:15] = 255
    folder = save_correction(tmp_path, drawing, model_input, predicted=7, corrected=1)
    assert sorted(p.name for p in folder.iterdir()) == ["drawing.png", "entry.json", "input.png"]
    meta = json.loads((folder / "entry.json").read_text())
    assert meta["predicted"] == 7 and meta["corrected"] == 1 and meta["timestamp"].endswith("Z")
    x, y = load_corrections(tmp_path)
    assert x.shape == (1, 28, 28) and y.tolist() == [1]
    np.testing.assert_array_equal(x[0], model_input[:, :, 0].astype(np.uint8))
    assert not list((tmp_path / "entries").glob(".*"))  # No half-written entry is left behind.


def test_cap_refuses_more_and_keeps_what_is_there(tmp_path):
    for _ in range(3):
        save_correction(tmp_path, np.zeros((8, 8), np.uint8), np.zeros((28, 28, 1)), 1, 2, cap=3)
    with pytest.raises(FeedbackFullError, match="full"):
        save_correction(tmp_path, np.zeros((8, 8), np.uint8), np.zeros((28, 28, 1)), 1, 2, cap=3)
    assert count_entries(tmp_path) == 3
    assert not list((tmp_path / "entries").glob(".*"))


@pytest.mark.parametrize("predicted, corrected", [(1, 10), (-1, 3)])
def test_labels_must_be_digits(tmp_path, predicted, corrected):
    with pytest.raises(ValueError):
        save_correction(tmp_path, np.zeros((8, 8), np.uint8), np.zeros((28, 28, 1)), predicted, corrected)


def test_correction_through_the_app_lands_on_disk(client, feedback_dir, drawn_digits, tmp_path):
    before = count_entries(feedback_dir)
    record = next(d for d in drawn_digits if d["label"] == 9)
    path = png_file(tmp_path, draw(record)["composite"])
    client.predict(editor_value(path), api_name="/predict")  # A correction follows an answer.
    radio, note = client.predict(editor_value(path), "4", api_name="/correct")
    assert radio is None and "Kept as a 4" in note
    assert count_entries(feedback_dir) == before + 1
    newest = sorted((feedback_dir / "entries").iterdir())[-1]
    meta = json.loads((newest / "entry.json").read_text())
    assert meta["corrected"] == 4 and meta["predicted"] == 9


def test_twenty_concurrent_corrections_all_survive(live_app, feedback_dir, drawn_digits, tmp_path):
    from gradio_client import Client

    before = count_entries(feedback_dir)
    paths = [png_file(tmp_path, draw(drawn_digits[i * 5])["composite"], f"{i}.png") for i in range(20)]

    def submit(index):
        client = Client(live_app, verbose=False)
        client.predict(editor_value(paths[index]), api_name="/predict")
        return client.predict(editor_value(paths[index]), str(index % 10), api_name="/correct")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(submit, range(20)))
    assert all("Kept as" in note for _, note in results)
    assert count_entries(feedback_dir) == before + 20
    x, y = load_corrections(feedback_dir)  # Every entry is complete and readable.
    assert len(x) == before + 20


def test_nothing_to_correct_is_a_clear_error(client, tmp_path):
    from gradio_client.exceptions import AppError

    path = png_file(tmp_path, np.full((448, 448, 4), 255, np.uint8))
    with pytest.raises(AppError, match="Draw a digit first"):
        client.predict(editor_value(path), "3", api_name="/correct")


def test_full_folder_says_so_through_the_app(tmp_path, drawn_digits):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    process, url = start_app({"DIGITPAD_FEEDBACK_DIR": str(tmp_path / "fb"), "DIGITPAD_FEEDBACK_MAX": "2"})
    try:
        client = Client(url, verbose=False)
        value = editor_value(png_file(tmp_path, draw(drawn_digits[0])["composite"]))
        client.predict(value, api_name="/predict")
        for _ in range(2):
            client.predict(value, "1", api_name="/correct")
        with pytest.raises(AppError, match="full"):
            client.predict(value, "1", api_name="/correct")
        assert count_entries(tmp_path / "fb") == 2
    finally:
        stop(process)


def mnist_fixture_folder(folder):
    """An IDX folder of real MNIST test digits (the fixture), 600 to train on, 400 to test."""
    with np.load(FIXTURES / "mnist-test.npz") as archive:
        x, y = archive["x_test"], archive["y_test"]
    return write_idx_folder(folder, {"x_train": x[:600], "y_train": y[:600],
                                     "x_test": x[600:1000], "y_test": y[600:1000]})


def some_corrections(folder):
    for digit in range(3):
        image = np.zeros((28, 28, 1), np.float32)
        image[6:22, 12 + digit : 15 + digit] = 255
        save_correction(folder, np.full((64, 64), 255, np.uint8), image, predicted=7, corrected=digit)
    return folder


def test_training_with_extra_data_uses_it_and_reports_before_after(tmp_path, dry_run_data, drawn_folder):
    feedback = some_corrections(tmp_path / "feedback")
    out = tmp_path / "model" / "tiny.keras"
    scratch = tmp_path / "scratch"  # The run's temporary folders go here (TMPDIR).
    scratch.mkdir()
    result = run_training("--data", dry_run_data, "--dry-run", "--out", out, "--batch-size", 64,
                          "--extra-data", feedback, "--extra-weight", 5,
                          "--drawn-data", drawn_folder, "--workers", 1, env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert not list(scratch.glob("digitpad-retrain-*"))  # The kept model's staging is cleared.
    assert "| before (model at --out) |" in result.stdout and "| after |" in result.stdout
    metrics = json.loads((out.parent / "metrics.json").read_text())
    extra = metrics["extra_data"]
    assert extra["entries"] == 3 and extra["weight"] == 5 and extra["kept"] == "new"
    assert metrics["training_images"] > 512 + 3 * 5 - 1  # MNIST slice, restyled copies, extra.
    assert extra["after"]["mnist"] is not None and extra["after"]["held_out"] is not None
    assert extra["before"] == {"mnist": None, "held_out": None}  # No model was at --out before.
    assert out.is_file() and out.with_suffix(".tflite").is_file()


def test_worse_model_from_corrections_keeps_the_old_one_unless_forced(tmp_path):
    """One epoch on 512 digits reads MNIST far worse than the committed model: it is refused."""
    import shutil

    from digitpad.inference import DEFAULT_MODEL

    data = mnist_fixture_folder(tmp_path / "mnist")
    feedback = some_corrections(tmp_path / "feedback")
    out = tmp_path / "served" / "digitpad.keras"
    out.parent.mkdir()
    for suffix in (".keras", ".tflite"):
        shutil.copy(DEFAULT_MODEL.with_suffix(suffix), out.with_suffix(suffix))
    before = out.with_suffix(".tflite").read_bytes()
    args = ["--data", data, "--dry-run", "--out", out, "--batch-size", 64, "--no-drawn",
            "--extra-data", feedback]
    scratch = tmp_path / "scratch"  # The runs' temporary folders go here (TMPDIR).
    scratch.mkdir()
    result = run_training(*args, env={"TMPDIR": str(scratch)})
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Kept the old model" in result.stdout and "mnist" in result.stdout
    assert out.with_suffix(".tflite").read_bytes() == before
    refused = list(scratch.glob("digitpad-retrain-*"))  # Left to look at, and named.
    assert len(refused) == 1 and str(refused[0]) in result.stdout
    assert (refused[0] / "digitpad.tflite").is_file()
    forced = run_training(*args, "--force", env={"TMPDIR": str(scratch)})
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert out.with_suffix(".tflite").read_bytes() != before
    assert list(scratch.glob("digitpad-retrain-*")) == refused  # The forced one's is cleared.
    # Each export lands under its own name: the served one takes any batch, the browser's one.
    from ai_edge_litert.interpreter import Interpreter

    served = Interpreter(model_path=str(out.with_suffix(".tflite"))).get_input_details()[0]
    browser = Interpreter(model_path=str(out.with_name("digitpad-batch1.tflite"))).get_input_details()[0]
    assert served["shape_signature"][0] == -1 and list(browser["shape"]) == [1, 28, 28, 1]


def test_extra_data_that_is_not_feedback_exits_with_one_line(tmp_path, dry_run_data):
    result = run_training("--data", dry_run_data, "--dry-run", "--extra-data", tmp_path / "empty")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--extra-data" in lines[0]


def test_bad_entries_are_skipped_with_a_warning_each(tmp_path, capsys):
    good = some_corrections(tmp_path)
    entries = good / "entries"
    (entries / "no-json").mkdir()
    (entries / "no-json" / "input.png").write_bytes(b"")
    bad_label = entries / "bad-label"
    bad_label.mkdir()
    (bad_label / "entry.json").write_text('{"corrected": 12}')
    (entries / "stray.txt").write_text("hello")
    huge = entries / "huge-header"
    huge.mkdir()
    (huge / "entry.json").write_text('{"corrected": 3}')
    from PIL import Image

    Image.new("L", (6000, 6000)).save(huge / "input.png")  # A few kB, 36 megapixels.
    x, y = load_corrections(good)
    assert len(x) == 3 and sorted(y.tolist()) == [0, 1, 2]
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 4
    assert any("entry.json" in w for w in warnings) and any("not a digit" in w for w in warnings)
    assert any("6000×6000" in w for w in warnings)


def test_stored_drawings_are_bounded_and_caps_are_checked_before_writing(tmp_path):
    noise = np.random.default_rng(0).integers(200, 256, (2000, 2000), dtype=np.uint8)
    noise[900:1100, :] = 0
    folder = save_correction(tmp_path, noise, np.zeros((28, 28, 1)), 1, 2)
    from PIL import Image

    assert max(Image.open(folder / "drawing.png").size) <= 448
    used = sum(p.stat().st_size for p in folder.iterdir())
    with pytest.raises(FeedbackFullError, match="full"):
        save_correction(tmp_path / "other", noise, np.zeros((28, 28, 1)), 1, 2, byte_cap=used // 2)
    assert count_entries(tmp_path / "other") == 0 and not (tmp_path / "other" / "entries").exists()


def test_gate_wants_a_prediction_first_and_limits_each_session():
    gate = CorrectionGate(per_session=2)
    with pytest.raises(ValueError, match="answer first"):
        gate.admit("visitor")
    gate.saw_prediction("visitor")
    gate.admit("visitor")
    gate.admit("visitor")
    with pytest.raises(ValueError, match="2 corrections"):
        gate.admit("visitor")
    with pytest.raises(ValueError, match="answer first"):
        gate.admit("someone else")


def test_gate_refuses_a_correction_after_a_photos_answer_until_a_drawing_is_answered():
    gate = CorrectionGate()
    gate.saw_prediction("visitor", photo=True)
    with pytest.raises(ValueError, match="not photos"):
        gate.admit("visitor")
    gate.saw_prediction("visitor")
    gate.admit("visitor")


def test_a_correction_after_an_uploaded_photos_answer_does_not_store_the_drawing_left_on_the_sketchpad(
        client, feedback_dir, drawn_digits, tmp_path):
    """A visitor draws a 9, then uploads a photo and clicks the digit the photo shows: the 9
    still on the sketchpad must not be stored under that label. Drawing again lets a
    correction through."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    from helpers import PAPER

    drawing = editor_value(png_file(tmp_path, draw(next(d for d in drawn_digits if d["label"] == 9))["composite"]))
    photo = next(p for p in PAPER if p.name.startswith("2_"))
    before = count_entries(feedback_dir)
    client.predict(drawing, api_name="/predict")
    client.predict(handle_file(str(photo)), api_name="/predict_upload")
    with pytest.raises(AppError, match="not photos"):
        client.predict(drawing, "2", api_name="/correct")
    assert count_entries(feedback_dir) == before
    client.predict(drawing, api_name="/predict")
    assert "Kept as a 4" in client.predict(drawing, "4", api_name="/correct")[1]
    assert count_entries(feedback_dir) == before + 1


def test_correction_without_a_prediction_is_refused_by_the_app(live_app, drawn_digits, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    fresh = Client(live_app, verbose=False)
    path = png_file(tmp_path, draw(drawn_digits[3])["composite"])
    with pytest.raises(AppError, match="answer first"):
        fresh.predict(editor_value(path), "5", api_name="/correct")
