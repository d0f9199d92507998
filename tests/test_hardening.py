"""A hostile audience: small requests that would make the server do unbounded work are
refused or bounded, get a sentence a visitor understands, and the server keeps serving."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.component import MAX_BLOB_ENTRIES, DigitSketchpad
from helpers import (MULTIPART, big_transparent_png, call_raw, upload_file, draw, editor_value, faint_noise_png,
                     free_port, multipart_files, png_file, post_blob, predict, join_queue, sketchpad_id, slow_number, start_app,
                     stop, thin_bars_png, top_digit, wait_for_http, wait_until)


@pytest.fixture(scope="module")
def six(drawn_digits, tmp_path_factory):
    """A drawn 6 as the sketchpad's value, for checking that the server still reads."""
    record = next(d for d in drawn_digits if d["label"] == 6)
    return editor_value(png_file(tmp_path_factory.mktemp("six"), draw(record)["composite"]))


@pytest.fixture(scope="module")
def six_png(six):
    from pathlib import Path

    return Path(six["composite"]["path"]).read_bytes()


def test_layer_bomb_is_refused_from_the_headers(client, six, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    bomb = big_transparent_png(tmp_path / "bomb.png")
    with pytest.raises(AppError, match="megapixels"):
        predict(client, {"background": None, "layers": [handle_file(bomb)] * 40, "composite": None})
    assert top_digit(predict(client, six)) == 6


def test_only_one_layer_of_many_is_read(client, drawn_digits, tmp_path):
    from gradio_client import handle_file

    record = next(d for d in drawn_digits if d["label"] == 2)
    ink = png_file(tmp_path, draw(record)["layers"][0], "ink.png")
    # Forty layers of a heavy mark over the first: if they were all read, the 2 would drown.
    heavy = np.zeros((448, 448, 4), np.uint8)
    heavy[100:350, 100:350, 3] = 255
    other = png_file(tmp_path, heavy, "heavy.png")
    value = {"background": None, "layers": [handle_file(ink)] + [handle_file(other)] * 40,
             "composite": None}
    assert top_digit(predict(client, value)) == 2


def test_sketchpad_component_decodes_at_most_one_layer(drawn_digits, tmp_path):
    from gradio.components.image_editor import EditorData
    from gradio.data_classes import FileData

    record = next(d for d in drawn_digits if d["label"] == 5)
    ink = png_file(tmp_path, draw(record)["layers"][0], "ink.png")
    payload = EditorData(background=None, layers=[FileData(path=ink)] * 40, composite=None)
    value = DigitSketchpad().preprocess(payload)
    assert len(value["layers"]) == 0 and value["background"].size == (448, 448)


def test_thin_bars_get_a_clear_answer(client, six, tmp_path):
    from gradio_client.exceptions import AppError

    huge = thin_bars_png(tmp_path / "huge.png")  # 5000²: over the pixel cap.
    with pytest.raises(AppError, match="megapixels"):
        client.predict(editor_value(huge), api_name="/read_number")
    # Inside the cap, a hundred bars and a blob are noise, not a number: refused before grouping.
    many = np.full((600, 1800), 255, np.uint8)
    for left in range(10, 1610, 16):
        many[150:450, left : left + 5] = 0  # 100 bars ...
    many[200:400, 1620:1780] = 0  # ... and one blob, as the attack had.
    path = png_file(tmp_path, many, "bars.png")
    with pytest.raises(AppError, match="noise"):
        client.predict(editor_value(path), api_name="/read_number")
    assert top_digit(predict(client, six)) == 6


def test_too_many_digits_are_refused(model):
    from digitpad.segment import MAX_DIGITS, read_number

    row = np.full((120, 100 * (MAX_DIGITS + 5)), 255, np.uint8)
    for k in range(MAX_DIGITS + 5):
        row[20:100, 100 * k + 45 : 100 * k + 55] = 0  # A row of 1s.
    with pytest.raises(ValueError, match=f"up to {MAX_DIGITS}"):
        read_number(model, row)


def test_blob_index_far_out_is_refused_and_kept_nowhere(live_app, six, client, tmp_path):
    png = Path(png_file(tmp_path, np.zeros((4, 4, 4), np.uint8), "tiny.png")).read_bytes()
    component = sketchpad_id(live_app)
    assert post_blob(live_app, component, 20_000_000, png) == 400
    assert post_blob(live_app, component, 2, png) == 200  # A sensible index is still taken.
    assert top_digit(predict(client, six)) == 6


def test_stored_blobs_expire_by_count():
    from gradio.components.image_editor import AcceptBlobs

    pad = DigitSketchpad()
    for k in range(MAX_BLOB_ENTRIES + 40):
        pad.accept_blobs(AcceptBlobs(data={"type": "composite", "index": None, "file": b"", "id": f"b{k}"},
                                     files=[("blob", b"x" * 100)]))
    assert len(pad.blob_storage) == MAX_BLOB_ENTRIES
    assert "b0" not in pad.blob_storage and f"b{MAX_BLOB_ENTRIES + 39}" in pad.blob_storage


def test_noisy_correction_is_stored_small(client, feedback_dir, tmp_path):
    noise = editor_value(faint_noise_png(tmp_path / "noise.png"))
    client.predict(noise, api_name="/predict")
    client.predict(noise, "3", api_name="/correct")
    newest = sorted((feedback_dir / "entries").iterdir(), key=lambda p: p.stat().st_mtime)[-1]
    drawing = Image.open(newest / "drawing.png")
    assert max(drawing.size) <= 448
    assert sum(p.stat().st_size for p in newest.iterdir()) < 300_000


@pytest.mark.parametrize("endpoint", ["predict", "read_number"])
def test_web_addresses_are_refused_without_fetching(monkeypatch, drawn_digits, endpoint):
    """A FileData naming a web address: refused, and the download is never attempted."""
    import gradio.processing_utils as processing_utils

    from digitpad.webui import build_demo

    calls = []

    async def recording_download(url, cache_dir):
        calls.append(url)
        raise AssertionError("the download must not be attempted")

    monkeypatch.setattr(processing_utils, "async_ssrf_protected_download", recording_download)
    port = free_port()
    demo = build_demo()
    demo.queue()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url)
        remote = {"path": "http://127.0.0.1:9/digit.png", "meta": {"_type": "gradio.FileData"}}
        event, message = call_raw(url, endpoint, [{"background": None, "layers": [], "composite": remote}])
        assert event == "error" and calls == []
        # An uploaded drawing still works on the same server.
        record = next(d for d in drawn_digits if d["label"] == 4)
        assert top_digit(predict_in_process(url, record)) == 4
    finally:
        demo.close()


