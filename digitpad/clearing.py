"""Recognising a drawing that arrives after its pad was cleared.

Gradio 6.31's image editor can send a pad's drawing once more after the pad's own "Clear
canvas" has emptied it: about a second after the clear's empty drawing, a copy of what was on
the canvas, the very files of its last upload (seen on the Number tab, three digits written
in a row and cleared once their number showed; why the editor sends it was not found). Read
as usual, it would put the answer for a drawing that is no longer there beside an empty
canvas. (A stroke still on its way when Clear is clicked is another case: the Clear waits for
it in the page, `static/clear_pad.js`.) So each session's pad
remembers the drawing it last read and, at a Clear, that drawing; a value equal to it (pixel
for pixel) is that late copy, and its event changes nothing. A new drawing on the emptied
canvas cannot be the old one, pixel for pixel.

    pads = ClearedPads()
    pads.cleared(key)           # at the pad's Clear; key = (session, pad)
    pads.is_late_copy(key, v)   # before reading a pad's value v; records v as the newest
    pads.read(key, v)           # records v as the newest without asking
"""

import hashlib

import numpy as np

from digitpad.sessions import SessionTable


def fingerprint(value) -> bytes | None:
    """A digest of a sketchpad value's pixels (its composite, else its background and layers);
    None for no drawing."""
    if not isinstance(value, dict):
        return None
    parts = [value.get("composite")] if value.get("composite") is not None else \
        [value.get("background"), *(value.get("layers") or [])]
    arrays = [np.ascontiguousarray(p) for p in parts if p is not None]
    if not arrays:
        return None
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        digest.update(repr((array.shape, array.dtype.str)).encode())
        digest.update(array.tobytes())
    return digest.digest()


class ClearedPads:
    """For the newest `sessions` (session, pad) keys: the drawing last read and the drawing
    the last Clear took away. Safe to share between Gradio's worker threads."""

    def __init__(self, sessions: int = 10_000):
        self._pads = SessionTable(sessions, new=lambda: [None, None])  # [newest read, taken away]

    def cleared(self, key) -> None:
        """The pad `key` was cleared: the drawing it last read is gone from its canvas."""
        with self._pads.touch(key) as entry:
            entry[1] = entry[0]

    def is_late_copy(self, key, value) -> bool:
        """True if `value` is the drawing the pad's last Clear took away; otherwise records it
        as the pad's newest drawing (as `read` does) and returns False."""
        digest = fingerprint(value)
        with self._pads.touch(key) as entry:
            if digest is not None and digest == entry[1]:
                return True
            entry[0] = digest
            return False

    def read(self, key, value) -> None:
        """Record `value` as the pad's newest drawing, whatever it is (an example the visitor
        chose is read even if it is the drawing just cleared)."""
        digest = fingerprint(value)
        with self._pads.touch(key) as entry:
            entry[0] = digest
