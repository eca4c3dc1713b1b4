"""argparse value types and arguments shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from normbench.lifecycle.option_values import csv_list, learning_rates, positive_ints, run_id, seed_list

__all__ = [
    "add_deprecated_flag",
    "add_disable_plugin_argument",
    "add_out_dir_argument",
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


class _DeprecatedFlag(argparse.Action):
    """An old spelling of a flag: it still works, with a FutureWarning (shown to users by default, unlike
    DeprecationWarning) naming the flag to write instead."""

    def __init__(self, option_strings, dest, instead: str, **kwargs):
        self.instead = instead
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        import warnings

        warnings.warn(
            f"{option_string} is deprecated and will be removed in normbench 0.3; write {self.instead}",
            FutureWarning,
            stacklevel=2,
        )
        setattr(namespace, self.dest, True if self.nargs == 0 else values)


def add_deprecated_flag(parser: argparse.ArgumentParser, flags: tuple[str, ...], dest: str, instead: str, **kwargs):
    """``flags`` kept for one minor release as the old form of ``instead`` (hidden from ``--help``)."""
    parser.add_argument(
        *flags, dest=dest, action=_DeprecatedFlag, instead=instead, help=argparse.SUPPRESS, default=None, **kwargs
    )


def add_out_dir_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--out-dir``: the folder a command writes into (``-o`` names a file in every command that has it, so here
    it is only the deprecated old form)."""
    parser.add_argument("--out-dir", type=Path, metavar="OUT_DIR", help=help_text)
    add_deprecated_flag(parser, ("-o", "--output"), "out_dir", "--out-dir", type=Path)
