"""Where the time of one call goes: torch.profiler's top operators."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

import torch
from torch.profiler import ProfilerActivity, profile

from normbench.runtime.timing import synchronize

TOP_ROWS = 15


def top_entries(fn: Callable[[], object], device: torch.device, warmup: int = 2) -> str:
    """The profiler's table of the ``TOP_ROWS`` operators by self time over one call of ``fn`` after warm-up."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with _native_stderr_silenced(), profile(activities=activities) as prof:
        fn()
        synchronize(device)
    sort_by = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    return prof.key_averages().table(sort_by=sort_by, row_limit=TOP_ROWS, max_name_column_width=48)


@contextlib.contextmanager
def _native_stderr_silenced():
    """Drop what native code writes to file descriptor 2 (kineto logs every profiler start and stop there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
