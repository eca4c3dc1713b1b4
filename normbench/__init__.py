"""normbench: which normalization layer makes a fast style-transfer generator best, at what speed?

Plugin authors import what they need from here: :data:`hookimpl` to mark their
hook implementations, :class:`NormSpec` to describe a layer, :class:`MetricSpec`,
:class:`Metric` and :class:`Column` for a metric, :class:`BaselineSpec` for a
reference baseline.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "normbench"

#: Marker for hook implementations: ``@hookimpl def normbench_register_norms(registry): ...``
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

# NOTE: after hookimpl, which the built-in plugins these modules reach import from here.
from normbench.columns import Column  # noqa: E402
from normbench.metrics.base import DerivedMetric, Metric, MetricContext, MetricSpec, StylizedSample  # noqa: E402
from normbench.registry import CONDITIONINGS, BaselineSpec, Conditioning, NormRegistry, NormSpec  # noqa: E402

__all__ = ["CONDITIONINGS", "BaselineSpec", "Column", "Conditioning", "DerivedMetric", "Metric", "MetricContext", "MetricSpec",
           "NormRegistry", "NormSpec", "PROJECT_NAME", "StylizedSample", "__version__", "hookimpl"]
