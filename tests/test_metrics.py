"""Metric classes against closed forms and the reference packages; metric plugins through the hook."""

import json
import math

import pandas as pd
import pytest
import torch

from normbench import cli
from normbench.metrics import networks
from normbench.metrics.base import MetricContext, StylizedSample
from normbench.metrics.distribution import InceptionDistance, random_patches
from normbench.metrics.invariance import ContrastSensitivity, scale_contrast
from normbench.metrics.perceptual import LPIPS, lpips_distance, shared_lpips


def context(tmp_path, **kwargs):
    return MetricContext(torch.device("cpu"), "random", cache_dir=tmp_path / "cache", **kwargs)


def sample(stylized, content=None, style=None, stylize=lambda x, statistics="eval": x):
    content = stylized if content is None else content
    style = stylized[:1] if style is None else style
    return StylizedSample(stylized, content, style, stylize)


def measure(metric, s):
    metric.reset()
    metric.update(s)
    return metric.compute()


def test_lpips_of_an_image_with_itself_is_zero_and_of_others_positive(tmp_path):
    x = torch.rand(3, 3, 32, 32)
    metric = LPIPS(context(tmp_path))
    assert measure(metric, sample(x))["lpips"] == pytest.approx(0, abs=1e-7)
    assert measure(metric, sample(x, content=torch.rand(3, 3, 32, 32)))["lpips"] > 0.01
    assert [(c.name, c.higher_is_better, c.axis) for c in LPIPS.declared_columns()] == [("lpips", False, "content")]


def test_lpips_scales_to_minus_one_one_exactly_once(tmp_path):
    a, b = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    model = shared_lpips("random", "cpu")
    with torch.no_grad():
        reference = model(a * 2 - 1, b * 2 - 1).flatten()
    assert torch.allclose(lpips_distance(model, a, b), reference)


@pytest.mark.parametrize("bad", [lambda x: x * 2 - 1, lambda x: x * 255])
def test_lpips_rejects_input_outside_zero_one(tmp_path, bad):
    x = torch.rand(2, 3, 32, 32)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LPIPS(context(tmp_path)).update(sample(bad(x), content=x))


def test_contrast_sensitivity_is_zero_for_a_contrast_invariant_generator(tmp_path):
    content = torch.rand(2, 3, 32, 32) * 0.5 + 0.25  # x1.5 contrast stays inside [0, 1]

    def normalize(images, statistics="eval"):
        mean, std = images.mean((2, 3), keepdim=True), images.std((2, 3), keepdim=True)
        return ((images - mean) / std * 0.1 + 0.5).clamp(0, 1)

    metric = ContrastSensitivity(context(tmp_path))
    invariant = measure(metric, sample(normalize(content), content=content, stylize=normalize))
    identity = measure(metric, sample(content))
    assert invariant["contrast_sensitivity"] < 1e-4 < identity["contrast_sensitivity"]
    assert invariant["contrast_sensitivity_per_image"] < 1e-4 < identity["contrast_sensitivity_per_image"]


def test_scale_contrast_keeps_the_mean():
    x = torch.rand(1, 3, 8, 8) * 0.5 + 0.25
    assert torch.allclose(scale_contrast(x, 1.5).mean((2, 3)), x.mean((2, 3)), atol=1e-6)


def test_fid_of_outputs_identical_to_a_flat_reference_is_zero(tmp_path, stub_inception):
    style = torch.full((1, 3, 64, 64), 0.3)
    metric = InceptionDistance(context(tmp_path, fid_samples=70, num_images=3))
    values = measure(metric, sample(style.expand(3, -1, -1, -1), style=style))
    assert values["fid"] == pytest.approx(0, abs=1e-6)
    assert values["fid_n"] == 70 and values["fid_dims"] == 64 and abs(values["kid"]) < 1e-3
    assert values["fid_note"].startswith("70 patches (32 px) of 3 outputs against 70 patches of the style image")


def test_fid_knows_the_style_from_noise_and_does_not_depend_on_chunking(tmp_path):
    style = torch.rand(1, 3, 64, 64)
    metric = InceptionDistance(context(tmp_path, fid_samples=70, num_images=4))
    same = measure(metric, sample(style.repeat(4, 1, 1, 1), style=style))
    noise = measure(metric, sample(torch.rand(4, 3, 64, 64) * 0.2, style=style))
    assert same["fid"] < 0.1 * noise["fid"]
    outputs = torch.rand(4, 3, 64, 64)
    whole = measure(metric, sample(outputs, style=style))
    metric.reset()
    for first in (0, 3):
        metric.update(
            StylizedSample(
                outputs[first : first + 3], outputs[first : first + 3], style, lambda x, statistics="eval": x, first
            )
        )
    assert metric.compute()["fid"] == pytest.approx(whole["fid"], rel=1e-9)


def test_few_samples_give_no_fid_but_still_kid(tmp_path, stub_inception):
    metric = InceptionDistance(context(tmp_path, fid_samples=40, num_images=3))
    values = measure(metric, sample(torch.rand(3, 3, 64, 64), style=torch.rand(1, 3, 64, 64)))
    assert math.isnan(values["fid"]) and values["fid_n"] == 40 and values["kid"] > 0
    assert values["fid_note"].startswith("no FID: too few samples (40) for a 64-d covariance; KID on 40 patches")


