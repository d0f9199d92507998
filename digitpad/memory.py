"""Handing memory back to the system after a large picture, so the server's size stays flat.

glibc's allocator raises its threshold for serving big blocks from the heap each time one is
freed, and a heap rarely shrinks: after a few large pictures a server would stay hundreds of
megabytes larger for good. `keep_heap_small` fixes the threshold (big blocks come from, and go
back to, the system), and `release_memory` trims what the heap holds free. Both do nothing
where there is no glibc.
"""

import ctypes
import functools

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h.
MMAP_THRESHOLD = 256 * 1024  # Blocks this large or larger are mapped, and unmapped when freed.


@functools.cache
def _libc():
    """glibc, opened once (None elsewhere: musl, macOS, Windows)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def keep_heap_small() -> bool:
    """Fix glibc's mmap threshold for this process; True if it took effect."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_memory() -> None:
    """Give the heap's free memory back to the system (a few milliseconds at most)."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)
