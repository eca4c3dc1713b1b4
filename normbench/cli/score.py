"""``normbench score``: measure a finished run's stored generators with new or changed metrics, without training."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench.cli.argtypes import add_disable_plugin_argument, csv_list
from normbench.cli.console import say
from normbench.errors import ExitCode, UserError


def add_parser(commands) -> None:
    score = commands.add_parser(
        "score",
        help="measure a run's trained generators with new or changed metrics, without training",
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
    from normbench.cli.reopen import open_run
    from normbench.report.page import write_report
    from normbench.runtime.threads import match_torch_threads
    from normbench.store.cells import RunLock
    from normbench.study.scoring import score_run

    match_torch_threads()
    run, stored = open_run(args.run_dir, args.device, args.metrics, args.disable_plugin)
    lock = RunLock(args.run_dir)
    if not lock.acquire():
        raise UserError(f"{args.run_dir} is being computed by process {lock.holder()}; score it when it ends")
    start = time.perf_counter()
    try:
        names = ", ".join(spec.name for spec in run.metric_registry)
        console.print(Text(f"scoring {args.run_dir} with {names} on {run.config.device}, no training"))
        rescored = score_run(run, stored, lambda cell, rows: console.print(Text(f"{cell.label}: measured")))
    finally:
        lock.release()
    if not rescored:
        say(console, "error", f"{args.run_dir} has no finished cell to score", "red")
        return ExitCode.NO_RESULT
    console.print(
        Text(
            f"scored {len(rescored)} cells in {time.perf_counter() - start:.1f} s; "
            f"results: {args.run_dir / 'results.csv'}"
        )
    )
    console.print(Text(f"report: {write_report(args.run_dir)}"))
    return ExitCode.OK