def test_reference_statistics_are_computed_once_and_cached_on_disk(tmp_path, monkeypatch, stub_inception):
    style, outputs = torch.rand(1, 3, 64, 64), torch.rand(3, 3, 64, 64)
    first = InceptionDistance(context(tmp_path, fid_samples=70, num_images=3))
    expected = measure(first, sample(outputs, style=style))
    assert len(list((tmp_path / "cache" / "fid_reference").glob("*.npy"))) == 1
    second = InceptionDistance(context(tmp_path, fid_samples=70, num_images=3))
    calls = []
    real_features = second.features
    monkeypatch.setattr(second, "features", lambda images: calls.append(len(images)) or real_features(images))
    assert measure(second, sample(outputs, style=style))["fid"] == pytest.approx(expected["fid"])
    assert calls == [70]  # the stylized patches only; the reference came from the cache


def test_random_patches_are_seeded_and_sized():
    images = torch.rand(3, 3, 40, 40)
    assert random_patches(images, 7, 16, seed=1).shape == (7, 3, 16, 16)
    assert torch.equal(random_patches(images, 7, 16, seed=1), random_patches(images, 7, 16, seed=1))


def test_random_metric_networks_are_seeded():
    assert torch.equal(
        networks.load_inception("random", 64).blocks[0][0].conv.weight,
        networks.load_inception("random", 64).blocks[0][0].conv.weight,
    )
    assert networks.lpips_provenance("random")["weights"] == "random"


def test_pretrained_lpips_trunk_is_loaded_from_the_alexnet_file(stand_in_weights):
    import torchvision

    torch.manual_seed(5)
    alexnet = torchvision.models.alexnet(weights=None)
    stand_in_weights("alexnet", alexnet.state_dict())
    model = networks.load_lpips("pretrained")
    assert torch.equal(model.net.slice1[0].weight, alexnet.features[0].weight)
    assert torch.equal(getattr(model.net.slice5, "10").weight, alexnet.features[10].weight)
    assert networks.lpips_provenance("pretrained")["sha256"]


def test_pretrained_inception_loads_through_pytorch_fid_without_a_download(tmp_path, monkeypatch):
    import pytorch_fid.inception as fid_inception

    torch.manual_seed(6)
    stand_in = networks._random_fid_inception()
    path = tmp_path / "torch_home" / "hub" / "checkpoints" / "pt_inception-2015-12-05-6726825d.pth"
    path.parent.mkdir(parents=True)
    torch.save(stand_in.state_dict(), path)
    monkeypatch.setattr(fid_inception, "FID_WEIGHTS_URL", "https://weights.invalid/" + path.name)
    model = networks.load_inception("pretrained", 64)
    assert torch.equal(model.blocks[0][0].conv.weight, stand_in.Conv2d_1a_3x3.conv.weight)


METRIC_PLUGIN = """
from normbench import hookimpl
from normbench.metrics.base import Metric, MetricSpec

class MeanAbsDiff(Metric):
    name, higher_is_better = "mad", False
    def __init__(self, context): self.reset()
    def reset(self): self.total, self.count = 0.0, 0
    def update(self, sample):
        self.total += float((sample.stylized - sample.content).abs().mean()); self.count += 1
    def compute(self): return {"mad": self.total / self.count}
    def provenance(self): return {"implementation": "test plugin"}

class Broken(Metric):
    name = "broken"
    def __init__(self, context): pass
    def reset(self): pass
    def update(self, sample): raise RuntimeError("metric exploded")

@hookimpl
def normbench_register_metrics(registry):
    registry.add(MetricSpec("mad", MeanAbsDiff, description="mean absolute difference"))
    registry.add(MetricSpec("broken", Broken))
"""


def test_hook_normbench_register_metrics_adds_a_column_and_a_broken_metric_does_not_stop_the_run(
    tiny_run, tmp_path, fake_distribution, stub_inception
):
    fake_distribution("nb_mad", METRIC_PLUGIN, dist_name="nb-mad", entry_name="mad_plugin")
    assert tiny_run("--norms", "in", metrics=None) == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv").set_index("norm")
    assert (table.status == "ok").all() and table.mad["in"] > 0 and table.mad["identity"] == 0
    assert "metric broken: metric exploded" in table.error["in"]
    assert table.lpips["in"] > 0 and table.artfid["in"] == pytest.approx(
        (1 + table.lpips["in"]) * (1 + table.fid["in"])
    )
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["metrics"]["mad"] == {
        "plugin": "mad_plugin",
        "description": "mean absolute difference",
        "columns": ["mad"],
        "implementation": "test plugin",
        "distribution": "nb-mad 0.1",
    }
    assert manifest["columns"]["mad"]["higher_is_better"] is False and manifest["columns"]["mad"]["axis"] == "other"
    assert manifest["metrics"]["fid"]["weights"] == "random" and manifest["metrics"]["lpips"]["input_range"]
    assert cli.main(["report", str(tmp_path / "runs" / "r")]) == 0  # the plugin's column is reported like any other


def test_the_cache_follows_normbench_cache_dir_then_xdg_cache_home(monkeypatch, tmp_path):
    from normbench.fileio import cache_dir
    from normbench.metrics.base import MetricContext

    monkeypatch.delenv("NORMBENCH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert MetricContext(torch.device("cpu"), "random").cache_dir == tmp_path / "xdg" / "normbench"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "normbench"
    monkeypatch.setenv("NORMBENCH_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
