"""MSG-Net as the paper builds it (siamese encoder, inspiration slot, bottlenecks, upsample + conv), norms placed in
architectures with NORM@ARCH, and a third-party architecture registered through the public hook."""

import json

import pandas as pd
import torch
from tiny import tiny_args
from torch import nn

from normbench import cli
from normbench.models.layers import NormSlot
from normbench.models.msgnet import MSGNet
from normbench.norms.comatch import CoMatch
from normbench.training.harness import build_generator

TINY = tiny_args(styles=None)


def slots(net):
    return [module for module in net.modules() if isinstance(module, NormSlot)]


def test_comatch_fills_the_inspiration_slot_and_instance_norm_every_other(catalog):
    net = build_generator(catalog.get("comatch"), 3, {})
    assert isinstance(net.inspiration.layer, CoMatch) and net.inspiration.layer.weight.shape == (512, 512)
    others = [slot for slot in slots(net) if slot is not net.inspiration]
    # NOTE: the stem, 3 per bottleneck (2 encoder, 6 residual, 2 upsampling) and the one before the last conv
    assert len(others) == 1 + 3 * (2 + 6 + 2) + 1
    assert all(isinstance(slot.layer, nn.InstanceNorm2d) and not slot.conditioned for slot in others)


def test_a_norm_without_style_features_fills_every_slot_and_there_is_no_inspiration(catalog):
    net = build_generator(catalog.get("cin@msgnet"), 4, {})
    assert net.inspiration is None
    assert len(slots(net)) == 32 and all(slot.conditioned for slot in slots(net))
    assert net.stem_norm.layer.weight.shape == (4, 64)  # NOTE: CIN's factory got the run's style count


def test_it_upsamples_then_convolves_and_never_transposes():
    net = MSGNet(lambda c: nn.InstanceNorm2d(c, affine=True), "none", width=16, num_blocks=1)
    assert not [m for m in net.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert sum(isinstance(m, nn.Upsample) for m in net.decoder.modules()) == 4  # main path and shortcut, twice
    with torch.no_grad():
        y = net(torch.rand(2, 3, 32, 40))
    assert y.shape == (2, 3, 32, 40) and 0 <= float(y.min()) and float(y.max()) <= 1


def test_the_style_goes_through_the_generators_own_encoder_and_its_gradient_trains_it():
    torch.manual_seed(0)
    net = MSGNet(CoMatch, "style_feat", width=8, num_blocks=1)
    seen = []
    net.encoder[1].register_forward_hook(lambda module, args, output: seen.append(tuple(output.shape)))
    content, style = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 48, 24, requires_grad=True)
    net(content, style).mean().backward()
    assert seen == [(2, 32, 8, 8), (2, 32, 12, 6)]  # NOTE: one encoder for the content, then the style (siamese)
    assert style.grad.abs().sum() > 0 and net.inspiration.layer.weight.grad.abs().sum() > 0
    with torch.no_grad():
        assert not torch.allclose(net(content, style), net(content, style.flip(2)))