def predict_in_process(url, record):
    import tempfile

    from gradio_client import Client

    path = png_file(tempfile.mkdtemp(), draw(record)["composite"])
    return Client(url, verbose=False).predict(editor_value(path), api_name="/predict")


def test_a_full_queue_says_so_and_the_server_recovers(drawn_digits, tmp_path):
    """With room for one waiting request, a burst from 16 visitors is partly turned away
    with a message."""
    process, url = start_app({"DIGITPAD_QUEUE_SIZE": "1"})
    try:
        value = slow_number(url, tmp_path)  # Uploaded once, as a browser would.

        def call(k):
            event, message = call_raw(url, "read_number", [value], source=f"127.0.0.{k + 1}")
            return "answered" if event == "complete" else str(message)

        with ThreadPoolExecutor(max_workers=16) as pool:
            outcomes = list(pool.map(call, range(16)))
        refused = [o for o in outcomes if o != "answered"]
        assert refused and all("full" in o.lower() for o in refused), outcomes
        assert "answered" in outcomes
        record = next(d for d in drawn_digits if d["label"] == 6)
        assert top_digit(predict_in_process(url, record)) == 6
    finally:
        stop(process)


@pytest.mark.parametrize("api", ["predict", "read_number"])
def test_no_route_runs_a_function_outside_the_queue(live_app, drawn_digits, tmp_path, api):
    """Gradio's `run/<name>` and `api/<name>` routes (open by default off Hugging Face
    Spaces) would run the function at once, past the queue's size and concurrency limits:
    they are refused; the same call through the queue is answered."""
    import json
    import urllib.error
    import urllib.request

    record = next(d for d in drawn_digits if d["label"] == 6)
    picture = upload_file(live_app, png_file(tmp_path, draw(record)["composite"]))
    data = [{"background": None, "layers": [], "composite": picture}]
    for route in ("run", "api"):
        request = urllib.request.Request(f"{live_app}gradio_api/{route}/{api}",
                                         data=json.dumps({"data": data}).encode(),
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 404 and "queue" in refused.value.read().decode()
    assert call_raw(live_app, api, data)[0] == "complete"


def test_the_cache_is_cleaned(live_app):
    from digitpad.webui import DELETE_CACHE, build_demo

    assert build_demo().delete_cache == DELETE_CACHE and DELETE_CACHE[1] <= 3600


def test_user_facing_errors_are_sentences(client, tmp_path):
    """The inputs that once surfaced raw NumPy messages: a 3×3000 bar and a tiny speck."""
    from gradio_client.exceptions import AppError

    bar = np.full((3, 3000), 255, np.uint8)
    bar[1, 100:2000] = 0
    speck = np.full((200, 200), 255, np.uint8)
    speck[100:104, 100:104] = 0
    for name, image in (("bar", bar), ("speck", speck)):
        value = editor_value(png_file(tmp_path, image, f"{name}.png"))
        for api in ("/predict", "/read_number"):
            try:
                result = client.predict(value, api_name=api)
            except AppError as error:
                message = str(error)
                assert "array" not in message and "upstream" not in message, message
            else:
                assert result is not None
    label, _, _, message = predict(client, editor_value(png_file(tmp_path, speck, "speck.png")))
    assert label is None or label.get("label") is None
    assert "speck" in message.lower() or "draw a digit" in message.lower()



def raw_post(url, path, head: bytes, body: bytes = b"") -> tuple[int, str]:
    """Send a POST with these extra header lines and body over a bare socket; return the
    answer's status and body (the server may answer before the body is sent)."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n".encode()
                           + f"Content-Type: {MULTIPART}\r\n".encode() + head + b"\r\n" + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2].decode()


def chunked(body: bytes, size=256 * 1024) -> bytes:
    """`body` in HTTP/1.1 chunks of `size` bytes, with no declared length."""
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/component_server"])
def test_a_request_body_is_bounded_before_it_is_read(live_app, path):
    """Gradio bounds each file (5 MB) but not how many come in one request (up to 1,000, all
    written to disk first): a body over 6 MB is refused from its declared length, or as it
    arrives when sent in chunks, each time with a sentence."""
    from digitpad.limits import MAX_REQUEST_BYTES, TOO_LARGE

    assert raw_post(live_app, path, b"Content-Length: 5000000000\r\n") == (413, TOO_LARGE)
    body = b"".join(multipart_files(2, 3 * 1024 * 1024)[1])  # Each within Gradio's bound.
    assert len(body) > MAX_REQUEST_BYTES
    assert raw_post(live_app, path, f"Content-Length: {len(body)}\r\n".encode(), body) == (413, TOO_LARGE)
    assert raw_post(live_app, path, b"Transfer-Encoding: chunked\r\n", chunked(body)) == (413, TOO_LARGE)


def test_an_upload_sent_in_chunks_within_the_bound_is_kept(live_app):
    """A proxy may pass a body on in chunks, with no length declared: that is no reason to refuse it."""
    import json

    status, answer = raw_post(live_app, "/gradio_api/upload", b"Transfer-Encoding: chunked\r\n",
                              chunked(b"".join(multipart_files(1, 1024 * 1024)[1])))
    assert status == 200 and json.loads(answer)[0].endswith("p.png")


def test_parts_gradio_never_claims_are_swept_once_old(tmp_path):
    """`/upload` keeps only parts named `files`; any other part stays in the upload folder as
    `tmp…`. Old ones go; recent ones (perhaps still being written) and kept uploads stay."""
    import os
    import time

    from digitpad.limits import sweep_orphans

    now = time.time()
    for name, age in (("tmpold1", 1000), ("tmpold2", 5000), ("tmpnew", 10), ("notes.txt", 5000)):
        (tmp_path / name).write_bytes(b"x" * 100)
        os.utime(tmp_path / name, (now - age, now - age))
    kept = tmp_path / ("ab" * 32) / "tmpdrawing.png"  # A kept upload lives in a folder of its own.
    kept.parent.mkdir()
    kept.write_bytes(b"png")
    os.utime(kept, (now - 5000, now - 5000))
    (tmp_path / "tmpfolder").mkdir()

    assert sweep_orphans(tmp_path, older_than=900, now=now) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["tmpnew", "notes.txt", "ab" * 32, "tmpfolder"])
    assert kept.exists()
    assert sweep_orphans(tmp_path / "missing", older_than=900) == 0


@pytest.mark.parametrize("headers, refused", [
    ([(b"content-length", b"6291456")], False),
    ([(b"content-length", b"6291457")], True),
    ([(b"Content-Length", b" 7000000 ")], True),
    ([(b"content-length", b"-1")], True),
    ([(b"content-length", b"12, 12")], True),
    ([(b"transfer-encoding", b"chunked")], False),  # Counted as it is read instead.
    ([(b"host", b"x")], False),
])
def test_which_bodies_are_refused_unread(headers, refused):
    from digitpad.limits import refused_from_headers

    assert refused_from_headers(headers) == refused


def in_a_thread(coroutine):
    """Run `coroutine` with an event loop of its own, in a thread of its own (the browser
    tests leave an event loop running in this one)."""
    import asyncio

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.parametrize("pieces", [[4, 4, 0], [4, 4]], ids=["crossed before the end", "crossed by the last piece"])
def test_a_chunked_body_is_cut_at_the_limit_and_never_read_past_its_end(pieces):
    """The ASGI middleware alone: it answers 413 once a body sent in chunks passes the limit,
    without the app, reading what is left of the body but never asking for more after its
    last piece (the server would wait for ever)."""
    from digitpad.limits import BodyLimit, TOO_LARGE

    messages = [{"type": "http.request", "body": bytes(n * 1024 * 1024), "more_body": i < len(pieces) - 1}
                for i, n in enumerate(pieces)]

    async def receive():
        assert messages, "read past the end of the body"
        return messages.pop(0)

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("the app read the whole body")

    sent = []

    async def send(message):
        sent.append(message)

    in_a_thread(BodyLimit(app)({"type": "http", "headers": [(b"transfer-encoding", b"chunked")]},
                               receive, send))
    assert sent[0]["status"] == 413 and sent[1]["body"].decode() == TOO_LARGE and not messages


@pytest.mark.parametrize("sizes", [[0], [700_000, 1, 1_900_000, 0]], ids=["empty", "2.6 MB in four"])
def test_a_chunked_body_within_the_limit_reaches_the_app_whole(sizes):
    """Spooled (past 256 KB on disk) and handed on in pieces: the app reads the very bytes sent,
    and then the server's own messages (a disconnect)."""
    from digitpad.limits import BodyLimit

    rng = np.random.default_rng(0)
    pieces = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in sizes]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    messages.append({"type": "http.disconnect"})
    seen = []

    async def receive():
        return messages.pop(0)

    async def app(scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message["body"], message["more_body"]
        seen.extend([body, (await receive())["type"]])

    in_a_thread(BodyLimit(app)({"type": "http", "headers": [(b"transfer-encoding", b"chunked")]},
                               receive, None))
    assert seen == [b"".join(pieces), "http.disconnect"]


@pytest.mark.parametrize("send_in_chunks", [False, True], ids=["length declared", "in chunks"])
def test_a_request_of_many_parts_is_refused_before_the_app_sees_it(live_app, send_in_chunks):
    """Gradio takes up to 1,000 files in one request, each written to disk: many tiny ones
    cost the disk a block and an entry each. More than 16 parts are refused, with a sentence;
    16 are not (the editor's own requests carry 8)."""
    import json

    from digitpad.limits import MAX_PARTS, TOO_MANY_PARTS

    def post(parts):
        body = b"".join(multipart_files(parts, 100)[1])
        if send_in_chunks:
            return raw_post(live_app, "/gradio_api/upload", b"Transfer-Encoding: chunked\r\n", chunked(body))
        return raw_post(live_app, "/gradio_api/upload", f"Content-Length: {len(body)}\r\n".encode(), body)

    assert post(MAX_PARTS + 1) == (413, TOO_MANY_PARTS)
    status, answer = post(MAX_PARTS)
    assert status == 200 and len(json.loads(answer)) == MAX_PARTS


@pytest.mark.parametrize("piece", [1, 5, 7, 1024 * 1024])
def test_parts_are_counted_whatever_the_pieces_they_are_read_in(piece):
    """A delimiter cut in two between pieces is counted once, and so is one that ends a piece."""
    import io

    from digitpad.limits import count_parts

    for parts in (0, 1, 3, 17):
        body = b"".join(multipart_files(parts, 3)[1])
        assert count_parts(io.BytesIO(body), b"b", piece) == parts
    body = b"".join(multipart_files(2, 1000)[1]).replace(b"--b", b"--boundary-x")
    assert count_parts(io.BytesIO(body), b"boundary-x", piece) == 2


@pytest.mark.parametrize("value, boundary", [
    (b"multipart/form-data; boundary=abc", b"abc"),
    (b'Multipart/Form-Data;boundary="a b"', b"a b"),
    (b"multipart/form-data; charset=utf-8; boundary=x1", b"x1"),
    (b"multipart/form-data", None),
    (b"application/json", None),
])
def test_the_boundary_is_read_from_the_content_type(value, boundary):
    from digitpad.limits import multipart_boundary

    assert multipart_boundary([(b"host", b"x"), (b"content-type", value)]) == boundary


def test_bodies_are_refused_while_the_disk_is_short_and_nothing_else_is(tmp_path):
    """With less free space than the reserve beyond it, a body gets 503, a sentence and a
    time to come back, and the app never sees it; a request without a body is served."""
    from digitpad.limits import DISK_SHORT, BodyLimit, disk_short

    assert not disk_short(tmp_path / "not" / "yet", 0, reserve=0)
    assert disk_short(tmp_path, 0, reserve=10**18)
    seen, sent = [], []

    async def app(scope, receive, send):
        seen.append(scope["method"])

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    short = BodyLimit(app, folder=tmp_path / "gradio", reserve=10**18)
    in_a_thread(short({"type": "http", "method": "POST", "headers": [(b"content-length", b"2")]}, receive, send))
    in_a_thread(short({"type": "http", "method": "GET", "headers": []}, receive, send))
    assert seen == ["GET"]
    assert sent[0]["status"] == 503 and (b"retry-after", b"60") in sent[0]["headers"]
    assert sent[1]["body"].decode() == DISK_SHORT


def test_the_cache_is_trimmed_to_its_bounds_oldest_first(tmp_path):
    """Over its bounds, the oldest files go first, never the app's own or fresh ones; empty
    folders go once old, bounds or not (Gradio leaves them behind for good)."""
    import os
    import time

    from digitpad.limits import trim_cache

    now = time.time()

    def put(name, age, size=4096):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(size))
        os.utime(path, (now - age, now - age))
        return path

    example = put("e1/3.png", 9000)
    old, middle, recent = put("h1/a.png", 800), put("h2/b.png", 500), put("h3/c.png", 200)
    fresh = put("h4/d.png", 5, size=40_000)
    (tmp_path / "empty-old").mkdir()
    os.utime(tmp_path / "empty-old", (now - 900, now - 900))
    (tmp_path / "empty-new").mkdir()

    assert trim_cache(tmp_path, max_bytes=10**9, max_files=100, keep={str(example)}, now=now) == 0
    assert not (tmp_path / "empty-old").exists() and (tmp_path / "empty-new").exists()
    # 4 KB blocks: 1 + 1 + 1 + 1 + 10 held; a bound of 13 blocks takes the oldest it may.
    assert trim_cache(tmp_path, max_bytes=13 * 4096, keep={str(example)}, now=now) == 1
    assert example.exists() and not old.exists() and middle.exists()
    assert trim_cache(tmp_path, max_bytes=10**9, max_files=3, keep={str(example)}, now=now) == 1
    assert not middle.exists() and recent.exists() and fresh.exists()
    assert trim_cache(tmp_path, max_bytes=0, max_files=0, keep={str(example)}, now=now) == 1
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png")) == ["e1/3.png", "h4/d.png"]


