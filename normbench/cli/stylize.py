"""``normbench stylize``: apply a trained generator of a run to a user's images."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.text import Text

from normbench.cli.argtypes import add_disable_plugin_argument, add_out_dir_argument
from normbench.cli.commands import summary
from normbench.errors import ExitCode, UserError


def add_parser(commands) -> None:
    stylize = commands.add_parser(
        "stylize",
        help=summary("stylize"),
        description="Stylize IMAGE files (PNG, JPEG, WebP) with the generator RUN_DIR trained for --norm and "
        "--style (seed: the run's first), in fp32 as the run measured it, into OUT_DIR as "
        "<image>.<norm>.<style>.png.",
    )
    stylize.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    stylize.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    stylize.add_argument("--norm", required=True, help="the norm whose model is applied, e.g. in")
    stylize.add_argument(
        "--style",
        required=True,
        help="the style, one the run trained (or, for norms that take arbitrary styles, a held-out style of the run)",
    )
    stylize.add_argument("--seed", type=int, help="the training seed of the model (default: the run's first)")
    stylize.add_argument(
        "--size",
        type=int,
        default=512,
        help="short side the images are stylized at, in pixels (default 512; 0 keeps each image's own size)",
    )
    add_out_dir_argument(stylize, "the folder the PNGs go into (required)")
    stylize.add_argument("--device", default="auto", help="auto (default: the run's), cpu, cuda or cuda:N")
    add_disable_plugin_argument(stylize)
    stylize.set_defaults(handler=command_stylize)


def command_stylize(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench import api
    from normbench.runtime.threads import match_torch_threads

    if args.out_dir is None:
        raise UserError("stylize needs --out-dir: the folder the stylized PNGs go into")
    if args.size < 0 or args.size > 8192:
        raise UserError(f"--size must be from 0 (each image's own size) to 8192 pixels, got {args.size}")
    match_torch_threads()
    written = api.stylize(
        args.run_dir,
        args.images,
        args.out_dir,
        norm=args.norm,
        style=args.style,
        seed=args.seed,
        size=args.size or None,
        device=args.device,
        disable_plugin=args.disable_plugin,
    )
    for path in written:
        console.print(Text(f"wrote {path}"))
    return ExitCode.OK
