"""A metric plugin's mistakes are named, never silent: 0.1's MetricSpec form still works (with a deprecation that
says what to write), compute() is checked against the declared columns, a factory that raises is a failed metric of
its plugin, and a plugin that loaded in part is reported as such at the end of the run and in its report."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from tiny import run_tiny

from normbench import Column, Metric, MetricSpec
from normbench.errors import PluginDeprecationWarning
from normbench.metrics.contract import MetricContractError, built_metric, checked_values
from normbench.testing import MetricContract

SAT_GAP = """
import torch
from torch import nn
from normbench import Column, Metric, MetricSpec, NormSpec, hookimpl


class SatGap(Metric):
    name = "sat_gap"
    higher_is_better = False
    axis = "style"

    def __init__(self, context):
        self.reset()

    def update(self, sample):
        saturation = lambda x: (x.amax(1) - x.amin(1)).mean()
        self.total += float((saturation(sample.stylized) - saturation(sample.style)).abs()) * len(sample.stylized)
        self.count += len(sample.stylized)

    def compute(self):
        return {"sat_gap": self.total / max(self.count, 1)}

    def reset(self):
        self.total, self.count = 0.0, 0
"""
COLUMNS = (Column("sat_gap", False, axis="style"), Column("sat_note", None, axis="info"))


_MODULES = itertools.count()


def install(fake_distribution, body: str, entry: str = "sat"):
    """``body`` after SatGap as plugin ``entry`` of distribution nb-<entry>, in a module of its own (a module
    imported by an earlier test stays imported)."""
    module = f"nb_{entry}_{next(_MODULES)}"
    fake_distribution(module, SAT_GAP + body, dist_name=f"nb-{entry}", entry_name=entry)


def run(tmp_path, *flags, metrics="lpips,sat_gap") -> tuple[int, pd.DataFrame, dict]:
    code = run_tiny(tmp_path, "--norms", "in", *flags, metrics=metrics)
    folder = tmp_path / "runs" / "r"
    return code, pd.read_csv(folder / "results.csv"), json.loads((folder / "manifest.json").read_text())


class Plain(Metric):
    name = "plain"

    def __init__(self, context):
        pass


def test_the_0_1_keywords_map_onto_one_declared_column_with_a_deprecation_saying_what_to_write():
    with pytest.warns(PluginDeprecationWarning, match=r"declare the column instead: MetricSpec\('sat_gap'") as seen:
        spec = MetricSpec(name="sat_gap", factory=Plain, higher_is_better=True, description="saturation gap")
    assert seen[0].filename == __file__  # NOTE: the warning points at the plugin's line, not at normbench
    assert spec.columns == (Column("sat_gap", True, axis="other", description="saturation gap"),)
    with pytest.warns(PluginDeprecationWarning):
        positional = MetricSpec("sat_gap", Plain, False, "saturation gap")  # 0.1's order
    assert positional.description == "saturation gap" and positional.columns[0].higher_is_better is False
    with pytest.raises(ValueError, match="not both"):
        MetricSpec("sat_gap", Plain, columns=COLUMNS[:1], higher_is_better=False)


def test_a_plugin_written_for_0_1_runs_and_fills_its_column(tmp_path, fake_distribution, capsys):
    install(
        fake_distribution,
        "\n@hookimpl\ndef normbench_register_metrics(registry):\n"
        "    registry.add(MetricSpec(name='sat_gap', factory=SatGap, higher_is_better=False, description='gap'))\n",
    )
    code, table, manifest = run(tmp_path)
    assert code == 0 and table.sat_gap.notna().all()
    assert manifest["columns"]["sat_gap"]["higher_is_better"] is False
    assert "MetricSpec(higher_is_better=...) is normbench 0.1's form" in capsys.readouterr().err


def test_values_are_checked_against_the_declared_columns():
    values = checked_values(COLUMNS, {"sat_gap": torch.tensor(0.25), "sat_note": "on 3 images"}, "metric 'm'")
    assert values == {"sat_gap": 0.25, "sat_note": "on 3 images"} and type(values["sat_gap"]) is float
    assert checked_values(COLUMNS, {"sat_gap": np.float32(2), "sat_note": None}, "m")["sat_gap"] == 2.0
    assert math.isnan(checked_values(COLUMNS[:1], {"sat_gap": float("nan")}, "m")["sat_gap"])
    assert checked_values(COLUMNS[:1], {"sat_gap": 3}, "m") == {"sat_gap": 3}
    for returned, message in [
        ({"satgap": 1.0, "sat_note": ""}, r"compute\(\) returned 'satgap', not declared; no 'sat_gap'"),
        ({"sat_gap": torch.ones(3), "sat_note": ""}, r"compute\(\) gave column 'sat_gap' a Tensor of shape \(3,\)"),
        (
            {"sat_gap": "0.5", "sat_note": ""},
            r"compute\(\) gave column 'sat_gap' '0.5' \(str\); a ranked column takes a float",
        ),
        ({"sat_gap": True, "sat_note": ""}, r"compute\(\) gave column 'sat_gap' True \(bool\)"),
        ([0.5], r"compute\(\) returned list, not a dict of its columns \(sat_gap, sat_note\)"),
    ]:
        with pytest.raises(MetricContractError, match=r"^metric 'm' \(plugin 'p'\): " + message):
            checked_values(COLUMNS, returned, "metric 'm' (plugin 'p')")


def test_a_factory_that_takes_no_context_is_named_with_the_fix():
    class NoContext(Plain):
        def __init__(self):
            pass

    with pytest.raises(MetricContractError, match=r"plugin 'p'\): its factory raised TypeError: .*factory\(context\)"):
        built_metric("plain", NoContext, object(), "p")
    with pytest.raises(MetricContractError, match="returned int, which has no reset, update, compute"):
        built_metric("plain", lambda context: 3, object(), "p")


def test_a_0_d_tensor_is_stored_as_a_number(tmp_path, fake_distribution):
    install(
        fake_distribution,
        "\nclass T(SatGap):\n    def compute(self):\n"
        "        return {'sat_gap': torch.tensor(self.total / max(self.count, 1))}\n\n"
        "@hookimpl\ndef normbench_register_metrics(registry):\n    registry.add(MetricSpec('sat_gap', T))\n",
    )
    code, table, _ = run(tmp_path)
    assert code == 0 and table.sat_gap.dtype == float and table.sat_gap.notna().all()


def test_a_key_that_is_not_a_declared_column_is_named_in_the_rows_the_summary_and_the_report(
    tmp_path, fake_distribution, capsys
):
    install(
        fake_distribution,
        "\nclass K(SatGap):\n    def compute(self):\n        return {'satgap': 1.0}\n\n"
        "@hookimpl\ndef normbench_register_metrics(registry):\n    registry.add(MetricSpec('sat_gap', K))\n",
    )
    code, table, _ = run(tmp_path)
    assert code == 0 and "satgap" not in table and table.sat_gap.isna().all() and table.lpips.notna().all()
    assert table.error.str.contains("compute\\(\\) returned 'satgap', not declared").all()
    sentence = "metric 'sat_gap' (plugin 'sat') failed on 2 of 2 rows"
    assert f"plugin problem: {sentence}" in capsys.readouterr().err
    assert sentence.replace("'", "&#39;") in (tmp_path / "runs" / "r" / "report.html").read_text()


def test_a_metric_whose_factory_raises_is_a_failed_metric_of_its_plugin_not_a_dead_run(
    tmp_path, fake_distribution, capsys
):
    install(
        fake_distribution,
        "\nclass N(SatGap):\n    def __init__(self):\n        self.reset()\n\n"
        "@hookimpl\ndef normbench_register_metrics(registry):\n    registry.add(MetricSpec('sat_gap', N))\n",
    )
    code, table, manifest = run(tmp_path)
    assert code == 0 and table.lpips.notna().all() and table.sat_gap.isna().all()
    assert "factory(context)" in manifest["metrics"]["sat_gap"]["error"]
    err = capsys.readouterr().err
    assert "plugin problem: metric 'sat_gap' (plugin 'sat') failed and was left out of this run" in err
    assert "TypeError: N.__init__()" in (tmp_path / "runs" / "r" / "errors.log").read_text()


def test_a_plugin_that_loaded_in_part_is_reported_as_such(tmp_path, fake_distribution, capsys):
    install(
        fake_distribution,
        "\n@hookimpl\ndef normbench_register_norms(registry):\n"
        "    registry.add(NormSpec(name='gn2', factory=lambda c: nn.GroupNorm(2, c)))\n\n"
        "@hookimpl\ndef normbench_register_metrics(registry):\n    registry.add(MetricSpec('Sat-Gap!', SatGap))\n",
    )
    assert run_tiny(tmp_path, "--norms", "gn2,in") == 0
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    [problem] = manifest["plugins"]["broken_plugins"]
    assert problem["registered"] == {"norms": ["gn2"]} and problem["failed"] == ["normbench_register_metrics"]
    err = capsys.readouterr().err
    assert (
        "plugin problem: plugin 'sat' failed and is only partly loaded: nb-sat 0.1: normbench_register_metrics " in err
    )
    assert "loaded: norms gn2" in err
    assert "only partly loaded" in (tmp_path / "runs" / "r" / "report.html").read_text()


class TestBuiltinMetricsKeepTheContract(MetricContract):
    """The built-ins go through the kit (normbench.testing.MetricContract) a metric plugin's tests run."""

    @pytest.fixture(
        params=["distances", "lpips", "fid", "artfid", "contrast", "batch_dependence", "identity_check", "patches"]
    )
    def metric_spec(self, request, normbench_metrics, stub_inception):
        return normbench_metrics.get(request.param)


