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
    stylize.add_argument(
        "--tiles",
        type=int,
        default=1,
        metavar="N",
        help="stylize each image as an N x N grid of tiles, as for images too large for memory (URST): norms that "
        "take thumbnail statistics (thumbnail_in) normalize every tile with those of a thumbnail the size of a "
        "tile, others with the tile's own; writes <image>.<norm>.<style>.tilesN.png (default 1: whole)",
    )
    stylize.add_argument(
        "--compare-whole",
        action="store_true",
        help="with --tiles: also stylize each image whole, and print and append to OUT_DIR/tiles.csv how far the "
        "tiled output is from it and how much its tile borders step",
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
    if args.compare_whole and args.tiles < 2:
        raise UserError("--compare-whole compares a tiled output with the whole one: give --tiles 2 or more")
    match_torch_threads()
    common = dict(
        norm=args.norm,
        style=args.style,
        seed=args.seed,
        size=args.size or None,
        device=args.device,
        disable_plugin=args.disable_plugin,
    )
    if args.compare_whole:
        for check in api.check_tiles(args.run_dir, args.images, args.out_dir, tiles=args.tiles, **common):
            console.print(
                Text(
                    f"{check.image} ({check.width}x{check.height}, {check.tiles}x{check.tiles} tiles, "
                    f"{check.statistics}): patch difference {check.patch_difference:.4g}, "
                    f"seam step {check.seam_step:.4g}"
                )
            )
        console.print(Text(f"wrote {args.out_dir / 'tiles.csv'} and the PNGs beside it"))
        return ExitCode.OK
    for path in api.stylize(args.run_dir, args.images, args.out_dir, tiles=args.tiles, **common):
        console.print(Text(f"wrote {path}"))
    return ExitCode.OK
