"""What the app remembers per session: a bounded table, safe between Gradio's worker threads.

Every request of Gradio's plain HTTP API is a new session, so a table of sessions must forget:
it keeps the newest `size` keys, the least recently touched leaving first.

    table = SessionTable(10_000, new=lambda: [0, None])
    with table.touch(key) as entry:   # the key's entry (made if new), now the most recent
        entry[0] += 1
    with table.peek(key) as entry:    # the key's entry or None, its place in line unchanged
        ...
"""

import collections
import contextlib
import threading


class SessionTable:
    def __init__(self, size: int, new):
        self.size, self._new = size, new
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @contextlib.contextmanager
    def touch(self, key):
        """The entry of `key` (a new one if it has none), moved to the newest, under the lock."""
        with self._lock:
            entry = self._entries.pop(key, None)
            self._entries[key] = entry = self._new() if entry is None else entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            yield entry

    @contextlib.contextmanager
    def peek(self, key):
        """The entry of `key`, or None, under the lock; its place in line is not changed."""
        with self._lock:
            yield self._entries.get(key)
