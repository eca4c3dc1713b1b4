"""``docs/cli.md``: every command's help as Markdown, generated from the parsers so the reference cannot drift
(``python -m normbench.cli.reference > docs/cli.md``; a test compares them)."""

from __future__ import annotations

import argparse
import os


def _help(parser: argparse.ArgumentParser) -> str:
    # NOTE: a fixed width, so the page is the same on every terminal
    os.environ["COLUMNS"] = "100"
    return parser.format_help()


def reference() -> str:
    """The page: the top-level help, then each command's and each of its actions'."""
    from normbench.cli import build_parser
    from normbench.cli.commands import COMMANDS

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    parts = [
        "# CLI reference",
        "",
        "Generated from the parsers by `python -m normbench.cli.reference > docs/cli.md`; "
        "`normbench COMMAND --help` prints the same.",
        "",
        "```",
        _help(parser).rstrip(),
        "```",
    ]
    for name in COMMANDS:
        parts += ["", f"## normbench {name}", "", "```", _help(commands[name]).rstrip(), "```"]
        for action in commands[name]._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child_name, child in action.choices.items():
                    parts += ["", f"### normbench {name} {child_name}", "", "```", _help(child).rstrip(), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
