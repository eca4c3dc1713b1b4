"""The ``normbench`` command line."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import warnings
from pathlib import Path

from rich.console import Console

from normbench import __version__
from normbench.config import PROFILES, RunConfig, make_profile
from normbench import plugins_cli, weights_cli
from normbench.argtypes import csv_list
from normbench.speed import cli as bench_cli
from normbench.errors import UserError

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="normbench",
        description="Benchmark normalization layers in fast style-transfer generators.",
    )
    parser.add_argument("--version", action="version", version=f"normbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run_parser(commands)
    bench_cli.add_parser(commands)
    _add_report_parsers(commands)
    weights_cli.add_parser(commands)
    plugins_cli.add_parser(commands)
    return parser


def _add_run_parser(commands) -> None:
    run = commands.add_parser(
        "run", help="train and measure norms on the same data, budget and seeds",
        description="Train one generator per norm (per style for single-style norms) on the same data, "
                    "budget and seeds, measure each on held-out content, and write results under "
                    "OUT_DIR/RUN_ID/.",
    )
    run.add_argument("--norms", type=csv_list, default=None, metavar="LIST",
                     help="comma-separated norms to compare (default: every registered norm), e.g. in,bn")
    run.add_argument("--profile", choices=sorted(PROFILES), default=None,
                     help="budget preset: quick (default without a GPU) or standard (default with one)")
    run.add_argument("--steps", type=int, help="optimizer steps per style (overrides the profile)")
    run.add_argument("--image-size", type=int, help="training crop size in pixels")
    run.add_argument("--eval-size", type=int, help="size of the held-out images that are stylized and measured")
    run.add_argument("--batch-size", type=int, help="training batch size, also the throughput batch")
    run.add_argument("--lr", type=float, help="Adam learning rate")
    run.add_argument("--device", default="auto", help="auto (default: cuda when available), cpu, cuda or cuda:N")
    run.add_argument("--seed", type=int, default=0, help="seed for initialisation and data order (default 0)")
    run.add_argument("--speed", default="fast", metavar="SWITCHES",
                     help="speed switches for training and timing: fast (default: what pays off on the device), "
                          "plain (fp32, NCHW, eager), or switches joined by + from channels_last, bf16, fp16, "
                          "compile[=BACKEND], cudnn_benchmark, workers[=N], e.g. fast+compile")
    run.add_argument("--deterministic", action="store_true",
                     help="deterministic algorithms where torch has them, and no cudnn autotuning")
    run.add_argument("--metrics", type=csv_list, metavar="LIST",
                     help="comma-separated quality metrics (default: every registered metric: lpips, fid, ...)")
    run.add_argument("--styles", type=csv_list, help="comma-separated style names to use (default: all)")
    run.add_argument("--content-dir", type=Path, help="folder of content photos, searched recursively "
                     "(PNG, JPEG, WebP); a quarter is held out for evaluation")
    run.add_argument("--style-dir", type=Path, help="folder of style images, searched recursively")
    run.add_argument("--weights", choices=("auto", "pretrained", "random"), default="auto",
                     help="VGG feature weights: pretrained ImageNet weights from TORCH_HOME, seeded random, "
                          "or auto (pretrained when present, else random with a warning)")
    run.add_argument("--out-dir", type=Path, default=Path("reports/runs"), help="where run directories go")
    run.add_argument("--run-id", help="name of the run directory (default: time stamp and norms)")
    plugins_cli.add_disable_plugin_argument(run)


def _add_report_parsers(commands) -> None:
    report = commands.add_parser(
        "report", help="build the HTML report, summary CSV and Markdown table of a stored run or bench",
        description="Build RUN_DIR/report.html (one self-contained file) and RUN_DIR/summary.csv only from "
                    "what the run stored, and print the summary table as Markdown. A directory written by "
                    "`normbench bench` gets its speed report.")
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    report.add_argument("-o", "--output", type=Path, help="where the HTML goes (default RUN_DIR/report.html)")
    report.add_argument("--quality", help="column plotted against speed (default artfid, else style_loss)")
    compare = commands.add_parser("compare", help="compare two stored runs side by side, with the change per metric")
    compare.add_argument("run_a", type=Path, metavar="RUN_A")
    compare.add_argument("run_b", type=Path, metavar="RUN_B")
    compare.add_argument("-o", "--output", type=Path, default=Path("compare.html"), help="default compare.html")


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {requested}: CUDA is not available on this machine")
    try:
        torch.device(requested)
    except RuntimeError as error:
        raise UserError(f"--device {requested!r} is not a device torch knows ({error})") from None
    return requested


def build_config(args: argparse.Namespace):
    """Resolve the command line into a run config, checking norms, sizes and weights before any work."""
    import torch

    from normbench.harness import architecture_for, required_feature_nets
    from normbench.models.vgg import resolve_features
    from normbench.plugins import load_plugins
    from normbench.speed.switches import parse_settings
    from normbench.weights import METRIC_WEIGHTS

    registry, all_metrics, report = load_plugins(blocked=tuple(args.disable_plugin))
    for name, reason in report.broken.items():
        warnings.warn(f"plugin {name!r} failed and was skipped: {reason}", stacklevel=1)
    try:
        metric_registry = select_metrics(all_metrics, args.metrics)
        # NOTE: aliases and repeats (in,in or bn,batchnorm) name one norm; it is trained once.
        specs = list({spec.name: spec for spec in map(registry.get, args.norms or registry.names())}.values())
    except ValueError as error:
        hint = report.hint()
        raise UserError(f"{error}" + (f" ({hint})" if hint else "")) from None
    for spec in specs:
        architecture_for(spec)
    device = resolve_device(args.device)
    speed = parse_settings(args.speed, torch.device(device))
    profile = make_profile(args.profile or ("standard" if device.startswith("cuda") else "quick"),
                           steps=args.steps, image_size=args.image_size, eval_size=args.eval_size,
                           batch_size=args.batch_size, lr=args.lr)
    config = RunConfig(norms=[spec.name for spec in specs], profile=profile, device=device, seed=args.seed,
                       weights=args.weights, speed=speed, deterministic=args.deterministic,
                       styles=args.styles, content_dir=args.content_dir,
                       style_dir=args.style_dir, out_dir=args.out_dir)
    config.features = resolve_features(args.weights, required_feature_nets(specs) + list(METRIC_WEIGHTS))
    config.plugins = plugins_cli.describe(registry, metric_registry, report)
    return config, registry, metric_registry


def select_metrics(registry, names: list[str] | None):
    """A registry of just the named metrics (all when ``names`` is None), each still credited to its plugin."""
    if names is None:
        return registry
    chosen = type(registry)()
    for spec in {registry.get(name).name: registry.get(name) for name in names}.values():
        chosen.registering(registry.plugin_of(spec.name)).add(spec)
    return chosen


def use_deterministic_algorithms() -> None:
    import os

    import torch

    # NOTE: cuBLAS is deterministic only with a fixed workspace, set before its first use.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # NOTE: warn_only, because some kernels (reflection padding's CUDA backward) have no deterministic version.
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True


def command_run(args: argparse.Namespace, console: Console) -> int:
    from normbench import runner
    from normbench.data import load_images
    from normbench.progress import RunProgress, summary_table
    from normbench.results import RunDirectory

    config, registry, metric_registry = build_config(args)
    if config.deterministic:
        use_deterministic_algorithms()
    images = load_images(args.content_dir, args.style_dir, args.styles)
    run_id = args.run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-{'-'.join(config.norms)}"
    run_dir = RunDirectory.create(args.out_dir, run_id)
    console.print(f"normbench {__version__}: {', '.join(config.norms)} on {config.device}, profile "
                  f"{config.profile.name}, speed {config.speed.label}, {len(images.styles)} styles, features "
                  f"{config.features} -> {run_dir.path}")
    try:
        with RunProgress(console) as progress:
            runner.Run(config, registry, images, run_dir, metric_registry).execute(progress)
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted: {len(run_dir.rows)} finished rows kept in {run_dir.path}")
        return EXIT_INTERRUPTED
    console.print(summary_table(run_dir.rows))
    if config.features == "random":
        console.print("[red]features=random: the VGG (losses), AlexNet (LPIPS) and Inception (FID/KID) weights "
                      "were randomly initialised; these numbers compare norms within this run only, not with "
                      "papers or pretrained runs")
    console.print(f"results: {run_dir.path / 'results.csv'}")
    from normbench.report.page import write_report

    console.print(f"report: {write_report(run_dir.path)}")
    return EXIT_OK


def command_report(args: argparse.Namespace, console: Console) -> int:
    from normbench.report import speed
    from normbench.report.page import markdown, write_report

    if (args.run_dir / "bench.csv").is_file():
        output = speed.write_speed_report(args.run_dir, args.output)
        print(speed.markdown(args.run_dir))
        console.print(f"report: {output}")
        return EXIT_OK
    output = write_report(args.run_dir, args.output, args.quality)
    print(markdown(args.run_dir))
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
            return command_run(args, console)
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

            console.print(f"comparison: {write_comparison(args.run_a, args.run_b, args.output)}")
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
