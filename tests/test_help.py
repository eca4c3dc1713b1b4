"""The command line's help, as pytest's: every command with its defaults and two examples that parse, one meaning
per flag across commands, old spellings kept with a warning, and ``normbench --help`` without importing torch."""

import subprocess
import sys

import pytest

from normbench.cli import build_parser
from normbench.cli.commands import COMMANDS


def subparsers(parser):
    return next(action for action in parser._actions if action.__class__.__name__ == "_SubParsersAction").choices


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_shows_two_examples_that_parse_and_its_defaults(name):
    parser = build_parser(name)
    command = subparsers(parser)[name]
    text = command.format_help()
    assert text.count("\n  normbench ") == 2 and "examples:" in text
    for example in COMMANDS[name][2]:
        words = example.split("#")[0].split()[1:]
        parser.parse_args(words)  # NOTE: an example naming a flag that does not exist exits 2 here
    shown = [a for a in command._actions if a.option_strings and a.default not in (None, False, [], "==SUPPRESS==")]
    for action in shown:
        assert "default" in (command._get_formatter()._get_help_string(action) or ""), action.dest


def test_one_meaning_per_flag_across_commands():
    commands = subparsers(build_parser())
    meanings = {}
    for command in commands.values():
        for action in command._actions:
            for flag in action.option_strings:
                if action.help != "==SUPPRESS==":
                    meanings.setdefault(flag, set()).add((action.dest, action.type.__name__ if action.type else ""))
    assert meanings["-o"] == {("output", "Path")}  # a file in report and compare; folders are --out-dir
    # NOTE: bench's old --profile (a profiler switch) is hidden and deprecated: --profile is run's budget
    assert all(len(meanings[flag]) == 1 for flag in ("-o", "--out-dir", "--profile", "--trace")), meanings


def test_the_old_bench_profile_flag_still_works_with_a_warning():
    parser = build_parser("bench")
    with pytest.warns(FutureWarning, match="--profile is deprecated .* write --trace"):
        assert parser.parse_args(["bench", "--profile"]).trace is True


def test_help_and_version_do_not_import_torch():
    for argv in (["--help"], ["--version"]):
        probe = (
            "import sys, contextlib, io\n"
            "from normbench import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: cli.main({argv!r})\n"
            "    except SystemExit: pass\n"
            "print('torch' in sys.modules)"
        )
        assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False"
