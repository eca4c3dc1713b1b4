"""The evaluation protocol: baselines, an instrument training did not use, invariance controls, protocol checks."""

import json

import pandas as pd
import pytest
import torch
from tiny import tiny_args
from torch import nn

from normbench import Column, Metric, MetricSpec, cli
from normbench.baselines import color_transfer, identity, rgb_to_lab, style_image
from normbench.lifecycle.evaluation import model_stylizer
from normbench.metrics.base import MetricContext, MetricRegistry, StylizedSample
from normbench.metrics.derived import ArtFID
from normbench.metrics.features import FeatureDistances, evaluation_seeds
from normbench.metrics.invariance import BatchDependence, ContrastSensitivity
from normbench.models.vgg import RANDOM_FEATURES_SEED

TINY = tiny_args(metrics=None, baselines=None)


def context(tmp_path, **kwargs):
    return MetricContext(torch.device("cpu"), "random", cache_dir=tmp_path / "cache", **kwargs)


def measure(metric, sample):
    metric.reset()
    metric.update(sample)
    return metric.compute()


def test_identity_returns_the_content_and_the_style_image_ignores_it():
    content, style = torch.rand(3, 3, 40, 40), torch.rand(1, 3, 16, 16)
    assert torch.equal(identity(content, style), content)
    tiled = style_image(content, style)
    assert tiled.shape == content.shape and torch.equal(tiled[1, :, 16:32, :16], style[0])


def test_color_transfer_gives_the_content_the_styles_statistics_in_lab():
    content = torch.rand(2, 3, 32, 32) * 0.3 + 0.35  # narrow ranges: nothing clips
    style = torch.rand(1, 3, 32, 32) * 0.2 + 0.4
    result = rgb_to_lab(color_transfer(content, style))
    target = rgb_to_lab(style)
    assert torch.allclose(result.mean((2, 3)), target.mean((2, 3)).expand(2, -1), atol=1e-4)
    assert torch.allclose(result.std((2, 3)), target.std((2, 3)).expand(2, -1), atol=1e-4)


BASELINE_PLUGIN = """
from normbench import BaselineSpec, hookimpl

@hookimpl
def normbench_register_baselines(registry):
    registry.add(BaselineSpec("grey", lambda content, style: content.mean(1, keepdim=True).expand_as(content),
                              "the content in grey"))
"""


def test_hook_normbench_register_baselines_measures_a_third_party_baseline_on_every_style(tmp_path, fake_distribution):
    fake_distribution("nb_grey", BASELINE_PLUGIN, dist_name="nb-grey", entry_name="grey_plugin")
    assert (
        cli.main(["run", "--norms", "in", "--metrics", "lpips", "--out-dir", str(tmp_path), "--run-id", "r", *TINY])
        == 0
    )
    table = pd.read_csv(tmp_path / "r" / "results.csv")
    grey = table[table.norm == "grey"]
    assert grey.kind.tolist() == ["baseline"] and grey.lpips.iloc[0] > 0
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert {
        "name": "grey",
        "plugin": "grey_plugin",
        "description": "the content in grey",
        "wins_by_construction": [],
    } in manifest["baselines"]
    assert "grey" in manifest["protocol"]["baselines"]


def test_a_baseline_named_like_a_norm_is_refused(tmp_path, fake_distribution, capsys):
    fake_distribution("nb_in", BASELINE_PLUGIN.replace('"grey"', '"instancenorm"'), entry_name="shadow")
    assert cli.main(["run", "--norms", "in", "--out-dir", str(tmp_path), *TINY]) == 2
    assert "baseline 'instancenorm' has the name of norm 'in'" in capsys.readouterr().err


