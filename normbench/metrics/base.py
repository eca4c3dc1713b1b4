"""The metric contract: what a metric is given for each (norm, style) row, and what it returns.

Metrics follow torchmetrics' shape: ``update`` accumulates, ``compute`` returns
the values, ``reset`` clears them, and ``higher_is_better`` tells the report
which way is better.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from normbench.registry import NAME_PATTERN, Registry, normalize_name


@dataclass(frozen=True)
class StylizedSample:
    """One (norm, style) row's images, all ``(N, 3, H, W)`` RGB in [0, 1] on the run's device.

    :param stylized: the generator's outputs for ``content``.
    :param content: the held-out content images.
    :param style: the style image, ``(1, 3, H, W)``.
    :param stylize: runs the trained generator (for this style) on other images.
    """

    stylized: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    stylize: Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class MetricContext:
    """What a metric factory may build on, fixed for the whole run.

    :param device: where the images will be.
    :param features: ``"pretrained"`` or ``"random"`` (every network a metric loads must follow it).
    :param seed: the run's seed, for any sampling a metric does.
    :param fid_samples: how many patches distribution metrics compare per row.
    :param cache_dir: a folder for statistics worth keeping between runs.
    """

    device: torch.device
    features: str
    seed: int = 0
    fid_samples: int = 96
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "normbench")


class Metric:
    """Base class: subclasses set ``name`` and ``higher_is_better`` and implement the three methods."""

    name = "metric"
    higher_is_better = False

    def update(self, sample: StylizedSample) -> None:
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        """Result columns, at least one named ``self.name``."""
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def provenance(self) -> dict:
        """What produced the numbers: implementation and version, network, weights, resize, input range."""
        return {}


@dataclass(frozen=True)
class MetricSpec:
    """A metric as a plugin describes it.

    :param name: the results column it fills (lower case, ``_``).
    :param factory: ``factory(context: MetricContext) -> Metric``, called once per run.
    :param higher_is_better: which way is better, for reports.
    :param description: one line shown in listings and reports.
    :param aliases: other names that resolve to this one.
    """

    name: str
    factory: Callable[[MetricContext], Metric]
    higher_is_better: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(normalize_name(self.name)):
            raise ValueError(f"invalid metric name {self.name!r}: use letters, digits and '_'")


class MetricRegistry(Registry):
    """Every metric the loaded plugins registered."""

    kind = "metric"
