"""``normbench plugins``: every norm and metric, what it needs, and the distribution it came from."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "plugins", help="list every norm and metric with its plugin, distribution and version",
        description="List the norms and metrics that built-in and installed plugins register, "
                    "and any plugin that is disabled or failed to load.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_disable_plugin_argument(parser)


def add_disable_plugin_argument(parser) -> None:
    """``--disable-plugin NAME``, shared by every command that loads plugins."""
    parser.add_argument("--disable-plugin", action="append", default=[], metavar="NAME",
                        help="leave this plugin out (repeatable; NORMBENCH_DISABLE_PLUGINS works too)")


def describe(norms, metrics, report, baselines=None) -> dict:
    """Everything ``plugins`` shows, as data (also stored in a run's manifest)."""
    def origin(registry, name):
        plugin = registry.plugin_of(name)
        source = report.origins.get(plugin, "unknown")
        return {"plugin": plugin, "distribution": source, "builtin": source.endswith("(built-in)")}

    return {
        "norms": [{"name": s.name, "aliases": list(s.aliases), "conditioning": s.conditioning,
                   "architecture": s.architecture, "description": s.description, **origin(norms, s.name)}
                  for s in norms],
        "metrics": [{"name": s.name, "aliases": list(s.aliases), "description": s.description,
                     "columns": [{"name": c.name, "higher_is_better": c.higher_is_better, "axis": c.axis}
                                 for c in s.columns], **origin(metrics, s.name)} for s in metrics],
        "baselines": [{"name": s.name, "aliases": list(s.aliases), "description": s.description,
                       "wins_by_construction": list(s.wins_by_construction), **origin(baselines, s.name)}
                      for s in (baselines or [])],
        "broken": report.broken,
        "disabled": report.disabled,
    }


_ARROWS = {True: "↑", False: "↓"}


def command_plugins(args: argparse.Namespace, console: Console) -> int:
    from normbench.cli import make_console
    from normbench.plugins import load_plugins

    loaded = load_plugins(blocked=tuple(args.disable_plugin))
    info = describe(loaded.norms, loaded.metrics, loaded.report, loaded.baselines)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    out = make_console()
    norms = Table(title="norms")
    for column in ("name", "aliases", "conditioning", "architecture", "plugin", "distribution"):
        norms.add_column(column)
    for n in info["norms"]:
        norms.add_row(n["name"], ", ".join(n["aliases"]), n["conditioning"], n["architecture"], n["plugin"], n["distribution"])
    metrics = Table(title="metrics")
    for column in ("name", "columns (↓ lower, ↑ higher is better; axis)", "plugin", "distribution", "description"):
        metrics.add_column(column)
    for m in info["metrics"]:
        shown = ", ".join(f"{c['name']} {_ARROWS[c['higher_is_better']]} {c['axis']}" for c in m["columns"]
                          if c["higher_is_better"] is not None)
        metrics.add_row(m["name"], shown, m["plugin"], m["distribution"], m["description"])
    baselines = Table(title="baselines (measured in every run)")
    for column in ("name", "wins by construction", "plugin", "distribution", "description"):
        baselines.add_column(column)
    for b in info["baselines"]:
        baselines.add_row(b["name"], ", ".join(b["wins_by_construction"]) or "-", b["plugin"], b["distribution"],
                          b["description"])
    out.print(norms, metrics, baselines)
    for name, reason in info["broken"].items():
        out.print(f"[red]broken plugin {name}:[/] {reason}", highlight=False)
    for name in info["disabled"]:
        out.print(f"[yellow]disabled plugin {name}", highlight=False)
    return 0
