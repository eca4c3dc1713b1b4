"""``normbench weights list|download|check``: the files an air-gapped machine needs, and their state."""

from __future__ import annotations

import argparse
import json
import urllib.error

from rich.console import Console
from rich.table import Table
from rich.text import Text

from normbench import weights
from normbench.cli.console import make_console
from normbench.errors import ExitCode, MissingWeightsError, UserError


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "weights",
        help="list, download or check the pretrained weights files",
        description="Pretrained files live under $TORCH_HOME/hub/checkpoints/ with the first hex digits of "
        "their sha256 in the name. `run` never downloads; copy the files there on an "
        "air-gapped machine, or use `download` where the network reaches them.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="each file, what uses it, its place and URL, present or not")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    download = actions.add_parser("download", help="fetch missing files atomically, verifying their hash")
    download.add_argument("names", nargs="*", help=f"files to fetch (default: all): {', '.join(weights.WEIGHT_FILES)}")
    download.add_argument("--offline", action="store_true", help="never touch the network; fail if a file is missing")
    actions.add_parser("check", help="verify the sha256 of the files already present")
    parser.set_defaults(handler=command_weights)


def command_weights(args: argparse.Namespace, console: Console) -> int:
    if args.action == "list":
        return _list(args, console)
    if args.action == "check":
        return _check(console)
    return _download(args, console)


def _rows() -> list[dict]:
    return [
        {
            "name": e.name,
            "file": e.filename,
            "present": e.path.is_file(),
            "used_by": e.used_by,
            "path": str(e.path),
            "url": e.url,
            "sha256_prefix": e.hash_prefix,
        }
        for e in weights.WEIGHT_FILES.values()
    ]


def _list(args, console: Console) -> int:
    rows = _rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return ExitCode.OK
    table = Table(title="pretrained weights")
    for column in ("name", "file", "present", "used by", "url"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["file"],
            Text("yes") if row["present"] else Text("no", style="red"),
            row["used_by"],
            row["url"],
        )
    make_console().print(table)
    console.print(f"folder: {weights.WEIGHT_FILES['vgg16'].path.parent}")
    return ExitCode.OK


def _check(console: Console) -> int:
    corrupt = 0
    for entry in weights.WEIGHT_FILES.values():
        status = weights.check(entry)
        corrupt += status.startswith("corrupt")
        console.print(f"{entry.name:14} {status:10} {entry.path}", highlight=False)
    return ExitCode.MISSING_WEIGHTS if corrupt else ExitCode.OK


def _download(args, console: Console) -> int:
    unknown = [name for name in args.names if name not in weights.WEIGHT_FILES]
    if unknown:
        raise UserError(f"unknown weights {unknown[0]!r}; available: {', '.join(weights.WEIGHT_FILES)}")
    wanted = [weights.WEIGHT_FILES[name] for name in (args.names or weights.WEIGHT_FILES)]
    missing = [entry for entry in wanted if weights.check(entry) != "ok"]
    if missing and args.offline:
        raise MissingWeightsError(
            f"--offline: not downloading {', '.join(e.filename for e in missing)}; "
            f"copy them into {missing[0].path.parent}"
        )
    for entry in missing:
        console.print(f"downloading {entry.url}")
        try:
            weights.download(entry)
        except (urllib.error.URLError, OSError) as error:
            raise MissingWeightsError(
                f"could not download {entry.url} ({error}); place {entry.filename} in {entry.path.parent} by hand"
            ) from None
    console.print(f"all {len(wanted)} files present and verified")
    return ExitCode.OK
