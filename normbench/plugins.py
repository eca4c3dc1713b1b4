"""Building the plugin manager and collecting what plugins register, one broken plugin never stopping the rest."""

from __future__ import annotations

import importlib
import os
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import NamedTuple

import pluggy

from normbench import __version__, hookspecs
from normbench.markers import PROJECT_NAME
from normbench.metrics.base import MetricRegistry
from normbench.registry import ArchitectureRegistry, BaselineRegistry, NormRegistry
from normbench.tracking import TrackerRegistry

#: Built-in norms, architectures, metrics and baselines, registered through the same hooks as third-party plugins.
#: IN comes first: the norm of the papers normbench follows, and so the reference of the verdicts when a run names no
#: --norms.
DEFAULT_PLUGINS = (
    "normbench.norms.instancenorm",
    "normbench.norms.batchnorm",
    "normbench.norms.identity",
    "normbench.norms.conditional",
    "normbench.norms.adaptive",
    "normbench.norms.comatch",
    "normbench.norms.efdm",
    "normbench.norms.whitening",
    "normbench.norms.adalin",
    "normbench.norms.switchable",
    "normbench.norms.thumbnail",
    "normbench.architectures.transformer",
    "normbench.architectures.adain",
    "normbench.architectures.msgnet",
    "normbench.metrics.builtin",
    "normbench.baselines",
)

#: Entry-point group third-party distributions declare their plugins in.
ENTRY_POINT_GROUP = PROJECT_NAME

#: Comma-separated plugin names to block, like ``--disable-plugin``.
DISABLE_ENV = "NORMBENCH_DISABLE_PLUGINS"


@dataclass
class PluginReport:
    """Where each plugin came from, and which were disabled or broken (with the reason, what failed and what it
    registered all the same)."""

    origins: dict[str, str] = field(default_factory=dict)  # plugin name -> "dist version" / "built-in"
    broken: dict[str, str] = field(default_factory=dict)  # plugin name -> what went wrong
    disabled: list[str] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)  # plugin name -> "import" or the hooks that raised
    registered: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # broken plugin -> kind -> names

    def hint(self) -> str:
        """A sentence for error messages about names that may belong to a disabled or broken plugin."""
        parts = [f"plugin {name!r} is broken: {reason}" for name, reason in self.broken.items()]
        parts += [f"plugin {name!r} is disabled" for name in self.disabled]
        return "; ".join(parts)

    def fail(self, plugin: str, what: str, reason: str) -> None:
        """Record that ``what`` (``import`` or a hook's name) of ``plugin`` failed for ``reason``."""
        self.failed.setdefault(plugin, []).append(what)
        self.broken[plugin] = f"{self.broken[plugin]}; {reason}" if plugin in self.broken else reason

    def problems(self) -> list[dict]:
        """Every broken plugin as data: ``plugin``, ``distribution``, ``reason``, ``failed`` (what raised) and
        ``registered`` (what it registered all the same, by kind: a plugin whose norms loaded and whose metric
        did not is partly there)."""
        return [
            {
                "plugin": name,
                "distribution": self.origins.get(name, "unknown distribution"),
                "reason": reason,
                "failed": list(self.failed.get(name, [])),
                "registered": {kind: names for kind, names in self.registered.get(name, {}).items() if names},
            }
            for name, reason in self.broken.items()
        ]


def problem_sentence(problem: dict) -> str:
    """One line on a broken plugin (an entry of :meth:`PluginReport.problems`, as a manifest stores it)."""
    registered = problem.get("registered") or {}
    if not registered:
        return f"plugin {problem['plugin']!r} failed and was skipped: {problem['reason']}"
    what = "; ".join(f"{kind} {', '.join(names)}" for kind, names in registered.items())
    return (
        f"plugin {problem['plugin']!r} failed and is only partly loaded: {problem['reason']}; loaded: {what}; "
        f"skipped: what {', '.join(problem.get('failed') or ['its failed hooks'])} would have registered"
    )


def disabled_plugins(extra: tuple[str, ...] = ()) -> list[str]:
    """``extra`` plus the names in ``NORMBENCH_DISABLE_PLUGINS``."""
    from_env = [name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()]
    return list(dict.fromkeys([*extra, *from_env]))


