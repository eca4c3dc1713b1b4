"""``normbench status``: how far stored runs got, derived from their cells."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from normbench.errors import ExitCode, UserError


def add_parser(commands) -> None:
    status = commands.add_parser(
        "status",
        help="say how far stored runs got: complete, running, interrupted or incomplete, in cells",
        description="One line per run directory: its status derived from its finished cells and whether a process "
        "is computing it (a run killed with kill -9 reads `incomplete: 4 of 6 cells`), then with "
        "--cells the cells not finished. `normbench run --resume RUN_DIR` computes those.",
    )
    status.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    status.add_argument("--cells", action="store_true", help="also list the cells that are not finished")
    status.set_defaults(handler=command_status)


def command_status(args: argparse.Namespace, console: Console) -> ExitCode:
    from normbench.report.stored import read_manifest
    from normbench.study.cells import KEPT_OUTCOMES, CellStore, run_status

    for run_dir in args.run_dirs:
        if not (run_dir / "manifest.json").is_file():
            raise UserError(f"{str(run_dir)!r} is not a normbench run directory (no manifest.json)")
        manifest = read_manifest(run_dir / "manifest.json")
        print(f"{run_dir}: {run_status(run_dir, manifest)}")
        if args.cells:
            records = CellStore(run_dir).records()
            for cell_id in manifest.get("cells", []):
                outcome = records.get(cell_id, {}).get("outcome")
                if outcome not in KEPT_OUTCOMES:
                    print(f"  {cell_id}: {'failed' if outcome == 'error' else 'not finished'}")
    return ExitCode.OK
