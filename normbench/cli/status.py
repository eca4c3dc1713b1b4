"""``normbench status``: how far stored runs got, derived from their cells."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from normbench.cli.argtypes import add_json_argument
from normbench.cli.commands import summary
from normbench.errors import ExitCode


def add_parser(commands) -> None:
    status = commands.add_parser(
        "status",
        help=summary("status"),
        description="One line per run directory: its status derived from its finished cells and whether a process "
        "is computing it (a run killed with kill -9 reads `incomplete: 4 of 6 cells`), then with "
        "--cells the cells not finished. `normbench run --resume RUN_DIR` computes those. Exits 0 when every run "
        "is complete, 1 otherwise.",
    )
    status.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    status.add_argument("--cells", action="store_true", help="also list the cells that are not finished")
    add_json_argument(status, "one object per run: its status, cell counts and the cells not finished")
    status.set_defaults(handler=command_status)


def run_states(run_dir: Path) -> dict:
    """``{"run_dir", "status", "state", "unfinished": [{"cell", "outcome"}]}``: ``state`` is the status's first
    word (complete, running, interrupted, terminated, failed or incomplete)."""
    from normbench.store.cells import KEPT_OUTCOMES, CellStore
    from normbench.store.results import read_run_manifest

    manifest = read_run_manifest(run_dir)
    records = CellStore(run_dir).records()
    unfinished = [
        {"cell": cell_id, "outcome": "failed" if outcome == "error" else "not finished"}
        for cell_id in manifest.cells
        if (outcome := records.get(cell_id, {}).get("outcome")) not in KEPT_OUTCOMES
    ]
    state = str(manifest.status).split(":")[0]
    return {"run_dir": str(run_dir), "status": manifest.status, "state": state, "unfinished": unfinished}


def command_status(args: argparse.Namespace, console: Console) -> ExitCode:
    states = [run_states(run_dir) for run_dir in args.run_dirs]
    if args.json:
        print(json.dumps(states, indent=2))
    else:
        for state in states:
            print(f"{state['run_dir']}: {state['status']}")
            if args.cells:
                for cell in state["unfinished"]:
                    print(f"  {cell['cell']}: {cell['outcome']}")
    # NOTE: a script waiting for a run tests the exit code: 0 only when every run is complete
    return ExitCode.OK if all(state["state"] == "complete" for state in states) else ExitCode.NO_RESULT
