"""Keep freed CPU memory in the process, so repeated large allocations do not page-fault on every call.

glibc hands allocations above a (dynamic) threshold straight to mmap and back
with munmap, so each call of a generator on 256² images maps, zero-fills and
unmaps its activations again: slower, and bimodal timings. Fixing the threshold
at its maximum and not trimming the heap makes timings steady. It changes
nothing but where memory comes from, and it is recorded in the manifest.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's ceiling on 64-bit systems
_applied = "unchanged"


def status() -> str:
    """What ``keep_freed_memory`` did in this process, for manifests."""
    return _applied


def keep_freed_memory() -> str:
    """Apply the glibc settings where glibc is the allocator; returns what was done, for the manifest."""
    global _applied
    _applied = _apply()
    return _applied


def _apply() -> str:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return "unchanged (no glibc mallopt)"
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) != 1 or mallopt(M_TRIM_THRESHOLD, ctypes.c_int(2**31 - 1)) != 1:
        return "unchanged (mallopt refused)"
    return f"glibc mallopt: M_MMAP_THRESHOLD={MMAP_THRESHOLD_MAX}, M_TRIM_THRESHOLD={2**31 - 1}"
