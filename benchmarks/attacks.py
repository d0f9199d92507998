"""Replay the hostile requests of issue 13 against `app.py` on loopback; print, per attack,
the time to an answer and the server's resident memory.

1. layer bomb: `/predict` with no composite and 40 layers naming one 5000×5000 transparent PNG;
2. thin bars: `/read_number` on a 5000×5000 PNG of 450 one-pixel bars and a blob (and the
   same at 4000×4000, inside the pixel cap);
3. blob index: `accept_blobs` with layer index 20,000,000, three times;
4. feedback storage: `/correct` with a 2000×2000 picture of faint noise and a bar;
5. many files in one request: 1,000 parts of 4 MB (each within Gradio's 5 MB a file) to
   `/upload` and to the editor's blob endpoint, and two such parts (8 MB), each with its
   length declared and in chunks without one, with the bytes left in the server's temporary
   folder (its uploads among them);
6. a stream of uploads: distinct 1 MB files, one a request, from 4 threads for 30 s, against
   an upload folder bounded at 64 MB (`DIGITPAD_CACHE_MB`): its size every 10 s for 2 minutes
   (an upload is kept at least 60 s, and the folder is tended every 15 s), and whether
   another visitor (from 127.0.0.2) can upload meanwhile;
7. a queue flood: one address asks for places in the queue (`/predict`, through Gradio's plain
   HTTP API) from 4 threads as fast as it can for 60 s and never reads an answer, while
   another visitor (from 127.0.0.2) draws a digit a second: how many of theirs are answered
   and how fast, and the server's memory every 15 s (each of the script's requests is a
   new session to Gradio);
then one 5000×5000 and one 4000×4000 drawing, and a normal drawing that must still be read.

    python benchmarks/attacks.py
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers import (FIXTURES, MULTIPART, big_transparent_png, sketchpad_id, draw, editor_value,  # noqa: E402
                     faint_noise_png, multipart_files, png_file, post_blob, rss_mb, start_app, stop,
                     thin_bars_png, top_digit, upload_file)

from digitpad.drawings import load_drawn_digits  # noqa: E402


def timed(name, pid, call):
    """Run `call()`, print its time, outcome and the server's RSS after it."""
    started = time.time()
    try:
        outcome = call()
    except Exception as error:  # The outcome of an attack is often an error: that is the point.
        outcome = f"error: {str(error).splitlines()[0][:110]}"
    print(f"{name:<34} {time.time() - started:6.2f} s   RSS {rss_mb(pid):6.0f} MB   {outcome}", flush=True)


def many_files(url, path, parts, size=4 * 1024 * 1024, chunked=False) -> str:
    """POST `parts` files of `size` bytes in one multipart body, streamed with its length
    declared (or in chunks, with none); the answer's status and first line, or how the
    connection ended."""
    import http.client
    from urllib.parse import urlsplit

    length, body = multipart_files(parts, size)
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)
    try:
        headers = {"Content-Type": MULTIPART}
        if not chunked:
            headers["Content-Length"] = str(length)
        connection.request("POST", path, body=body, headers=headers, encode_chunked=chunked)
        answer = connection.getresponse()
        return f"HTTP {answer.status} {answer.read().decode()[:70]!r}"
    except OSError as error:
        return f"connection closed ({type(error).__name__}) on a body of {length / 2**30:.1f} GB"
    finally:
        connection.close()


CACHE_MB = 64


