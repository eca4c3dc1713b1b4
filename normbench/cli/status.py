"""``normbench status``: how far stored runs got, derived from their cells."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from normbench.errors import ExitCode


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
    from normbench.store.cells import KEPT_OUTCOMES, CellStore
    from normbench.store.results import read_run_manifest

    for run_dir in args.run_dirs:
        manifest = read_run_manifest(run_dir)
        print(f"{run_dir}: {manifest.status}")
        if args.cells:
            records = CellStore(run_dir).records()
            for cell_id in manifest.cells:
                outcome = records.get(cell_id, {}).get("outcome")
                if outcome not in KEPT_OUTCOMES:
                    print(f"  {cell_id}: {'failed' if outcome == 'error' else 'not finished'}")
    return ExitCode.OK
