"""Gradio components that read only what a digit needs and bound the work of every request.

`DigitSketchpad` is Gradio's Sketchpad with four changes:

- it decodes the composite only (or, without one, the background and one layer), with the
  total pixels checked from the headers before anything is decoded (`digitpad.reading`);
- a file given as a web address is refused before Gradio would download it;
- `accept_blobs` (the endpoint the editor uploads its parts to) refuses layer indices beyond a
  small number and oversized parts, and lets stored parts expire by age, count and bytes;
- every failure is a `gr.Error` a visitor can read.

`DigitUploadButton` refuses web addresses the same way.
"""

import threading
import time

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from gradio.components.image_editor import AcceptBlobs, EditorDataBlobs
from gradio_client import utils as client_utils
from PIL import Image

from digitpad.reading import open_images

MAX_LAYER_INDEX = 3  # The editor numbers its layers from 0; ours has one.
MAX_BLOB_BYTES = 5 * 1024 * 1024  # One part of a drawing: a few kB; a phone photo: a few MB.
BLOB_TTL_SECONDS = 60.0  # Parts not claimed by an event within this are dropped.
MAX_BLOB_ENTRIES = 256  # Drawings waiting for their event at once.
MAX_BLOB_TOTAL_BYTES = 64 * 1024 * 1024  # Bytes they may hold together.
NO_URLS = "Pictures must be uploaded, not given as web addresses."


def refuse_urls(path) -> None:
    """Raise a `gr.Error` for a web address, before anything is fetched."""
    if isinstance(path, str) and client_utils.is_http_url_like(path):
        raise gr.Error(NO_URLS)


class NoWebAddresses:
    """Mixed into a component: a file named by a web address is refused before Gradio would
    download it into the cache (Gradio fetches such a path with no size limit)."""

    async def async_move_resource_to_block_cache(self, url_or_file_path):
        refuse_urls(url_or_file_path)
        return await super().async_move_resource_to_block_cache(url_or_file_path)

    def move_resource_to_block_cache(self, url_or_file_path):
        refuse_urls(url_or_file_path)
        return super().move_resource_to_block_cache(url_or_file_path)


class DigitSketchpad(NoWebAddresses, gr.Sketchpad):
    """Gradio's Sketchpad, reading only what the digit needs and failing politely."""

    # No __init__ of its own: Gradio reads a component's settings for the page from its
    # constructor's signature. The bookkeeping of stored parts is made on first use.
    _blob_lock = threading.Lock()

    @property
    def _blob_times(self) -> dict[str, float]:
        return self.__dict__.setdefault("_blob_times_", {})

    def get_block_name(self) -> str:
        return "imageeditor"

    @server
    def accept_blobs(self, data: AcceptBlobs):
        """Keep one uploaded part of a drawing until its event claims it (bounded)."""
        kind, blob_id = data.data["type"], str(data.data["id"])
        raw_index = data.data.get("index")
        # As the stock component does, an index of 0 or none means "no layer to keep".
        index = int(raw_index) if raw_index and raw_index != "null" else None
        file = data.files[0][1] if data.files else b""
        if kind not in ("layer", "background", "composite"):
            raise HTTPException(400, "Unknown part of a drawing.")
        if kind == "layer" and index is not None and not 0 <= index <= MAX_LAYER_INDEX:
            raise HTTPException(400, "A drawing has one layer; that layer number is out of range.")
        if kind == "layer" and index is None:
            return
        if len(file) > MAX_BLOB_BYTES:
            raise HTTPException(413, f"That part of the drawing is over {MAX_BLOB_BYTES // 2**20} MB.")
        with self._blob_lock:
            current = self.blob_storage.get(
                blob_id, EditorDataBlobs(background=None, layers=[], composite=None))
            if kind == "layer":
                current.layers.extend([None] * (index + 1 - len(current.layers)))
                current.layers[index] = file
            else:
                setattr(current, kind, file)
            self.blob_storage[blob_id] = current
            self._blob_times[blob_id] = time.monotonic()
            self._expire_blobs()

    def _expire_blobs(self) -> None:
        """Drop parts older than the TTL, then the oldest until count and bytes fit."""
        now = time.monotonic()
        for blob_id in [b for b, t in self._blob_times.items() if now - t > BLOB_TTL_SECONDS]:
            self._drop_blob(blob_id)

        def size(entry) -> int:
            parts = [entry.background, entry.composite, *entry.layers]
            return sum(len(p) for p in parts if p)

        oldest_first = sorted(self._blob_times, key=self._blob_times.get)
        total = sum(size(self.blob_storage[b]) for b in oldest_first if b in self.blob_storage)
        while oldest_first and (len(oldest_first) > MAX_BLOB_ENTRIES or total > MAX_BLOB_TOTAL_BYTES):
            blob_id = oldest_first.pop(0)
            if blob_id in self.blob_storage:
                total -= size(self.blob_storage[blob_id])
            self._drop_blob(blob_id)

    def _drop_blob(self, blob_id) -> None:
        self._blob_times.pop(blob_id, None)
        self.blob_storage.pop(blob_id, None)

    def preprocess(self, payload):
        if payload is None:
            return None
        blobs = None
        if payload.id is not None:
            with self._blob_lock:
                blobs = self.blob_storage.pop(payload.id, None)
                self._blob_times.pop(payload.id, None)
        source = blobs if blobs is not None else payload
        if source.composite is not None:
            parts = [source.composite]
        else:
            parts = [p for p in [source.background, *(source.layers or [])[:1]] if p is not None]
        if not parts:
            return None
        for part in parts:
            refuse_urls(getattr(part, "path", None))
        images = read_parts([p if isinstance(p, (bytes, bytearray)) else p.path for p in parts])
        if source.composite is not None:
            return {"background": None, "layers": [], "composite": images[0]}
        return {"background": images[0], "layers": images[1:], "composite": None}


class DigitUploadButton(NoWebAddresses, gr.UploadButton):
    """Gradio's UploadButton, refusing web addresses before anything is fetched."""

    def get_block_name(self) -> str:
        return "uploadbutton"

    def preprocess(self, payload):
        refuse_urls(getattr(payload, "path", None))
        return super().preprocess(payload)


def read_parts(sources) -> list[Image.Image]:
    """Decode the parts of one request (paths or bytes) with the limits of `open_images`;
    a `gr.Error` with the reason when they cannot be read."""
    try:
        return open_images(sources)
    except ValueError as error:
        raise gr.Error(str(error)) from None
