"""Corrections from the audience: stored whole, never lost, capped, and used in training."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import draw, start_app
from digitpad.feedback import FeedbackFullError, count_entries, load_corrections, save_correction
from test_app import editor_value, png_file


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
        for _ in range(2):
            client.predict(value, "1", api_name="/correct")
        with pytest.raises(AppError, match="full"):
            client.predict(value, "1", api_name="/correct")
        assert count_entries(tmp_path / "fb") == 2
    finally:
        process.terminate()


def test_training_with_extra_data_uses_it_and_reports_before_after(tmp_path, dry_run_data):
    from conftest import FIXTURES
    from test_train_model import run_training

    feedback = tmp_path / "feedback"
    for digit in range(3):
        image = np.zeros((28, 28, 1), np.float32)
        image[6:22, 12 + digit : 15 + digit] = 255
        save_correction(feedback, np.full((64, 64), 255, np.uint8), image, predicted=7, corrected=digit)
    out = tmp_path / "model" / "tiny.keras"
    result = run_training("--data", dry_run_data, "--dry-run", "--out", out, "--batch-size", 64,
                          "--extra-data", feedback, "--extra-weight", 5,
                          "--drawn", FIXTURES / "drawn-digits.jsonl.gz")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| before (previous model at --out) |" in result.stdout and "| after |" in result.stdout
    metrics = json.loads((out.parent / "metrics.json").read_text())
    extra = metrics["extra_data"]
    assert extra["entries"] == 3 and extra["weight"] == 5
    assert metrics["training_images"] > 512 + 3 * 5 - 1  # MNIST slice, restyled copies, extra.
    assert extra["after"]["mnist"] is not None and extra["after"]["drawn"] is not None
    assert extra["before"] == {"mnist": None, "drawn": None}  # No model was at --out before.


def test_extra_data_that_is_not_feedback_exits_with_one_line(tmp_path, dry_run_data):
    from test_train_model import run_training

    result = run_training("--data", dry_run_data, "--dry-run", "--extra-data", tmp_path / "empty")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--extra-data" in lines[0]
