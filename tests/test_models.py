import pytest
import torch
from torch import nn

from normbench import NormSpec
from normbench.models.layers import NormSlot
from normbench.models.transformer import TransformerNet
from normbench.models.vgg import load_vgg
from normbench.training.harness import build_generator, count_parameters, required_feature_nets, style_bank


class Recorder(nn.Module):
    """A norm layer that records what conditioning it was called with."""

    calls: list = []

    def __init__(self, num_features, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, x, *cond):
        Recorder.calls.append(cond)
        return x


@pytest.fixture
def vgg19():
    return {"vgg19": load_vgg("vgg19", "random")}


def test_transformer_net_has_a_norm_after_every_conv_but_the_last():
    net = TransformerNet(lambda c: nn.InstanceNorm2d(c, affine=True))
    slots = [m for m in net.modules() if isinstance(m, NormSlot)]
    assert len(slots) == 3 + 2 * 5 + 2
    assert [s.layer.num_features for s in slots[:3]] == [32, 64, 128]


def test_transformer_net_keeps_size_and_outputs_an_image():
    net = TransformerNet(lambda c: nn.Identity())
    y = net(torch.rand(2, 3, 32, 40))
    assert y.shape == (2, 3, 32, 40) and y.min() >= 0 and y.max() <= 1


@pytest.mark.parametrize("conditioning,expected", [("none", ()), ("style_id", (torch.tensor([1, 0]),))])
def test_generator_passes_conditioning_only_to_norms_that_declare_it(conditioning, expected, catalog):
    Recorder.calls = []
    catalog.norms.add(NormSpec(name="rec", factory=Recorder, conditioning=conditioning))
    net = build_generator(catalog.get("rec"), num_styles=2, nets={})
    net(torch.rand(2, 3, 16, 16), torch.tensor([1, 0]) if conditioning != "none" else None)
    assert len(Recorder.calls) == 15
    assert all(len(c) == len(expected) for c in Recorder.calls)
    if conditioning == "style_id":
        assert all(torch.equal(c[0], expected[0]) for c in Recorder.calls)
        assert net.down[0].norm.layer.kwargs == {"num_styles": 2}


def test_adain_net_gives_the_norm_style_features_at_relu4_1(vgg19, catalog):
    Recorder.calls = []
    catalog.norms.add(NormSpec(name="rec", factory=Recorder, conditioning="style_feat", architecture="adain"))
    net = build_generator(catalog.get("rec"), num_styles=3, nets=vgg19)
    y = net(torch.rand(2, 3, 32, 32), net.encode(torch.rand(2, 3, 48, 48)))
    assert y.shape == (2, 3, 32, 32)
    assert Recorder.calls[0][0].shape == (2, 512, 6, 6)


def test_the_harness_encodes_each_style_once_for_style_feat_norms(vgg19, catalog):
    styles = torch.rand(2, 3, 32, 32)
    bank = style_bank(catalog.get("adain").arch, vgg19, styles)
    assert bank.features.shape == (2, 512, 4, 4)
    assert torch.equal(bank.conditioning("style_feat", torch.tensor([1, 1, 0])), bank.features[[1, 1, 0]])
    assert style_bank(catalog.get("in").arch, vgg19, styles).features is None


def test_adain_net_trains_only_the_decoder(vgg19, catalog):
    net = build_generator(catalog.get("adain"), 3, vgg19)
    trainable, frozen = count_parameters(net)
    assert trainable == sum(p.numel() for p in net.decoder.parameters())
    assert frozen == sum(p.numel() for p in net.encoder.parameters())


def test_a_transformer_norm_asking_for_style_features_is_refused_clearly(catalog):
    catalog.norms.add(NormSpec(name="needs_feat", factory=Recorder, conditioning="style_feat"))
    with pytest.raises(
        ValueError,
        match="norm 'needs_feat' needs style_feat conditioning, which architecture "
        "'transformer' cannot give; it takes none, style_id",
    ):
        catalog.get("needs_feat")
    with pytest.raises(ValueError, match="'transformer' cannot give; it takes none, style_id"):
        catalog.get("adain@transformer")


def test_every_run_measures_with_vgg16_and_adds_each_architectures_net(catalog):
    assert required_feature_nets([catalog.get("in")]) == ["vgg16"]
    assert required_feature_nets([catalog.get("in"), catalog.get("adain")]) == ["vgg16", "vgg19"]
    assert required_feature_nets([catalog.get("comatch"), catalog.get("in@msgnet")]) == ["vgg16"]


def test_cin_generator_parameter_count_grows_by_two_per_channel_per_style(catalog):
    spec = catalog.get("cin")

    def count(styles):
        return count_parameters(build_generator(spec, styles, {}))[0]

    norm_channels = 32 + 64 + 128 + 10 * 128 + 64 + 32
    assert count(4) - count(3) == 2 * norm_channels
