"""The math of each built-in norm, and the contract every registered norm must keep."""

import pytest
import torch

from normbench.norms.adaptive import AdaptiveInstanceNorm2d
from normbench.norms.conditional import ConditionalInstanceNorm2d
from normbench.testing import NormContract


def channel_stats(x, dims):
    return x.mean(dim=dims), x.var(dim=dims, correction=0).sqrt()


def make(registry, name, channels=4, num_styles=3):
    spec = registry.get(name)
    kwargs = {"num_styles": num_styles} if spec.conditioning == "style_id" else {}
    return spec.factory(channels, **kwargs)


def call(layer, spec, x):
    if spec.conditioning == "style_id":
        return layer(x, torch.arange(x.shape[0]) % 3)
    if spec.conditioning == "style_feat":
        return layer(x, torch.randn(x.shape[0], x.shape[1], 5, 7) * 2 + 1)
    return layer(x)


def test_none_is_the_identity(registry):
    x = torch.randn(2, 4, 8, 8)
    assert torch.equal(make(registry, "none")(x), x)


def test_bn_uses_batch_statistics_in_training(registry):
    layer = make(registry, "bn").train()
    y = layer(torch.randn(6, 4, 8, 8) * 3 + 5)
    mean, std = channel_stats(y, (0, 2, 3))
    assert torch.allclose(mean, torch.zeros(4), atol=1e-5) and torch.allclose(std, torch.ones(4), atol=1e-3)


def test_bn_uses_running_statistics_in_eval(registry):
    layer = make(registry, "bn")
    layer.running_mean.fill_(2.0)
    layer.running_var.fill_(4.0)
    x = torch.randn(2, 4, 8, 8)
    expected = (x - 2.0) / torch.sqrt(torch.tensor(4.0) + layer.eps)
    assert torch.allclose(layer.eval()(x), expected, atol=1e-6)


def test_in_normalizes_each_sample_and_channel_the_same_in_train_and_eval(registry):
    layer = make(registry, "in")
    x = torch.randn(3, 4, 8, 8) * torch.arange(1, 4.0).view(3, 1, 1, 1) + 7
    train_out = layer.train()(x)
    mean, std = channel_stats(train_out, (2, 3))
    assert torch.allclose(mean, torch.zeros(3, 4), atol=1e-5)
    assert torch.allclose(std, torch.ones(3, 4), atol=1e-3)
    assert torch.allclose(layer.eval()(x), train_out)
    assert sum(p.numel() for p in layer.parameters()) == 2 * 4  # affine


def test_cin_selects_the_affine_pair_of_each_samples_style():
    layer = ConditionalInstanceNorm2d(4, num_styles=3)
    with torch.no_grad():
        layer.weight.copy_(torch.arange(12.0).view(3, 4) + 1)
        layer.bias.copy_(-torch.arange(12.0).view(3, 4))
    x = torch.randn(2, 4, 8, 8)
    styles = torch.tensor([2, 0])
    normalized = torch.nn.functional.instance_norm(x)
    expected = normalized * layer.weight[styles][:, :, None, None] + layer.bias[styles][:, :, None, None]
    assert torch.allclose(layer(x, styles), expected)


def test_cin_adding_a_style_adds_two_parameters_per_channel():
    def count(styles):
        return sum(p.numel() for p in ConditionalInstanceNorm2d(16, styles).parameters())

    assert count(5) - count(4) == 2 * 16


def test_adain_output_takes_the_style_channel_mean_and_std():
    layer = AdaptiveInstanceNorm2d(8)
    content = torch.randn(2, 8, 16, 16) * 4 - 3
    style = torch.randn(2, 8, 9, 11) * torch.rand(1, 8, 1, 1) * 5 + torch.randn(1, 8, 1, 1) * 3
    out_mean, out_std = channel_stats(layer(content, style), (2, 3))
    style_mean, style_std = channel_stats(style, (2, 3))
    assert torch.allclose(out_mean, style_mean, atol=1e-4)
    assert torch.allclose(out_std, style_std, atol=1e-4)
    assert not list(layer.parameters())