def test_the_running_app_tends_its_upload_folder(live_app, temporary_files_stay_in_pytests_folder):
    """`app.py` starts the tending: an old empty folder left in the live app's upload folder
    goes within one round (15 s), and the app's examples stay."""
    import os
    import time

    from digitpad.webui import example_paths

    folder = Path(temporary_files_stay_in_pytests_folder) / "gradio"
    left = folder / "left-behind"
    left.mkdir(parents=True)
    os.utime(left, (time.time() - 3600, time.time() - 3600))
    wait_until(lambda: not left.exists(), "the old empty folder goes", timeout=40, poll=0.5)
    names = {p.name for p in folder.rglob("*.png")}
    assert {Path(p).name for p in example_paths()} <= names


def test_each_address_has_a_budget_for_a_window():
    """What one address sent in the last window counts against it; other addresses, and the
    same one a window later, start afresh; idle addresses are forgotten."""
    from digitpad.limits import ByteBudget

    budget = ByteBudget(limit=100, window=10)
    assert budget.take("a", 60, now=0) and budget.take("a", 40, now=5)
    assert not budget.take("a", 1, now=9) and budget.take("b", 100, now=9)
    assert budget.take("a", 60, now=10.5) and not budget.take("a", 41, now=14)
    assert budget.take("a", 40, now=15.5) and not budget.take("a", 1, now=15.5)
    budget.take("c", 1, now=40)
    assert set(budget.spent) == {"c"}


