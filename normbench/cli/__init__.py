"""The ``normbench`` command line: one module per command, each binding its handler to its parser."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import traceback
import warnings

from rich.console import Console

from normbench import __version__
from normbench.cli.commands import COMMANDS, finish
from normbench.cli.console import make_console, say, show_warnings_on
from normbench.errors import ExitCode, PluginDeprecationWarning, Terminated, UserError, stopped_by


def exit_codes_text() -> str:
    """The exit codes for ``--help``, from :class:`ExitCode`."""
    return "exit codes:\n" + "\n".join(f"  {int(code):<4} {code.name.lower():16} {code.meaning}" for code in ExitCode)


class Parser(argparse.ArgumentParser):
    """argparse's parser, but help and usage written to a closed pipe raise (argparse drops the error and exits 0),
    so that ``normbench --help | head -1`` ends with the status of a closed pipe like every other output."""

    def _print_message(self, message: str, file=None) -> None:
        if message:
            (file or sys.stderr).write(message)


def chosen_command(argv: list[str]) -> str | None:
    """The command ``argv`` names (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = "*") -> argparse.ArgumentParser:
    """The parser with ``command``'s sub-parser built in full (every command's for ``"*"``); the others are listed
    with their summary only, so that their modules, and torch, are not imported (``normbench --help`` stays fast)."""
    parser = Parser(
        prog="normbench",
        description="Benchmark normalization layers in fast style-transfer generators.",
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"normbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, summary, _) in COMMANDS.items():
        if command in ("*", name):
            importlib.import_module(module).add_parser(commands)
            finish(commands.choices[name], name)
        else:
            commands.add_parser(name, help=summary)
    return parser


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """The command line: ``argv`` (``sys.argv[1:]`` by default) run to an exit code."""
    try:
        try:
            return _main(argv)
        except SystemExit:  # NOTE: after argparse's --help, what is buffered must reach the reader, or fail here
            sys.stdout.flush()
            raise
    except BrokenPipeError:
        return closed_pipe()


def _main(argv: list[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(chosen_command(words))
    if not words:  # NOTE: bare `normbench`: the help, as git and pip print it
        parser.print_help()
        return ExitCode.USAGE_ERROR
    args = parser.parse_args(argv)
    # NOTE: what was typed, so a study file yields to a flag even when it is given with its default value
    args.command_line = list(sys.argv[1:] if argv is None else argv)
    console = make_console(stderr=True)
    # NOTE: SIGTERM (Slurm, timeout, docker stop) unwinds like Ctrl-C, so finished rows and the manifest are kept.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warnings_on(console)
            warnings.filterwarnings("default", category=PluginDeprecationWarning)
            code = dispatch(args, console)
            sys.stdout.flush()  # NOTE: here, so that a closed pipe is caught in main(), not at the interpreter's exit
            return int(code)
    finally:
        signal.signal(signal.SIGTERM, previous)


def closed_pipe() -> ExitCode:
    """The reader of the output went away (``normbench plugins --json | head -1``): end quietly, with the status a
    process stopped by SIGPIPE has. What is still buffered goes to /dev/null, so Python's exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # NOTE: a replaced sys.stdout (pytest's capture) has no descriptor to redirect
        pass
    return ExitCode.BROKEN_PIPE


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
    except BrokenPipeError:
        return closed_pipe()
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
