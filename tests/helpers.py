"""Helpers shared by the test modules (no test module imports another)."""

import gzip
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAPER = sorted((FIXTURES / "paper").glob("*.jpg"))  # Photos of digits on paper, named "<digit>_…".
sys.path.insert(0, str(ROOT))

from digitpad.data import IDX_NAMES  # noqa: E402
from digitpad.drawings import render_strokes, sketchpad_value  # noqa: E402


def draw(record, canvas_size=448, height=300, centre=None, radius=12) -> dict:
    """A stroke record rendered as the sketchpad's value."""
    centre = centre or (canvas_size / 2, canvas_size / 2)
    layer = render_strokes(record["strokes"], canvas_size, height, centre, radius)
    return sketchpad_value(layer)


def shadowed_page(record, depth, corner=False, desk=0, lit_corner=0, slant=0):
    """The drawing in dark ink on a page that darkens by `depth` from left to right (a deep
    shadow takes most of the page below mid-grey), with a dark wedge of table at the top
    left if `corner`, a lit grey wedge beyond the page at the bottom right (the shadow's dark
    end), `lit_corner` pixels along each side, a wedge of dark desk along the left from nothing
    at the top to `slant` pixels wide at the bottom (a page seen at a slant), and the page on
    a dark desk showing `desk` pixels around it, or `((top, bottom), (left, right))` pixels (a
    photo with grain): `(H, W) uint8`."""
    ink = draw(record)["composite"][:, :, 0].astype(np.float32) / 255  # 1 paper, 0 ink.
    height, width = ink.shape
    ramp = np.linspace(0, 1, width)[None, :]
    page = 190 * (1 - depth * ramp) * np.ones((height, 1))
    gray = page * ink + 30 * (1 - ink)
    if corner:
        ys, xs = np.indices(gray.shape)
        gray[xs + ys < 60] = 40
    if lit_corner:
        ys, xs = np.indices(gray.shape)
        gray[(width - xs) + (height - ys) < lit_corner] = 150
    if slant:
        ys, xs = np.indices(gray.shape)
        gray[xs < slant * ys / height] = 40
    if desk or slant:  # A photo of the page on the desk, with a camera's grain.
        gray = np.pad(gray, desk, constant_values=40)
        gray = gray + np.random.default_rng(0).normal(0, 4, gray.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def chalk_board(record, radius, falloff, seed):
    """The drawing in chalk `radius` px thick (of a 300-px digit on a 448-px board) on a dark
    board whose light falls off by `falloff` from left to right, with a camera's grain drawn
    from `seed`: `(H, W) uint8`."""
    chalk = 1 - draw(record, radius=radius)["composite"][:, :, 0].astype(np.float32) / 255
    light = 1 - falloff * np.linspace(0, 1, chalk.shape[1])[None, :]
    grain = np.random.default_rng(seed).normal(0, 4, chalk.shape)
    return np.clip((60 + 150 * chalk) * light + grain, 0, 255).astype(np.uint8)


def deep_shadow_photo(record, seed, pen="marker", crop=None) -> bytes:
    """The drawing written with `pen` (`digitpad.paper.PENS`: a marker, a pencil) on a page
    under a deep shadow (60–70%), photographed (and cropped to the digit with `crop` of its size
    round it, if `crop`): JPEG bytes."""
    from digitpad.paper import photo_of_strokes

    return photo_of_strokes(record["strokes"], np.random.default_rng(seed), sideways=False,
                            shadow=(0.6, 0.7), pen=pen, crop=crop)


def one_cropped_to_its_stroke(seed, pen="pen") -> bytes:
    """A 1 of one straight stroke written with `pen` under a 20–70% shadow, photographed and
    cropped to the stroke with no margin (a picture 3 to 7 times as tall as wide): JPEG bytes."""
    from digitpad.paper import photo_of_strokes

    stroke = np.array([[50.0, 0.0], [48.0, 50.0], [46.0, 100.0]])
    return photo_of_strokes([stroke], np.random.default_rng(seed), sideways=False, shadow=(0.2, 0.7),
                            pen=pen, crop=0.0)


def tight_seven(photo=False) -> np.ndarray:
    """A 7 cropped tight, its bar running from edge to edge and its stem down from the bar's
    end: a `(200, 200) float32` ink map, or with `photo` a `uint8` gray picture of it in dark
    ink on an unevenly lit page."""
    ink = np.zeros((200, 200), np.float32)
    ink[10:16] = 1.0
    for row in range(16, 190):
        col = 194 - (row - 16) // 2
        ink[row, col - 3 : col + 3] = 1.0
    if not photo:
        return ink
    rows, cols = np.indices(ink.shape)
    page = 215 - 0.25 * cols - 0.1 * rows + np.random.default_rng(0).normal(0, 2, ink.shape)
    return np.clip(page * (1 - ink) + 50 * ink, 0, 255).astype(np.uint8)


def png_file(tmp_path, image, name="drawing.png", fmt="PNG") -> str:
    """Save an array or PIL image to `tmp_path/name`; returns the path as a string."""
    path = Path(tmp_path) / name
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    image.save(path, format=fmt)
    return str(path)


def editor_value(path):
    """The sketchpad value as gradio_client sends it: files for background and composite."""
    from gradio_client import handle_file

    return {"background": handle_file(path), "layers": [], "composite": handle_file(path)}


def predict(client, value):
    return client.predict(value, api_name="/predict")


def top_digit(result):
    label = result[0]
    return None if not label or label.get("label") is None else int(label["label"])


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file (images if 3-D, labels if 1-D)."""
    magic = 0x803 if array.ndim == 3 else 0x801
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_mnist(rng, n_train=12, n_test=5):
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_idx_folder(folder, arrays, gzipped=True):
    folder.mkdir(exist_ok=True)
    for key, stem in IDX_NAMES.items():
        raw = idx_bytes(arrays[key])
        if gzipped:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / stem).write_bytes(raw)
    return folder


def run_training(*args, timeout=600, env=None):
    """`python train_model.py ARGS` in the project folder, with `env` added to the
    environment; the finished process."""
    return subprocess.run([sys.executable, "train_model.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, what: str, timeout=20, poll=0.2) -> None:
    """Wait until `condition()` holds (asking every `poll` s); an AssertionError that names
    `what` if it does not within `timeout` s."""
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(poll)


def wait_for_http(url, process=None, timeout=90, poll=0.3) -> None:
    """Wait until `url` answers 200 (asking every `poll` s); raise if `process` exits first
    or time runs out."""
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=max(poll, 1)) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(poll)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_app(extra_env=None, timeout=90):
    """Start `python app.py` on a free loopback port; return (process, url) once it serves."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", **(extra_env or {})}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, process, timeout)
    except RuntimeError:
        process.kill()
        raise
    return process, url


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# --- The hostile requests of issue 13, shared by tests/test_hardening.py and benchmarks/attacks.py.

