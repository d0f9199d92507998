"""The yardstick for the serving benchmarks: Gradio alone.

The same inputs and outputs as digitpad's `/predict` (a stock Sketchpad in; Label, BarPlot,
HTML and Markdown out), started the same way, but the function does no work: it returns
the blank answer at once. Whatever this costs per call is Gradio's own cost.

    python benchmarks/noop_app.py   # honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
"""

import gradio as gr

with gr.Blocks() as demo:
    # The same canvas as digitpad's pad (`digitpad.webui.CANVAS_SIZE`): both upload the same bytes.
    sketchpad = gr.Sketchpad(canvas_size=(280, 280), type="numpy", image_mode="RGBA", format="png")
    outputs = [gr.Label(num_top_classes=1), gr.BarPlot(x="digit", y="probability"),
               gr.HTML(), gr.Markdown()]
    sketchpad.change(lambda value: (None, None, None, "Draw a digit."), inputs=sketchpad,
                     outputs=outputs, api_name="predict", concurrency_limit=4)
demo.queue(max_size=64, default_concurrency_limit=4)

if __name__ == "__main__":
    demo.launch(max_file_size="5mb")