def test_a_sender_over_budget_gets_a_sentence_and_others_are_served():
    """The middleware's budget: a body over the sender's budget gets 429 and a time to come
    back, declared or sent in chunks; another address is still served."""
    from digitpad.limits import TOO_MUCH_FROM_YOU, BodyLimit, ByteBudget

    seen, sent = [], []

    async def app(scope, receive, send):
        message = await receive()
        seen.append((scope["client"][0], len(message["body"])))

    def post(limit, address, size, chunked=False):
        async def receive():
            return {"type": "http.request", "body": bytes(size), "more_body": False}

        async def send(message):
            sent.append(message)

        headers = [(b"transfer-encoding", b"chunked")] if chunked else [(b"content-length", str(size).encode())]
        in_a_thread(limit({"type": "http", "client": (address, 1), "headers": headers}, receive, send))

    limit = BodyLimit(app, budget=ByteBudget(limit=3000, window=60))
    post(limit, "10.0.0.1", 2000)
    post(limit, "10.0.0.1", 2000)
    post(limit, "10.0.0.1", 1000, chunked=True)
    post(limit, "10.0.0.1", 1, chunked=True)
    post(limit, "10.0.0.2", 2000)
    assert seen == [("10.0.0.1", 2000), ("10.0.0.1", 1000), ("10.0.0.2", 2000)]
    assert [m["status"] for m in sent if "status" in m] == [429, 429]
    assert {m["body"].decode() for m in sent if m["type"] == "http.response.body"} == {TOO_MUCH_FROM_YOU}


