"""digitpad: draw a digit, see what a CNN trained on MNIST reads.

    python app.py        # serves on http://127.0.0.1:7860 (GRADIO_SERVER_NAME / _PORT override)
"""

import sys
import threading

from digitpad.inference import ModelFileError
from digitpad.webui import build_demo, get_model, model_path_from_env, warm_up

MAX_FILE_SIZE = "5mb"  # A drawing's PNGs are a few kB; a phone photo a few MB.
QUEUE_SIZE = 64  # Beyond this many waiting requests, users are told the app is busy.

demo = build_demo()
demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=4)


def main() -> int:
    try:
        model = get_model(model_path_from_env())  # Loaded once, before serving anyone.
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # The first prediction imports a little more (SciPy); do it while the server starts.
    threading.Thread(target=warm_up, args=(model,), daemon=True).start()
    demo.launch(max_file_size=MAX_FILE_SIZE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
