"""``normbench run``: its arguments, the resolved configuration, and the command."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench import __version__
from normbench.cli.argtypes import (
    add_disable_plugin_argument,
    add_json_argument,
    add_output_arguments,
    csv_list,
    learning_rates,
    seed_list,
)
from normbench.cli.console import say
from normbench.config import PROFILES
from normbench.errors import ExitCode, OutputError, stopped_by
from normbench.runtime.precision import PRECISIONS
from normbench.weights.imports import IMPORTABLE
from normbench.weights.sources import network_lines


def add_parser(commands) -> None:
    run = commands.add_parser(
        "run",
        help="train and measure norms on the same data, budget and seeds",
        description="Train one generator per norm (per style for single-style norms) on the same data, "
        "budget and seeds, measure each on held-out content, and write results under "
        "OUT_DIR/RUN_ID/.",
    )
    run.add_argument(
        "--norms",
        type=csv_list,
        default=None,
        metavar="LIST",
        help="comma-separated norms to compare (default: every registered norm, each in its own "
        "architecture), e.g. in,bn; NORM@ARCHITECTURE puts a norm into another generator, e.g. "
        "in@msgnet (`normbench plugins` lists architectures and the conditionings they take)",
    )
    run.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=None,
        help="budget preset: quick (default without a GPU), standard (default with one), or study "
        "(quick with seeds 0,1,2, for conclusions)",
    )
    run.add_argument("--steps", type=int, help="optimizer steps per style (overrides the profile)")
    run.add_argument("--image-size", type=int, help="training crop size in pixels")
    run.add_argument("--eval-size", type=int, help="size of the held-out images that are stylized and measured")
    run.add_argument("--batch-size", type=int, help="training batch size, also the throughput batch")
    run.add_argument(
        "--lr",
        type=learning_rates,
        metavar="RATE|ARCH=RATE,...",
        help="Adam learning rate of every architecture in the run, or of the named ones, e.g. "
        "adain=3e-5 (default: each architecture's own: transformer and msgnet 1e-3, adain 1e-4)",
    )
    run.add_argument("--device", default="auto", help="auto (default: cuda when available), cpu, cuda or cuda:N")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seeds",
        type=seed_list,
        metavar="LIST",
        help="training seeds, e.g. 0,1,2 or 0-4: every norm trains once per seed, and seed s gives "
        "every norm the same initialisation, crops and order (default: the profile's, 0 for "
        "quick and standard, 0-2 for study)",
    )
    seeds.add_argument("--num-seeds", type=int, metavar="N", help="the first N seeds, 0 to N-1")
    seeds.add_argument("--seed", type=int, metavar="N", help="one training seed (the same as --seeds N)")
    run.add_argument(
        "--reference",
        metavar="NORM",
        help="the norm every other norm is tested against in the verdicts (default: the first of "
        "--norms); `normbench report --reference` changes it afterwards",
    )
    run.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="training numerics, part of the protocol and recorded on every row: fp32, tf32 (CUDA), "
        "bf16 or fp16 (CUDA) (default: the profile's: quick fp32, standard bf16)",
    )
    run.add_argument(
        "--speed",
        default="fast",
        metavar="SWITCHES",
        help="speed switches, which change how fast and never what is computed: fast (default: what "
        "pays off on the device; nothing on a CPU), plain (NCHW, eager), or switches joined by + "
        "from channels_last, compile[=BACKEND], cudnn_benchmark, workers[=N], e.g. fast+compile",
    )
    run.add_argument(
        "--deterministic",
        action="store_true",
        help="deterministic algorithms where torch has them, and no cudnn autotuning",
    )
    run.add_argument(
        "--metrics",
        type=csv_list,
        metavar="LIST",
        help="comma-separated quality metrics (default: every registered metric: lpips, fid, ...)",
    )
    run.add_argument(
        "--baselines",
        type=csv_list,
        metavar="LIST",
        help="reference baselines measured beside the norms (default: every registered one: "
        "identity, color_transfer, style_image)",
    )
    run.add_argument("--styles", type=csv_list, help="comma-separated training style names (default: all)")
    run.add_argument(
        "--content-dir",
        type=Path,
        help="folder of content photos, searched recursively "
        "(PNG, JPEG, WebP); a quarter is held out for evaluation unless --eval-content-dir is given",
    )
    run.add_argument("--style-dir", type=Path, help="folder of training style images, searched recursively")
    run.add_argument(
        "--eval-content-dir",
        type=Path,
        help="folder of evaluation photos (e.g. COCO val2017), all of them measured; the content "
        "(built-in or --content-dir) then all trains",
    )
    run.add_argument(
        "--eval-style-dir",
        type=Path,
        help="folder of held-out styles for norms that take arbitrary styles (default: the built-in "
        "held-out styles ash, ripples, mosaic)",
    )
    run.add_argument(
        "--weights",
        default="auto",
        metavar="auto|pretrained|random[,NETWORK=SOURCE...]",
        help="where each feature network's weights come from: pretrained (the published files under TORCH_HOME, "
        "downloaded when missing), random (seeded), or auto (the published file where present, else an import, else "
        "the download, else random, with a warning saying why); then NETWORK=SOURCE for one network (vgg16, vgg19, "
        "vgg13, alexnet, inception_fid), SOURCE being pretrained, import (`normbench weights import`), random, auto "
        "or a torchvision-layout file: vgg16=import,vgg13=random",
    )
    run.add_argument(
        "--offline",
        action="store_true",
        help="never download a weights file: auto takes what this machine has, pretrained exits 4 for a missing "
        "file (NORMBENCH_OFFLINE=1 does the same for every run)",
    )
    run.add_argument(
        "--eval-network",
        choices=IMPORTABLE,
        default="vgg13",
        help="the VGG that measures content and style distances, at relu1_1-relu4_1 (default vgg13, which no "
        "architecture trains against); its weights follow --weights like any other network's",
    )
    add_output_arguments(run, Path("reports/runs"), "run")
    add_disable_plugin_argument(run)
    add_json_argument(run, "the finished run's summary (per-norm means and intervals, verdicts, flags)")
    run.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where cells are computed: local (default: one after another in this process) or ray "
        '(Ray workers on this machine or a cluster; pip install "normbench[ray]")',
    )
    run.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="a running Ray cluster (e.g. ray://head:10001; default: start Ray on this machine); the "
        "run directory must be on a file system every node sees",
    )
    run.add_argument(
        "--cpus-per-task",
        type=int,
        metavar="N",
        help="with --executor ray on CPUs: CPUs and torch threads per worker (default: every CPU this "
        "process may use, so one cell at a time with the threads of the local executor)",
    )
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
    RUN_DEFAULTS.update({action.dest: action.default for action in run._actions if action.dest != "help"})
    RUN_ACTIONS.update({action.dest: action for action in run._actions if action.dest != "help"})


#: ``normbench run``'s defaults and actions, to tell which flags were given beside ``--resume`` or a study file.
RUN_DEFAULTS: dict = {}
RUN_ACTIONS: dict = {}


def build_config(args: argparse.Namespace):
    """The command line resolved into a run config and its registries (:func:`normbench.study.setup.resolve_run`)."""
    from normbench.study.options import RunOptions
    from normbench.study.setup import resolve_run

    return resolve_run(RunOptions.of(args))


def command_run(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench import api
    from normbench.runtime.allocator import keep_freed_memory
    from normbench.store.directory import no_model_finished
    from normbench.study.options import RunOptions
    from normbench.study.progress import RunProgress, summary_tables
    from normbench.study.setup import Resolved

    # NOTE: the process is the command's own: its allocator may keep freed memory (see runtime.allocator)
    keep_freed_memory()
    if args.config is not None and args.resume is None:
        from normbench.cli.studyfile import apply_study

        args = apply_study(args, RUN_ACTIONS, RUN_DEFAULTS)
    stored = resolved = None
    if args.resume is not None:
        from normbench.cli.reopen import resume_config

        *found, stored = resume_config(args)
        resolved = Resolved(*found)
    planned = api.plan(RunOptions.of(args), args.resume, stored, resolved, progress=True)
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
    from normbench.report import tables
    from normbench.report.page import write_pages

    # NOTE: the stored run is read once for the page, the JSON and the verdicts (result.report() reads it again)
    stored = tables.load_run(result.path)
    report = write_pages(stored, result.path / "report.html")
    if args.json:
        from normbench.report.summaries import run_summary, to_json

        print(to_json(run_summary(stored, config.reference, report)))
    for table in [] if args.json else summary_tables(run_dir.rows, run.manifest.columns):
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
        print_conclusions(stored, console)
    minutes, seconds = divmod(round(run.manifest.wall_seconds), 60)
    console.print(
        f"wall time: {minutes} min {seconds} s for {len(run.model_cells())} trained models "
        f"({len(config.seeds)} seed{'s' if len(config.seeds) > 1 else ''}) and {len(config.baselines)} "
        "baselines"
    )
    unfinished = no_model_finished(run_dir.rows)
    if unfinished:
        say(console, "error", unfinished, "red")
        return ExitCode.NO_RESULT
    return ExitCode.OK


def print_conclusions(run, console: Console) -> None:
    """The report's verdicts against the reference and its flags (stylization metrics a baseline wins), for a
    stored run (:func:`normbench.report.tables.load_run`)."""
    from normbench.report import analysis, tables
    from normbench.report.problems import run_problems

    reference = analysis.reference_norm(run)
    for sentence in analysis.verdicts(run, reference):
        console.print(Text(f"verdict: {sentence}"))
    for flag in tables.baseline_flags(run):
        console.print(Text(f"flagged: {flag.sentence}", style="red"))
    for sentence in run_problems(run):
        console.print(Text(f"plugin problem: {sentence}", style="red"))
