"""How many CPU threads torch uses: the CPUs this process may run on, never more.

``os.cpu_count()`` counts the machine's CPUs, not those a container, ``taskset``, Slurm or a Ray task gives the
process; two processes that each take every CPU of a 2-core machine train 10 to 20 times slower than one.
"""

from __future__ import annotations

import os

import torch


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask), or the machine's count where there is no mask."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # NOTE: macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def match_torch_threads(count: int | None = None) -> int:
    """Set torch's intra-op threads to ``count``, else to the available CPUs unless ``OMP_NUM_THREADS`` chooses
    (a user's explicit setting wins); returns the count torch uses."""
    if count is not None:
        torch.set_num_threads(max(1, count))
    elif not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(available_cpus())
    return torch.get_num_threads()
