"""normbench: which normalization layer makes a fast style-transfer generator best, at what speed?

Plugin authors need only two names from this package: :data:`hookimpl` to mark
their hook implementations and :class:`NormSpec` to describe a layer.
"""

from __future__ import annotations

import pluggy

from normbench.registry import CONDITIONINGS, NormRegistry, NormSpec

__version__ = "0.1.0"

PROJECT_NAME = "normbench"

#: Marker for hook implementations: ``@hookimpl def normbench_register_norms(registry): ...``
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["CONDITIONINGS", "NormRegistry", "NormSpec", "PROJECT_NAME", "__version__", "hookimpl"]
