"""The README's "Write a norm plugin" example, extracted and run end to end through an entry point, and the plugin
guide's metric contract, quoted from hookspecs."""

import inspect
import pathlib
import re

import pandas as pd
from tiny import run_tiny

from normbench.columns import AXES

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLUGIN_GUIDE = ROOT / "docs" / "plugins.md"


def plugin_section() -> str:
    text = README.read_text()
    return text[text.index("## Write a norm plugin") : text.index("## Where the rest is")]


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


def metric_section() -> str:
    text = PLUGIN_GUIDE.read_text()
    return text[text.index("## Write a metric plugin") :]


def contract_in_hookspecs() -> str:
    """The metric contract as normbench/hookspecs.py states it, in Markdown's quoting."""
    from normbench import hookspecs

    doc = inspect.getdoc(hookspecs.normbench_register_metrics)
    body = doc[doc.index("- ``factory(context)``") : doc.index(":param registry:")]
    return " ".join(body.replace("``", "`").split())


def test_the_readme_quotes_the_metric_contract_of_hookspecs_word_for_word():
    section = metric_section()
    quoted = section[section.index("- `factory(context)`") :]
    assert " ".join(quoted.split()) == contract_in_hookspecs()


def test_the_metric_contract_describes_every_axis_a_column_may_take():
    contract = contract_in_hookspecs()
    assert all(f"`{axis}`" in contract for axis in AXES), [axis for axis in AXES if f"`{axis}`" not in contract]


def test_the_readme_metric_plugin_runs_end_to_end(tmp_path, fake_distribution):
    module = re.search(r"```python\n# my_metrics.py\n(.*?)```", metric_section(), re.S).group(1)
    assert len(module.strip().splitlines()) <= 35
    fake_distribution("my_metrics", module, dist_name="my-metrics", entry_name="my_metrics")
    assert run_tiny(tmp_path, "--norms", "in", metrics="distances,sat_gap") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert (table.status == "ok").all() and table.sat_gap.between(0, 1).all() and table.error.isna().all()
