"""``normbench compare``: two stored runs side by side, with the change of every metric."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from normbench.cli.argtypes import add_json_argument
from normbench.cli.commands import summary
from normbench.errors import ExitCode


def add_parser(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help=summary("compare"),
        description="Compare RUN_B with RUN_A, both stored runs: per norm and metric, B − A with its interval "
        "over the seeds both runs have and a verdict, as compare.html (sortable, self-contained) and, with "
        "--json, as JSON. Runs of different protocols (profile, precision, features, data, metrics) are "
        "refused, naming each difference, unless --allow-protocol-mismatch, which lists them in red.",
    )
    compare.add_argument("run_a", type=Path, metavar="RUN_A")
    compare.add_argument("run_b", type=Path, metavar="RUN_B")
    compare.add_argument("-o", "--output", type=Path, default=Path("compare.html"), help="the HTML file")
    compare.add_argument(
        "--allow-protocol-mismatch",
        action="store_true",
        help="compare runs whose protocols differ (profile, precision, features, data, metrics); "
        "the page lists every difference in red",
    )
    add_json_argument(compare, "every change (B - A per norm and column, its interval and verdict)")
    compare.set_defaults(handler=command_compare)


def command_compare(args: argparse.Namespace, console: Console) -> int:
    from normbench.report.comparison import write_comparison

    run_a, run_b, changes = write_comparison(args.run_a, args.run_b, args.output, args.allow_protocol_mismatch)
    console.print(f"comparison: {args.output}", highlight=False, markup=False)
    if args.json:
        from normbench.report.summaries import comparison_summary, to_json

        print(to_json(comparison_summary(run_a, run_b, changes, args.output)))
    return ExitCode.OK