def test_an_address_has_a_share_of_the_queue():
    """The queue-share middleware alone: an address with `share` requests waiting, or on
    their way in, is refused another place (429, a JSON detail the page shows), even in a
    burst sent at once; another address, and requests that are not joins, pass."""
    import asyncio
    import json

    from digitpad.limits import TOO_MANY_WAITING, QueueShare

    waiting = {"10.0.0.1": 1}  # As if the queue held one of 10.0.0.1's requests.
    passed, answers = [], []

    async def app(scope, receive, send):
        await asyncio.sleep(0.05)  # The body being read, the event being queued.
        passed.append((scope["client"][0], scope["path"]))

    share = QueueShare(app, waiting=lambda address: waiting.get(address, 0), share=3)

    def request(address, path="/gradio_api/queue/join", method="POST"):
        async def send(message):
            answers.append((address, message))

        async def receive():
            return {"type": "http.request", "body": b"{}", "more_body": False}

        return share({"type": "http", "method": method, "path": path, "client": (address, 1),
                      "headers": []}, receive, send)

    async def burst():
        await asyncio.gather(*(request("10.0.0.1") for _ in range(4)), request("10.0.0.2"),
                             request("10.0.0.1", "/gradio_api/call/predict"),
                             request("10.0.0.1", "/gradio_api/upload"),
                             request("10.0.0.1", "/gradio_api/call/predict/abc", "GET"))

    in_a_thread(burst())
    assert sorted(passed) == sorted([("10.0.0.1", "/gradio_api/queue/join")] * 2 + [
        ("10.0.0.2", "/gradio_api/queue/join"), ("10.0.0.1", "/gradio_api/upload"),
        ("10.0.0.1", "/gradio_api/call/predict/abc")])
    refusals = [m for a, m in answers if m.get("status") == 429]
    bodies = [json.loads(m["body"]) for a, m in answers if m["type"] == "http.response.body"]
    assert len(refusals) == 3 and bodies == [{"detail": TOO_MANY_WAITING}] * 3
    assert share.joining == {}  # Nothing counted once the requests are done.
    waiting.clear()
    in_a_thread(request("10.0.0.1"))
    assert passed[-1] == ("10.0.0.1", "/gradio_api/queue/join")