def test_msgnet_and_a_placed_norm_train_and_are_measured_like_any_other(tmp_path):
    assert (
        cli.main(
            [
                "run",
                "--norms",
                "comatch,in@msgnet,in",
                "--styles",
                "waves",
                "--out-dir",
                str(tmp_path),
                "--run-id",
                "r",
                *TINY,
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "r" / "results.csv")
    models = table[table.kind == "norm"]
    assert set(models.norm) == {"comatch", "in@msgnet", "in"} and (models.status == "ok").all()
    assert dict(zip(models.norm, models.architecture)) == {
        "comatch": "msgnet",
        "in@msgnet": "msgnet",
        "in": "transformer",
    }
    # NOTE: comatch takes arbitrary styles: it is also measured on the held-out ones
    assert set(models[models.norm == "comatch"].style_split) == {"train", "heldout"}
    assert set(models[models.norm == "in@msgnet"].style_split) == {"train"}
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    placed = next(entry for entry in manifest["norms"] if entry["name"] == "in@msgnet")
    assert placed["norm"] == "in" and placed["architecture"] == "msgnet"
    assert placed["training"] == {"lr": 1e-3, "content_weight": 2.0, "style_weight": 1.0, "tv_weight": 1.0}
    assert (tmp_path / "r" / "images" / "in@msgnet").is_dir()


def test_a_norm_that_does_not_fit_an_architecture_exits_2_naming_what_it_takes(tmp_path, capsys):
    assert cli.main(["run", "--norms", "comatch@transformer", "--out-dir", str(tmp_path), *TINY]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "norm 'comatch' needs style_feat conditioning, which architecture 'transformer' cannot give; it takes "
        "none, style_id"
        in err
        and "Traceback" not in err
    )


ARCHITECTURE_PLUGIN = """
import torch
from torch import nn
from normbench import ArchitectureSpec, GramCriterion, NormSlot, TrainingSettings, hookimpl

class Tiny(nn.Module):
    def __init__(self, norm_layer, conditioning):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = NormSlot(norm_layer(8), conditioning != "none")
        self.out = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, content, cond=None):
        return torch.sigmoid(self.out(torch.relu(self.norm(self.conv(content), cond))))

@hookimpl
def normbench_register_architectures(registry):
    registry.add(ArchitectureSpec(name="tiny",
                                  build=lambda norm_layer, conditioning, nets: Tiny(norm_layer, conditioning),
                                  criterion=GramCriterion, training=TrainingSettings(lr=5e-3, tv_weight=0.5),
                                  description="one conv, a norm, one conv"))
"""


def test_hook_normbench_register_architectures_trains_a_norm_in_a_third_party_generator(
    tmp_path, fake_distribution, capsys
):
    fake_distribution("nb_tiny", ARCHITECTURE_PLUGIN, dist_name="nb-tiny", entry_name="tiny_arch")
    assert cli.main(["plugins", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["architectures"]
    tiny = next(entry for entry in listed if entry["name"] == "tiny")
    assert tiny["plugin"] == "tiny_arch" and tiny["supports"] == ["none", "style_id"]
    assert (
        cli.main(
            [
                "run",
                "--norms",
                "bn@tiny,cin@tiny",
                "--styles",
                "waves",
                "--lr",
                "tiny=2e-3",
                "--out-dir",
                str(tmp_path),
                "--run-id",
                "t",
                *TINY,
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "t" / "results.csv")
    assert set(table[table.kind == "norm"].norm) == {"bn@tiny", "cin@tiny"} and (table.status == "ok").all()
    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text())
    assert manifest["protocol"]["profile"]["training"] == {"tiny": {"lr": 2e-3}}
    assert manifest["norms"][0]["architecture_plugin"] == "tiny_arch"
    assert manifest["norms"][0]["training"] == {
        "lr": 2e-3,
        "content_weight": 1.0,
        "style_weight": 1.0,
        "tv_weight": 0.5,
    }


def test_bench_times_msgnet_and_counts_the_comatch_products(tmp_path):
    assert (
        cli.main(
            [
                "bench",
                "--norms",
                "comatch,in@msgnet",
                "--modes",
                "plain",
                "--sizes",
                "32",
                "--batches",
                "1",
                "--train-size",
                "32",
                "--train-batch",
                "2",
                "--reps",
                "3",
                "--device",
                "cpu",
                "--out-dir",
                str(tmp_path),
                "--run-id",
                "b",
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "b" / "bench.csv")
    assert (table.status == "ok").all() and set(table.architecture) == {"msgnet"}
    infer = table[table.kind == "infer"].set_index("norm").gflops_per_img
    # NOTE: comatch also encodes the style and multiplies by a 512 x 512 matrix: more work than in@msgnet
    assert infer["comatch"] > infer["in@msgnet"] > 0


BROKEN_ARCHITECTURE_TESTS = """
import pytest
from torch import nn
from normbench import ArchitectureSpec, GramCriterion
from normbench.testing import ArchitectureContract

class Unbounded(nn.Module):
    def __init__(self, norm_layer):
        super().__init__()
        self.conv, self.norm = nn.Conv2d(3, 3, 3, padding=1), norm_layer(3)

    def forward(self, content, cond=None):
        return self.norm(self.conv(content), cond) * 10  # NOTE: gives every norm the conditioning, and leaves [0, 1]

class TestBroken(ArchitectureContract):
    @pytest.fixture
    def architecture_spec(self):
        return ArchitectureSpec(name="broken", build=lambda norm_layer, conditioning, nets: Unbounded(norm_layer),
                                criterion=GramCriterion)
"""


def test_the_architecture_kit_catches_a_generator_that_breaks_the_contract(pytester):
    pytester.makepyfile(test_broken=BROKEN_ARCHITECTURE_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*none: output outside ?0, 1?*"])  # NOTE: [...] is a class in fnmatch
    result.stdout.fnmatch_lines(["FAILED *test_every_supported_conditioning_builds_keeps_size_and_gives_images*"])
