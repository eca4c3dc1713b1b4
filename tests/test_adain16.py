"""The AdaIN network on a VGG16 encoder: its decoder mirrors the encoder, its encoder is VGG16's trunk re-tapped."""

import pytest
import torch
from torch import nn

from normbench.models.adain_net import decoder_for, encoder_convs
from normbench.models.vgg import load_vgg
from normbench.testing import ArchitectureContract
from normbench.training.criteria import adain_encoder
from normbench.training.harness import build_generator, count_parameters, required_feature_nets, style_bank

#: The decoder normbench has always built for Huang & Belongie's network (the encoder mirrored, nearest upsampling,
#: no normalization): (in, out) of each conv, "up" for each upsampling.
PAPER_DECODER = [(512, 256), "up", (256, 256), (256, 256), (256, 256), (256, 128), "up", (128, 128), (128, 64), "up"]
PAPER_DECODER += [(64, 64), (64, 3)]


def layout(decoder: nn.Sequential) -> list:
    convs = [m for m in decoder.modules() if isinstance(m, (nn.Conv2d, nn.Upsample))]
    return [(m.in_channels, m.out_channels) if isinstance(m, nn.Conv2d) else "up" for m in convs]


def test_the_vgg19_decoder_is_the_papers():
    decoder = decoder_for("E")
    assert layout(decoder) == PAPER_DECODER
    assert not isinstance(decoder[-1], nn.ReLU), "the output conv has no ReLU: the image is clamped, not rectified"


def test_the_vgg16_decoder_has_one_256_channel_conv_fewer_as_its_encoder_has():
    assert encoder_convs("E").count((256, 256)) == 3 and encoder_convs("D").count((256, 256)) == 2
    expected = list(PAPER_DECODER)
    expected.remove((256, 256))
    assert layout(decoder_for("D")) == expected


def test_a_config_without_conv4_1_is_refused_by_name(monkeypatch):
    import torchvision.models.vgg as vgg_models

    monkeypatch.setitem(vgg_models.cfgs, "short", [64, "M", 128, "M"])
    with pytest.raises(ValueError, match="VGG configuration 'short' has no conv4_1"):
        encoder_convs("short")


@pytest.fixture(scope="module")
def vgg16():
    return load_vgg("vgg16", "random")


def test_the_vgg16_encoder_shares_the_loss_networks_modules_and_taps_relu1_1_to_relu4_1(vgg16):
    encoder = adain_encoder(vgg16)
    assert list(encoder.spec.taps) == ["relu1_1", "relu2_1", "relu3_1", "relu4_1"]
    assert all(a is b for a, b in zip(encoder.parameters(), vgg16.parameters()))
    image = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        by_hand = vgg16.trunk[:19]((image - vgg16.mean) / vgg16.std)  # conv4_1's ReLU is layer 18 of VGG16
        assert torch.equal(encoder(image)["relu4_1"], by_hand)
    assert list(vgg16.spec.taps) == ["relu1_2", "relu2_2", "relu3_3", "relu4_3"], "the loss network keeps its taps"


def test_a_vgg19_trunk_is_its_own_adain_encoder():
    vgg19 = load_vgg("vgg19", "random")
    assert adain_encoder(vgg19) is vgg19


def test_adain16_needs_only_vgg16_and_trains_only_its_decoder(vgg16, catalog):
    placement = catalog.get("adain@adain16")
    assert placement.name == "adain@adain16" and required_feature_nets([placement]) == ["vgg16"]
    net = build_generator(placement, 3, {"vgg16": vgg16})
    trainable, frozen = count_parameters(net)
    assert trainable == sum(p.numel() for p in net.decoder.parameters())
    assert frozen == sum(p.numel() for p in net.encoder.parameters())
    bank = style_bank(placement.arch, {"vgg16": vgg16}, torch.rand(2, 3, 32, 32))
    assert bank.features.shape == (2, 512, 4, 4)


def test_efdm_and_wct_go_into_adain16(catalog):
    assert {catalog.get(f"{norm}@adain16").architecture for norm in ("efdm", "wct", "adain")} == {"adain16"}


class TestAdain16Contract(ArchitectureContract):
    architecture = "adain16"


class TestAdainContract(ArchitectureContract):
    architecture = "adain"
