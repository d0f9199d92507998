"""Bounds on what one HTTP request may make the server store, checked before any of it is read.

Gradio's own bound is per file: `max_file_size` (5 MB here) for each of up to 1,000 files in
one multipart request, all written to disk (and, for the editor's blob endpoint, read into
memory) before any component sees them: one request could leave 5 GB behind. And its upload
endpoint keeps only the parts named `files`; any other part stays in the upload folder as a
`tmp…` file that nothing removes.

- `BodyLimit` (ASGI middleware) refuses a body declared larger than `MAX_REQUEST_BYTES` (413)
  or sent without a declared length (411), before reading a byte of it;
- `sweep_orphans` removes the upload folder's stray `tmp…` files once they are old;
  `sweep_on_schedule` does so for as long as the server runs.
"""

import os
import threading
import time

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # One picture of up to 5 MB (max_file_size) and its form.
# A refused body up to this size is read and dropped before the answer, so that a client that
# sends all of its body before reading (most do) gets the sentence, not a reset connection.
DRAIN_BYTES = 64 * 1024 * 1024
TOO_LARGE = "Too large: a request may carry one picture of at most 5 MB."
NO_LENGTH = "A request with a body must give its length (Content-Length)."


def body_refusal(headers, limit: int = MAX_REQUEST_BYTES):
    """`(status, message)` if a request with these ASGI headers (`[(name, value)]`, bytes)
    must be refused before its body is read, else None."""
    values = {name.lower(): value for name, value in headers}
    length = values.get(b"content-length")
    if length is None:
        # No length and no chunks means no body; chunks have no bound known in advance.
        return (411, NO_LENGTH) if b"transfer-encoding" in values else None
    length = length.strip()
    if not length.isdigit() or int(length) > limit:
        return 413, TOO_LARGE
    return None


class BodyLimit:
    """ASGI middleware: answers `body_refusal`'s status and sentence instead of the app.

    The server (uvicorn) reads no more than the declared length as the body, so a declared
    length is a bound on what the app below can receive. A refused body of up to `drain`
    bytes is read and dropped first (nothing is kept); a larger one is not read at all."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES, drain: int = DRAIN_BYTES):
        self.app, self.limit, self.drain = app, limit, drain

    async def __call__(self, scope, receive, send):
        refusal = body_refusal(scope["headers"], self.limit) if scope["type"] == "http" else None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        length = dict(scope["headers"]).get(b"content-length", b"").strip()
        if status == 413 and length.isdigit() and int(length) <= self.drain:
            while (await receive()).get("more_body"):
                pass
        body = message.encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


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
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if (entry.name.startswith("tmp") and entry.is_file(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > older_than):
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # Moved or removed meanwhile: not an orphan, or gone.
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
