"""LPIPS between content and stylization, and the IN paper's contrast test, as update/compute/reset metrics."""

from __future__ import annotations

import functools

import torch

from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.metrics.networks import load_lpips, lpips_provenance

#: Contrast factors of the sensitivity test (Ulyanov et al.: stylization should not depend on contrast).
CONTRAST_FACTORS = (0.5, 1.5)
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


def scale_contrast(images: torch.Tensor, factor: float) -> torch.Tensor:
    """Scale each image's contrast about its own per-channel mean, kept in [0, 1]."""
    mean = images.mean(dim=(2, 3), keepdim=True)
    return (mean + factor * (images - mean)).clamp(0, 1)


class _LPIPSBase(Metric):
    higher_is_better = False

    def __init__(self, context: MetricContext):
        self.context = context
        self.model = shared_lpips(context.features, str(context.device))
        self.reset()

    def reset(self) -> None:
        self._sum, self._count = 0.0, 0

    def compute(self) -> dict[str, float]:
        return {self.name: self._sum / self._count if self._count else float("nan")}

    def provenance(self) -> dict:
        return lpips_provenance(self.context.features)

    def _add(self, distances: torch.Tensor) -> None:
        self._sum += float(distances.sum())
        self._count += distances.numel()


class LPIPS(_LPIPSBase):
    """Mean LPIPS between each held-out content image and its stylization (content kept: lower)."""

    name = "lpips"

    def update(self, sample: StylizedSample) -> None:
        self._add(lpips_distance(self.model, sample.stylized, sample.content))


class ContrastLPIPS(_LPIPSBase):
    """Mean LPIPS between G(x) and G(x') with x' = x at another contrast: how much contrast leaks through."""

    name = "contrast_lpips"

    def update(self, sample: StylizedSample) -> None:
        for factor in CONTRAST_FACTORS:
            changed = sample.stylize(scale_contrast(sample.content, factor))
            self._add(lpips_distance(self.model, sample.stylized, changed))

    def provenance(self) -> dict:
        return {**super().provenance(), "contrast_factors": list(CONTRAST_FACTORS)}
