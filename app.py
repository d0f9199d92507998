"""digitpad: draw a digit, see what a CNN trained on MNIST and real pen drawings reads.

    python app.py        # serves on http://127.0.0.1:7860 (GRADIO_SERVER_NAME / _PORT override)
"""

import os
import sys
import threading

from gradio.utils import get_upload_folder

from digitpad.answers import warm_up
from digitpad.inference import ModelFileError, get_model, model_path_from_env
from digitpad.feedback import max_bytes, max_entries
from digitpad.limits import (ADDRESS_QUEUE, CACHE_BYTES, TEND_EVERY, env_number, tend_on_schedule,
                             trusted_proxies)
from digitpad.memory import keep_heap_small
from digitpad.webui import DELETE_CACHE, build_demo, files_to_keep, launch_options

try:
    # Beyond this many waiting requests, users are told the app is busy ($DIGITPAD_QUEUE_SIZE).
    QUEUE_SIZE = env_number("DIGITPAD_QUEUE_SIZE", 64, least=1)
    # Uploads are kept in at most this much disk; beyond it the oldest go ($DIGITPAD_CACHE_MB).
    CACHE_MB = env_number("DIGITPAD_CACHE_MB", CACHE_BYTES / 2**20, float)
    # Requests one address may have waiting in the queue ($DIGITPAD_QUEUE_PER_ADDRESS).
    QUEUE_PER_ADDRESS = env_number("DIGITPAD_QUEUE_PER_ADDRESS", ADDRESS_QUEUE, least=1)
    max_entries(), max_bytes()  # Read when a correction comes; checked now.
except ValueError as error:
    sys.exit(f"error: {error}")

demo = build_demo()
# Every event goes through the queue and its bounds: Gradio's `run/<name>` routes, open by
# default off Hugging Face Spaces, would run a function at once, as many at a time as asked.
demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=4, api_open=False)


def main() -> int:
    try:
        model = get_model(model_path_from_env())  # Loaded once, before serving anyone.
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    keep_heap_small()  # Large pictures hand their memory back instead of growing the server.
    # The first prediction imports a little more (SciPy); do it while the server starts.
    threading.Thread(target=warm_up, args=(model,), daemon=True).start()
    # Parts of uploads that Gradio never claims leave with the cache's schedule; beyond its
    # bounds, the oldest uploads go before that.
    tend_on_schedule(get_upload_folder(), TEND_EVERY, DELETE_CACHE[1], keep=files_to_keep(demo),
                     max_bytes=int(CACHE_MB * 2**20))
    # On Hugging Face Spaces, visitors are known by the address its proxies forward (the
    # server reads this as it starts): the bounds for each address are then each visitor's.
    if (proxies := trusted_proxies(os.environ)) is not None:
        os.environ["FORWARDED_ALLOW_IPS"] = proxies
    demo.launch(**launch_options(demo, QUEUE_PER_ADDRESS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
