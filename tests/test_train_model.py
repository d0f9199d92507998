"""`train_model.py` end to end on tiny data: arguments, errors, and a model that works."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT


def run_training(*args):
    return subprocess.run([sys.executable, "train_model.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory, dry_run_data):
    """One `--dry-run` on 600 random images; yields (result, model path)."""
    out = tmp_path_factory.mktemp("model") / "tiny.keras"
    return run_training("--data", dry_run_data, "--dry-run", "--out", out, "--batch-size", 64), out


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


def test_help_shows_every_default():
    result = run_training("--help")
    assert result.returncode == 0
    for flag in ("--data", "--epochs", "--batch-size", "--seed", "--out", "--dry-run"):
        assert flag in result.stdout
    assert "(default: 14)" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/nonexistent/mnist"], "--data ../shared/mnist"),
        (["--epochs", "0", "--data", "."], "--epochs must be at least 1"),
    ],
)
def test_bad_arguments_exit_with_one_line(args, message):
    result = run_training(*args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
