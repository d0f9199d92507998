"""One path from a picture to probabilities, shared by the app, the API, the CLI, the tests
and the benchmarks, so that what is measured is what users get.

    probabilities = classify(model, sketchpad_value)   # (10,) float32, sums to 1
"""

import numpy as np

from digitpad.preprocess import preprocess

UNSURE_BELOW = 0.6  # A top probability under this is reported as a guess, not an answer.


def classify(model, image) -> np.ndarray:
    """Any image (a path, PIL image or array) or sketchpad value → `(10,)` probabilities.
    Raises `ValueError` (or its `NoInkError`) when there is no digit to read."""
    return classify_inputs(model, preprocess(image)[None])[0]


def classify_inputs(model, inputs: np.ndarray) -> np.ndarray:
    """Already preprocessed `(N, 28, 28, 1)` inputs → `(N, 10)` probabilities, in one call."""
    if len(inputs) == 0:
        return np.zeros((0, 10), dtype=np.float32)
    return model.predict(np.asarray(inputs, dtype=np.float32))


def describe_number(number) -> str:
    """A one-line verdict for a `segment.Number`: "It reads **2024**." plus the unsure digits."""
    unsure = [str(i + 1) for i, d in enumerate(number.digits) if d.confidence < UNSURE_BELOW]
    message = f"It reads **{number.text}**."
    if unsure:
        message += f" Not sure about digit {', '.join(unsure)}."
    return message


def describe(probabilities) -> str:
    """A one-line verdict: "It's a 7 (98%)" or, when unsure, "Not sure: 4 or 9?"."""
    order = np.argsort(probabilities)[::-1]
    best, second = int(order[0]), int(order[1])
    if probabilities[best] < UNSURE_BELOW:
        return f"Not sure: {best} or {second}?"
    return f"It's a {best} ({probabilities[best]:.0%} sure)."
