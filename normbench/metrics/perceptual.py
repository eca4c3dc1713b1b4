"""LPIPS between content and stylization as an update/compute/reset metric, and the shared LPIPS helpers."""

from __future__ import annotations

import functools

import torch

from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.metrics.networks import load_lpips, lpips_provenance

_RANGE_SLACK = 1e-6


def to_lpips_range(images: torch.Tensor) -> torch.Tensor:
    """Map RGB in [0, 1] to lpips' [-1, 1], the one place this scaling happens.

    :raises ValueError: for input outside [0, 1] (e.g. already scaled, or 0-255).
    """
    low, high = float(images.min()), float(images.max())
    if low < -_RANGE_SLACK or high > 1 + _RANGE_SLACK:
        raise ValueError(f"LPIPS input must be RGB in [0, 1]; got values in [{low:.3g}, {high:.3g}]")
    return images * 2 - 1


@functools.lru_cache(maxsize=4)
def shared_lpips(features: str, device: str):
    return load_lpips(features).to(device)


@torch.inference_mode()
def lpips_distance(model, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Per-image LPIPS between two ``(N, 3, H, W)`` batches in [0, 1]."""
    return model(to_lpips_range(first), to_lpips_range(second)).flatten()


class LPIPSMean(Metric):
    """Base for metrics that average per-image LPIPS values into their columns."""

    feature_networks = ("alexnet",)

    def __init__(self, context: MetricContext):
        self.context = context
        self.model = shared_lpips(context.features_of("alexnet"), str(context.device))
        self.reset()

    def reset(self) -> None:
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def compute(self) -> dict[str, float]:
        return {
            column.name: self._sums[column.name] / self._counts[column.name]
            if self._counts.get(column.name)
            else float("nan")
            for column in self.declared_columns()
        }

    def provenance(self) -> dict:
        return lpips_provenance(self.context.features_of("alexnet"))

    def _add(self, column: str, distances: torch.Tensor) -> None:
        self._sums[column] = self._sums.get(column, 0.0) + float(distances.sum())
        self._counts[column] = self._counts.get(column, 0) + distances.numel()


class LPIPS(LPIPSMean):
    """Mean LPIPS between each held-out content image and its stylization: how much of the content changed."""

    name, higher_is_better, axis, label = "lpips", False, "content", "LPIPS"
    description = "LPIPS (AlexNet, v0.1) between each content image and its stylization"

    def update(self, sample: StylizedSample) -> None:
        self._add("lpips", lpips_distance(self.model, sample.stylized, sample.content))