def upload_stream(url, uploads, pid, threads=4, seconds=30, watch=120, size=2**20) -> None:
    """Attack 6: upload distinct files of `size` bytes, one a request, from `threads` threads
    for `seconds`; print the upload folder's size every 10 s for `watch` seconds."""
    import os
    import threading
    import urllib.error
    import urllib.request

    from helpers import _multipart

    import http.client
    from urllib.parse import urlsplit

    counts = {"sent": 0, "refused": 0}

    def other_visitor() -> int:
        body, headers = _multipart({}, "files", "other.bin", os.urandom(size))
        connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60,
                                                source_address=("127.0.0.2", 0))
        try:
            connection.request("POST", "/gradio_api/upload", body=body, headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    stop_at = time.time() + seconds

    def send():
        while time.time() < stop_at:
            body, headers = _multipart({}, "files", "p.bin", os.urandom(size))
            request = urllib.request.Request(url.rstrip("/") + "/gradio_api/upload", data=body, headers=headers)
            try:
                urllib.request.urlopen(request, timeout=60).close()
                counts["sent"] += 1
            except urllib.error.HTTPError:
                counts["refused"] += 1

    workers = [threading.Thread(target=send, daemon=True) for _ in range(threads)]
    started = time.time()
    for worker in workers:
        worker.start()
    while (elapsed := time.time() - started) < watch:
        time.sleep(10 - elapsed % 10)
        held = sum(p.stat().st_size for p in uploads.rglob("*") if p.is_file())
        print(f"6. upload stream, {time.time() - started:5.0f} s: {counts['sent']:5d} uploads "
              f"({counts['refused']} refused), upload folder {held / 2**20:7.1f} MB, another "
              f"visitor's upload HTTP {other_visitor()}   RSS {rss_mb(pid):6.0f} MB", flush=True)


def queue_flood(url, pid, value, threads=4, seconds=60) -> None:
    """Attack 7: join the queue for `/predict` with `value` from `threads` threads for
    `seconds`, never reading an answer; meanwhile another address calls `/predict` once a
    second. Prints what the other visitor got and the server's memory every 15 s."""
    import threading

    from helpers import call_raw, join_queue

    counts = {"queued": 0, "refused": 0}
    stop_at = time.time() + seconds

    def join():
        while time.time() < stop_at:
            counts["queued" if join_queue(url, "predict", [value])[0] == 200 else "refused"] += 1

    workers = [threading.Thread(target=join, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    answered, refused, started, report = [], [], time.time(), 15

    def status():
        print(f"7. queue flood, {time.time() - started:4.0f} s: {counts['queued']:5d} queued "
              f"({counts['refused']} refused); the other visitor {len(answered)} answered, "
              f"{len(refused)} refused   RSS {rss_mb(pid):6.0f} MB", flush=True)

    while time.time() < stop_at:
        began = time.time()
        event, outcome = call_raw(url, "predict", [value], source="127.0.0.2")
        (answered if event == "complete" else refused).append(time.time() - began)
        if time.time() - started >= report:
            status()
            report += 15
        time.sleep(max(0.0, 1 - (time.time() - began)))
    for worker in workers:
        worker.join()
    status()
    if answered:
        print(f"7. the other visitor's answers: median {np.median(answered):.2f} s, slowest "
              f"{max(answered):.2f} s", flush=True)


def main() -> int:
    from gradio_client import Client, handle_file

    folder = Path(tempfile.mkdtemp(prefix="digitpad-attacks-"))
    uploads = folder / "tmp" / "gradio"  # The server's upload folder (its TMPDIR is ours).
    uploads.parent.mkdir()
    process, url = start_app({"DIGITPAD_FEEDBACK_DIR": str(folder / "feedback"),
                              "TMPDIR": str(uploads.parent), "DIGITPAD_CACHE_MB": str(CACHE_MB)})
    try:
        client = Client(url, verbose=False)
        record = next(d for d in load_drawn_digits(FIXTURES / "drawn-digits.jsonl.gz") if d["label"] == 6)
        normal = editor_value(png_file(folder, draw(record)["composite"], "six.png"))
        client.predict(normal, api_name="/predict")
        start = rss_mb(process.pid)
        print(f"{'after start and one drawing':<34} {'':>8}   RSS {start:6.0f} MB")

        bomb = big_transparent_png(folder / "transparent.png")
        layers = {"background": None, "layers": [handle_file(bomb)] * 40, "composite": None}
        timed("1. layer bomb (40 × 5000²)", process.pid,
              lambda: client.predict(layers, api_name="/predict")[3])
        bars = thin_bars_png(folder / "bars.png")
        timed("2. thin bars 5000² (/read_number)", process.pid,
              lambda: client.predict(editor_value(bars), api_name="/read_number")[3])
        bars_small = thin_bars_png(folder / "bars4000.png", side=4000)
        timed("2b. thin bars 4000² (/read_number)", process.pid,
              lambda: client.predict(editor_value(bars_small), api_name="/read_number")[3])
        tiny = png_file(folder, np.zeros((4, 4, 4), np.uint8), "tiny.png")
        sketchpad = sketchpad_id(url)
        for attempt in range(3):
            timed(f"3. blob index 20,000,000 (#{attempt + 1})", process.pid,
                  lambda: f"HTTP {post_blob(url, sketchpad, 20_000_000, Path(tiny).read_bytes())}")
        noise = faint_noise_png(folder / "noise.png")
        noisy = editor_value(noise)

        def correct_noise():
            client.predict(noisy, api_name="/predict")
            note = client.predict(noisy, "3", api_name="/correct")[1]
            stored = sum(p.stat().st_size for p in (folder / "feedback").rglob("*") if p.is_file())
            return f"{note} (stored {stored / 1024:.0f} kB)"

        timed("4. feedback noise 2000²", process.pid, correct_noise)

        def stored() -> str:
            files = [p for p in uploads.parent.rglob("*") if p.is_file()]  # Uploads and all else.
            return f"; temporary files {sum(p.stat().st_size for p in files) / 2**20:.1f} MB"

        for path in ("/gradio_api/upload", "/gradio_api/component_server"):
            for parts, chunks in ((1000, False), (2, False), (1000, True), (2, True)):
                timed(f"5. {parts} × 4 MB to {path.rsplit('/', 1)[1]}{' in chunks' if chunks else ''}",
                      process.pid, lambda: many_files(url, path, parts, chunked=chunks) + stored())
        upload_stream(url, uploads, process.pid)
        six = upload_file(url, png_file(folder, draw(record)["composite"], "six.png"))
        queue_flood(url, process.pid, {"background": None, "layers": [], "composite": six})
        big = png_file(folder, np.full((5000, 5000, 4), 255, np.uint8), "big.png")
        timed("one 5000×5000 drawing", process.pid,
              lambda: client.predict(editor_value(big), api_name="/predict")[3])
        canvas = np.full((4000, 4000, 4), 255, np.uint8)
        canvas[1000:3000, 1900:2100, :3] = 0
        big4000 = png_file(folder, canvas, "big4000.png")
        timed("one 4000×4000 drawing (a 1)", process.pid,
              lambda: client.predict(editor_value(big4000), api_name="/predict")[3])
        timed("a normal drawing of a 6", process.pid,
              lambda: f"read as {top_digit(client.predict(normal, api_name='/predict'))}")
        print(f"\nRSS growth over all of it: {rss_mb(process.pid) - start:+.0f} MB")
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
