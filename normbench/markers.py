"""The pluggy markers, in a module that imports nothing of normbench, so that the built-in plugins (norms, metrics,
baselines, architectures) can mark their hooks without importing the package top, which imports them.

Plugin authors write ``from normbench import hookimpl``: the same object.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "normbench"

#: Marker for hook implementations: ``@hookimpl def normbench_register_norms(registry): ...``
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
#: Marker for the hook specifications of :mod:`normbench.hookspecs`.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
