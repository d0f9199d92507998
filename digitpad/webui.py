"""The Gradio interface: layout and wiring. `app.py` calls `build_demo()` and launches it
with `launch_options()`.

- Digit tab: a sketchpad (or an uploaded photo) in; the digit, its ten probabilities and the
  model's 28×28 view out (`/predict`, `/predict_upload`); a one-click correction (`/correct`).
- Number tab: a wide sketchpad in; the number, its boxed digits and their inputs out
  (`/read_number`).

What each output shows is computed in `digitpad.answers`; the components that bound each
request's work are in `digitpad.component`.
"""

from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from digitpad.answers import (DIGITS, NUMBER_PROMPT, PROMPT, blank_outputs, correction_outputs,
                              number_outputs, predict_outputs, user_errors)
from digitpad.clearing import ClearedPads
from digitpad.component import DigitSketchpad, DigitUploadButton
from digitpad.feedback import CorrectionGate
from digitpad.inference import get_model, model_path_from_env
from digitpad.limits import (ADDRESS_QUEUE, MAX_REQUEST_BYTES, BodyLimit, ByteBudget, QueueShare,
                             forget_unreachable, waiting_from)
from digitpad.reading import NO_DIGIT_IN_PHOTO, open_image

# The pad shows at about 290 px on a desktop and 260 on a phone, so 280 px draws at about one
# canvas pixel a screen pixel; 448 was shrunk on screen and uploaded 2.6 times the pixels with
# every stroke (the answer came 190 ms later, `benchmarks/app_page.py`).
CANVAS_SIZE = 280
BRUSH_RADIUS = 9  # Thick enough that strokes read well (as 14 on 448); the preprocessing evens widths anyway.
NUMBER_CANVAS = (896, 320)
HERE = Path(__file__).resolve().parent
EXAMPLES_DIR = HERE / "examples"
ACTIVATE_BRUSH_JS = (HERE / "static" / "activate_brush.js").read_text()
WATCH_STROKES_JS = (HERE / "static" / "watch_strokes.js").read_text()
CLEAR_PAD_JS = (HERE / "static" / "clear_pad.js").read_text()
DELETE_CACHE = (300, 900)  # Every 5 minutes, uploads older than 15 minutes leave the cache.
# Sessions whose state Gradio keeps (least recently used first out; its default is 10,000).
# Each costs about 70 kB, and every request of its plain HTTP API is a new session: a script
# could make the server hold 700 MB. The app keeps nothing in them that it needs later (no
# `gr.State`; a correction's gate is its own), so a session that drops out loses nothing.
SESSIONS = 500


def launch_options(demo: gr.Blocks, queue_share: int = ADDRESS_QUEUE) -> dict:
    """`demo.launch`'s settings, fresh each time (Gradio adds to the `app_kwargs` it is given):
    the stylesheet, 5 MB a file, at most `MAX_REQUEST_BYTES` a request, a budget for each
    address, no request while the upload folder's disk is short of space, and at most
    `queue_share` requests of one address waiting in `demo`'s queue (`digitpad.limits`;
    call `demo.queue` first)."""
    share = Middleware(QueueShare, waiting=lambda address: waiting_from(demo._queue, address),
                       share=queue_share, tidy=lambda: forget_unreachable(demo._queue))
    limit = Middleware(BodyLimit, limit=MAX_REQUEST_BYTES, folder=get_upload_folder(),
                       budget=ByteBudget())
    return {"css_paths": [HERE / "static" / "app.css"], "max_file_size": "5mb",
            "app_kwargs": {"middleware": [share, limit]}, "state_session_capacity": SESSIONS}


def files_to_keep(demo: gr.Blocks) -> set[str]:
    """The cached files the app itself needs for as long as it runs (its examples): those
    Gradio's own cleaning spares too (`keep_in_cache`)."""
    return {path for block in demo.blocks.values() for path in getattr(block, "keep_in_cache", ())}


def drawing_pad(elem_id: str, label: str, size: tuple) -> DigitSketchpad:
    """A sketchpad with digitpad's brush: black, fixed colour, one layer, PNG uploads."""
    return DigitSketchpad(
        elem_id=elem_id, label=label, canvas_size=size, type="numpy", image_mode="RGBA",
        brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=BRUSH_RADIUS),
        layers=False, format="png",
    )


