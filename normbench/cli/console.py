"""The terminal: consoles, and messages that print any text as it is (a path may hold ``[/x]``, rich markup)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from normbench.lifecycle.progress import plain_console


def make_console(stderr: bool = False) -> Console:
    """The command line's console: every string printed as it is
    (:func:`~normbench.lifecycle.progress.plain_console`)."""
    return plain_console(stderr=stderr)


def say(console: Console, label: str, message: object, style: str) -> None:
    """``label: message`` with the label coloured; the message is never read as markup."""
    console.print(Text.assemble((f"{label}:", style), " ", str(message)), highlight=False)


def show_warnings_on(console: Console):
    """A ``warnings.showwarning`` that prints ``warning: message`` on ``console``."""

    def show(message, category, filename, lineno, file=None, line=None):
        say(console, "warning", message, "yellow")

    return show
