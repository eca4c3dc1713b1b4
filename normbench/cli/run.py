"""``normbench run``: its arguments, the resolved configuration, and the command."""

from __future__ import annotations

import argparse
import datetime as dt
import math
from dataclasses import asdict
import warnings
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench import __version__
from normbench.cli.argtypes import (add_disable_plugin_argument, add_output_arguments, check_out_dir, csv_list,
                                    learning_rates, resolve_device, seed_list)
from normbench.cli.console import say
from normbench.config import PROFILES, RunConfig, make_profile, resolve_seeds
from normbench.errors import ExitCode, OutputError, UserError, stopped_by
from normbench.plugins import select_metrics, unique
from normbench.precision import PRECISIONS


def add_parser(commands) -> None:
    run = commands.add_parser(
        "run", help="train and measure norms on the same data, budget and seeds",
        description="Train one generator per norm (per style for single-style norms) on the same data, "
                    "budget and seeds, measure each on held-out content, and write results under "
                    "OUT_DIR/RUN_ID/.",
    )
    run.add_argument("--norms", type=csv_list, default=None, metavar="LIST",
                     help="comma-separated norms to compare (default: every registered norm, each in its own "
                          "architecture), e.g. in,bn; NORM@ARCHITECTURE puts a norm into another generator, e.g. "
                          "in@msgnet (`normbench plugins` lists architectures and the conditionings they take)")
    run.add_argument("--profile", choices=sorted(PROFILES), default=None,
                     help="budget preset: quick (default without a GPU), standard (default with one), or study "
                          "(quick with seeds 0,1,2, for conclusions)")
    run.add_argument("--steps", type=int, help="optimizer steps per style (overrides the profile)")
    run.add_argument("--image-size", type=int, help="training crop size in pixels")
    run.add_argument("--eval-size", type=int, help="size of the held-out images that are stylized and measured")
    run.add_argument("--batch-size", type=int, help="training batch size, also the throughput batch")
    run.add_argument("--lr", type=learning_rates, metavar="RATE|ARCH=RATE,...",
                     help="Adam learning rate of every architecture in the run, or of the named ones, e.g. "
                          "adain=3e-5 (default: each architecture's own: transformer and msgnet 1e-3, adain 1e-4)")
    run.add_argument("--device", default="auto", help="auto (default: cuda when available), cpu, cuda or cuda:N")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=seed_list, metavar="LIST",
                       help="training seeds, e.g. 0,1,2 or 0-4: every norm trains once per seed, and seed s gives "
                            "every norm the same initialisation, crops and order (default: the profile's, 0 for "
                            "quick and standard, 0-2 for study)")
    seeds.add_argument("--num-seeds", type=int, metavar="N", help="the first N seeds, 0 to N-1")
    seeds.add_argument("--seed", type=int, metavar="N", help="one training seed (the same as --seeds N)")
    run.add_argument("--reference", metavar="NORM",
                     help="the norm every other norm is tested against in the verdicts (default: the first of "
                          "--norms); `normbench report --reference` changes it afterwards")
    run.add_argument("--precision", choices=PRECISIONS, default=None,
                     help="training numerics, part of the protocol and recorded on every row: fp32, tf32 (CUDA), "
                          "bf16 or fp16 (CUDA) (default: the profile's: quick fp32, standard bf16)")
    run.add_argument("--speed", default="fast", metavar="SWITCHES",
                     help="speed switches, which change how fast and never what is computed: fast (default: what "
                          "pays off on the device; nothing on a CPU), plain (NCHW, eager), or switches joined by + "
                          "from channels_last, compile[=BACKEND], cudnn_benchmark, workers[=N], e.g. fast+compile")
    run.add_argument("--deterministic", action="store_true",
                     help="deterministic algorithms where torch has them, and no cudnn autotuning")
    run.add_argument("--metrics", type=csv_list, metavar="LIST",
                     help="comma-separated quality metrics (default: every registered metric: lpips, fid, ...)")
    run.add_argument("--baselines", type=csv_list, metavar="LIST",
                     help="reference baselines measured beside the norms (default: every registered one: "
                          "identity, color_transfer, style_image)")
    run.add_argument("--styles", type=csv_list, help="comma-separated training style names (default: all)")
    run.add_argument("--content-dir", type=Path, help="folder of content photos, searched recursively "
                     "(PNG, JPEG, WebP); a quarter is held out for evaluation unless --eval-content-dir is given")
    run.add_argument("--style-dir", type=Path, help="folder of training style images, searched recursively")
    run.add_argument("--eval-content-dir", type=Path,
                     help="folder of evaluation photos (e.g. COCO val2017), all of them measured; the content "
                          "(built-in or --content-dir) then all trains")
    run.add_argument("--eval-style-dir", type=Path,
                     help="folder of held-out styles for norms that take arbitrary styles (default: the built-in "
                          "held-out styles ash, ripples, mosaic)")
    run.add_argument("--weights", choices=("auto", "pretrained", "random"), default="auto",
                     help="VGG feature weights: pretrained ImageNet weights from TORCH_HOME, seeded random, "
                          "or auto (pretrained when present, else random with a warning)")
    add_output_arguments(run, Path("reports/runs"), "run")
    add_disable_plugin_argument(run)
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="where cells are computed: local (default: one after another in this process) or ray "
                          '(Ray workers on this machine or a cluster; pip install "normbench[ray]")')
    run.add_argument("--ray-address", metavar="ADDRESS",
                     help="a running Ray cluster (e.g. ray://head:10001; default: start Ray on this machine); the "
                          "run directory must be on a file system every node sees")
    run.add_argument("--cpus-per-task", type=int, metavar="N",
                     help="with --executor ray on CPUs: CPUs and torch threads per worker (default: every CPU this "
                          "process may use, so one cell at a time with the threads of the local executor)")
    run.add_argument("--config", type=Path, metavar="STUDY.toml",
                     help="a study file: [run] takes these options, [profile] any profile field, "
                          "[profile.training.ARCH] an architecture's lr and loss weights; flags given here override "
                          "it (example: study.example.toml)")
    run.add_argument("--resume", type=Path, metavar="RUN_DIR",
                     help="continue the run stored in RUN_DIR with its stored configuration: finished cells are kept, "
                          "the rest run (refused if the protocol changed); only --device, --speed, "
                          "--disable-plugin and the executor options may be given beside it")
    run.set_defaults(handler=command_run)
    RUN_DEFAULTS.update({action.dest: action.default for action in run._actions if action.dest != "help"})
    RUN_ACTIONS.update({action.dest: action for action in run._actions if action.dest != "help"})


