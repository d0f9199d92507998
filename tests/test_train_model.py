"""`train_model.py` end to end on tiny data: arguments, errors, and a model that works."""

import json

import numpy as np
import pytest

from helpers import run_training


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory, dry_run_data, drawn_folder):
    """One `--dry-run` on 600 random images and the fixture's drawings; yields (result, model path)."""
    out = tmp_path_factory.mktemp("model") / "tiny.keras"
    return run_training("--data", dry_run_data, "--dry-run", "--out", out, "--batch-size", 64,
                        "--drawn-data", drawn_folder, "--drawn-renders", 2, "--workers", 1), out


def test_dry_run_writes_a_model_that_predicts(dry_run):
    result, out = dry_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Test accuracy" in result.stdout
    from digitpad.inference import load_model

    # The run wrote a LiteRT export beside the .keras file, and loading prefers it.
    assert type(load_model(out)).__name__ == "LiteRTModel"
    keras_model = load_model(out, prefer_litert=False)
    probabilities = keras_model.predict(np.random.default_rng(1).uniform(0, 255, (3, 28, 28, 1)))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_dry_run_writes_its_report(dry_run):
    _, out = dry_run
    metrics = json.loads((out.parent / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["training_images"] >= 512
    assert np.array(metrics["confusion_matrix"]).sum() == metrics["test_images"]
    assert len(metrics["data_sha256"]) == 64
    # The fixture's pendigits writers 3 and 4 are held out and read after training.
    assert metrics["split"]["held_out_writers"] == 2 and metrics["split"]["train_writers"] == 2
    assert metrics["training_images_drawn"] == 2 * metrics["split"]["train_drawings"]
    held_out = metrics["held_out"]
    assert held_out["drawings"] == 2 * metrics["split"]["held_out_drawings"]
    assert set(held_out["per_site"]) == {"pendigits"} and len(held_out["per_digit"]) == 10
    assert len(metrics["split"]["fingerprint"]) == 64


def test_dry_run_writes_a_batch_one_export_for_the_browser(dry_run):
    _, out = dry_run
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(out.with_name("tiny-batch1.tflite")))
    assert list(interpreter.get_input_details()[0]["shape"]) == [1, 28, 28, 1]


def test_no_drawn_trains_on_mnist_alone(tmp_path, dry_run_data, drawn_folder):
    out = tmp_path / "m.keras"
    result = run_training("--data", dry_run_data, "--dry-run", "--out", out, "--batch-size", 64,
                          "--drawn-data", drawn_folder, "--no-drawn")
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads((out.parent / "metrics.json").read_text())
    assert metrics["training_images_drawn"] == 0 and metrics["held_out"] is None


@pytest.mark.parametrize("extra, read", [([], "pendigits/2"),
                                         (["--tuning-fold", 2, "--augment-drawn"], "pendigits/1")])
def test_tuning_fits_and_reads_training_writers_only(tmp_path, dry_run_data, drawn_folder, extra, read):
    out = tmp_path / "m.keras"
    result = run_training("--data", dry_run_data, "--dry-run", "--out", out, "--batch-size", 64,
                          "--drawn-data", drawn_folder, "--drawn-renders", 1, "--workers", 1,
                          "--tuning", *extra)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Tuning writers:" in result.stdout and "Held-out writers:" not in result.stdout
    metrics = json.loads((out.parent / "metrics.json").read_text())
    # Of the fixture's four pendigits writers, 3 and 4 are held out: the run fits on one of
    # writers 1 and 2 and reads the other (2 in fold 1, 1 in fold 2).
    assert metrics["split"]["train_writers"] == 1 and metrics["split"]["held_out_writers"] == 1
    assert metrics["split"]["read"].startswith("tuning") and read in metrics["split"]["read"]
    assert read in result.stdout  # The weakest-writers line names the writer read.
    assert metrics["held_out"]["writers"] == 1
    assert metrics["augment_drawn"] is ("--augment-drawn" in extra)


def test_a_tuning_site_with_no_training_writers_is_one_line(tmp_path, dry_run_data, drawn_folder):
    result = run_training("--data", dry_run_data, "--dry-run", "--out", tmp_path / "m.keras",
                          "--drawn-data", drawn_folder, "--workers", 1, "--tuning", "--tuning-sites", "zz")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no training writers at site zz (the training side's sites: pendigits)")
    assert not (tmp_path / "m.keras").exists()


def test_help_shows_every_default():
    result = run_training("--help")
    assert result.returncode == 0
    for flag in ("--data", "--epochs", "--batch-size", "--seed", "--out", "--dry-run"):
        assert flag in result.stdout
    assert "(default: 12)" in result.stdout and "--no-balance-writers" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/nonexistent/mnist"], "--data ../shared/mnist"),
        (["--epochs", "0", "--data", "."], "--epochs: must be at least 1"),
        (["--drawn-renders", "-2", "--data", "."], "--drawn-renders: must be at least 1"),
        (["--tuning-fold", "2", "--data", "."], "--tuning-fold: only with --tuning"),
        (["--tuning-sites", "ced", "--data", "."], "--tuning-sites: only with --tuning"),
        (["--tuning", "--tuning-sites", ",", "--data", "."], "give one or more site names"),
        (["--out", "/tmp/runs/fold2", "--data", "."], "--out: give a file ending in .keras"),
    ],
)
def test_bad_arguments_exit_with_one_line(args, message):
    result = run_training(*args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert message in lines[-1]
    assert len([line for line in lines if "error" in line]) == 1


def test_training_speed_benchmark_times_steps_and_estimates_a_run():
    import re
    import subprocess
    import sys

    from digitpad.inference import MODEL_DIR

    result = subprocess.run([sys.executable, "benchmarks/training_speed.py", "--steps", "6", "--window", "3"],
                            cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    windows = re.findall(r"steps \d+–\d+: (\d+) ms a step, CPU use (\d+)%", result.stdout)
    assert len(windows) == 2 and all(int(ms) > 0 for ms, _ in windows)
    epochs = json.loads((MODEL_DIR / "metrics.json").read_text())["epochs"]
    assert re.search(rf"the committed run's {epochs} epochs of [\d,]+ images \([\d,]+ steps\): \d+–\d+ minutes",
                     result.stdout)
    bad = subprocess.run([sys.executable, "benchmarks/training_speed.py", "--steps", "2", "--window", "5"],
                         cwd=MODEL_DIR.parent, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--steps must be at least --window" in bad.stderr.splitlines()[-1]