class TestBuiltinNormsKeepTheContract(NormContract):
    """The built-ins go through the same kit (normbench.testing) a third-party plugin runs."""

    @pytest.fixture(
        params=["none", "bn", "in", "cin", "adain", "comatch", "efdm", "wct", "adalin", "switchable", "thumbnail_in"]
    )
    def norm_spec(self, request, registry):
        return registry.get(request.param)


BROKEN_NORM_TESTS = """
import pytest
from torch import nn
from normbench import NormSpec
from normbench.testing import NormContract

class Shrinks(nn.Module):
    def forward(self, x):
        return x[:, :, 1:]

class TestBroken(NormContract):
    @pytest.fixture
    def norm_spec(self):
        return NormSpec(name="broken", factory=lambda c: Shrinks(), params_per_channel=1)

class NeedsStyle(nn.Module):
    def forward(self, x, style):
        return x * style.mean()

class TestMisdeclared(NormContract):
    @pytest.fixture
    def norm_spec(self):
        return NormSpec(name="needs_style", factory=lambda c: NeedsStyle(), params_per_channel=0)

class NoEpsilon(nn.Module):
    def forward(self, x):
        return (x - x.mean((2, 3), keepdim=True)) / x.std((2, 3), keepdim=True)

class TestNoEpsilon(NormContract):
    @pytest.fixture
    def norm_spec(self):
        return NormSpec(name="no_eps", factory=lambda c: NoEpsilon(), params_per_channel=0)

class PixelNoEpsilon(nn.Module):
    def forward(self, x):
        return (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)

class TestPixelNoEpsilon(NormContract):
    @pytest.fixture
    def norm_spec(self):
        return NormSpec(name="pixel_no_eps", factory=lambda c: PixelNoEpsilon(), params_per_channel=2)
"""


def test_the_kit_catches_a_norm_that_breaks_the_contract(pytester):
    """Run through pytest itself, as a plugin author's suite would be: every broken promise is a failure."""
    pytester.makepyfile(test_broken=BROKEN_NORM_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    outcomes = {
        report.nodeid.split("::", 1)[1]: report.outcome
        for report in result.reprec.getreports("pytest_runtest_logreport")
        if report.when == "call"
    }
    degenerate = (
        "test_degenerate_inputs_stay_finite[a constant image]",
        "test_degenerate_inputs_stay_finite[equal channels]",
    )
    assert {name: outcome for name, outcome in outcomes.items() if outcome == "failed"} == {
        "TestBroken::test_forward_and_backward_keep_shape_and_stay_finite": "failed",
        "TestBroken::test_declared_conditioning_is_honoured": "failed",
        "TestBroken::test_parameter_count_is_as_declared": "failed",
        "TestMisdeclared::test_forward_and_backward_keep_shape_and_stay_finite": "failed",
        "TestMisdeclared::test_state_dict_round_trip": "failed",
        "TestMisdeclared::test_eval_mode_is_deterministic": "failed",
        "TestMisdeclared::test_declared_conditioning_is_honoured": "failed",
        **{f"TestMisdeclared::{name}": "failed" for name in degenerate},
        f"TestNoEpsilon::{degenerate[0]}": "failed",
        f"TestPixelNoEpsilon::{degenerate[0]}": "failed",
        f"TestPixelNoEpsilon::{degenerate[1]}": "failed",
        "TestPixelNoEpsilon::test_parameter_count_is_as_declared": "failed",
    }
    assert len(outcomes) == 4 * 7
    result.stdout.fnmatch_lines(["*output (2, 8, 11, 12) != input (2, 8, 12, 12)*"])
    result.stdout.fnmatch_lines(["*needs_style declares none conditioning, but its forward also needs style*"])
    result.stdout.fnmatch_lines(["*no_eps (train mode): non-finite output for a constant image; does it divide*"])
    result.stdout.fnmatch_lines(
        ["*pixel_no_eps: 0 learned parameters, expected 16 (params_per_channel 2 x 8 channels)*"]
    )
