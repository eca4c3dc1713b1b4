"""Timing protocol: untimed warm-up, then at least five synchronised repetitions, as median and IQR."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

#: Timed repetitions are preceded by at least this many untimed ones (allocator, caches, cudnn autotune)
#: and at least WARMUP_SECONDS of them, since oneDNN and the clock settle over the first calls.
WARMUP_REPS = 2
WARMUP_SECONDS = 0.3
MAX_WARMUP_REPS = 50
MIN_REPS = 5


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the first call alone (compilation shows here), then the timed repetitions."""

    first_s: float
    median_s: float
    q1_s: float
    q3_s: float
    reps: int

    @property
    def setup_s(self) -> float:
        """What the first call cost beyond a steady one: compilation, autotuning, allocation."""
        return max(0.0, self.first_s - self.median_s)

    def throughput(self, items: int) -> dict:
        """Items per second at the median, with the inter-quartile range's ends."""
        return {
            "img_per_s": items / self.median_s,
            "img_per_s_q1": items / self.q3_s,
            "img_per_s_q3": items / self.q1_s,
        }


def time_calls(fn: Callable[[], object], reps: int, device: torch.device) -> Timing:
    """Time ``fn``: a first call, more untimed warm-up calls, then ``max(5, reps)`` timed calls."""
    first = _timed(fn, device)
    calls, start = 1, time.perf_counter()
    while calls < WARMUP_REPS or (time.perf_counter() - start < WARMUP_SECONDS and calls < MAX_WARMUP_REPS):
        fn()
        synchronize(device)
        calls += 1
    times = [_timed(fn, device) for _ in range(max(MIN_REPS, reps))]
    q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return Timing(first, statistics.median(times), q1, q3, len(times))


def _timed(fn: Callable[[], object], device: torch.device) -> float:
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start