def clear_pad_js(elem_id: str) -> str:
    """Browser code for a Clear button: click the pad's own "Clear canvas" tool, once the last
    stroke has left (`static/clear_pad.js`). A pad sent `None` from the server empties only
    the first time: Gradio 6.31's image editor keeps the last value it was sent, not what was
    drawn since, and ignores a value equal to it (as in gradio-app/gradio#9978), so a second
    Clear left the earlier drawing to be read with the next one. The tool's own clear fires
    the pad's `change` with no drawing."""
    return CLEAR_PAD_JS.replace("PAD_ID", elem_id)


def unchanged(count: int) -> tuple:
    """An event's answer that leaves its `count` outputs as they are."""
    return tuple(gr.skip() for _ in range(count))


def example_paths() -> list[str]:
    """The example drawings shipped with the package, in digit order."""
    return sorted(str(p) for p in EXAMPLES_DIR.glob("*.png"))


def build_demo(model_path=None) -> gr.Blocks:
    """The whole app as a `gr.Blocks`; `model_path` overrides the served model (tests)."""
    model_path = str(model_path or model_path_from_env())
    gate = CorrectionGate()  # A correction must follow a prediction in the same session.
    pads = ClearedPads()  # A drawing sent again after its pad was cleared is not read.

    def answer(value, session):
        outputs = predict_outputs(value, get_model(model_path))
        gate.saw_prediction(session)
        return outputs

    def predict(value, request: gr.Request):
        if pads.is_late_copy((request.session_hash, "digit"), value):
            return unchanged(len(outputs))
        return answer(value, request.session_hash)

    def predict_example(value, request: gr.Request):
        # Read even if it is the drawing just cleared: the visitor chose it again.
        pads.read((request.session_hash, "digit"), value)
        return answer(value, request.session_hash)

    def predict_file(path, request: gr.Request):
        with user_errors():
            picture = open_image(path)
        outputs = predict_outputs(picture, get_model(model_path), NO_DIGIT_IN_PHOTO, photo=True)
        gate.saw_prediction(request.session_hash, photo=True)
        return outputs

    def save_feedback(value, digit, request: gr.Request):
        return correction_outputs(value, digit, get_model(model_path), gate, request.session_hash)

    def read(value, request: gr.Request):
        if pads.is_late_copy((request.session_hash, "number"), value):
            return unchanged(len(number_outputs_))
        return number_outputs(value, get_model(model_path))

    def clear_digit(request: gr.Request):
        pads.cleared((request.session_hash, "digit"))
        return (*blank_outputs(), None, "")

    def clear_number(request: gr.Request):
        pads.cleared((request.session_hash, "number"))
        return "", None, None, NUMBER_PROMPT

    with gr.Blocks(title="digitpad: draw a digit", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# digitpad\nDraw a digit from 0 to 9 (or upload a photo of one), or a whole "
                    "number. A CNN trained on MNIST and real pen drawings reads it as you draw.",
                    elem_id="title")
        with gr.Tab("Digit", elem_id="digit-tab"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    sketchpad = drawing_pad("sketchpad", "Draw here", (CANVAS_SIZE, CANVAS_SIZE))
                    # Side by side on a phone too (Gradio's 160 px minimum stacks them there), so that
                    # the answer below them is in view while a finger draws.
                    with gr.Row():
                        clear = gr.Button("Clear", elem_id="clear", variant="secondary", min_width=100, size="md")
                        upload = DigitUploadButton("Upload a photo", elem_id="upload", min_width=100, size="md",
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
                            outputs=outputs, fn=predict_example, run_on_click=True, cache_examples=False,
                            label="Or try one of these drawings", examples_per_page=10)
        with gr.Tab("Number", elem_id="number-tab"):
            # A short label: on a phone, the zoom tools cover a longer one.
            number_pad = drawing_pad("number-pad", "Write a number", NUMBER_CANVAS)
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
        clear.click(clear_digit, outputs=[*outputs, correct, feedback_note],
                    js=clear_pad_js("sketchpad"), api_visibility="private", show_progress="hidden")
        number_pad.change(read, inputs=number_pad, outputs=number_outputs_,
                          api_name="read_number", concurrency_limit=4, show_progress="hidden",
                          trigger_mode="always_last")
        number_clear.click(clear_number, outputs=number_outputs_,
                           js=clear_pad_js("number-pad"), api_visibility="private",
                           show_progress="hidden")
        demo.load(None, js=ACTIVATE_BRUSH_JS)
        demo.load(None, js=WATCH_STROKES_JS)
    return demo