def test_event_ids_of_sessions_gradio_dropped_are_forgotten():
    """Gradio's own queue: the ids it keeps for sessions whose messages it has dropped go;
    those of sessions it still holds messages for stay."""
    import asyncio

    import gradio as gr

    from digitpad.limits import forget_unreachable

    demo = gr.Blocks()
    demo.queue()
    queue = demo._queue
    for session in ("read", "unread", "dropped"):
        queue.pending_event_ids_session[session] = {f"{session}-event"}
    for session in ("read", "unread"):
        queue.pending_messages_per_session[session] = asyncio.Queue()
    assert forget_unreachable(queue) == 1
    assert set(queue.pending_event_ids_session) == {"read", "unread"}


def test_the_sessions_gradio_keeps_are_bounded(six_png):
    """Every request with a new session hash makes Gradio keep that session's state (about
    70 kB; its default bound is 10,000 sessions). Past `SESSIONS` of them, the oldest go."""
    from digitpad.webui import SESSIONS, build_demo, launch_options

    demo = build_demo()
    demo.queue(api_open=False)
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                **launch_options(demo))
    try:
        wait_for_http(demo.local_url)
        component = sketchpad_id(demo.local_url)
        for k in range(SESSIONS + 50):
            assert post_blob(demo.local_url, component, 0, six_png, session=f"script-{k}") == 200
        held = demo.state_holder.session_data
        assert len(held) == SESSIONS and f"script-{SESSIONS + 49}" in held and "script-0" not in held
    finally:
        demo.close()


