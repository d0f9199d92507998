"""Bounds on what one HTTP request may make the server store, checked before the app sees any of it.

Gradio's own bound is per file: `max_file_size` (5 MB here) for each of up to 1,000 files in
one multipart request, all written to disk (and, for the editor's blob endpoint, read into
memory) before any component sees them: one request could leave 5 GB behind. And its upload
endpoint keeps only the parts named `files`; any other part stays in the upload folder as a
`tmp…` file that nothing removes.

- `BodyLimit` (ASGI middleware) refuses a body larger than `MAX_REQUEST_BYTES` (413): from
  its declared length before reading a byte of it, or, sent in chunks, before the app sees it;
- `sweep_orphans` removes the upload folder's stray `tmp…` files once they are old;
  `sweep_on_schedule` does so for as long as the server runs.
"""

import os
import tempfile
import threading
import time

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # One picture of up to 5 MB (max_file_size) and its form.
# A refused body up to this size is read and dropped before the answer, so that a client that
# sends all of its body before reading (most do) gets the sentence, not a reset connection.
DRAIN_BYTES = 64 * 1024 * 1024
SPOOL_IN_MEMORY = 1024 * 1024  # A body sent in chunks is held in memory up to this, then on disk.
REPLAY_PIECE = 64 * 1024
TOO_LARGE = "Too large: a request may carry one picture of at most 5 MB."


def declared_length(headers) -> int | None:
    """The body's length as a request's ASGI headers (`[(name, value)]`, bytes) declare it:
    None when they do not (no body, or one sent in chunks); -1 when it is not a number."""
    for name, value in headers:
        if name.lower() == b"content-length":
            value = value.strip()
            return int(value) if value.isdigit() else -1
    return None


def refused_from_headers(headers, limit: int = MAX_REQUEST_BYTES) -> bool:
    """Whether a request must be refused before any of its body is read: it declares a
    length over `limit`, or one that is not a number."""
    length = declared_length(headers)
    return length is not None and not 0 <= length <= limit


class BodyLimit:
    """ASGI middleware: a request whose body is over `limit` bytes gets 413 and a sentence.

    A declared length is checked before anything is read (the server, uvicorn, hands the app
    no more than that as the body). A body sent in chunks, with no length declared (a proxy
    may pass uploads on so), is read into a spool first (in memory up to 1 MB, then a
    temporary file) and handed to the app only if it stays within the limit: cut off in the
    app's hands, Gradio's parser would leave its partial files behind. A refused body of up
    to `drain` bytes is read to its end and dropped before the answer (nothing is kept)."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES, drain: int = DRAIN_BYTES):
        self.app, self.limit, self.drain = app, limit, drain

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if refused_from_headers(headers, self.limit):
            await self.refuse(receive, send, drain=0 <= declared_length(headers) <= self.drain)
            return
        chunked = any(name.lower() == b"transfer-encoding" for name, _ in headers)
        if not chunked or declared_length(headers) is not None:
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            more = await self.spool(receive, spool)
            if more is None:  # The client left.
                return
            if spool.tell() > self.limit:
                await self.refuse(receive, send, drain=more)
                return
            await self.app(scope, replayer(spool, receive), send)

    async def spool(self, receive, spool) -> bool | None:
        """Read the body into `spool` to its end or until it passes the limit; return whether
        more of it is still to come (None if the client left)."""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            spool.write(message.get("body", b""))
            more = bool(message.get("more_body"))
            if not more or spool.tell() > self.limit:
                return more

    async def refuse(self, receive, send, drain: bool) -> None:
        """Answer 413 with `TOO_LARGE`, after reading what is left of the body (up to
        `self.drain` bytes) if `drain`."""
        drained = 0
        while drain and drained <= self.drain:
            message = await receive()
            drained += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = TOO_LARGE.encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def replayer(spool, receive):
    """An ASGI `receive` that hands over the body written to `spool` in pieces, then defers
    to `receive` (for the client's disconnect)."""
    end = spool.tell()
    spool.seek(0)
    done = False

    async def replay():
        nonlocal done
        if done:
            return await receive()
        piece = spool.read(REPLAY_PIECE)
        done = spool.tell() >= end
        return {"type": "http.request", "body": piece, "more_body": not done}

    return replay


def sweep_orphans(folder, older_than: float, now: float | None = None) -> int:
    """Remove the `tmp…` files directly in Gradio's upload folder `folder` last written more
    than `older_than` seconds before `now`; return how many went.

    Gradio writes each uploaded part there under such a name and moves it into a folder of
    its own when it keeps it, so a file still there after its request has ended is a part
    nothing claimed. One still being written is recent, and is left alone."""
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:  # No uploads yet (no folder), or none we may read.
        return 0
    for entry in entries:
        try:
            if (entry.name.startswith("tmp") and entry.is_file(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > older_than):
                os.unlink(entry.path)
                removed += 1
        except OSError:  # Moved or removed meanwhile (not an orphan, or gone), or not ours.
            continue
    return removed


def sweep_on_schedule(folder, every: float, older_than: float) -> threading.Thread:
    """Start a daemon thread that runs `sweep_orphans` every `every` seconds."""
    def run():
        while True:
            time.sleep(every)
            sweep_orphans(folder, older_than)

    thread = threading.Thread(target=run, name="sweep-orphans", daemon=True)
    thread.start()
    return thread