def get_plugin_manager(
    *, entrypoints: bool = True, blocked: tuple[str, ...] = (), report: PluginReport | None = None
) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-ins and, optionally, installed plugins.

    :param entrypoints: also load the ``normbench`` entry-point group.
    :param blocked: plugin names (module names for built-ins, entry-point
        names for third parties) never to register; ``NORMBENCH_DISABLE_PLUGINS``
        adds to them.
    :param report: filled with origins and problems; with it, a third-party
        plugin that fails to import or to validate is skipped instead of raising.
    :returns: a validated manager (a misspelled hook fails here, never silently).
    """
    strict = report is None
    report = PluginReport() if strict else report
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    report.disabled = disabled_plugins(blocked)
    for name in report.disabled:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if not pm.is_blocked(module_name):
            pm.register(importlib.import_module(module_name), name=module_name)
            report.origins[module_name] = f"normbench {__version__} (built-in)"
    pm.check_pending()
    if entrypoints:
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            _register_entry_point(pm, entry_point, report, strict)
    return pm


def _register_entry_point(pm: pluggy.PluginManager, entry_point, report: PluginReport, strict: bool) -> None:
    if pm.is_blocked(entry_point.name) or pm.has_plugin(entry_point.name):
        return
    dist = f"{entry_point.dist.name} {entry_point.dist.version}" if entry_point.dist else "unknown distribution"
    try:
        pm.register(entry_point.load(), name=entry_point.name)
        pm.check_pending()
    # NOTE: SystemExit and KeyboardInterrupt too: a module that calls sys.exit() or raises them at import must not
    # take every command down with it (a real Ctrl-C here only skips the plugin being imported).
    except (Exception, SystemExit, KeyboardInterrupt) as error:  # a broken third-party plugin is reported, skipped
        if pm.has_plugin(entry_point.name):
            pm.unregister(name=entry_point.name)
        if strict:
            raise
        report.fail(entry_point.name, "import", f"{dist}: {type(error).__name__}: {error}")
        return
    report.origins[entry_point.name] = dist


def _collect(pm: pluggy.PluginManager, hook_name: str, registry, report: PluginReport | None = None):
    """Call every implementation of ``hook_name`` into ``registry``, one at a time in registration
    order, so the registry can name the plugin behind a duplicate. With a ``report``, a plugin whose
    hook raises is recorded there, its partial registrations removed, and the rest go on."""
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        registry.registering(impl.plugin_name)
        before = set(registry.names())
        try:
            impl.function(registry=registry)
        except (Exception, SystemExit) as error:
            if report is None:
                raise
            registry.discard({name for name in registry.names() if name not in before})
            report.fail(
                impl.plugin_name,
                hook_name,
                f"{report.origins.get(impl.plugin_name, 'unknown distribution')}: "
                f"{hook_name} raised {type(error).__name__}: {error}",
            )
    registry.registering("<direct>")
    return registry


def collect_norms(pm: pluggy.PluginManager, report: PluginReport | None = None) -> NormRegistry:
    """Every norm the manager's plugins register."""
    return _collect(pm, "normbench_register_norms", NormRegistry(), report)


def collect_metrics(pm: pluggy.PluginManager, report: PluginReport | None = None) -> MetricRegistry:
    """Every metric the manager's plugins register."""
    return _collect(pm, "normbench_register_metrics", MetricRegistry(), report)


def collect_baselines(pm: pluggy.PluginManager, report: PluginReport | None = None) -> BaselineRegistry:
    """Every reference baseline the manager's plugins register."""
    return _collect(pm, "normbench_register_baselines", BaselineRegistry(), report)


def collect_architectures(pm: pluggy.PluginManager, report: PluginReport | None = None) -> ArchitectureRegistry:
    """Every generator architecture the manager's plugins register."""
    return _collect(pm, "normbench_register_architectures", ArchitectureRegistry(), report)


def collect_trackers(pm: pluggy.PluginManager, report: PluginReport | None = None) -> TrackerRegistry:
    """Every experiment tracker the manager's plugins register."""
    return _collect(pm, "normbench_register_trackers", TrackerRegistry(), report)


class LoadedPlugins(NamedTuple):
    """What every loaded plugin registered, and the report on where each came from."""

    norms: NormRegistry
    metrics: MetricRegistry
    baselines: BaselineRegistry
    report: PluginReport
    architectures: ArchitectureRegistry
    trackers: TrackerRegistry

    def catalog(self):
        """Every norm in its own or a named architecture (``in@msgnet``): what runs look norms up in."""
        from normbench.catalog import Catalog

        return Catalog(self.norms, self.architectures)


