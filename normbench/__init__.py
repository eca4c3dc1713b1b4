"""normbench: which normalization layer makes a fast style-transfer generator best, at what speed?

Plugin authors import what they need from here: :data:`hookimpl` to mark their
hook implementations, :class:`NormSpec` to describe a layer, :class:`MetricSpec`,
:class:`Metric` and :class:`Column` for a metric, :class:`BaselineSpec` for a
reference baseline, :class:`ArchitectureSpec` and :class:`TrainingSettings` for a
generator, with the building blocks :class:`NormSlot` and :class:`GramCriterion`, and
:class:`TrackerSpec`, :class:`Tracker` and :class:`TrackerContext` for an experiment tracker.

Scripts and notebooks call :func:`run` (a study, returned as pandas objects), :func:`load` (a stored run),
:func:`resume` (a stopped run continued), and :func:`score`, :func:`stylize`, :func:`check_tiles` and :func:`export`
(a run's trained models reused); see :mod:`normbench.api`, imported on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING  # noqa: E402

from normbench.columns import Column  # noqa: E402
from normbench.markers import PROJECT_NAME, hookimpl  # noqa: E402

if TYPE_CHECKING:  # NOTE: what type checkers and IDEs see; at run time these load on first use (below)
    from normbench.api import (
        RunOptions,
        RunResult,
        check_tiles,
        export,
        list_architectures,
        list_metrics,
        list_norms,
        load,
        resume,
        run,
        score,
        stylize,
    )
    from normbench.metrics.base import DerivedMetric, Metric, MetricContext, MetricSpec, StylizedSample
    from normbench.models.layers import NormSlot
    from normbench.registry import (
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
    from normbench.thumbnail import ThumbnailStatistics, thumbnail_or_own
    from normbench.tracking import Tracker, TrackerContext, TrackerRegistry, TrackerSpec
    from normbench.training.criteria import GramCriterion, MeanStdCriterion

#: Every name but the light ones above, loaded on first use: ``import normbench`` (and so ``normbench --help``) does
#: not import torch, which takes seconds; ``from normbench import NormSpec`` loads what it names.
_LAZY = {
    **dict.fromkeys(
        ("DerivedMetric", "Metric", "MetricContext", "MetricSpec", "StylizedSample"), "normbench.metrics.base"
    ),
    **dict.fromkeys(
        (
            "BLEND_ALPHAS",
            "CONDITIONINGS",
            "ArchitectureRegistry",
            "ArchitectureSpec",
            "BaselineSpec",
            "Conditioning",
            "NormRegistry",
            "NormSpec",
            "TrainingSettings",
        ),
        "normbench.registry",
    ),
    **dict.fromkeys(("Tracker", "TrackerContext", "TrackerRegistry", "TrackerSpec"), "normbench.tracking"),
    "GramCriterion": "normbench.training.criteria",
    "MeanStdCriterion": "normbench.training.criteria",
    "NormSlot": "normbench.models.layers",
    **dict.fromkeys(("ThumbnailStatistics", "thumbnail_or_own"), "normbench.thumbnail"),
    **dict.fromkeys(
        (
            "run",
            "load",
            "resume",
            "score",
            "stylize",
            "check_tiles",
            "export",
            "RunResult",
            "RunOptions",
            "list_norms",
            "list_metrics",
            "list_architectures",
        ),
        "normbench.api",
    ),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'normbench' has no attribute {name!r}")


__all__ = [
    "list_architectures",
    "list_metrics",
    "list_norms",
    "RunOptions",
    "RunResult",
    "export",
    "load",
    "resume",
    "run",
    "score",
    "stylize",
    "check_tiles",
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
    "ThumbnailStatistics",
    "thumbnail_or_own",
    "__version__",
    "hookimpl",
]
