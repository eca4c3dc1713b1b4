"""The README's "Write a norm plugin" example, extracted and run end to end through an entry point."""

import pathlib
import re

import pandas as pd
from tiny import run_tiny

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def plugin_section() -> str:
    text = README.read_text()
    return text[text.index("## Write a norm plugin") : text.index("## Layout")]


def test_the_example_is_complete_and_short():
    module = re.search(r"```python\n(# my_norms.py\n.*?)```", plugin_section(), re.S).group(1)
    assert len(module.strip().splitlines()) <= 25


def test_the_readme_plugin_runs_end_to_end(tmp_path, fake_distribution):
    section = plugin_section()
    module = re.search(r"```python\n# my_norms.py\n(.*?)```", section, re.S).group(1)
    entry_name, target = re.search(r'\[project\.entry-points\.normbench\]\n(\w+) = "(\w+)"', section).groups()
    norm = re.search(r'NormSpec\(\s*name="(\w+)"', module).group(1)
    fake_distribution(target, module, dist_name="my-norms", entry_name=entry_name)
    assert run_tiny(tmp_path, "--norms", f"{norm},in", baselines=None) == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert table.query("kind == 'norm'").norm.tolist() == [norm, "in"] and (table.status == "ok").all()
