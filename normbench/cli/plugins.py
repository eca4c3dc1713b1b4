"""``normbench plugins``: every norm, architecture, metric and baseline, what it needs, and its distribution."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from normbench.cli.argtypes import add_disable_plugin_argument
from normbench.cli.commands import summary
from normbench.cli.console import make_console


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "plugins",
        help=summary("plugins"),
        description="List the norms, architectures, metrics, baselines and trackers that built-in and installed "
        "plugins register, "
        "and any plugin that is disabled or failed to load.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_disable_plugin_argument(parser)
    parser.set_defaults(handler=command_plugins)


_ARROWS = {True: "↑", False: "↓"}


def command_plugins(args: argparse.Namespace, console: Console) -> int:
    from normbench.plugins import describe, load_plugins, problem_sentence

    loaded = load_plugins(blocked=tuple(args.disable_plugin))
    info = describe(
        loaded.norms, loaded.metrics, loaded.report, loaded.baselines, loaded.architectures, loaded.trackers
    )
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    out = make_console()
    norms = Table(title="norms")
    for column in ("name", "aliases", "conditioning", "architecture", "plugin", "distribution"):
        norms.add_column(column)
    for n in info["norms"]:
        norms.add_row(
            n["name"], ", ".join(n["aliases"]), n["conditioning"], n["architecture"], n["plugin"], n["distribution"]
        )
    architectures = Table(title="architectures (a norm goes into another as NORM@ARCHITECTURE)")
    for column in ("name", "takes conditioning", "lr", "content/style/tv weights", "plugin", "distribution"):
        architectures.add_column(column)
    for a in info["architectures"]:
        t = a["training"]
        architectures.add_row(
            a["name"],
            ", ".join(a["supports"]),
            f"{t['lr']:g}",
            f"{t['content_weight']:g} / {t['style_weight']:g} / {t['tv_weight']:g}",
            a["plugin"],
            a["distribution"],
        )
    metrics = Table(title="metrics")
    for column in ("name", "columns (↓ lower, ↑ higher is better; axis)", "plugin", "distribution", "description"):
        metrics.add_column(column)
    for m in info["metrics"]:
        shown = ", ".join(
            f"{c['name']} {_ARROWS[c['higher_is_better']]} {c['axis']}"
            for c in m["columns"]
            if c["higher_is_better"] is not None
        )
        metrics.add_row(m["name"], shown, m["plugin"], m["distribution"], m["description"])
    baselines = Table(title="baselines (measured in every run)")
    for column in ("name", "wins by construction", "plugin", "distribution", "description"):
        baselines.add_column(column)
    for b in info["baselines"]:
        baselines.add_row(
            b["name"], ", ".join(b["wins_by_construction"]) or "-", b["plugin"], b["distribution"], b["description"]
        )
    out.print(norms, architectures, metrics, baselines)
    if info["trackers"]:
        trackers = Table(title="trackers (follow every run)")
        for column in ("name", "plugin", "distribution", "description"):
            trackers.add_column(column)
        for t in info["trackers"]:
            trackers.add_row(t["name"], t["plugin"], t["distribution"], t["description"])
        out.print(trackers)
    for problem in info["broken_plugins"]:
        out.print(Text(problem_sentence(problem), style="red"))
    for name in info["disabled"]:
        out.print(Text(f"disabled plugin {name}", style="yellow"))
    return 0