def big_transparent_png(path, side=5000) -> str:
    """A `side`² fully transparent PNG: about 100 kB on disk, `side`² × 4 bytes decoded."""
    Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(path, optimize=True)
    return str(path)


def thin_bars_png(path, side=5000, bars=450) -> str:
    """A `side`² white PNG with `bars` one-pixel vertical bars and one blob: a few kB."""
    image = np.full((side, side), 255, np.uint8)
    step = side // (bars + 1)
    image[side // 4 : 3 * side // 4, step : step * (bars + 1) : step] = 0
    image[side // 2 - 40 : side // 2 + 40, side - 200 : side - 120] = 0
    Image.fromarray(image).save(path, optimize=True)
    return str(path)


def faint_noise_png(path, side=2000) -> str:
    """Faint grey noise with a dark bar across it: about 1.5 MB that squeezes badly."""
    image = np.random.default_rng(0).integers(200, 256, (side, side), dtype=np.uint8)
    image[side // 2 - 60 : side // 2 + 60, side // 4 : 3 * side // 4] = 0
    Image.fromarray(image).save(path)
    return str(path)


def sketchpad_id(url) -> int:
    """The id Gradio gives the Digit tab's sketchpad (the first image editor), from /config."""
    import json
    import urllib.request

    with urllib.request.urlopen(url.rstrip("/") + "/config", timeout=10) as response:
        config = json.load(response)
    return min(c["id"] for c in config["components"] if c.get("type") == "imageeditor")


def post_blob(url, component, index, png: bytes, session="attacker") -> int:
    """Send one part of a drawing to the sketchpad's `accept_blobs`, as the editor does;
    returns the HTTP status."""
    import urllib.error
    import urllib.request
    import uuid

    fields = {"component_id": str(component), "session_hash": session, "fn_name": "accept_blobs",
              "type": "layer", "index": str(index), "id": uuid.uuid4().hex}
    body, headers = _multipart(fields, "file", "blob.png", png)
    request = urllib.request.Request(url.rstrip("/") + "/gradio_api/component_server", data=body,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _multipart(fields: dict, file_field: str, file_name: str, data: bytes):
    import uuid

    boundary = uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
             f'filename="{file_name}"\r\nContent-Type: image/png\r\n\r\n').encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


MULTIPART = "multipart/form-data; boundary=b"  # The content type of `multipart_files`' bodies.


def multipart_files(parts: int, size: int, field: str = "files"):
    """A multipart body of `parts` files of `size` zero bytes each, named `field`, as
    `(length, pieces)`: its length in bytes and an iterator over it, a file at a time (so a
    body of gigabytes can be streamed)."""
    import itertools

    part = (f'--b\r\nContent-Disposition: form-data; name="{field}"; filename="p.png"\r\n\r\n'
            .encode() + bytes(size) + b"\r\n")
    end = b"--b--\r\n"
    return parts * len(part) + len(end), itertools.chain(itertools.repeat(part, parts), [end])


def upload_file(url, path) -> dict:
    """Upload a file as the browser does; returns the FileData dict that names it on the server."""
    import json
    import urllib.request

    body, headers = _multipart({}, "files", Path(path).name, Path(path).read_bytes())
    request = urllib.request.Request(url.rstrip("/") + "/gradio_api/upload", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        server_path = json.load(response)[0]
    return {"path": server_path, "meta": {"_type": "gradio.FileData"}}


class HeldJoins:
    """`count` requests for a place in the queue of the app at `url` (`/call/<api_name>`),
    each with its headers and only part of its body sent, held open until `release()`: a
    script holding its address's share of the queue with requests on their way in, which
    the app counts until their body has come (`QueueShare`). Unlike requests that wait in
    the queue, they never move on: the share stays full for as long as they are held."""

    def __init__(self, url, count, api_name="read_number"):
        from urllib.parse import urlsplit

        address = urlsplit(url)
        head = (f"POST /gradio_api/call/{api_name} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\": [").encode()
        self.connections = []
        for _ in range(count):
            connection = socket.create_connection((address.hostname, address.port), timeout=30)
            connection.sendall(head)
            self.connections.append(connection)

    def release(self) -> None:
        for connection in self.connections:
            connection.close()
        self.connections = []


def slow_number(url, folder) -> dict:
    """A number of twelve 1s on a 4000×2000 canvas (a slow-ish `/read_number`), uploaded to
    the app at `url`: the sketchpad value that names it."""
    canvas = np.full((2000, 4000), 255, np.uint8)
    for k in range(12):
        canvas[600:1400, 300 * k + 150 : 300 * k + 200] = 0
    return {"background": None, "layers": [], "composite": upload_file(url, png_file(folder, canvas, "ones.png"))}


def _connection(url, timeout=60, source=None):
    """An HTTP connection to the app at `url`, from the loopback address `source` if given."""
    import http.client
    from urllib.parse import urlsplit

    return http.client.HTTPConnection(urlsplit(url).netloc, timeout=timeout,
                                      source_address=(source, 0) if source else None)


def join_queue(url, api_name, data, timeout=60, source=None, headers=None) -> tuple[int, str]:
    """Ask for a place in the queue for `api_name` through Gradio's plain HTTP API (its
    answer is not read), from the loopback address `source` if given, with extra `headers`;
    returns the HTTP status and body (the event's id as JSON when 200)."""
    import json

    connection = _connection(url, timeout, source)
    try:
        connection.request("POST", f"/gradio_api/call/{api_name}", body=json.dumps({"data": data}).encode(),
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def call_raw(url, api_name, data, timeout=60, source=None):
    """Call an endpoint through Gradio's plain HTTP API (no client-side file handling), from
    the loopback address `source` if given; returns `("complete", outputs)` or
    `("error", message)` (an HTTP refusal's body too)."""
    import json

    status, answer = join_queue(url, api_name, data, timeout, source)
    if status != 200:  # Refused at the door, e.g. 503 for a full queue.
        return "error", answer
    connection = _connection(url, timeout, source)
    try:
        connection.request("GET", f"/gradio_api/call/{api_name}/{json.loads(answer)['event_id']}")
        event = None
        for raw in connection.getresponse():
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.split(":", 1)[1].strip()
                return event, json.loads(payload) if payload and payload != "null" else None
    finally:
        connection.close()
    return "closed", None


# --- Browser tests: Debian's Chromium, driven by Playwright.

CHROMIUM = os.environ.get("DIGITPAD_CHROMIUM", "/usr/bin/chromium")
# The Gradio app's answer, and the bars of its probability chart as Vega draws them.
LABEL = "#prediction [data-testid='label-output-value']"
BARS = "#probabilities svg .mark-rect path"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _needs_chromium():
    import pytest

    # Without a browser the tests are skipped on a developer's machine, but fail in CI
    # (CI=true), where .ci/run installs Chromium: a missing install step must not pass as a skip.
    return pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does)",
    )


needs_chromium = _needs_chromium()


def stroke_paths(record, box, fill=0.6):
    """The record's strokes as page coordinates, the digit `fill` of the box's height, centred."""
    every = np.concatenate([np.asarray(s, float).reshape(-1, 2) for s in record["strokes"]])
    low, high = every.min(axis=0), every.max(axis=0)
    scale = fill * box["height"] / max(high[1] - low[1], 1)
    middle = (low + high) / 2
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for stroke in record["strokes"]:
        points = np.asarray(stroke, float).reshape(-1, 2)
        xs = (points[:, 0] - middle[0]) * scale + centre[0]
        ys = (middle[1] - points[:, 1]) * scale + centre[1]  # Tablet y points up.
        yield list(zip(xs, ys))


def serve_folder(folder):
    """A static file server for `folder` on a free loopback port, in a thread: (server, url)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def touch_on_page(page, record, canvas="#sketchpad canvas", points_per_stroke=None, box=None) -> None:
    """Draw a record's strokes with a finger (within `box` of the canvas, if given): touch
    events through the DevTools protocol, as a phone's touchscreen sends them (the page needs
    a context with `has_touch`)."""
    session = page.context.new_cdp_session(page)
    box = box or page.locator(canvas).first.bounding_box()
    for points in stroke_paths(record, box):
        if points_per_stroke:
            points = points[:: max(1, len(points) // points_per_stroke)] + [points[-1]]
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        for kind, (x, y) in zip(kinds, points):
            session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def draw_on_page(page, record, canvas="#sketchpad canvas", box=None, points_per_stroke=None,
                 which=slice(None)):
    """Draw a record's strokes with mouse drags on the page's canvas (or within `box` of it):
    those `which` picks, where they lie in the whole drawing. With `points_per_stroke`, each
    stroke is traced through about that many of its points (every software-rendered move
    costs a heavy canvas a redraw)."""
    box = box or page.locator(canvas).first.bounding_box()
    for points in list(stroke_paths(record, box))[which]:
        if points_per_stroke:
            points = points[:: max(1, len(points) // points_per_stroke)] + [points[-1]]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()
