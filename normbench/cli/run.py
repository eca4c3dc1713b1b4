"""``normbench run``: its arguments, the resolved configuration, and the command."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench import __version__
from normbench.cli.argtypes import (
    add_json_argument,
)
from normbench.cli.commands import summary
from normbench.cli.console import say
from normbench.errors import ExitCode, OutputError, UserError, stopped_by
from normbench.lifecycle.options import add_run_arguments
from normbench.weights.sources import network_lines


def add_parser(commands) -> None:
    run = commands.add_parser(
        "run",
        help=summary("run"),
        description="Train one generator per norm (per style for single-style norms) on the same data, "
        "budget and seeds, measure each on held-out content, and write results under "
        "OUT_DIR/RUN_ID/.",
    )
    add_run_arguments(run)
    add_json_argument(run, "the finished run's summary (per-norm means and intervals, verdicts, flags)")
    run.add_argument(
        "--config",
        type=Path,
        metavar="STUDY.toml",
        help="a study file: [run] takes these options, [profile] any profile field, "
        "[profile.training.ARCH] an architecture's lr and loss weights; flags given here override "
        "it (example: study.example.toml)",
    )
    run.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue the run stored in RUN_DIR with its stored configuration: finished cells are kept, "
        "the rest run (refused if the protocol changed); only --device, --speed, "
        "--disable-plugin and the executor options may be given beside it",
    )
    run.set_defaults(handler=command_run)


def resumed_options(args: argparse.Namespace):
    """``(options, resolved, stored manifest)`` of the run ``--resume`` names, refusing flags that would change its
    numbers (:data:`normbench.reuse.reopen.RESUMABLE` lists those it takes)."""
    from normbench.lifecycle.options import default_of, flag_name, flags
    from normbench.reuse.reopen import RESUMABLE, reopen, resumable_flags

    given = [
        flag_name(item) for item, flag in flags() if not flag.resumable and getattr(args, item.name) != default_of(item)
    ]
    if args.config is not None:
        given.insert(0, "--config")
    if given:
        raise UserError(
            f"--resume continues a run with its stored configuration; {given[0]} cannot be given with it "
            f"(only {resumable_flags()})"
        )
    return reopen(args.resume, **{name: getattr(args, name) for name in sorted(RESUMABLE)}, progress=True)


def command_run(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench import api
    from normbench.lifecycle.options import RunOptions
    from normbench.lifecycle.progress import RunProgress
    from normbench.runtime.allocator import keep_freed_memory

    # NOTE: the process is the command's own: its allocator may keep freed memory (see runtime.allocator)
    keep_freed_memory()
    if args.config is not None and args.resume is None:
        from normbench.cli.studyfile import apply_study

        args = apply_study(args)
    options, stored, resolved = RunOptions.of(args), None, None
    if args.resume is not None:
        options, resolved, stored = resumed_options(args)
    planned = api.plan(options, args.resume, stored, resolved, progress=True)
    config, run_dir, run = planned.resolved.config, planned.run.run_dir, planned.run
    console.print(
        Text(
            f"normbench {__version__}: {', '.join(config.norms)} and baselines "
            f"{', '.join(config.baselines) or 'none'} on {config.device}, profile {config.profile.name}, "
            f"precision {config.profile.precision}, speed {config.speed.label}, "
            f"{len(run.images.styles)} styles, {len(run.images.heldout)} evaluation images, "
            f"features {config.features} -> {run_dir.path}"
        )
    )
    try:
        with RunProgress(console) as progress:
            result = planned.execute(progress)
    except KeyboardInterrupt as stop:
        say(console, stopped_by(stop), f"{len(run_dir.rows)} finished rows kept in {run_dir.path}", "yellow")
        return ExitCode[stopped_by(stop).upper()]
    except OutputError as error:
        say(
            console,
            "error",
            f"{error}; the run stopped, its {len(run_dir.rows)} finished rows are kept in "
            f"{run_dir.path / 'results.csv'} and its manifest says failed",
            "red",
        )
        return ExitCode.OUTPUT_ERROR
    return report_run(args, console, planned, result.path)


def report_run(args: argparse.Namespace, console: Console, planned, path: Path) -> ExitCode:
    """The finished run in ``path`` rendered (report.html) and told: its tables or JSON, its networks, verdicts and
    flags, and its wall time; exit 3 when no model finished."""
    from normbench.lifecycle.progress import summary_tables
    from normbench.report import tables
    from normbench.report.page import write_pages
    from normbench.report.summaries import run_summary, to_json
    from normbench.store.directory import no_model_finished

    config, run_dir, run = planned.resolved.config, planned.run.run_dir, planned.run
    # NOTE: the stored run is read once for the page, the JSON and the verdicts (result.report() reads it again)
    stored = tables.load_run(path)
    report = write_pages(stored, path / "report.html")
    # NOTE: one summary behind the terminal's table and conclusions, --json and the API; at the operating point
    summary = run_summary(stored, config.reference, report)
    if args.json:
        print(to_json(summary))
    for table in [] if args.json else summary_tables(summary["summary"], run.manifest.columns):
        console.print(table)
    console.print(Text("networks: " + "; ".join(network_lines(run.manifest.networks))))
    if config.features == "random":
        console.print(
            Text(
                f"features=random: the VGG (training losses and {config.profile.eval_draws} evaluation "
                f"draws of {config.eval_network.upper()}), AlexNet (LPIPS) and Inception (FID/KID) weights were "
                "randomly initialised; these numbers compare norms within this run only, not with papers or "
                "pretrained runs",
                style="red",
            )
        )
    console.print(Text(f"results: {run_dir.path / 'results.csv'}"))
    console.print(Text(f"report: {report}"))
    if not args.json:  # NOTE: the JSON holds them
        print_conclusions(stored, console, summary)
    minutes, seconds = divmod(round(run.manifest.wall_seconds), 60)
    console.print(
        f"wall time: {minutes} min {seconds} s for {len(run.plan.model_cells())} trained models "
        f"({len(config.seeds)} seed{'s' if len(config.seeds) > 1 else ''}) and {len(config.baselines)} "
        "baselines"
    )
    unfinished = no_model_finished(run_dir.rows)
    if unfinished:
        say(console, "error", unfinished, "red")
        return ExitCode.NO_RESULT
    return ExitCode.OK


def print_conclusions(run, console: Console, summary: dict | None = None) -> None:
    """The run's verdicts against the reference, its flags and, last, its answer with the caveats that change it,
    for a stored run (:func:`normbench.report.tables.load_run`): the same summary as ``--json`` and the API."""
    from normbench.report.frontier_section import frontier_lines
    from normbench.report.summaries import run_summary

    summary = summary or run_summary(run)
    for sentence in summary["verdicts"]:
        console.print(Text(f"verdict: {sentence}"))
    for sentence in frontier_lines(run, summary["reference"]):
        console.print(Text(sentence, style="red" if sentence.startswith("flagged") else None))
    for flag in [*summary["norm_flags"], *summary["flags"]]:
        console.print(Text(f"flagged: {flag['sentence']}", style="red"))
    for sentence in summary["problems"]:
        console.print(Text(f"plugin problem: {sentence}", style="red"))
    console.print(Text(f"answer: {summary['answer']['sentence']}", style="bold"))
    for change in summary["answer"]["changes"]:
        console.print(Text(f"  ⚑ changes the answer: {change}", style="red"))
