"""The committed model: loads as the app loads it, scores on MNIST, and its LiteRT export
answers as the Keras file does."""

import numpy as np
import pytest

from digitpad.classify import classify, classify_inputs, describe
from digitpad.inference import DEFAULT_MODEL, LiteRTModel, ModelFileError, load_model
from digitpad.preprocess import NoInkError
from helpers import draw


@pytest.fixture(scope="module", params=["litert", "keras", "litert-batch1"])
def implementation(request, model):
    """Every way the committed model is served: the LiteRT export the app runs, the Keras file
    (the fallback), and the batch-1 export the browser runs (fed one image at a time)."""
    if request.param == "litert":
        return model
    if request.param == "keras":
        return load_model(DEFAULT_MODEL, prefer_litert=False)

    class OneAtATime:
        inner = LiteRTModel(DEFAULT_MODEL.with_name("digitpad-batch1.tflite"))

        def predict(self, batch):
            return np.concatenate([self.inner.predict(image[None]) for image in batch])

    return OneAtATime()


def test_every_implementation_scores_on_mnist(implementation, mnist_test):
    x, y = mnist_test
    n = 2000 if not hasattr(implementation, "inner") else 500
    probabilities = classify_inputs(implementation, x[:n].reshape(-1, 28, 28, 1).astype(np.float32))
    assert probabilities.shape == (n, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert (probabilities.argmax(axis=1) == y[:n]).mean() >= 0.99


def test_every_implementation_answers_as_the_served_one(implementation, model, mnist_test):
    x, _ = mnist_test
    batch = x[:64].reshape(-1, 28, 28, 1).astype(np.float32)
    np.testing.assert_allclose(implementation.predict(batch), model.predict(batch), atol=1e-5)


def test_committed_model_scores_on_the_whole_mnist_test_set(model, mnist_test):
    x, y = mnist_test
    probabilities = classify_inputs(model, x.reshape(-1, 28, 28, 1).astype(np.float32))
    assert (probabilities.argmax(axis=1) == y).mean() >= 0.995


def test_keras_fallback_when_no_export(tmp_path):
    keras_only = tmp_path / "digitpad.keras"
    keras_only.write_bytes(DEFAULT_MODEL.read_bytes())
    assert type(load_model(keras_only)).__name__ == "KerasModel"


@pytest.mark.parametrize("content", [None, b"not a model at all", b"PK\x03\x04broken zip"])
def test_missing_or_broken_model_says_how_to_fix(tmp_path, content):
    path = tmp_path / "digitpad.keras"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match="python train_model.py"):
        load_model(path, prefer_litert=False)


def test_drawn_fixture_digits_are_read(model, drawn_digits):
    right = [int(np.argmax(classify(model, draw(d)))) == d["label"] for d in drawn_digits]
    assert np.mean(right) >= 0.97


def test_blank_canvas_returns_no_prediction(model):
    with pytest.raises(NoInkError):
        classify(model, np.full((448, 448, 4), 255, np.uint8))


def test_describe_says_when_unsure():
    sure = np.eye(10)[7] * 0.9 + 0.01
    assert describe(sure) == "It's a 7 (91% sure)."
    unsure = np.zeros(10)
    unsure[[4, 9]] = [0.45, 0.4]
    assert describe(unsure) == "Not sure: 4 or 9?"


def test_report_agrees_with_an_independent_evaluation(model, mnist_test):
    import json

    metrics = json.loads((DEFAULT_MODEL.parent / "metrics.json").read_text())
    x, y = mnist_test
    guesses = model.predict(x.reshape(-1, 28, 28, 1).astype(np.float32)).argmax(axis=1)
    assert abs((guesses == y).mean() - metrics["accuracy"]) <= 2e-4
    assert metrics["accuracy"] >= 0.995  # A regression floor; the 99.6% target is the benchmark's.
    card = (DEFAULT_MODEL.parent / "README.md").read_text()
    assert f"{metrics['accuracy']:.2%}" in card
