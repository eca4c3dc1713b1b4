"""Building the plugin manager and collecting what plugins register."""

from __future__ import annotations

import importlib
import os

import pluggy

from normbench import PROJECT_NAME, hookspecs
from normbench.metrics.base import MetricRegistry
from normbench.registry import NormRegistry

#: Built-in norms, registered through the same hook as third-party plugins.
DEFAULT_PLUGINS = (
    "normbench.norms.identity",
    "normbench.norms.batchnorm",
    "normbench.norms.instancenorm",
    "normbench.norms.conditional",
    "normbench.norms.adaptive",
    "normbench.metrics.builtin",
)

#: Entry-point group third-party distributions declare their plugins in.
ENTRY_POINT_GROUP = PROJECT_NAME

#: Comma-separated plugin names to block, like ``--disable-plugin``.
DISABLE_ENV = "NORMBENCH_DISABLE_PLUGINS"


def get_plugin_manager(*, entrypoints: bool = True, blocked: tuple[str, ...] = ()) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-ins and, optionally, installed plugins.

    :param entrypoints: also load the ``normbench`` entry-point group.
    :param blocked: plugin names (module names for built-ins, entry-point
        names for third parties) never to register; ``NORMBENCH_DISABLE_PLUGINS``
        adds to them.
    :returns: a validated manager (``check_pending`` has run, so a misspelled
        hook fails here instead of silently never running).
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    env_blocked = [name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()]
    for name in (*blocked, *env_blocked):
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if not pm.is_blocked(module_name):
            pm.register(importlib.import_module(module_name), name=module_name)
    if entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return pm


def _collect(pm: pluggy.PluginManager, hook_name: str, registry):
    """Call every implementation of ``hook_name`` into ``registry``, one at a time in registration
    order, so the registry can name the plugin behind a duplicate."""
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        registry.registering(impl.plugin_name)
        impl.function(registry=registry)
    registry.registering("<direct>")
    return registry


def collect_norms(pm: pluggy.PluginManager) -> NormRegistry:
    """Every norm the manager's plugins register."""
    return _collect(pm, "normbench_register_norms", NormRegistry())


def collect_metrics(pm: pluggy.PluginManager) -> MetricRegistry:
    """Every metric the manager's plugins register."""
    return _collect(pm, "normbench_register_metrics", MetricRegistry())


def load_norms(*, entrypoints: bool = True, blocked: tuple[str, ...] = ()) -> NormRegistry:
    """The registry of every available norm: built-ins plus installed plugins."""
    return collect_norms(get_plugin_manager(entrypoints=entrypoints, blocked=blocked))


def load_plugins(*, entrypoints: bool = True) -> tuple[NormRegistry, MetricRegistry]:
    """Norms and metrics from one plugin manager."""
    pm = get_plugin_manager(entrypoints=entrypoints)
    return collect_norms(pm), collect_metrics(pm)