#: ``normbench run``'s defaults and actions, to tell which flags were given beside ``--resume`` or a study file.
RUN_DEFAULTS: dict = {}
RUN_ACTIONS: dict = {}


def build_config(args: argparse.Namespace):
    """Resolve the command line into a run config, checking norms, sizes and weights before any work."""
    import torch

    from normbench.harness import required_feature_nets
    from normbench.models.vgg import resolve_features
    from normbench.plugins import describe, load_plugins
    from normbench.precision import check_precision
    from normbench.speed.switches import parse_settings
    from normbench.weights import METRIC_WEIGHTS

    loaded = load_plugins(blocked=tuple(args.disable_plugin))
    registry, all_metrics, baseline_registry, report = loaded.catalog(), loaded.metrics, loaded.baselines, loaded.report
    for name, reason in report.broken.items():
        warnings.warn(f"plugin {name!r} failed and was skipped: {reason}", stacklevel=1)
    try:
        metric_registry = select_metrics(all_metrics, args.metrics)
        # NOTE: aliases and repeats (in,in or bn,batchnorm) name one norm; it is trained once.
        specs = unique(map(registry.get, args.norms or registry.names()))
        baselines = unique(map(baseline_registry.get, args.baselines or baseline_registry.names()))
    except ValueError as error:
        hint = report.hint()
        raise UserError(f"{error}" + (f" ({hint})" if hint else "")) from None
    check_names(specs, baselines, registry)
    device = resolve_device(args.device)
    check_out_dir(args.out_dir)
    speed = parse_settings(args.speed, torch.device(device), numerics=False)
    from_file = dict(getattr(args, "profile_fields", {}))
    flags = {"steps": args.steps, "image_size": args.image_size, "eval_size": args.eval_size,
             "batch_size": args.batch_size}
    overrides = {**from_file, **{key: value for key, value in flags.items() if value is not None}}
    overrides["training"] = training_overrides(from_file.get("training", {}), args.lr, specs,
                                               getattr(args, "study_file", None))
    precision = args.precision or overrides.pop("precision", None)
    overrides.pop("precision", None)
    study = getattr(args, "study_file", None) or {}
    labels = {key: f"{study.get('path')}: [profile] {key}" for key in from_file if flags.get(key) is None}
    labels["training"] = f"{study.get('path')}: [profile.training.{{arch}}]"
    profile = make_profile(args.profile or ("standard" if device.startswith("cuda") else "quick"),
                           precision=precision, labels=labels, **overrides)
    check_precision(profile.precision, torch.device(device))
    try:
        seeds = resolve_seeds(profile, [args.seed] if args.seed is not None else args.seeds, args.num_seeds)
        reference = registry.get(args.reference).name if args.reference else None
    except ValueError as error:
        raise UserError(str(error)) from None
    if reference is not None and reference not in [spec.name for spec in specs]:
        raise UserError(f"--reference {args.reference}: not one of the norms of this run "
                        f"({', '.join(spec.name for spec in specs)})")
    config = RunConfig(norms=[spec.name for spec in specs], profile=profile, device=device, seeds=seeds,
                       reference=reference,
                       weights=args.weights, speed=speed, deterministic=args.deterministic,
                       styles=args.styles, baselines=[b.name for b in baselines], content_dir=args.content_dir,
                       style_dir=args.style_dir, eval_content_dir=args.eval_content_dir,
                       eval_style_dir=args.eval_style_dir, out_dir=args.out_dir)
    config.features = resolve_features(args.weights, required_feature_nets(specs) + list(METRIC_WEIGHTS))
    config.plugins = describe(loaded.norms, metric_registry, report, baseline_registry, loaded.architectures)
    config.metrics = [spec.name for spec in metric_registry]
    config.study_file = getattr(args, "study_file", None)
    return config, registry, metric_registry, baseline_registry


