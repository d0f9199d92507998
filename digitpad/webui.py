"""The Gradio interface. `app.py` only calls `build_demo()` and launches it.

- Digit tab: a sketchpad (or an uploaded photo) in; the digit, its ten probabilities and the
  model's 28×28 view out (`/predict`, `/predict_upload`); a one-click correction (`/correct`).
- Number tab: a wide sketchpad in; the number, its boxed digits and their inputs out
  (`/read_number`).

Every output is computed by a plain function of the input value (`predict_outputs`,
`number_outputs`, `correction_outputs`), so tests exercise exactly what the browser and the
API get.
"""

import base64
import functools
import io
import os
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from digitpad.classify import UNSURE_BELOW, classify_inputs, describe
from digitpad.feedback import FeedbackFullError, feedback_root, save_correction
from digitpad.inference import DEFAULT_MODEL, load_model
from digitpad.preprocess import NoInkError, open_image, preprocess, to_grayscale
from digitpad.segment import read_number

CANVAS_SIZE = 448
BRUSH_RADIUS = 14  # Thick enough that strokes read well; the preprocessing evens widths anyway.
PREVIEW_SIZE = 196  # The 28×28 input shown with each pixel a 7×7 block.
DIGITS = [str(d) for d in range(10)]
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
PROMPT = "Draw a digit on the canvas: the answer appears when you lift the pen."
NUMBER_PROMPT = "Write a number, digits side by side with a little space between them."
NUMBER_CANVAS = (896, 320)

# Keeps the brush selected, so that a drag always draws. Gradio's Sketchpad starts with no
# tool ("select the draw tool to start") on a fresh page and again after every clear; this
# watches for that state and clicks the Brush button, leaving any tool the user picked alone.
ACTIVATE_BRUSH_JS = """
() => {
  const ensureBrush = () => {
    for (const root of document.querySelectorAll('#sketchpad, #number-pad')) {
      if (!root.innerText.includes('select the draw tool')) continue;
      const brush = root.querySelector('button[aria-label="Brush"]');
      if (brush) brush.click();
    }
  };
  ensureBrush();
  new MutationObserver(ensureBrush).observe(document.body, {childList: true, subtree: true});
}
"""


class DigitSketchpad(gr.Sketchpad):
    """Gradio's Sketchpad, reading only what the digit needs and failing politely.

    The stock component decodes the background, every layer and the composite of each event;
    the digit needs only the composite (the flattened picture). Undecodable, truncated or
    oversized images become a `gr.Error` the user can read, not a server exception.
    """

    def get_block_name(self) -> str:
        return "imageeditor"

    def preprocess(self, payload):
        if payload is None:
            return None
        blobs = self.blob_storage.pop(payload.id, None) if payload.id is not None else None
        source = blobs if blobs is not None else payload
        try:
            if source.composite is not None:
                return {"background": None, "layers": [], "composite": _open_image(source.composite)}
            parts = [source.background, *(source.layers or [])]
            images = [_open_image(p) for p in parts if p is not None]
        except gr.Error:
            raise
        except Exception as error:  # PIL's errors for broken files are many and varied.
            raise gr.Error(f"Could not read the image ({type(error).__name__}): "
                           "send a PNG, JPEG or WebP picture.") from None
        if not images:
            return None
        return {"background": images[0], "layers": images[1:], "composite": None}


def _open_image(file) -> Image.Image:
    """Open a FileData, path or bytes as a PIL image; a user-facing error if it cannot be."""
    source = file if isinstance(file, (bytes, bytearray, memoryview, str)) else file.path
    try:
        return open_image(source)
    except ValueError as error:
        raise gr.Error(str(error)) from None


@functools.cache
def get_model(path: str = str(DEFAULT_MODEL)):
    """The model, loaded once per process on first use (or at start-up by `app.py`)."""
    return load_model(path)


def model_path_from_env() -> str:
    """The model file to serve: `$DIGITPAD_MODEL`, or the committed one."""
    return os.environ.get("DIGITPAD_MODEL", str(DEFAULT_MODEL))


