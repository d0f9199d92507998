"""Bounds on what one HTTP request may make the server store, checked before the app sees any of it.

Gradio's own bound is per file: `max_file_size` (5 MB here) for each of up to 1,000 files in
one multipart request, all written to disk (and, for the editor's blob endpoint, read into
memory) before any component sees them: one request could leave 5 GB behind. And its upload
endpoint keeps only the parts named `files`; any other part stays in the upload folder as a
`tmp…` file that nothing removes.

And nothing bounds how often a visitor may upload, nor the cache as a whole: Gradio deletes
uploads by age alone (15 minutes here), and leaves their folders behind for good.

- `BodyLimit` (ASGI middleware) refuses a body larger than `MAX_REQUEST_BYTES` (413): from
  its declared length before reading a byte of it, or, sent in chunks, before the app sees it;
  a multipart body of more than `MAX_PARTS` parts, before the app sees it (413); a body
  beyond its sender's `ByteBudget` (429); and any body while the disk under the upload
  folder has less than `DISK_RESERVE` free beyond it (503);
- `QueueShare` (ASGI middleware) refuses a place in Gradio's queue to an address that has
  `ADDRESS_QUEUE` requests waiting there already (429), so that one visitor's script cannot
  fill the queue for everyone (`app.py` also closes Gradio's `run/` routes, which skip the
  queue and its bounds altogether);
- `sweep_orphans` removes the upload folder's stray `tmp…` files once they are old;
  `trim_cache` removes its oldest files, when it holds more than its bounds, and its empty
  folders; `tend_on_schedule` does both for as long as the server runs.
"""

import json
import os
import shutil
import tempfile
import threading
import time
from collections import deque

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # One picture of up to 5 MB (max_file_size) and its form.
# A refused body up to this size is read and dropped before the answer, so that a client that
# sends all of its body before reading (most do) gets the sentence, not a reset connection.
DRAIN_BYTES = 64 * 1024 * 1024
SPOOL_IN_MEMORY = 256 * 1024  # A body read before the app sees it is held in memory up to this.
REPLAY_PIECE = 64 * 1024
# The editor's blob endpoint sends a file and 7 fields; an upload, one file.
MAX_PARTS = 16
DISK_RESERVE = 256 * 1024 * 1024  # Free space the upload folder's disk keeps, whatever comes.
CACHE_BYTES = 1024 * 1024 * 1024  # The upload folder's bounds, kept by `trim_cache`.
CACHE_FILES = 20_000
KEEP_FRESH = 60  # Seconds: a younger file may still be on its way to the event that reads it.
TEND_EVERY = 15  # Seconds between two tendings of the upload folder.
# What one address may send in the time an upload is sure to stay in the cache: 13.6 MB/s.
# The sketchpad sends about 250 kB a stroke (Gradio's editor uploads its pictures again and
# again), so an audience behind one address (a venue's, or a proxy's) of about 50 people
# drawing without a pause fits.
ADDRESS_BYTES = 1024 * 1024 * 1024
ADDRESS_WINDOW = KEEP_FRESH + TEND_EVERY
# Requests one address may have waiting in the queue at once (a quarter of its 64 places). A
# visitor's sketchpad has one at most (`trigger_mode="always_last"`), but an audience on a
# venue's network, or phones behind their carrier's, share one address: 16 of them waiting at
# once means the server is over a second behind for them anyway. A script that fills its
# share holds everyone else back by about as much.
ADDRESS_QUEUE = 16
# The proxies in front of an app on Hugging Face Spaces reach it from private addresses, and
# name the visitor in X-Forwarded-For; without trusting them, every visitor of a Space would
# share one address, its budget and its share of the queue.
PRIVATE_NETWORKS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.1,::1,fc00::/7"
TOO_LARGE = "Too large: a request may carry one picture of at most 5 MB."
TOO_MANY_PARTS = "Too many parts: a request may carry one picture and a few fields."
DISK_SHORT = "The server is short of disk space just now: please try again in a minute."
TOO_MUCH_FROM_YOU = "Too much sent from your address just now: please try again in a minute."
TOO_MANY_WAITING = ("The server is busy with other drawings from your network just now: please "
                    "try again in a moment.")
