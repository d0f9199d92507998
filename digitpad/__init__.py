"""digitpad: read hand-drawn digits the way people really draw them.

The few names a user of the library needs:

    from digitpad import load_model, preprocess, classify, read_number

    model = load_model()                          # the committed LiteRT model, loaded once
    probabilities = classify(model, "seven.png")  # (10,) float32; any picture or sketchpad value
    model_input = preprocess(picture)             # (28, 28, 1) float32, MNIST's recipe
    read_number(model, picture).text              # "2024"

Importing the package loads NumPy and Pillow, nothing heavier: SciPy, LiteRT and TensorFlow
come in when they are first used.
"""

from digitpad.classify import classify
from digitpad.inference import load_model
from digitpad.preprocess import preprocess
from digitpad.segment import read_number

__all__ = ["classify", "load_model", "preprocess", "read_number"]