@pytest.mark.parametrize("environ, trusted", [
    ({"SPACE_ID": "someone/digitpad"}, "10.0.0.0/8"),
    ({"SPACE_ID": "someone/digitpad", "FORWARDED_ALLOW_IPS": "192.0.2.7"}, None),
    ({}, None), ({"SPACE_ID": ""}, None)])
def test_a_space_trusts_its_proxies_addresses(environ, trusted):
    from digitpad.limits import trusted_proxies

    proxies = trusted_proxies(environ)
    assert proxies is None if trusted is None else trusted in proxies.split(",")


def test_behind_a_trusted_proxy_each_visitor_has_their_own_share(drawn_digits, tmp_path):
    """Through a proxy the server trusts (loopback, uvicorn's default), the queue share goes
    by the forwarded address: one visitor is refused past it, another is not, and naming
    someone else in the header does not buy a second share (the proxy appends the sender)."""
    from digitpad.limits import TOO_MANY_WAITING

    process, url = start_app({"DIGITPAD_QUEUE_PER_ADDRESS": "2", "FORWARDED_ALLOW_IPS": "127.0.0.1"})
    try:
        value = slow_number(url, tmp_path)

        def join(forwarded):
            return join_queue(url, "read_number", [value], headers={"X-Forwarded-For": forwarded})

        with ThreadPoolExecutor(max_workers=13) as pool:
            *first, other = pool.map(join, ["203.0.113.1"] * 12 + ["203.0.113.2"])
        assert any(status == 429 and TOO_MANY_WAITING in text for status, text in first)
        assert other[0] == 200
        with ThreadPoolExecutor(max_workers=12) as pool:
            spoofed = list(pool.map(join, ["198.51.100.9, 203.0.113.3"] * 12))
        assert any(status == 429 for status, _ in spoofed)
    finally:
        stop(process)


