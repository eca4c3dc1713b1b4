"""``normbench report``: the HTML report, summary CSVs and Markdown of stored runs, or of a bench."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from normbench.cli.argtypes import add_json_argument, csv_list
from normbench.cli.commands import summary
from normbench.cli.console import say
from normbench.errors import ExitCode, UserError


def add_parser(commands) -> None:
    report = commands.add_parser(
        "report",
        help=summary("report"),
        description="Build RUN_DIR/report.html (one self-contained file), summary.csv and paired.csv only from "
        "what the run stored, and print the verdicts and summary as Markdown. Several run directories "
        "are analysed as one when their protocols match (their seeds pool; a (norm, style, seed) in "
        "two runs counts once) and refused, naming the differing fields, when they do not. A directory "
        "written by `normbench bench` gets its speed report.",
    )
    report.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where the HTML goes (default RUN_DIR/report.html for one run, analysis.html for several; "
        "the CSVs go beside it)",
    )
    report.add_argument(
        "--reference",
        metavar="NORM",
        help="the norm every other norm is tested against (default: the run's --reference, else its first norm)",
    )
    report.add_argument(
        "--norms",
        type=csv_list,
        metavar="LIST",
        help="report these norms only, comma-separated as the rows name them (e.g. in,adain@adain16); every "
        "baseline stays, and paired tests count only the comparisons shown (default: every norm of the runs)",
    )
    report.add_argument(
        "--quality",
        help="column plotted against speed (default: the headline style distance, a style column no baseline wins)",
    )
    add_json_argument(report, "the summary (per-norm means and intervals, verdicts, paired differences, flags)")
    report.set_defaults(handler=command_report)


def command_report(args: argparse.Namespace, console: Console) -> int:
    from normbench.report import speed
    from normbench.report.page import markdown, write_pages
    from normbench.report.pooling import load_runs, select_norms

    first = args.run_dirs[0]
    if (first / "bench.csv").is_file():
        if len(args.run_dirs) > 1:
            raise UserError("a bench directory is reported on its own; give one bench directory")
        output = speed.write_speed_report(first, args.output)
        print(bench_json(first, output) if args.json else speed.markdown(first))
        console.print(f"report: {output}", highlight=False, markup=False)
        return ExitCode.OK
    run = load_runs(args.run_dirs)
    if args.norms:
        run = select_norms(run, args.norms)
    for note in run.notes:
        say(console, "note", note, "yellow")
    default = first / "report.html" if len(args.run_dirs) == 1 else Path("analysis.html")
    output = write_pages(run, args.output or default, args.quality, args.reference)
    if args.json:
        from normbench.report.summaries import run_summary, to_json

        print(to_json(run_summary(run, args.reference, output)))
    else:
        print(markdown(run, args.reference))
    console.print(f"report: {output}", highlight=False, markup=False)
    return ExitCode.OK


def bench_json(path: Path, report: Path) -> str:
    """A bench directory's summary as JSON (``normbench bench --json``, ``normbench report BENCH --json``)."""
    from normbench.report import speed
    from normbench.report.summaries import bench_summary, to_json
    from normbench.store.bench_directory import read_bench

    frame, manifest = read_bench(path)
    return to_json(bench_summary(path, frame, speed.best_against_plain(frame), manifest, report))