def warm_up(model) -> None:
    """One prediction on a drawn stroke, so the first user does not pay for lazy imports."""
    canvas = np.full((64, 64, 4), 255, dtype=np.uint8)
    canvas[12:52, 30:34, :3] = 0
    predict_outputs({"background": None, "layers": [], "composite": canvas}, model)


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
    return (f'<img alt="the 28×28 input the model sees" src="data:image/png;base64,{data}" '
            f'width="{size}" height="{size}" style="image-rendering: pixelated;">')


def blank_outputs(message: str = PROMPT):
    """What the outputs show when there is nothing to read: no digit, no bars, no preview."""
    return None, None, None, message


def predict_outputs(value, model=None):
    """A sketchpad value → (label dict, bar-chart frame, preview, message).

    Nothing drawn → no guess and a prompt; an unreadable image → `gr.Error`.
    """
    try:
        model_input = preprocess(value)
    except NoInkError:
        return blank_outputs()
    except ValueError as error:
        raise gr.Error(str(error)) from None
    model = model or get_model()
    probabilities = classify_inputs(model, model_input[None])[0]
    label = {digit: float(p) for digit, p in zip(DIGITS, probabilities)}
    return label, probability_frame(probabilities), preview_html(model_input), describe(probabilities)


def example_paths() -> list[str]:
    """The example drawings shipped with the package, in digit order."""
    return sorted(str(p) for p in EXAMPLES_DIR.glob("*.png"))


def number_outputs(value, model=None):
    """A wide sketchpad value → (number string, annotated drawing, inputs strip, message).

    The number comes first, as `/read_number` promises; nothing drawn → "" and a prompt.
    """
    try:
        number = read_number(model or get_model(), value)
    except NoInkError:
        return "", None, None, NUMBER_PROMPT
    except ValueError as error:
        raise gr.Error(str(error)) from None
    picture = number.picture.astype(np.uint8)
    boxes = [((d.box[2], d.box[0], d.box[3], d.box[1]), f"{d.value} ({d.confidence:.0%})")
             for d in number.digits]
    strip = "".join(preview_html(d.model_input, size=84) for d in number.digits)
    unsure = [str(i + 1) for i, d in enumerate(number.digits) if d.confidence < UNSURE_BELOW]
    message = f"It reads **{number.text}**."
    if unsure:
        message += f" Not sure about digit {', '.join(unsure)}."
    return number.text, (picture, boxes), f'<div style="display:flex;gap:6px">{strip}</div>', message


def correction_outputs(value, digit, model=None):
    """Store a correction of the current drawing; returns (radio reset, thank-you note).

    The 28×28 input and the prediction are computed again from the drawing (both are
    deterministic), so what is stored is exactly what the model saw and said.
    """
    if digit in (None, ""):
        raise gr.Error("Click the digit you meant.")
    try:
        model_input = preprocess(value)
    except NoInkError:
        raise gr.Error("Draw a digit first, then say which one it was.") from None
    except ValueError as error:
        raise gr.Error(str(error)) from None
    model = model or get_model()
    predicted = int(np.argmax(classify_inputs(model, model_input[None])[0]))
    drawing = Image.fromarray(to_grayscale(value).astype(np.uint8))
    try:
        save_correction(feedback_root(), drawing, model_input, predicted, int(digit))
    except FeedbackFullError as error:
        raise gr.Error(str(error)) from None
    return None, f"Thank you! Kept as a {int(digit)} (the model said {predicted})."


def drawing_pad(elem_id: str, label: str, size: tuple) -> DigitSketchpad:
    """A sketchpad with digitpad's brush: black, fixed colour, one layer, PNG uploads."""
    return DigitSketchpad(
        elem_id=elem_id, label=label, canvas_size=size, type="numpy", image_mode="RGBA",
        brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=BRUSH_RADIUS),
        layers=False, format="png",
    )