def test_feature_distances_are_zero_where_they_must_be_and_averaged_over_disjoint_draws(tmp_path):
    metric = FeatureDistances(context(tmp_path, eval_draws=3))
    ramp = torch.linspace(0, 1, 32)
    style, content = (
        torch.stack([ramp.expand(32, 32), ramp[:, None].expand(32, 32), 1 - ramp.expand(32, 32)])[None],
        torch.rand(2, 3, 32, 32),
    )
    unchanged = measure(metric, StylizedSample(content, content, style, None))
    assert unchanged["content_distance"] == pytest.approx(0, abs=1e-7) and unchanged["style_gram"] > 0.01
    copied = measure(metric, StylizedSample(style.expand(2, -1, -1, -1), content, style, None))
    assert copied["style_gram"] == pytest.approx(0, abs=1e-7) and copied["style_meanstd"] == pytest.approx(0, abs=1e-7)
    assert copied["content_distance"] > 0.01 and copied["eval_draws"] == 3 and unchanged["style_gram_sd"] > 0
    assert RANDOM_FEATURES_SEED not in metric.seeds and len(set(metric.seeds)) == 3
    assert [draw["random_seed"] for draw in metric.provenance()["draws"]] == metric.seeds


def test_feature_distances_do_not_depend_on_how_the_set_is_chunked(tmp_path):
    metric = FeatureDistances(context(tmp_path, eval_draws=2))
    style, content, outputs = torch.rand(1, 3, 32, 32), torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    whole = measure(metric, StylizedSample(outputs, content, style, None))
    metric.reset()
    for first in (0, 2):
        metric.update(StylizedSample(outputs[first : first + 2], content[first : first + 2], style, None, first))
    assert metric.compute() == pytest.approx(whole, rel=1e-5)


def test_pretrained_evaluation_is_one_network_and_says_whether_training_used_it(tmp_path, stand_in_weights):
    import torchvision

    assert evaluation_seeds("pretrained", 3) == [None]
    stand_in_weights("vgg13", torchvision.models.vgg13(weights=None).state_dict())
    metric = FeatureDistances(MetricContext(torch.device("cpu"), "pretrained", training_networks=("vgg16", "vgg19")))
    assert len(metric.networks) == 1 and metric.provenance()["draws"][0]["sha256"]
    assert metric.provenance()["independent_of_training"] == "no model of this run trains against vgg13"
    # NOTE: measuring with a training network is allowed (--eval-network), and said, not refused
    same = FeatureDistances(MetricContext(torch.device("cpu"), "pretrained", training_networks=("vgg13",)))
    assert same.provenance()["independent_of_training"].startswith("the instrument is the objective network: vgg13")


class TinyNet(nn.Module):
    """A 1x1 conv, a norm layer and a 1x1 conv: enough to show what a norm's statistics do (no borders)."""

    def __init__(self, norm: nn.Module):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 1), norm, nn.ReLU(), nn.Conv2d(8, 3, 1))

    def forward(self, x, cond=None):
        return torch.sigmoid(self.body(x))