def training_overrides(from_file: dict, rates: dict | None, specs, study: dict | None) -> dict:
    """The study file's ``[profile.training.ARCH]`` tables with ``--lr`` over them, for architectures of this run.

    :raises UserError: for an architecture no norm of the run trains in (it would change the protocol for
        nothing), or a rate that is not a positive finite number.
    """
    used = list(dict.fromkeys(spec.architecture for spec in specs))
    training = {arch: dict(values) if isinstance(values, dict) else values for arch, values in from_file.items()}
    for arch, rate in (rates or {}).items():
        if not (rate > 0 and math.isfinite(rate)):
            raise UserError(f"--lr must be a positive finite number, got {rate}")
        for name in used if arch == "*" else [arch]:
            training.setdefault(name, {})["lr"] = rate
    for arch in training:
        if arch not in used:
            where = "--lr" if arch in (rates or {}) else f"{(study or {}).get('path')}: [profile.training.{arch}]"
            raise UserError(f"{where}: no norm of this run trains in architecture {arch!r}; this run's "
                            f"architectures: {', '.join(used)}")
    # NOTE: a value equal to the architecture's default is dropped, so that the protocol does not depend on whether
    # a default was spelled out (runs that train alike pool alike)
    defaults = {spec.architecture: asdict(spec.arch.training) for spec in specs}
    changed = {arch: {key: value for key, value in values.items() if defaults[arch].get(key, object()) != value}
               if isinstance(values, dict) else values for arch, values in training.items()}
    return {arch: values for arch, values in changed.items() if values != {}}


def check_names(specs, baselines, registry) -> None:
    """A baseline's rows are told apart from a norm's by name; refuse a baseline named like a norm."""
    for baseline in baselines:
        for label in (baseline.name, *baseline.aliases):
            try:
                norm = registry.get(label)
            except ValueError:
                continue
            raise UserError(f"baseline {baseline.name!r} has the name of norm {norm.name!r}; "
                            f"leave it out with --baselines or disable one of the plugins")


