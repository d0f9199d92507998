"""What the app shows for each input: plain functions of the input value, so that tests
exercise exactly what the browser and the API get. `webui.py` wires them to components.

- `predict_outputs(value, model)` → (label dict, bar-chart frame, preview HTML, verdict)
- `number_outputs(value, model)` → (number, annotated picture, inputs strip HTML, verdict)
- `correction_outputs(value, digit, model, gate, session)` → (radio reset, thank-you note)

Every request's work is bounded before it is done (`digitpad.reading`), and memory a large
picture took is handed back afterwards (`digitpad.memory`).
"""

import base64
import contextlib
import io

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from digitpad.classify import classify_inputs, describe, describe_number
from digitpad.feedback import FeedbackFullError, feedback_root, save_correction
from digitpad.memory import release_memory
from digitpad.preprocess import NoInkError, preprocess
from digitpad.reading import took_large_decode, to_grayscale
from digitpad.segment import read_number

PREVIEW_SIZE = 196  # The 28×28 input shown with each pixel a 7×7 block.
NUMBER_PICTURE_SIDE = 896  # The boxed picture of a number is shown at most this wide.
DIGITS = [str(d) for d in range(10)]
PROMPT = "Draw a digit on the canvas: the answer appears when you lift the pen."
NUMBER_PROMPT = "Write a number, digits side by side with a little space between them."


@contextlib.contextmanager
def user_errors():
    """Turn the library's `ValueError`s into a `gr.Error` the visitor reads, and hand memory
    back to the system after a request that decoded a large picture."""
    try:
        yield
    except gr.Error:
        raise
    except ValueError as error:
        raise gr.Error(str(error)) from None
    finally:
        if took_large_decode():
            release_memory()


def probability_frame(probabilities) -> pd.DataFrame:
    """`(10,)` probabilities → the bar chart's table, digits 0–9 in order."""
    return pd.DataFrame({"digit": DIGITS, "probability": [float(p) for p in probabilities]})


def preview_html(model_input: np.ndarray, size: int = PREVIEW_SIZE) -> str:
    """The `(28, 28, 1)` input as an `<img>` whose pixels show as blocks (nearest-neighbour).

    The 28×28 PNG travels inline (a data URI of about half a kilobyte), so showing it costs
    neither a file in Gradio's cache nor a second request from the browser or API client.
    """
    pixels = np.clip(model_input[:, :, 0], 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<img class="model-input" alt="the 28×28 input the model sees" '
            f'src="data:image/png;base64,{data}" width="{size}" height="{size}">')


def photo_preview_html(picture, model_input: np.ndarray, size: int = PREVIEW_SIZE) -> str:
    """An uploaded photo (upright, as it was read) shrunk to `size` px, beside its 28×28 input:
    the visitor sees which picture was read and what the model made of it."""
    shrunk = picture.convert("RGBA")
    shrunk.thumbnail((size, size))
    thumbnail = Image.new("RGB", shrunk.size, "white")  # Transparent parts shown as a viewer shows them.
    thumbnail.paste(shrunk, mask=shrunk)
    buffer = io.BytesIO()
    thumbnail.save(buffer, format="JPEG", quality=80)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<div class="digit-strip"><img class="photo-read" alt="the photo read" '
            f'src="data:image/jpeg;base64,{data}" width="{thumbnail.width}" height="{thumbnail.height}">'
            f"{preview_html(model_input, size)}</div>")


def blank_outputs(message: str = PROMPT):
    """What the outputs show when there is nothing to read: no digit, no bars, no preview."""
    return None, None, None, message


def predict_outputs(value, model, blank: str = PROMPT, photo: bool = False):
    """A sketchpad value (or a picture) → (label dict, bar-chart frame, preview, message).

    Nothing drawn → no guess and the `blank` message (a prompt to draw; an uploaded photo's is
    another); an unreadable image → `gr.Error`. With `photo`, `value` is an uploaded PIL
    picture, and the preview shows it beside its 28×28 input.
    """
    with user_errors():
        try:
            model_input = preprocess(value)
        except NoInkError:
            return blank_outputs(blank)
        probabilities = classify_inputs(model, model_input[None])[0]
    label = {digit: float(p) for digit, p in zip(DIGITS, probabilities)}
    preview = photo_preview_html(value, model_input) if photo else preview_html(model_input)
    return label, probability_frame(probabilities), preview, describe(probabilities)


def number_outputs(value, model):
    """A wide sketchpad value → (number string, annotated drawing, inputs strip, message).

    The number comes first, as `/read_number` promises; nothing drawn → "" and a prompt.
    The annotated picture is the shrunk one the digits were found in, at most
    `NUMBER_PICTURE_SIDE` wide, so its boxes cost little to draw.
    """
    with user_errors():
        try:
            number = read_number(model, value)
        except NoInkError:
            return "", None, None, NUMBER_PROMPT
    picture = Image.fromarray(number.picture.astype(np.uint8))
    shrink = max(1.0, picture.width / NUMBER_PICTURE_SIDE)
    if shrink > 1:
        picture = picture.resize((round(picture.width / shrink), round(picture.height / shrink)))
    per_pixel = number.scale * shrink  # Original picture pixels per shown pixel.
    boxes = [(tuple(int(v / per_pixel) for v in (d.box[2], d.box[0], d.box[3], d.box[1])),
              f"{d.value} ({d.confidence:.0%})") for d in number.digits]
    strip = "".join(preview_html(d.model_input, size=84) for d in number.digits)
    return (number.text, (np.asarray(picture), boxes), f'<div class="digit-strip">{strip}</div>',
            describe_number(number))


def correction_outputs(value, digit, model, gate=None, session=None):
    """Store a correction of the current drawing; returns (radio reset, thank-you note).

    The 28×28 input and the prediction are computed again from the drawing (both are
    deterministic), so what is stored is exactly what the model saw and said. With a `gate`,
    the `session` must have been shown a prediction and not have used up its corrections.
    """
    if digit in (None, ""):
        raise gr.Error("Click the digit you meant.")
    with user_errors():
        try:
            model_input = preprocess(value)
        except NoInkError:
            raise gr.Error("Draw a digit first, then say which one it was.") from None
        if gate is not None:
            gate.admit(session)
        predicted = int(np.argmax(classify_inputs(model, model_input[None])[0]))
        drawing = Image.fromarray(to_grayscale(value, max_side=1024).astype(np.uint8))
        try:
            save_correction(feedback_root(), drawing, model_input, predicted, int(digit))
        except FeedbackFullError as error:
            raise gr.Error(str(error)) from None
    return None, f"Thank you! Kept as a {int(digit)} (the model said {predicted})."


def warm_up(model) -> None:
    """One prediction on a drawn stroke, so the first user does not pay for lazy imports."""
    canvas = np.full((64, 64, 4), 255, dtype=np.uint8)
    canvas[12:52, 30:34, :3] = 0
    predict_outputs({"background": None, "layers": [], "composite": canvas}, model)
