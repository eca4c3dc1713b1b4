"""The ``normbench`` command line."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from rich.console import Console

from normbench import __version__, plugins_cli, run_cli, weights_cli
from normbench.errors import UserError
from normbench.speed import cli as bench_cli

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="normbench",
        description="Benchmark normalization layers in fast style-transfer generators.",
    )
    parser.add_argument("--version", action="version", version=f"normbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_cli.add_parser(commands)
    bench_cli.add_parser(commands)
    _add_report_parsers(commands)
    weights_cli.add_parser(commands)
    plugins_cli.add_parser(commands)
    return parser


def _add_report_parsers(commands) -> None:
    report = commands.add_parser(
        "report", help="build the HTML report, summary CSV and Markdown table of stored runs or a bench",
        description="Build RUN_DIR/report.html (one self-contained file), summary.csv and paired.csv only from "
                    "what the run stored, and print the verdicts and summary as Markdown. Several run directories "
                    "are analysed as one when their protocols match (their seeds pool; a (norm, style, seed) in "
                    "two runs counts once) and refused, naming the differing fields, when they do not. A directory "
                    "written by `normbench bench` gets its speed report.")
    report.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    report.add_argument("-o", "--output", type=Path,
                        help="where the HTML goes (default RUN_DIR/report.html for one run, analysis.html for several; "
                             "the CSVs go beside it)")
    report.add_argument("--reference", metavar="NORM",
                        help="the norm every other norm is tested against (default: the run's --reference, else "
                             "its first norm)")
    report.add_argument("--quality", help="column plotted against speed (default: the headline style distance, "
                                          "a style column no baseline wins)")
    compare = commands.add_parser("compare", help="compare two stored runs side by side, with the change per metric")
    compare.add_argument("run_a", type=Path, metavar="RUN_A")
    compare.add_argument("run_b", type=Path, metavar="RUN_B")
    compare.add_argument("-o", "--output", type=Path, default=Path("compare.html"), help="default compare.html")
    compare.add_argument("--allow-protocol-mismatch", action="store_true",
                         help="compare runs whose protocols differ (profile, precision, features, data, metrics); "
                              "the page lists every difference in red")


def command_report(args: argparse.Namespace, console: Console) -> int:
    from normbench.report import speed
    from normbench.report.page import markdown, write_pages
    from normbench.report.pooling import load_runs

    first = args.run_dirs[0]
    if (first / "bench.csv").is_file():
        if len(args.run_dirs) > 1:
            raise UserError("a bench directory is reported on its own; give one bench directory")
        output = speed.write_speed_report(first, args.output)
        print(speed.markdown(first))
        console.print(f"report: {output}")
        return EXIT_OK
    run = load_runs(args.run_dirs)
    default = first / "report.html" if len(args.run_dirs) == 1 else Path("analysis.html")
    output = write_pages(run, args.output or default, args.quality, args.reference)
    print(markdown(run, args.reference))
    console.print(f"report: {output}")
    return EXIT_OK


def make_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console.width = 160  # logs and CI: keep table columns whole
    return console


def _show_warning(console: Console):
    def show(message, category, filename, lineno, file=None, line=None):
        console.print(f"[yellow]warning:[/] {message}", highlight=False)
    return show


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = make_console(stderr=True)
    warnings.showwarning = _show_warning(console)
    if args.command in ("run", "bench"):
        from normbench.speed.allocator import keep_freed_memory

        keep_freed_memory()
    try:
        if args.command == "run":
            return run_cli.command_run(args, console)
        if args.command == "weights":
            return weights_cli.command_weights(args, console)
        if args.command == "plugins":
            return plugins_cli.command_plugins(args, console)
        if args.command == "report":
            return command_report(args, console)
        if args.command == "bench":
            return bench_cli.command_bench(args, console)
        if args.command == "compare":
            from normbench.report.compare import write_comparison

            output = write_comparison(args.run_a, args.run_b, args.output, args.allow_protocol_mismatch)
            console.print(f"comparison: {output}")
            return EXIT_OK
    except UserError as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        return error.exit_code
    except (ValueError, FileExistsError) as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.print("[yellow]interrupted")
        return EXIT_INTERRUPTED
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
