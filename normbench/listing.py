"""What can be benchmarked, as ``timm.list_models`` lists models: the names the installed plugins register, built-in
and third-party alike (``normbench plugins`` shows the same with their origins)."""

from __future__ import annotations

import fnmatch


def _names(kind: str, pattern: str | None, disable_plugin=()) -> list[str]:
    from normbench.plugins import load_plugins

    registry = getattr(load_plugins(blocked=tuple(disable_plugin)), kind)
    names = sorted(registry.names())
    return [name for name in names if pattern is None or fnmatch.fnmatchcase(name, pattern)]


def list_norms(pattern: str | None = None, disable_plugin=()) -> list[str]:
    """The norms ``normbench run --norms`` takes, sorted; ``pattern`` filters them as a shell glob (``"*in*"``)."""
    return _names("norms", pattern, disable_plugin)


def list_metrics(pattern: str | None = None, disable_plugin=()) -> list[str]:
    """The metrics ``--metrics`` takes (each fills one or more columns), sorted, filtered by ``pattern``."""
    return _names("metrics", pattern, disable_plugin)


def list_architectures(pattern: str | None = None, disable_plugin=()) -> list[str]:
    """The generator architectures a norm can go into (``NORM@ARCHITECTURE``), sorted, filtered by ``pattern``."""
    return _names("architectures", pattern, disable_plugin)
