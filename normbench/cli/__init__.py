"""The ``normbench`` command line: one module per command, each binding its handler to its parser."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
import warnings

from rich.console import Console

from normbench import __version__
from normbench.cli import bench, compare, export, plugins, report, run, score, status, stylize, weights
from normbench.cli.console import make_console, say, show_warnings_on
from normbench.errors import ExitCode, PluginDeprecationWarning, Terminated, UserError, stopped_by

#: The commands in the order ``--help`` lists them.
COMMANDS = (run, status, score, stylize, export, bench, report, compare, weights, plugins)


def exit_codes_text() -> str:
    """The exit codes for ``--help``, from :class:`ExitCode`."""
    return "exit codes:\n" + "\n".join(f"  {int(code):<4} {code.name.lower():16} {code.meaning}" for code in ExitCode)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="normbench",
        description="Benchmark normalization layers in fast style-transfer generators.",
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"normbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # NOTE: what was typed, so a study file yields to a flag even when it is given with its default value
    args.command_line = list(sys.argv[1:] if argv is None else argv)
    console = make_console(stderr=True)
    # NOTE: SIGTERM (Slurm, timeout, docker stop) unwinds like Ctrl-C, so finished rows and the manifest are kept.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warnings_on(console)
            warnings.filterwarnings("default", category=PluginDeprecationWarning)
            return int(dispatch(args, console))
    finally:
        signal.signal(signal.SIGTERM, previous)


def dispatch(args: argparse.Namespace, console: Console) -> ExitCode:
    """Run the command's handler; every way it can end becomes a message and an :class:`ExitCode`."""
    try:
        return args.handler(args, console)
    except UserError as error:
        say(console, "error", error, "red")
        return error.exit_code
    except (ValueError, FileExistsError) as error:  # NOTE: registries and parsers name the bad value
        say(console, "error", error, "red")
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt as stop:
        say(console, stopped_by(stop), "SIGTERM" if isinstance(stop, Terminated) else "Ctrl-C", "yellow")
        return ExitCode[stopped_by(stop).upper()]
    except Exception as error:  # a bug: say so, and keep the traceback for the report
        traceback.print_exc(file=sys.stderr)
        say(
            console,
            "internal error",
            f"{type(error).__name__}: {error} (a bug in normbench or a plugin; please "
            "report it with the traceback above)",
            "red",
        )
        return ExitCode.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
