"""The README and docs/ say only what exists: a short README, a CLI reference equal to the parsers, every flag of
every ``normbench`` command line they show taken by that command, and every file and page they name present."""

import argparse
import re
from pathlib import Path

import pytest

from normbench.cli import build_parser
from normbench.cli.reference import reference

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_readme_is_short_and_the_docs_tree_is_complete():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
    names = {page.name for page in PAGES}
    assert {"user-guide.md", "protocol.md", "statistics.md", "cli.md", "plugins.md", "architecture.md"} <= names


def test_the_cli_reference_is_generated_from_the_parsers():
    assert (ROOT / "docs" / "cli.md").read_text() == reference(), "run: python -m normbench.cli.reference > docs/cli.md"


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Each command's parser, and each action's as ``"weights import"``."""
    parser = build_parser()
    found = {}
    for name, command in next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices.items():
        found[name] = command
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                found.update({f"{name} {child}": sub for child, sub in action.choices.items()})
    return found


def command_lines() -> list[tuple[str, str]]:
    """``(page, line)`` for every ``normbench COMMAND ...`` the pages show, in code blocks or inline code."""
    found = []
    for page in PAGES:
        if page.name == "cli.md":
            continue
        text = page.read_text()
        snippets = re.findall(r"```(?:bash|console)?\n(.*?)```", text, re.S) + re.findall(r"`(normbench [^`]+)`", text)
        for snippet in snippets:
            for line in snippet.splitlines():
                line = line.strip().lstrip("$ ")
                if line.startswith("normbench ") and not line.startswith("normbench COMMAND"):
                    found.append((page.name, line))
    return found


def test_every_flag_the_docs_show_is_taken_by_its_command():
    parsers = _parsers()
    unknown = []
    lines = command_lines()
    assert len(lines) > 30
    for page, line in lines:
        words = re.split(r"\s+", line.split("#")[0].split("|")[0].split("&&")[0].strip())[1:]
        if not words or words[0].startswith("-"):  # NOTE: `normbench --help`, `normbench --version`
            continue
        if words[0] not in parsers:
            unknown.append((page, line, "no such command"))
            continue
        name = f"{words[0]} {words[1]}" if len(words) > 1 and f"{words[0]} {words[1]}" in parsers else words[0]
        taken = {
            flag
            for action in parsers[name]._actions
            if action.help != argparse.SUPPRESS
            for flag in action.option_strings
        }
        for word in words:
            flag = word.split("=")[0].strip("[],.;:)(")
            if re.fullmatch(r"--?[a-z][a-z-]*", flag) and flag not in taken:
                unknown.append((page, line, flag))
    assert unknown == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_file_and_page_named_exists(page):
    text = page.read_text()
    links = [link.split("#")[0] for link in re.findall(r"\]\(([^)]+)\)", text) if "://" not in link]
    paths = re.findall(r"`((?:normbench|tests|plugins|docs|datasets|benchmarks|\.ci)/[\w./-]+\.\w+)`", text)
    missing = [link for link in links if link and not (page.parent / link).exists()]
    missing += [path for path in paths if not (ROOT / path).exists()]
    assert missing == []
