"""argparse value types and arguments shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from normbench.lifecycle.option_values import csv_list, learning_rates, positive_ints, run_id, seed_list

__all__ = [
    "add_disable_plugin_argument",
    "add_json_argument",
    "add_output_arguments",
    "csv_list",
    "learning_rates",
    "positive_ints",
    "run_id",
    "seed_list",
]


def add_output_arguments(parser: argparse.ArgumentParser, default: Path, what: str) -> None:
    """``--out-dir`` and ``--run-id`` of a command that writes a ``what`` directory under ``default``."""
    parser.add_argument("--out-dir", type=Path, default=default, help=f"where {what} directories go")
    parser.add_argument(
        "--run-id",
        type=run_id,
        help=f"name of the {what} directory, one path component (default: time stamp and norms)",
    )


def add_disable_plugin_argument(parser: argparse.ArgumentParser) -> None:
    """``--disable-plugin NAME``, shared by every command that loads plugins."""
    parser.add_argument(
        "--disable-plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this plugin out (repeatable; NORMBENCH_DISABLE_PLUGINS works too): the "
        "entry-point name of a third-party plugin, the module of a built-in one "
        "(`normbench plugins` lists both)",
    )


def add_json_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json``: the command's summary as one JSON document on stdout (progress and paths stay on stderr)."""
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as JSON on stdout instead of tables (schema in normbench/report/summaries.py; "
        "progress and messages stay on stderr)",
    )