TOO_MANY_WAITING_JSON = json.dumps({"detail": TOO_MANY_WAITING}).encode()  # As Gradio's refusals.


def env_number(name: str, default, kind=int, least=0):
    """The number `$name` holds (`kind`: int or float), or `default` when it is unset or
    empty; a ValueError that says which setting is wrong for anything else, a number below
    `least` or an infinite one."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = -1
    if not least <= value < float("inf"):  # Also NaN.
        raise ValueError(f"${name} must be a {'whole ' if kind is int else ''}number of {least} "
                         f"or more, not {text!r}")
    return value


def trusted_proxies(environ) -> str | None:
    """What `$FORWARDED_ALLOW_IPS` (the addresses whose X-Forwarded-For the server, uvicorn,
    believes) should be set to: `PRIVATE_NETWORKS` on Hugging Face Spaces (`$SPACE_ID` set),
    so that each visitor is known by their own address; None when it is set already (the
    host's word stands) or off Spaces (uvicorn trusts loopback alone). uvicorn reads the
    forwarded addresses from the right and stops at the first it does not trust, so a
    visitor cannot pass for another by sending the header themselves."""
    if environ.get("FORWARDED_ALLOW_IPS") is not None or not environ.get("SPACE_ID"):
        return None
    return PRIVATE_NETWORKS


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


def multipart_boundary(headers) -> bytes | None:
    """The boundary of a multipart body, from a request's ASGI headers; None if it is not one."""
    for name, value in headers:
        if name.lower() == b"content-type":
            kind, _, params = value.partition(b";")
            if kind.strip().lower() != b"multipart/form-data":
                return None
            for param in params.split(b";"):
                key, _, boundary = param.strip().partition(b"=")
                if key.lower() == b"boundary" and boundary.strip(b'"'):
                    return boundary.strip(b'"')
    return None


def count_parts(spool, boundary: bytes, piece: int = 1024 * 1024) -> int:
    """How many parts the multipart body in `spool` (a file, read from its start) holds: its
    delimiters (`--boundary`) but the closing one."""
    delimiter = b"--" + boundary
    spool.seek(0)
    count, tail = 0, b""
    while chunk := spool.read(piece):
        window = tail + chunk
        count += window.count(delimiter)
        # Keep what could begin a delimiter cut in two, but never a whole one (counted already).
        tail = window[-(len(delimiter) - 1):] if len(delimiter) > 1 else b""
    return max(count - 1, 0)


def disk_short(folder, incoming: int, reserve: int = DISK_RESERVE) -> bool:
    """Whether storing `incoming` more bytes under `folder` (or, before it exists, the nearest
    folder above it) would leave its disk with less than `reserve` bytes free."""
    path = os.path.abspath(folder)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    try:
        return shutil.disk_usage(path).free - incoming < reserve
    except OSError:
        return False  # Nothing to measure with: the other bounds still hold.


class ByteBudget:
    """At most `limit` bytes of request bodies from one client address in any `window`
    seconds. Idle addresses are forgotten, so its memory follows the addresses of the
    last window."""

    def __init__(self, limit: int = ADDRESS_BYTES, window: float = ADDRESS_WINDOW):
        self.limit, self.window = limit, window
        self.spent: dict[str, list] = {}  # address -> [deque of (time, bytes), their sum]
        self.swept = 0.0

    def take(self, address: str, size: int, now: float | None = None) -> bool:
        """Spend `size` bytes of `address`'s budget if it has them; return whether it did."""
        now = time.monotonic() if now is None else now
        if now - self.swept > self.window:  # Forget the addresses idle for a whole window.
            self.spent = {a: e for a, e in self.spent.items() if e[0] and e[0][-1][0] > now - self.window}
            self.swept = now
        entry = self.spent.setdefault(address, [deque(), 0])
        sends = entry[0]
        while sends and sends[0][0] <= now - self.window:
            entry[1] -= sends.popleft()[1]
        if entry[1] + size > self.limit:
            return False
        sends.append((now, size))
        entry[1] += size
        return True


class BodyLimit:
    """ASGI middleware: a request whose body is over `limit` bytes gets 413 and a sentence.

    A declared length is checked before anything is read (the server, uvicorn, hands the app
    no more than that as the body). A body sent in chunks, with no length declared (a proxy
    may pass uploads on so), and every multipart body, is read into a spool first (in memory
    up to 256 KB, then a temporary file) and handed to the app only if it stays within the
    limit and, multipart, holds at most `MAX_PARTS` parts: cut off in the app's hands,
    Gradio's parser would leave its partial files behind. With `budget`, a body its sender's
    address has no budget left for is refused (429; a body sent in chunks, once read). With
    `folder` (the upload folder), a body is refused (503) while its disk has less than
    `reserve` bytes free beyond it. A refused body of up to `drain` bytes is read to its end
    and dropped before the answer (nothing is kept)."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES, drain: int = DRAIN_BYTES,
                 folder=None, reserve: int = DISK_RESERVE, budget: ByteBudget | None = None):
        self.app, self.limit, self.drain = app, limit, drain
        self.folder, self.reserve, self.budget = folder, reserve, budget

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if refused_from_headers(headers, self.limit):
            await self.refuse(receive, send, drain=0 <= declared_length(headers) <= self.drain)
            return
        length = declared_length(headers)
        chunked = any(name.lower() == b"transfer-encoding" for name, _ in headers)
        address = (scope.get("client") or ("?",))[0]
        if length and self.budget is not None and not self.budget.take(address, length):
            await self.refuse(receive, send, drain=length <= self.drain, status=429,
                              message=TOO_MUCH_FROM_YOU)
            return
        if ((chunked or length) and self.folder is not None
                and disk_short(self.folder, length or self.limit, self.reserve)):
            await self.refuse(receive, send, drain=chunked or length <= self.drain,
                              status=503, message=DISK_SHORT)
            return
        boundary = multipart_boundary(headers)
        if boundary is None and not (chunked and length is None):
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            more = await self.spool(receive, spool)
            if more is None:  # The client left.
                return
            if spool.tell() > self.limit:
                await self.refuse(receive, send, drain=more)
                return
            end = spool.tell()
            if length is None and self.budget is not None and not self.budget.take(address, end):
                await self.refuse(receive, send, drain=False, status=429, message=TOO_MUCH_FROM_YOU)
                return
            if boundary is not None and count_parts(spool, boundary) > MAX_PARTS:
                await self.refuse(receive, send, drain=False, message=TOO_MANY_PARTS)
                return
            spool.seek(end)
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

    async def refuse(self, receive, send, drain: bool, status: int = 413,
                     message: str = TOO_LARGE) -> None:
        """Answer `status` with `message`, after reading what is left of the body (up to
        `self.drain` bytes) if `drain`."""
        await answer(receive, send, status, message.encode(), b"text/plain; charset=utf-8",
                     self.drain if drain else -1, b"60" if status in (429, 503) else None)


async def answer(receive, send, status: int, body: bytes, content_type: bytes, drain: int,
                 retry_after: bytes | None = None) -> None:
    """Answer `status` with `body` and close the connection, after reading what is left of
    the request's body, up to `drain` bytes (none if negative): a client that is still
    sending when the server closes gets its connection reset, not the answer."""
    drained = 0
    while 0 <= drained <= drain:
        received = await receive()
        drained += len(received.get("body", b""))
        if not received.get("more_body"):
            break
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def enters_queue(scope) -> bool:
    """Whether a request asks for a place in Gradio's queue: the page's `queue/join`, or the
    plain HTTP API's `call/<name>` (and `call/v2/<name>`)."""
    path = scope.get("path", "")
    return scope.get("method") == "POST" and (path.endswith("/queue/join") or "/call/" in path)


def waiting_from(queue, address: str) -> int:
    """How many of the events waiting in Gradio's `queue` (`demo._queue`) came from `address`.
    Run it in the server's event loop, where the queue changes."""
    return sum(1 for line in queue.event_queue_per_concurrency_id.values() for event in line.queue
               if event.request is not None and event.request.client is not None
               and event.request.client.host == address)


def forget_unreachable(queue) -> int:
    """Drop the event ids Gradio's `queue` keeps for sessions whose messages it has dropped
    already (it keeps those of the last 2,000 sessions): nothing can ask for them any more.
    Gradio forgets an event's id only once its answer is read, so every request of its plain
    HTTP API that nobody reads would leave one behind for good. Run it in the server's event
    loop (the queue is not guarded against threads). Returns how many sessions went."""
    gone = [session for session in queue.pending_event_ids_session
            if session not in queue.pending_messages_per_session]
    for session in gone:
        del queue.pending_event_ids_session[session]
    return len(gone)


class QueueShare:
    """ASGI middleware: an address with `share` requests waiting in the queue, or on their
    way into it, is refused another place (429, a JSON `detail` the page shows as it is).

    `waiting(address)` counts the queue's waiting events from that address; requests still
    on their way in (their body not yet read) are counted here, so a burst of joins sent at
    once is bounded too. Running events are not counted: the concurrency limits bound them.
    `tidy()`, if given, runs on a request for a place at most every `TEND_EVERY` seconds (in
    the server's event loop, as `forget_unreachable` needs)."""

    def __init__(self, app, waiting, share: int = ADDRESS_QUEUE, tidy=None):
        self.app, self.waiting, self.share, self.tidy = app, waiting, share, tidy
        self.joining: dict[str, int] = {}
        self.tidied = time.monotonic()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not enters_queue(scope):
            await self.app(scope, receive, send)
            return
        if self.tidy is not None and time.monotonic() - self.tidied > TEND_EVERY:
            self.tidied = time.monotonic()
            self.tidy()
        address = (scope.get("client") or ("?",))[0]
        if self.joining.get(address, 0) + self.waiting(address) >= self.share:
            await answer(receive, send, 429, TOO_MANY_WAITING_JSON, b"application/json",
                         MAX_REQUEST_BYTES, b"1")
            return
        self.joining[address] = self.joining.get(address, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.joining[address] -= 1
            if not self.joining[address]:
                del self.joining[address]


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


def trim_cache(folder, max_bytes: int = CACHE_BYTES, max_files: int = CACHE_FILES,
               keep=frozenset(), fresh: float = KEEP_FRESH, now: float | None = None) -> int:
    """Bring Gradio's cache `folder` within `max_bytes` (each file counted in whole 4 KB
    blocks) and `max_files`, removing its oldest files first; return how many went.

    Never removed: a file in `keep` (paths; the app's examples), or one written less than
    `fresh` seconds before `now` (an upload still on its way to its event). Empty folders
    that old go too, bounds or not: Gradio removes old files, never their folders."""
    now = time.time() if now is None else now
    root = os.path.realpath(folder)
    keep = {os.path.realpath(path) for path in keep}
    files, folders = [], []
    for path, _, names in os.walk(root, topdown=False):
        for name in names:
            try:
                info = os.lstat(os.path.join(path, name))
            except OSError:  # Gone meanwhile.
                continue
            files.append((info.st_mtime, -(-info.st_size // 4096) * 4096, os.path.join(path, name)))
        if path != root:
            folders.append(path)
    total, count, removed = sum(size for _, size, _ in files), len(files), 0
    for mtime, size, path in sorted(files):
        if total <= max_bytes and count <= max_files:
            break
        if now - mtime <= fresh or path in keep:
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
        total, count, removed = total - size, count - 1, removed + 1
    for path in folders:  # Deepest first (os.walk bottom-up).
        try:
            if now - os.stat(path).st_mtime > fresh:
                os.rmdir(path)  # Only if empty.
        except OSError:
            continue
    return removed


def tend_on_schedule(folder, every: float, orphan_age: float, keep=frozenset(),
                     max_bytes: int = CACHE_BYTES, max_files: int = CACHE_FILES) -> threading.Thread:
    """Start a daemon thread that, every `every` seconds, runs `sweep_orphans` (parts older
    than `orphan_age`) and `trim_cache` (sparing the paths in `keep`) on `folder`."""
    def run():
        while True:
            time.sleep(every)
            try:
                sweep_orphans(folder, orphan_age)
                trim_cache(folder, max_bytes, max_files, keep)
            except Exception as error:  # Tending must outlive any one failure.
                print(f"digitpad: tending the cache failed: {error}", flush=True)

    thread = threading.Thread(target=run, name="tend-cache", daemon=True)
    thread.start()
    return thread
