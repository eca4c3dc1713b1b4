"""``normbench export``: a run's trained generators as ONNX or TorchScript files, checked against eager."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench.cli.argtypes import add_disable_plugin_argument, add_out_dir_argument
from normbench.cli.commands import summary
from normbench.cli.console import say
from normbench.errors import ExitCode


def add_parser(commands) -> None:
    export = commands.add_parser(
        "export",
        help=summary("export"),
        description="Export each trained generator of RUN_DIR (first seed; --norm, --style and --seed choose) with "
        "its style built in: one file per (model, style) taking images (N, 3, H, W) in [0, 1] with H "
        "and W multiples of 4 and returning the stylized images. Each export is run on an evaluation "
        "image and kept only if it matches the eager model within 1e-4.",
    )
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    export.add_argument("--format", choices=("onnx", "torchscript"), required=True)
    export.add_argument("--norm", help="only this norm's models")
    export.add_argument("--style", help="only this style")
    export.add_argument("--seed", type=int, help="the training seed of the models (default: the run's first)")
    add_out_dir_argument(export, "the folder the files go into (default RUN_DIR/export/FORMAT)")

    export.add_argument(
        "--device",
        default="cpu",
        help="where each model is loaded, traced and checked against eager: cpu, cuda or cuda:N (a TorchScript "
        "file traced on a GPU runs there; an ONNX file runs anywhere)",
    )
    add_disable_plugin_argument(export)
    export.set_defaults(handler=command_export)


def command_export(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench import api

    exported = api.export(
        args.run_dir,
        args.format,
        args.out_dir,
        norm=args.norm,
        style=args.style,
        seed=args.seed,
        disable_plugin=args.disable_plugin,
        device=args.device,
    )
    for made in exported:
        if made.error is not None:
            say(console, "cannot export", made.error, "red")
        else:
            console.print(Text(f"{made.path}: max |{args.format} - eager| = {made.max_difference:.2g}"))
    failed = [made.norm for made in exported if made.error is not None]
    if failed:
        say(console, "error", f"{len(failed)} of {len(exported)} models were not exported ({', '.join(failed)})", "red")
        return ExitCode.NO_RESULT
    return ExitCode.OK