BROKEN_METRIC_TESTS = (
    SAT_GAP
    + """
import pytest
from normbench.testing import MetricContract


class Shaped(SatGap):
    def compute(self):
        return {"sat_gap": torch.ones(3)}


class Remembers(SatGap):
    def reset(self):
        if not hasattr(self, "total"):
            self.total, self.count = 0.0, 0


class NoContext(SatGap):
    def __init__(self):
        self.reset()


class TestShaped(MetricContract):
    @pytest.fixture
    def metric_spec(self):
        return MetricSpec("sat_gap", Shaped)


class TestRemembers(MetricContract):
    @pytest.fixture
    def metric_spec(self):
        return MetricSpec("sat_gap", Remembers)


class TestNoContext(MetricContract):
    @pytest.fixture
    def metric_spec(self):
        return MetricSpec("sat_gap", NoContext)


class TestDirectionless(MetricContract):
    @pytest.fixture
    def metric_spec(self):
        return MetricSpec("sat_gap", SatGap, columns=(Column("sat_gap", None, axis="style"),))
"""
)


def test_the_kit_catches_a_metric_that_breaks_the_contract(pytester):
    """Run through pytest itself, as a plugin author's suite would be: every broken promise is a failure."""
    pytester.makepyfile(test_broken=BROKEN_METRIC_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    reports = result.reprec.getreports("pytest_runtest_logreport")
    # NOTE: a factory that fails fails the kit's `built` fixture: those tests end in setup, as errors
    failed = {report.nodeid.split("::", 1)[1] for report in reports if report.failed}
    assert failed == {
        "TestShaped::test_results_are_exactly_the_declared_columns_as_numbers",
        "TestShaped::test_reset_forgets_what_was_measured",
        "TestRemembers::test_reset_forgets_what_was_measured",
        "TestNoContext::test_results_are_exactly_the_declared_columns_as_numbers",
        "TestNoContext::test_reset_forgets_what_was_measured",
        "TestNoContext::test_provenance_is_a_dict",
        "TestDirectionless::test_columns_are_declared_once_with_a_direction_that_fits_their_axis",
    }
    result.stdout.fnmatch_lines(["*compute() gave column 'sat_gap' a Tensor of shape (3,)*"])
    result.stdout.fnmatch_lines(["*its factory raised TypeError*factory(context)*"])
    result.stdout.fnmatch_lines(["*after reset() it gave*a fresh one*"])
