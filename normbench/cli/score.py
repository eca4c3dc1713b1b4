"""``normbench score``: measure a finished run's stored generators with new or changed metrics, without training."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench.cli.argtypes import add_disable_plugin_argument, csv_list
from normbench.cli.commands import summary
from normbench.errors import ExitCode


def add_parser(commands) -> None:
    score = commands.add_parser(
        "score",
        help=summary("score"),
        description="Load every finished cell's generator (and baseline) of RUN_DIR, measure it with --metrics on "
        "the run's evaluation images, and write the columns into its cells, results.csv, manifest and "
        "report; other columns are kept. The manifest records each scoring.",
    )
    score.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    score.add_argument(
        "--metrics",
        type=csv_list,
        required=True,
        metavar="LIST",
        help="comma-separated metrics to measure (new ones, or ones whose plugin changed)",
    )
    score.add_argument("--device", default="auto", help="auto (default: the run's), cpu, cuda or cuda:N")
    add_disable_plugin_argument(score)
    score.set_defaults(handler=command_score)


def command_score(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench import api
    from normbench.runtime.threads import match_torch_threads

    match_torch_threads()
    start, measured = time.perf_counter(), []
    console.print(Text(f"scoring {args.run_dir} with {', '.join(args.metrics)}, no training"))

    def on_cell(cell, rows) -> None:
        measured.append(cell.id)
        console.print(Text(f"{cell.label}: measured"))

    api.score(args.run_dir, args.metrics, device=args.device, disable_plugin=args.disable_plugin, on_cell=on_cell)
    console.print(
        Text(
            f"scored {len(measured)} cells in {time.perf_counter() - start:.1f} s; "
            f"results: {args.run_dir / 'results.csv'}"
        )
    )
    console.print(Text(f"report: {args.run_dir / 'report.html'}"))
    return ExitCode.OK
