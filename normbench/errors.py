"""Exit codes, and the errors a user can cause, each with the exit code the command line returns for it."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What ``normbench`` returns, for scripts and schedulers (``$?``); ``normbench --help`` lists them."""

    OK = 0
    NO_RESULT = 1
    USAGE_ERROR = 2
    INTERNAL_ERROR = 3
    MISSING_WEIGHTS = 4
    OUTPUT_ERROR = 5
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.NO_RESULT: "a run ended but no model finished (all diverged or failed; its report shows why), or "
    "`status` found a run not complete",
    ExitCode.USAGE_ERROR: "a bad flag, input file or stored result, named in the message",
    ExitCode.INTERNAL_ERROR: "a bug in normbench or a plugin; the traceback is worth a bug report",
    ExitCode.MISSING_WEIGHTS: "pretrained weights missing or corrupt (`weights check` too)",
    ExitCode.OUTPUT_ERROR: "results could not be written (disk full, directory removed); rows written are kept",
    ExitCode.INTERRUPTED: "Ctrl-C (SIGINT); finished rows, images and the manifest are kept",
    ExitCode.BROKEN_PIPE: "the output's reader stopped reading (`| head`), as for SIGPIPE; nothing else went wrong",
    ExitCode.TERMINATED: "SIGTERM (Slurm, timeout, docker stop); kept as after Ctrl-C",
}


class PluginDeprecationWarning(DeprecationWarning):
    """A plugin uses a form of normbench's API that a later minor release removes; the message says what to write
    instead. The command line shows it (Python hides a DeprecationWarning raised outside ``__main__``)."""


class UserError(Exception):
    """A problem with the user's input; the CLI prints the message and exits with ``exit_code``."""

    exit_code = ExitCode.USAGE_ERROR


class NoResultError(UserError):
    """The work asked for had nothing to work on, or nothing of it finished (a run with no finished cell to score)."""

    exit_code = ExitCode.NO_RESULT


class MissingWeightsError(UserError):
    """Pretrained weights were required but are not on disk."""

    exit_code = ExitCode.MISSING_WEIGHTS


class OutputError(UserError):
    """A result file could not be written; the message names the file and the operating system's reason."""

    exit_code = ExitCode.OUTPUT_ERROR


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so it unwinds like Ctrl-C and keeps what finished."""


def stopped_by(stop: KeyboardInterrupt) -> str:
    """``"terminated"`` (SIGTERM) or ``"interrupted"`` (Ctrl-C): a manifest status, and ``ExitCode[...upper()]``."""
    return "terminated" if isinstance(stop, Terminated) else "interrupted"


def reason(error: BaseException) -> str:
    """What a failed run's manifest says: a UserError's own message, else the exception's type and message."""
    return str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
