"""``normbench bench``: the speed protocol from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from normbench.cli.argtypes import (
    add_deprecated_flag,
    add_disable_plugin_argument,
    add_json_argument,
    add_output_arguments,
    csv_list,
    positive_ints,
)
from normbench.cli.commands import summary
from normbench.cli.console import say
from normbench.errors import ExitCode, UserError, stopped_by
from normbench.lifecycle.progress import description_column


def add_parser(commands) -> None:
    bench = commands.add_parser(
        "bench",
        help=summary("bench"),
        description="Speed only, no training to convergence: for each norm, inference throughput at each size "
        "and batch and the throughput of one training step (generator plus loss network, forward "
        "and backward), as median and IQR of timed repetitions after warm-up, beside the plain "
        "baseline (fp32, NCHW, eager) timed in the same process. Writes OUT_DIR/RUN_ID/bench.csv, "
        "manifest.json and report.html. Defaults depend on the device: on a CPU 256² at batch 1 "
        "and 4 and training at 128² batch 4; on CUDA 256² and 512² at batch 1, 8, 32 and "
        "training at 256² batch 8.",
    )
    bench.add_argument(
        "--norms",
        type=csv_list,
        default=["in", "bn", "adain"],
        metavar="LIST",
        help="comma-separated norms, or all for every registered norm (default in,bn,adain)",
    )
    bench.add_argument(
        "--modes",
        type=csv_list,
        metavar="LIST",
        help="comma-separated speed modes: plain, fast, or switches joined by + (channels_last, "
        "bf16, fp16, compile[=BACKEND], cudnn_benchmark, workers[=N]); plain is always timed "
        "(default on CPU: plain,bf16,channels_last,compile; bf16 and fp16 change the numerics, "
        "which only bench may treat as speed)",
    )
    bench.add_argument("--sizes", type=positive_ints, metavar="LIST", help="inference image sizes, e.g. 256,512")
    bench.add_argument("--batches", type=positive_ints, metavar="LIST", help="inference batch sizes, e.g. 1,8,32")
    bench.add_argument("--train-size", type=int, help="training crop size")
    bench.add_argument("--train-batch", type=int, help="training batch size; 0 skips the training step")
    bench.add_argument("--reps", type=int, default=7, help="timed repetitions per configuration (at least 5)")
    bench.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch (default: the CPUs this process may use, or OMP_NUM_THREADS); recorded",
    )
    bench.add_argument("--device", default="auto", help="auto (default: cuda when available), cpu, cuda or cuda:N")
    bench.add_argument(
        "--weights",
        choices=("auto", "pretrained", "random"),
        default="random",
        help="VGG weights for the loss network and AdaIN encoder; speed does not depend on them (default random)",
    )
    bench.add_argument(
        "--trace",
        action="store_true",
        help="also trace one training step per norm and mode with torch.profiler; tables go to profile_*.txt",
    )
    # NOTE: `--profile` is a budget in `run`; one meaning per flag across commands
    add_deprecated_flag(bench, ("--profile",), "trace", "--trace", nargs=0)
    add_output_arguments(bench, Path("reports/bench"), "bench")
    add_disable_plugin_argument(bench)
    add_json_argument(bench, "the bench's summary (fastest mode per norm against plain, every timed row)")
    bench.set_defaults(handler=command_bench)


def build_plan(args: argparse.Namespace):
    """Resolve the command line into a plan and registry, checking everything before any timing."""
    import torch

    from normbench.lifecycle.setup import check_out_dir, load_catalog, naming_broken_plugins, resolve_device
    from normbench.models.vgg import resolve_features
    from normbench.plugins import unique
    from normbench.runtime.switches import parse_settings
    from normbench.runtime.threads import match_torch_threads
    from normbench.speedbench import BenchPlan, default_plan
    from normbench.training.harness import required_feature_nets

    loaded = load_catalog(args.disable_plugin)
    registry = loaded.catalog()
    with naming_broken_plugins(loaded):
        specs = unique(map(registry.get, registry.names() if args.norms == ["all"] else args.norms))
    device = resolve_device(args.device)
    check_out_dir(args.out_dir)
    defaults = default_plan(torch.device(device))
    modes = args.modes or defaults["modes"]
    for mode in modes:
        parse_settings(mode, torch.device(device))
    train_size = args.train_size or defaults["train_size"]
    for size in [*(args.sizes or defaults["sizes"]), train_size]:
        if size % 8 or size < 32:
            raise UserError(f"image sizes must be multiples of 8 and at least 32, got {size}")
    if args.threads is not None:
        if args.threads <= 0:
            raise UserError(f"--threads must be positive, got {args.threads}")
    match_torch_threads(args.threads)
    features = resolve_features(args.weights, required_feature_nets(specs))
    return BenchPlan(
        norms=[spec.name for spec in specs],
        modes=modes,
        sizes=args.sizes or defaults["sizes"],
        batches=args.batches or defaults["batches"],
        train_size=train_size,
        train_batch=defaults["train_batch"] if args.train_batch is None else args.train_batch,
        reps=args.reps,
        threads=torch.get_num_threads(),
        device=device,
        features=features,
        profile_steps=args.trace,
    ), registry


def command_bench(args: argparse.Namespace, console: Console) -> int:
    from normbench.report.speed import markdown, write_speed_report
    from normbench.runtime.allocator import keep_freed_memory
    from normbench.speedbench import Bench, cold_compile_cache
    from normbench.store.bench_directory import BenchDirectory

    keep_freed_memory()
    plan, registry = build_plan(args)
    run_id = args.run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-bench-{'-'.join(plan.norms)}"
    store = BenchDirectory.create(args.out_dir, run_id)
    bench = Bench(plan, registry, store)
    console.print(
        f"bench: {', '.join(plan.norms)} on {plan.device} ({bench.device_name}), {plan.threads} threads, "
        f"modes {', '.join(bench.settings)} -> {store.path}",
        highlight=False,
    )
    total = len(plan.norms) * len(bench.settings) * plan.measurements
    columns = (description_column(), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with cold_compile_cache(), Progress(*columns, console=console) as progress:
            task = progress.add_task("bench", total=total)
            bench.execute(lambda label: progress.update(task, advance=1, description=label))
    except KeyboardInterrupt as stop:
        say(console, stopped_by(stop), f"{len(store.rows)} finished rows kept in {store.path}", "yellow")
        if store.rows:
            console.print(f"report: {write_speed_report(store.path)}")
        return ExitCode[stopped_by(stop).upper()]
    report = write_speed_report(store.path)
    if args.json:
        from normbench.cli.report import bench_json

        print(bench_json(store.path, report))
    else:
        print(markdown(store.path))
    console.print(f"results: {store.path / 'bench.csv'}")
    console.print(f"report: {report}")
    return ExitCode.OK