def trained(norm: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    model = TinyNet(norm).train()
    with torch.no_grad():
        for _ in range(5):  # running statistics move away from their start
            model(torch.rand(4, 3, 16, 16))
    return model


@pytest.mark.parametrize(
    "norm, train_dependent", [(nn.InstanceNorm2d(8, affine=True), False), (nn.BatchNorm2d(8), True)]
)
def test_batch_dependence_separates_batch_statistics_from_instance_statistics(tmp_path, norm, train_dependent):
    model = trained(norm)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    stylize = model_stylizer(model, lambda count: None, batch_size=4)
    content = torch.rand(4, 3, 16, 16)
    values = measure(
        BatchDependence(context(tmp_path, batch_size=4)),
        StylizedSample(stylize(content), content, content[:1], stylize),
    )
    assert values["batch_dependence_eval"] < 1e-6
    assert (values["batch_dependence_train"] > 1e-3) == train_dependent
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "measuring changed the model"


def test_bn_scored_per_image_is_the_control_of_the_contrast_column(tmp_path):
    content = torch.rand(3, 3, 32, 32) * 0.5 + 0.25
    results = {}
    for name, norm in (("in", nn.InstanceNorm2d(8, affine=True)), ("bn", nn.BatchNorm2d(8))):
        stylize = model_stylizer(trained(norm), lambda count: None, batch_size=4)
        results[name] = measure(
            ContrastSensitivity(context(tmp_path)), StylizedSample(stylize(content), content, content[:1], stylize)
        )
    assert results["bn"]["contrast_sensitivity"] > 5 * results["in"]["contrast_sensitivity"]
    assert results["bn"]["contrast_sensitivity_per_image"] < results["bn"]["contrast_sensitivity"] / 5
    assert results["in"]["contrast_sensitivity_per_image"] == pytest.approx(
        results["in"]["contrast_sensitivity"], rel=1e-3, abs=1e-6
    )


def test_artfid_is_derived_and_says_where_its_definition_does_not_hold(tmp_path):
    artfid = ArtFID(context(tmp_path))
    values = artfid.derive({"lpips": 0.2, "fid": 0.5, "fid_n": 96, "fid_dims": 64})
    assert values["artfid"] == pytest.approx(1.2 * 1.5)
    assert "random Inception features" in values["artfid_note"] and "96 samples, 64-d" in values["artfid_note"]
    assert artfid.derive({"lpips": 0.2})["artfid_note"] == "needs both LPIPS and FID"


def test_a_metric_declares_its_columns_once_and_no_two_metrics_share_one():
    class Sharp(Metric):
        name, higher_is_better, axis = "sharpness", True, "other"

    assert MetricSpec("sharp", Sharp).columns == (Column("sharpness", True, "sharpness", "other"),)
    registry = MetricRegistry()
    registry.add(MetricSpec("sharp", Sharp))
    with pytest.raises(ValueError, match="column 'sharpness' of metric 'again'.*already declared by metric 'sharp'"):
        registry.add(MetricSpec("again", Sharp))
    with pytest.raises(ValueError, match="declares no columns"):
        MetricSpec("bare", lambda context: None)
    with pytest.raises(ValueError, match="unknown axis 'taste'"):
        Column("x", False, axis="taste")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("protocol")
    for run_id, extra in (("a", []), ("b", ["--seed", "1"]), ("c", ["--steps", "3"])):
        assert (
            cli.main(
                [
                    "run",
                    "--norms",
                    "in",
                    "--metrics",
                    "lpips",
                    "--baselines",
                    "identity",
                    "--out-dir",
                    str(root),
                    "--run-id",
                    run_id,
                    *TINY,
                    *extra,
                ]
            )
            == 0
        )
    return root


def test_compare_takes_runs_of_one_protocol_whatever_their_seeds(two_runs, tmp_path):
    assert cli.main(["compare", str(two_runs / "a"), str(two_runs / "b"), "-o", str(tmp_path / "c.html")]) == 0
    assert "differ in protocol" not in (tmp_path / "c.html").read_text()


def test_compare_refuses_runs_whose_protocols_differ_unless_asked(two_runs, tmp_path, capsys):
    args = ["compare", str(two_runs / "a"), str(two_runs / "c"), "-o", str(tmp_path / "c.html")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "protocols differ" in err and "profile.steps: 2 vs 3" in err and "--allow-protocol-mismatch" in err
    assert not (tmp_path / "c.html").exists()
    assert cli.main([*args, "--allow-protocol-mismatch"]) == 0
    assert "profile.steps: 2 vs 3" in (tmp_path / "c.html").read_text()


def test_each_architecture_trains_at_its_papers_learning_rate_unless_the_run_changes_it(catalog):
    from normbench.config import make_profile
    from normbench.training import harness

    plain = make_profile("quick")
    assert harness.training_settings(catalog.get("in").arch, plain).lr == 1e-3
    assert harness.training_settings(catalog.get("adain").arch, plain).lr == 1e-4
    assert harness.training_settings(catalog.get("comatch").arch, plain).lr == 1e-3
    changed = make_profile("quick", training={"adain": {"lr": 3e-5}})
    assert harness.training_settings(catalog.get("adain").arch, changed).lr == 3e-5
    assert harness.training_settings(catalog.get("in").arch, changed) == catalog.get("in").arch.training
    with pytest.raises(ValueError, match="training.adain lr must be a positive finite number"):
        make_profile("quick", training={"adain": {"lr": -1.0}})
    with pytest.raises(ValueError, match="training.adain has unknown field .momentum.; available: lr, content_weight"):
        make_profile("quick", training={"adain": {"momentum": 0.9}})