def use_deterministic_algorithms() -> None:
    import os

    import torch

    # NOTE: cuBLAS is deterministic only with a fixed workspace, set before its first use.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # NOTE: warn_only, because some kernels (reflection padding's CUDA backward) have no deterministic version.
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True


def command_run(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench import runner
    from normbench.data import load_run_images
    from normbench.progress import RunProgress, summary_table
    from normbench.results import RunDirectory, no_model_finished
    from normbench.speed.allocator import keep_freed_memory
    from normbench.speed.threads import match_torch_threads

    from normbench.executors import make_executor

    keep_freed_memory()
    match_torch_threads()
    stored = None
    if args.config is not None and args.resume is None:
        from normbench.cli.studyfile import apply_study

        args = apply_study(args, RUN_ACTIONS, RUN_DEFAULTS)
    executor = make_executor(args.executor, args.ray_address, args.cpus_per_task)
    if args.resume is not None:
        from normbench.cli.stored import resume_config

        config, registry, metric_registry, baseline_registry, stored = resume_config(args)
    else:
        config, registry, metric_registry, baseline_registry = build_config(args)
    if config.deterministic:
        use_deterministic_algorithms()
    images = load_run_images(config)
    if stored is not None:
        run_dir = RunDirectory.open(args.resume)
    else:
        run_id = args.run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-{'-'.join(config.norms)}"
        run_dir = RunDirectory.create(args.out_dir, run_id)
    console.print(Text(f"normbench {__version__}: {', '.join(config.norms)} and baselines "
                       f"{', '.join(config.baselines) or 'none'} on {config.device}, profile {config.profile.name}, "
                       f"precision {config.profile.precision}, speed {config.speed.label}, {len(images.styles)} styles, "
                       f"{len(images.heldout)} evaluation images, features {config.features} -> {run_dir.path}"))
    run = runner.Run(config, registry, images, run_dir, metric_registry, baseline_registry, stored)
    try:
        with RunProgress(console) as progress:
            run.execute(progress, executor)
    except KeyboardInterrupt as stop:
        say(console, stopped_by(stop), f"{len(run_dir.rows)} finished rows kept in {run_dir.path}", "yellow")
        return ExitCode[stopped_by(stop).upper()]
    except OutputError as error:
        say(console, "error", f"{error}; the run stopped, its {len(run_dir.rows)} finished rows are kept in "
                              f"{run_dir.path / 'results.csv'} and its manifest says failed", "red")
        return ExitCode.OUTPUT_ERROR
    console.print(summary_table(run_dir.rows, run.manifest["columns"]))
    if config.features == "random":
        console.print(f"[red]features=random: the VGG (training losses and {config.profile.eval_draws} evaluation "
                      "draws of VGG13), AlexNet (LPIPS) and Inception (FID/KID) weights were randomly initialised; "
                      "these numbers compare norms within this run only, not with papers or pretrained runs")
    console.print(Text(f"results: {run_dir.path / 'results.csv'}"))
    from normbench.report.page import write_report

    console.print(Text(f"report: {write_report(run_dir.path)}"))
    print_conclusions(run_dir.path, console)
    minutes, seconds = divmod(round(run.manifest["wall_seconds"]), 60)
    console.print(f"wall time: {minutes} min {seconds} s for {len(run.model_cells())} trained models "
                  f"({len(config.seeds)} seed{'s' if len(config.seeds) > 1 else ''}) and {len(config.baselines)} "
                  "baselines")
    unfinished = no_model_finished(run_dir.rows)
    if unfinished:
        say(console, "error", unfinished, "red")
        return ExitCode.NO_RESULT
    return ExitCode.OK


def print_conclusions(run_dir: Path, console: Console) -> None:
    """The report's verdicts against the reference and its flags (stylization metrics a baseline wins)."""
    from normbench.report import analysis, tables

    run = tables.load_run(run_dir)
    reference = analysis.reference_norm(run)
    for sentence in analysis.verdicts(run, reference):
        console.print(Text(f"verdict: {sentence}"))
    for flag in tables.baseline_flags(run):
        console.print(Text(f"flagged: {flag.sentence}", style="red"))
