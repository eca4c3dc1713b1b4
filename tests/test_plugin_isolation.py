"""A broken or disabled third-party plugin is reported and skipped; the rest of normbench keeps working."""

import json

import pandas as pd
from tiny import tiny_args

from normbench import cli
from normbench.plugins import load_plugins

GOOD = """
from torch import nn
from normbench import NormSpec, hookimpl

@hookimpl
def normbench_register_norms(registry):
    registry.add(NormSpec(name="fake_ln", factory=lambda c: nn.GroupNorm(1, c), description="LayerNorm"))
"""
FAILS_TO_IMPORT = "import a_module_that_does_not_exist\n"
RAISES_IN_HOOK = """
from torch import nn
from normbench import NormSpec, hookimpl

@hookimpl
def normbench_register_norms(registry):
    registry.add(NormSpec(name="half", factory=lambda c: nn.Identity()))
    raise RuntimeError("hook exploded")
"""
TINY = tiny_args()


def test_a_plugin_that_fails_to_import_is_reported_with_its_distribution(fake_distribution):
    fake_distribution("nb_good", GOOD, dist_name="nb-good", entry_name="good")
    fake_distribution("nb_bad", FAILS_TO_IMPORT, dist_name="nb-bad", entry_name="bad")
    norms, _, _, report, *_ = load_plugins()
    assert "fake_ln" in norms.names() and "in" in norms.names()
    assert report.broken["bad"].startswith("nb-bad 0.1: ModuleNotFoundError")
    assert report.origins["good"] == "nb-good 0.1"


def test_a_hook_that_raises_is_skipped_and_its_partial_registrations_removed(fake_distribution):
    fake_distribution("nb_raises", RAISES_IN_HOOK, dist_name="nb-raises", entry_name="raises")
    norms, _, _, report, *_ = load_plugins()
    assert "half" not in norms.names() and "hook exploded" in report.broken["raises"]
    assert "nb-raises 0.1" in report.broken["raises"]


def test_run_goes_on_without_a_broken_plugin_and_names_it_when_asked_for(tmp_path, fake_distribution, capsys):
    fake_distribution("nb_bad", FAILS_TO_IMPORT, dist_name="nb-bad", entry_name="bad")
    args = ["run", "--out-dir", str(tmp_path), *TINY]
    assert cli.main([*args, "--norms", "in", "--run-id", "r"]) == 0
    assert "plugin 'bad' failed and was skipped" in capsys.readouterr().err
    assert cli.main([*args, "--norms", "bad_norm", "--run-id", "r2"]) == 2
    err = " ".join(capsys.readouterr().err.split())  # NOTE: the terminal wraps long messages
    assert "unknown norm 'bad_norm'" in err and "plugin 'bad' is broken: nb-bad 0.1: ModuleNotFoundError" in err
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert "bad" in manifest["plugins"]["broken"]


def test_disable_plugin_flag_and_environment_variable(tmp_path, fake_distribution, monkeypatch, capsys):
    fake_distribution("nb_good", GOOD, dist_name="nb-good", entry_name="good")
    args = ["run", "--out-dir", str(tmp_path), *TINY, "--norms", "fake_ln"]
    assert cli.main([*args, "--run-id", "r", "--disable-plugin", "good"]) == 2
    assert "plugin 'good' is disabled" in capsys.readouterr().err
    monkeypatch.setenv("NORMBENCH_DISABLE_PLUGINS", "good")
    assert cli.main([*args, "--run-id", "r"]) == 2
    monkeypatch.delenv("NORMBENCH_DISABLE_PLUGINS")
    assert cli.main([*args, "--run-id", "r"]) == 0
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert (
        manifest["norms"][0] | {"distribution": "nb-good 0.1", "builtin": False, "plugin": "good"}
        == manifest["norms"][0]
    )
    assert pd.read_csv(tmp_path / "r" / "results.csv").norm.tolist() == ["identity", "fake_ln"]


def test_plugins_command_lists_norms_metrics_origins_and_problems(fake_distribution, capsys):
    fake_distribution("nb_good", GOOD, dist_name="nb-good", entry_name="good")
    fake_distribution("nb_bad", FAILS_TO_IMPORT, dist_name="nb-bad", entry_name="bad")
    assert cli.main(["plugins", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    by_name = {n["name"]: n for n in info["norms"]}
    assert by_name["in"]["builtin"] and by_name["in"]["aliases"] == ["instancenorm", "instance_norm"]
    assert by_name["adain"]["conditioning"] == "style_feat" and by_name["adain"]["architecture"] == "adain"
    assert by_name["fake_ln"] == {
        "name": "fake_ln",
        "aliases": [],
        "conditioning": "none",
        "architecture": "transformer",
        "description": "LayerNorm",
        "plugin": "good",
        "distribution": "nb-good 0.1",
        "builtin": False,
    }
    assert [m["name"] for m in info["metrics"]] == [
        "distances",
        "lpips",
        "fid",
        "artfid",
        "contrast",
        "batch_dependence",
        "identity_check",
        "patches",
    ]
    assert [b["name"] for b in info["baselines"]] == ["identity", "color_transfer", "style_image"]
    assert "bad" in info["broken"]
    assert cli.main(["plugins"]) == 0 and "plugin 'bad' failed and was skipped" in capsys.readouterr().out


NAN_NORM = """
import torch
from torch import nn
from normbench import NormSpec, hookimpl

class Explodes(nn.Module):
    def forward(self, x):
        return x * float("nan")

@hookimpl
def normbench_register_norms(registry):
    registry.add(NormSpec(name="nan_norm", factory=lambda c: Explodes()))
"""


def test_a_norm_that_produces_nan_marks_its_own_rows_diverged_and_the_run_goes_on(tmp_path, fake_distribution):
    fake_distribution("nb_nan", NAN_NORM, dist_name="nb-nan", entry_name="nan_plugin")
    args = ["run", "--out-dir", str(tmp_path), *TINY, "--norms", "nan_norm,in", "--run-id", "r"]
    assert cli.main(args) == 0
    table = pd.read_csv(tmp_path / "r" / "results.csv").query("kind == 'norm'")
    assert table.status.tolist() == ["diverged", "ok"] and table.lpips.isna().tolist() == [True, False]