def load_norms(*, entrypoints: bool = True, blocked: tuple[str, ...] = ()) -> NormRegistry:
    """The registry of every available norm: built-ins plus installed plugins (strict: problems raise)."""
    return collect_norms(get_plugin_manager(entrypoints=entrypoints, blocked=blocked))


def load_plugins(*, entrypoints: bool = True, blocked: tuple[str, ...] = ()) -> LoadedPlugins:
    """Norms, metrics, baselines, architectures and trackers from one plugin manager; broken third-party plugins are
    skipped and reported."""
    report = PluginReport()
    pm = get_plugin_manager(entrypoints=entrypoints, blocked=blocked, report=report)
    loaded = LoadedPlugins(
        collect_norms(pm, report),
        collect_metrics(pm, report),
        collect_baselines(pm, report),
        report,
        collect_architectures(pm, report),
        collect_trackers(pm, report),
    )
    kinds = {
        "norms": loaded.norms,
        "metrics": loaded.metrics,
        "baselines": loaded.baselines,
        "architectures": loaded.architectures,
        "trackers": loaded.trackers,
    }
    for plugin in report.broken:
        report.registered[plugin] = {
            kind: [name for name in registry.names() if registry.plugin_of(name) == plugin]
            for kind, registry in kinds.items()
        }
    return loaded


def describe(
    norms: NormRegistry,
    metrics: MetricRegistry,
    report: PluginReport,
    baselines: BaselineRegistry | None = None,
    architectures: ArchitectureRegistry | None = None,
    trackers: TrackerRegistry | None = None,
) -> dict:
    """Every registered norm, architecture, metric, baseline and tracker with its plugin and distribution, and the
    broken and disabled plugins, as data: what ``normbench plugins`` shows and a run's manifest stores."""

    def origin(registry, name):
        plugin = registry.plugin_of(name)
        source = report.origins.get(plugin, "unknown")
        return {"plugin": plugin, "distribution": source, "builtin": source.endswith("(built-in)")}

    return {
        "norms": [
            {
                "name": s.name,
                "aliases": list(s.aliases),
                "conditioning": s.conditioning,
                "architecture": s.architecture,
                "description": s.description,
                **origin(norms, s.name),
            }
            for s in norms
        ],
        "metrics": [
            {
                "name": s.name,
                "aliases": list(s.aliases),
                "description": s.description,
                "columns": [
                    {"name": c.name, "higher_is_better": c.higher_is_better, "axis": c.axis} for c in s.columns
                ],
                **origin(metrics, s.name),
            }
            for s in metrics
        ],
        "baselines": [
            {
                "name": s.name,
                "aliases": list(s.aliases),
                "description": s.description,
                "wins_by_construction": list(s.wins_by_construction),
                **origin(baselines, s.name),
            }
            for s in (baselines or [])
        ],
        "architectures": [
            {
                "name": s.name,
                "aliases": list(s.aliases),
                "description": s.description,
                "supports": [str(c) for c in s.supports],
                "feature_nets": list(s.feature_nets),
                "training": asdict(s.training),
                **origin(architectures, s.name),
            }
            for s in (architectures or [])
        ],
        "trackers": [
            {"name": s.name, "aliases": list(s.aliases), "description": s.description, **origin(trackers, s.name)}
            for s in (trackers or [])
        ],
        "broken": report.broken,
        "broken_plugins": report.problems(),
        "disabled": report.disabled,
    }


def unique(specs) -> list:
    """Specs without repeats, in order (a name and its alias are one spec)."""
    return list({spec.name: spec for spec in specs}.values())


def select_metrics(registry, names: list[str] | None):
    """A registry of just the named metrics (all when ``names`` is None), each still credited to its plugin.

    :raises ValueError: for an unknown name, or a derived metric without the metrics it is computed from.
    """
    if names is None:
        return registry
    chosen = type(registry)()
    for spec in unique(map(registry.get, names)):
        chosen.registering(registry.plugin_of(spec.name)).add(spec)
    owners = chosen.column_owner()
    for spec in chosen:
        missing = [column for column in spec.requires if column not in owners]
        if missing:
            needed = sorted({registry.column_owner().get(column, column) for column in missing})
            raise ValueError(
                f"metric {spec.name!r} is computed from {', '.join(missing)}; add {', '.join(needed)} to --metrics"
            )
    return chosen
