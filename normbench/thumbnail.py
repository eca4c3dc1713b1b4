"""Normalization statistics taken from a thumbnail: how a layer stylizes a large image patch by patch without seams.

URST (Chen et al., AAAI 2022) stylizes an image too large for memory in patches. A layer that normalizes each
patch by the patch's own statistics gives every patch a different look, and the seams show; Thumbnail Instance
Normalization normalizes every patch with the statistics the same layer had on a downsampled copy of the whole
image. The protocol::

    thumbnail = ThumbnailStatistics()
    with thumbnail.recording():
        model(small_copy)            # every statistics-taking layer records its statistics, in call order
    with thumbnail.replaying():
        pieces = [model(patch) for patch in patches]   # ... and uses them again, in the same order

A layer takes part by calling :func:`thumbnail_or_own` with a function that computes its own statistics. Outside
both blocks, and for layers that never call it, nothing changes. The statistics are kept by the context, not by
the layers, so it works through any wrapper that calls the same layers in the same order (a copy of the model
included).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

import torch

Statistics = tuple[torch.Tensor, ...]

_ACTIVE: contextvars.ContextVar[ThumbnailStatistics | None] = contextvars.ContextVar("thumbnail", default=None)


class ThumbnailStatistics:
    """The statistics each taking part layer had on a thumbnail, in the order the layers ran."""

    def __init__(self) -> None:
        self.recorded: list[Statistics] = []
        self._replaying = False
        self._next = 0

    def __len__(self) -> int:
        return len(self.recorded)

    @contextlib.contextmanager
    def recording(self) -> Iterator[ThumbnailStatistics]:
        """Record the statistics of one forward pass (the thumbnail's), replacing any recorded before."""
        self.recorded, self._replaying = [], False
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    @contextlib.contextmanager
    def replaying(self) -> Iterator[ThumbnailStatistics]:
        """Give each layer, in call order, the statistics it recorded; every forward pass starts from the first."""
        self._replaying, self._next = True, 0
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)
            self._replaying = False

    def take(self, own: Callable[[], Statistics]) -> Statistics:
        if not self._replaying:
            statistics = tuple(value.detach() for value in own())
            self.recorded.append(statistics)
            return statistics
        if not self.recorded:
            raise RuntimeError("thumbnail statistics are replayed before any were recorded")
        statistics = self.recorded[self._next % len(self.recorded)]
        self._next += 1
        return statistics


def thumbnail_or_own(own: Callable[[], Statistics]) -> Statistics:
    """A layer's statistics: recorded from or replayed from the active thumbnail, else ``own()``."""
    active = _ACTIVE.get()
    return own() if active is None else active.take(own)