def test_one_visitor_cannot_fill_the_queue_for_everyone(drawn_digits, tmp_path):
    """A script that joins the queue from one address as fast as it can is told to wait for
    its answers, and another visitor is answered meanwhile (before, the script filled the
    queue and the other visitor read "Queue is full")."""
    from digitpad.limits import TOO_MANY_WAITING

    process, url = start_app({"DIGITPAD_QUEUE_SIZE": "12", "DIGITPAD_QUEUE_PER_ADDRESS": "4"})
    try:
        value = slow_number(url, tmp_path)
        record = next(d for d in drawn_digits if d["label"] == 6)
        six = upload_file(url, png_file(tmp_path, draw(record)["composite"], "six.png"))

        def script(_):
            return call_raw(url, "read_number", [value])

        with ThreadPoolExecutor(max_workers=24) as pool:
            flood = [pool.submit(script, k) for k in range(24)]
            other = [call_raw(url, "read_number", [{"background": None, "layers": [], "composite": six}],
                              source="127.0.0.2") for _ in range(3)]
            outcomes = [f.result() for f in flood]
        refused = [message for event, message in outcomes if event != "complete"]
        assert refused and all(TOO_MANY_WAITING in message for message in refused), refused
        assert [event for event, _ in other] == ["complete"] * 3
        assert [number[0] for _, number in other] == ["6"] * 3
    finally:
        stop(process)


@pytest.mark.parametrize("text, kind, value", [("", int, 7), ("  ", int, 7), ("12", int, 12), ("0.5", float, 0.5),
                                               ("1e3", float, 1000.0), ("0.5", int, None), ("-1", float, None),
                                               ("nan", float, None), ("inf", float, None), ("x", int, None),
                                               ("0", int, 0)])
def test_settings_from_the_environment(monkeypatch, text, kind, value):
    from digitpad.limits import env_number

    monkeypatch.setenv("DIGITPAD_X", text)
    if value is None:
        with pytest.raises(ValueError, match=r"\$DIGITPAD_X must be"):
            env_number("DIGITPAD_X", 7, kind)
    else:
        assert env_number("DIGITPAD_X", 7, kind) == value
    if value is not None and value < 1:  # A setting that must be at least 1.
        with pytest.raises(ValueError, match=r"\$DIGITPAD_X must be a (whole )?number of 1 or more"):
            env_number("DIGITPAD_X", 7, kind, least=1)
