import torch
from normbench_unet import UNet
from torch import nn

from normbench.plugins import load_plugins
from normbench.testing import ArchitectureContract


class TestUNet(ArchitectureContract):
    architecture = "unet"


def instance_norm(channels):
    return nn.InstanceNorm2d(channels, affine=True)


def test_it_is_found_through_its_entry_point_and_takes_a_builtin_norm():
    loaded = load_plugins()
    assert loaded.architectures.plugin_of("unet") == "unet"
    placed = loaded.catalog().get("cin@unet")
    assert placed.name == "cin@unet" and placed.architecture == "unet"


def test_the_skip_connections_carry_full_resolution_detail():
    torch.manual_seed(0)
    net = UNet(instance_norm, conditioned=False, width=8).eval()
    image = torch.rand(1, 3, 32, 32)
    changed = image.clone()
    changed[..., 10, 10] += 0.5  # one pixel: the bottleneck, 4x coarser, cannot place it alone
    with torch.no_grad():
        difference = (net(changed) - net(image)).abs().sum(1)[0]
    assert difference[10, 10] > 0 and difference.argmax() // 32 in range(8, 13)


def test_every_conv_but_the_last_is_followed_by_a_norm_slot():
    net = UNet(instance_norm, conditioned=False, width=8)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in net.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert len(norms) == len(convs) - 1 == 11