def build_demo(model_path=None) -> gr.Blocks:
    """The whole app as a `gr.Blocks`; `model_path` overrides the committed model (tests)."""
    model_path = str(model_path or model_path_from_env())

    def predict(value):
        return predict_outputs(value, get_model(model_path))

    def predict_file(path):
        return predict_outputs(_open_image(path), get_model(model_path))

    def save_feedback(value, digit):
        return correction_outputs(value, digit, get_model(model_path))

    def read(value):
        return number_outputs(value, get_model(model_path))

    with gr.Blocks(title="digitpad: draw a digit") as demo:
        gr.Markdown("# digitpad\nDraw a digit from 0 to 9, or a whole number. A CNN trained on "
                    "MNIST reads it as you draw.")
        with gr.Tab("Digit", elem_id="digit-tab"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    sketchpad = drawing_pad("sketchpad", "Draw here", (CANVAS_SIZE, CANVAS_SIZE))
                    with gr.Row():
                        clear = gr.Button("Clear", elem_id="clear", variant="secondary")
                        upload = gr.UploadButton("Upload a photo of a digit", elem_id="upload",
                                                 file_types=["image"], variant="secondary")
                with gr.Column(scale=2, min_width=260):
                    message = gr.Markdown(PROMPT, elem_id="message", label="Verdict")
                    label = gr.Label(label="Prediction", num_top_classes=1, elem_id="prediction")
                    bars = gr.BarPlot(
                        x="digit", y="probability", y_lim=[0, 1], sort=DIGITS,
                        label="Probability of each digit", elem_id="probabilities", height=220,
                    )
                    preview = gr.HTML(label="What the model sees (28×28)", elem_id="preview",
                                      show_label=True, container=True)
                    correct = gr.Radio(DIGITS, value=None, elem_id="correct",
                                       label="Wrong? Click the digit you meant (the drawing is "
                                             "kept to improve the model)")
                    feedback_note = gr.Markdown(elem_id="feedback-note")
            outputs = [label, bars, preview, message]
            examples = example_paths()
            if examples:
                gr.Examples(examples=[[path] for path in examples], inputs=[sketchpad],
                            outputs=outputs, fn=predict, run_on_click=True, cache_examples=False,
                            label="Or try one of these drawings", examples_per_page=10)
        with gr.Tab("Number", elem_id="number-tab"):
            number_pad = drawing_pad("number-pad", "Write a number, digits side by side",
                                     NUMBER_CANVAS)
            number_clear = gr.Button("Clear", elem_id="number-clear", variant="secondary")
            number_message = gr.Markdown(NUMBER_PROMPT, elem_id="number-message")
            number = gr.Textbox(label="Number", elem_id="number", interactive=False)
            number_boxes = gr.AnnotatedImage(label="Digits found", elem_id="number-boxes")
            number_inputs = gr.HTML(label="What the model sees, digit by digit",
                                    elem_id="number-inputs", show_label=True, container=True)
            number_outputs_ = [number, number_boxes, number_inputs, number_message]
        sketchpad.change(predict, inputs=sketchpad, outputs=outputs, api_name="predict",
                         concurrency_limit=4, show_progress="hidden", trigger_mode="always_last")
        upload.upload(predict_file, inputs=upload, outputs=outputs, api_name="predict_upload",
                      concurrency_limit=4, show_progress="hidden")
        correct.input(save_feedback, inputs=[sketchpad, correct], outputs=[correct, feedback_note],
                      api_name="correct", concurrency_limit=4, show_progress="hidden")
        clear.click(lambda: (None, *blank_outputs(), None, ""),
                    outputs=[sketchpad, *outputs, correct, feedback_note],
                    api_visibility="private", show_progress="hidden")
        number_pad.change(read, inputs=number_pad, outputs=number_outputs_,
                          api_name="read_number", concurrency_limit=4, show_progress="hidden",
                          trigger_mode="always_last")
        number_clear.click(lambda: (None, "", None, None, NUMBER_PROMPT),
                           outputs=[number_pad, *number_outputs_], api_visibility="private",
                           show_progress="hidden")
        demo.load(None, js=ACTIVATE_BRUSH_JS)
    return demo
