"""normbench: which normalization layer makes a fast style-transfer generator best, at what speed?

Plugin authors import what they need from here: :data:`hookimpl` to mark their
hook implementations, :class:`NormSpec` to describe a layer, :class:`MetricSpec`,
:class:`Metric` and :class:`Column` for a metric, :class:`BaselineSpec` for a
reference baseline, :class:`ArchitectureSpec` and :class:`TrainingSettings` for a
generator, with the building blocks :class:`NormSlot` and :class:`GramCriterion`, and
:class:`TrackerSpec`, :class:`Tracker` and :class:`TrackerContext` for an experiment tracker.

Scripts and notebooks call :func:`run` (a study, returned as pandas objects), :func:`load` (a stored run),
:func:`resume` (a stopped run continued), and :func:`score`, :func:`stylize` and :func:`export` (a run's trained
models reused); see :mod:`normbench.api`, imported on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from normbench.columns import Column  # noqa: E402
from normbench.markers import PROJECT_NAME, hookimpl  # noqa: E402
from normbench.metrics.base import DerivedMetric, Metric, MetricContext, MetricSpec, StylizedSample  # noqa: E402
from normbench.registry import (  # noqa: E402
    BLEND_ALPHAS,
    CONDITIONINGS,
    ArchitectureRegistry,
    ArchitectureSpec,
    BaselineSpec,
    Conditioning,
    NormRegistry,
    NormSpec,
    TrainingSettings,
)
from normbench.tracking import Tracker, TrackerContext, TrackerRegistry, TrackerSpec  # noqa: E402

#: Names that import torchvision (VGG), loaded on first use so ``import normbench`` stays light.
_LAZY = {
    "GramCriterion": "normbench.training.criteria",
    "MeanStdCriterion": "normbench.training.criteria",
    "NormSlot": "normbench.models.layers",
    "run": "normbench.api",
    "load": "normbench.api",
    "resume": "normbench.api",
    "score": "normbench.api",
    "stylize": "normbench.api",
    "export": "normbench.api",
    "RunResult": "normbench.api",
    "RunOptions": "normbench.api",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'normbench' has no attribute {name!r}")


__all__ = [
    "RunOptions",
    "RunResult",
    "export",
    "load",
    "resume",
    "run",
    "score",
    "stylize",
    "CONDITIONINGS",
    "ArchitectureRegistry",
    "ArchitectureSpec",
    "BaselineSpec",
    "BLEND_ALPHAS",
    "Column",
    "Conditioning",
    "DerivedMetric",
    "GramCriterion",
    "MeanStdCriterion",
    "Metric",
    "MetricContext",
    "MetricSpec",
    "NormRegistry",
    "NormSlot",
    "NormSpec",
    "PROJECT_NAME",
    "StylizedSample",
    "Tracker",
    "TrackerContext",
    "TrackerRegistry",
    "TrackerSpec",
    "TrainingSettings",
    "__version__",
    "hookimpl",
]
