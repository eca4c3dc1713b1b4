"""One source per network: ``--weights random,vgg16=import`` and the rest, resolved and checked before any work, and
said everywhere a number goes (rows, manifest and protocol, report, --json); runs of other networks do not pool."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
import torchvision
from keras_files import vgg_convolutions, write_legacy
from tiny import run_tiny, tiny_args, tiny_options

import normbench
from normbench import cli
from normbench.errors import MissingWeightsError, UserError
from normbench.models.vgg import VGG_SPECS, block_relus, load_vgg
from normbench.report.pooling import load_runs
from normbench.weights import imports
from normbench.weights.sources import network_column, parse_weights, resolve_sources, summary

RUN_NETWORKS = ["vgg16", "vgg13", "alexnet", "inception_fid"]


@pytest.fixture
def imported_vgg16(tmp_path):
    write_legacy(tmp_path / "vgg16.h5", vgg_convolutions("vgg16"))
    return imports.import_weights("vgg16", tmp_path / "vgg16.h5", note="a stand-in VGG16")


def test_a_default_and_one_source_per_network_are_parsed():
    assert parse_weights("random") == ("random", {})
    assert parse_weights("vgg16=import") == ("auto", {"vgg16": "import"})
    assert parse_weights("random, vgg16=import,vgg13=/w/v.pth") == ("random", {"vgg16": "import", "vgg13": "/w/v.pth"})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("resnet=import", "unknown network 'resnet'; available: vgg16, vgg19, vgg13, alexnet, inception_fid"),
        ("trained", "unknown mode 'trained'; available: auto, pretrained, random"),
        ("random,auto", "two defaults"),
        ("vgg16=import,vgg16=random", "vgg16 is given twice"),
        ("vgg16=", "give a source"),
    ],
)
def test_a_bad_weights_option_is_named(text, says):
    with pytest.raises(UserError, match=says):
        parse_weights(text)


def test_an_import_is_used_where_asked_and_named_with_its_hash(imported_vgg16):
    sources = resolve_sources("random,vgg16=import", RUN_NETWORKS)
    assert sources["vgg16"].kind == "import" and sources["vgg16"].sha256 == imported_vgg16.sha256
    assert [sources[name].kind for name in RUN_NETWORKS[1:]] == ["random"] * 3 and summary(sources) == "mixed"
    assert network_column(sources).startswith(f"vgg16=import:{imported_vgg16.sha256[:8]} vgg13=random:1234")
    assert "a stand-in VGG16" in sources["vgg16"].label()
    trunk = load_vgg("vgg16", sources["vgg16"]).trunk
    stored = torch.load(imported_vgg16.path, weights_only=True)
    assert torch.equal(trunk[2].weight, stored["features.2.weight"])


def test_auto_takes_the_published_file_then_an_import_then_random_with_a_warning(imported_vgg16, stand_in_weights):
    with pytest.warns(UserWarning, match=r"no pretrained vgg13, alexnet, inception_fid \(downloads are off"):
        sources = resolve_sources("auto", RUN_NETWORKS)
    assert [sources[name].kind for name in RUN_NETWORKS] == ["import", "random", "random", "random"]
    stand_in_weights("vgg16", torchvision.models.vgg16().state_dict())
    with pytest.warns(UserWarning):
        assert resolve_sources("auto", RUN_NETWORKS)["vgg16"].kind == "pretrained"
    assert resolve_sources("random,vgg16=auto", ["vgg16"])["vgg16"].kind == "pretrained"


def test_a_missing_or_damaged_source_stops_the_run_before_any_work(tmp_path, imported_vgg16):
    with pytest.raises(MissingWeightsError, match="no imported vgg19: run `normbench weights import vgg19 FILE`"):
        resolve_sources("random,vgg19=import", ["vgg19"])
    with pytest.warns(UserWarning, match="--weights vgg19=import: this run uses no vgg19 .it uses vgg16, vgg13"):
        resolve_sources("random,vgg19=import", ["vgg16", "vgg13"])
    imported_vgg16.path.write_bytes(b"damaged")
    with pytest.raises(MissingWeightsError, match="the imported vgg16 is corrupt"):
        resolve_sources("vgg16=import", ["vgg16"])
    with pytest.raises(MissingWeightsError, match="pretrained vgg13 weights missing"):
        resolve_sources("random,vgg13=pretrained", RUN_NETWORKS)


def test_a_file_is_checked_against_its_network(tmp_path):
    torch.save(torchvision.models.vgg13().state_dict(), tmp_path / "vgg13.pth")
    source = resolve_sources(f"random,vgg13={tmp_path / 'vgg13.pth'}", ["vgg13"])["vgg13"]
    assert source.kind == "file" and source.sha256 and source.path == tmp_path / "vgg13.pth"
    with pytest.raises(
        UserError, match="--weights vgg16=.*vgg13.pth: 10 convolutions.*it looks like vgg13, not vgg16$"
    ):
        resolve_sources(f"random,vgg16={tmp_path / 'vgg13.pth'}", ["vgg16"])
    with pytest.raises(UserError, match="no such file"):
        resolve_sources("random,vgg16=nothere.pth", ["vgg16"])
    with pytest.raises(UserError, match="only a VGG's weights can be given as a file"):
        resolve_sources(f"random,alexnet={tmp_path / 'vgg13.pth'}", ["alexnet"])


def test_a_run_says_which_network_came_from_where_and_does_not_pool_with_other_networks(
    tmp_path, imported_vgg16, capsys
):
    assert run_tiny(tmp_path, "--weights", "random,vgg16=import", "--json", run_id="mixed") == 0
    summary_json = json.loads(capsys.readouterr().out)
    assert summary_json["features"] == "mixed" and summary_json["networks"]["vgg16"]["kind"] == "import"
    run = tmp_path / "runs" / "mixed"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["protocol"]["networks"]["vgg16"] == {
        "kind": "import",
        "sha256": imported_vgg16.sha256,
        "seed": None,
    }
    assert manifest["networks"]["vgg13"]["kind"] == "random"
    rows = (run / "results.csv").read_text()
    assert f"vgg16=import:{imported_vgg16.sha256[:8]}" in rows and ",mixed," in rows
    page = (run / "report.html").read_text()
    assert "vgg16: import" in page and "a stand-in VGG16" in page and "features=mixed" in page
    assert run_tiny(tmp_path, run_id="random") == 0
    with pytest.raises(UserError, match="networks.vgg16.kind: 'import' vs 'random'"):
        load_runs([run, tmp_path / "runs" / "random"])


def test_a_study_file_takes_a_weights_table_with_files_relative_to_it(tmp_path, imported_vgg16):
    torch.save(torchvision.models.vgg13().state_dict(), tmp_path / "vgg13.pth")
    study = tmp_path / "study.toml"
    study.write_text('[weights]\ndefault = "random"\nvgg16 = "import"\nvgg13 = "vgg13.pth"\n')
    args = tiny_args(metrics="distances")
    del args[args.index("--weights") : args.index("--weights") + 2]  # NOTE: a flag would win over the file
    assert cli.main(["run", *args, "--config", str(study), "--out-dir", str(tmp_path / "runs"), "--run-id", "r"]) == 0
    networks = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())["networks"]
    assert networks["vgg16"]["kind"] == "import" and networks["vgg13"]["kind"] == "file"
    assert networks["vgg13"]["path"] == str(tmp_path / "vgg13.pth")
    assert cli.main(["run", "--weights", "vgg16=nothere.pth", "--out-dir", str(tmp_path)]) == 2


def test_the_evaluation_taps_are_each_blocks_first_relu():
    assert block_relus("vgg19") == VGG_SPECS["vgg19"].taps and block_relus("vgg13") == VGG_SPECS["vgg13"].taps
    assert block_relus("vgg16") == {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 18}


def test_the_evaluation_network_is_a_choice_and_the_report_says_when_it_is_the_objective(tmp_path, imported_vgg16):
    flags = ("--metrics", "distances", "--eval-network", "vgg16")
    assert run_tiny(tmp_path, *flags, "--weights", "random,vgg16=import", run_id="objective") == 0
    run = tmp_path / "runs" / "objective"
    manifest = json.loads((run / "manifest.json").read_text())
    distances = manifest["metrics"]["distances"]
    assert distances["network"] == "torchvision vgg16 to relu4_1" and distances["draws"][0]["kind"] == "import"
    assert manifest["protocol"]["eval_network"] == "vgg16"
    assert {int(n) for n in pd.read_csv(run / "results.csv")["eval_draws"]} == {1}
    assert (
        "The instrument is the objective network: vgg16 is also a training loss network"
        in (run / "report.html").read_text()
    )
    assert run_tiny(tmp_path, *flags, run_id="random") == 0
    manifest = json.loads((tmp_path / "runs" / "random" / "manifest.json").read_text())
    assert manifest["metrics"]["distances"]["independent_of_training"].startswith("vgg16 draws seeded apart")
    assert "3 evaluation draws, seeds 2001-2003" in manifest["networks"]["vgg16"]["note"]
    with pytest.raises(UserError, match="unknown evaluation network 'alexnet'; available: vgg13, vgg16, vgg19"):
        normbench.run(**tiny_options(eval_network="alexnet", out_dir=tmp_path))


def test_a_run_resolves_only_the_networks_its_metrics_declare():
    from normbench.metrics.base import Metric, MetricRegistry, MetricSpec
    from normbench.plugins import load_plugins, select_metrics

    class Undeclared(Metric):
        name = "undeclared_metric"

    class Vgg19Metric(Metric):
        name, feature_networks = "vgg19_metric", ("vgg19",)

    every = ("alexnet", "inception_fid")
    metrics = load_plugins().metrics
    assert select_metrics(metrics, ["distances", "batch_dependence"]).feature_networks(every) == []
    assert select_metrics(metrics, ["contrast", "distances"]).feature_networks(every) == ["alexnet"]
    assert select_metrics(metrics, ["lpips", "fid", "artfid"]).feature_networks(every) == list(every)
    registry = MetricRegistry()
    registry.add(MetricSpec("undeclared_metric", Undeclared))
    assert registry.feature_networks(every) == list(every), "normbench 0.2's metrics are given every network"
    registry = MetricRegistry()
    registry.add(MetricSpec("vgg19_metric", Vgg19Metric))
    with pytest.raises(ValueError, match="metric 'vgg19_metric' declares feature network 'vgg19'; available: alexnet"):
        registry.feature_networks(every)
