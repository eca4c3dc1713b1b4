"""A small U-Net generator for normbench: what a third party writes to benchmark norms inside its own architecture.

Every conv but the last is followed by a :class:`normbench.NormSlot`, filled by whichever norm is benchmarked
(``--norms in@unet``); the slot passes the conditioning on only to norms that declared one.
"""

import torch
from torch import nn

from normbench import ArchitectureSpec, Conditioning, GramCriterion, NormSlot, TrainingSettings, hookimpl


class ConvNorm(nn.Module):
    """(nearest 2x upsample,) reflection-padded conv, norm slot, ReLU."""

    def __init__(self, norm_layer, conditioned, in_channels, out_channels, stride=1, upsample=False):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest") if upsample else nn.Identity()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, padding_mode="reflect")
        self.norm = NormSlot(norm_layer(out_channels), conditioned)

    def forward(self, x, cond):
        return torch.relu(self.norm(self.conv(self.upsample(x)), cond))


class UNet(nn.Module):
    """32 -> 64 -> 128 channels down, two residual blocks, back up with skip connections; output in [0, 1]."""

    def __init__(self, norm_layer, conditioned: bool, width: int = 32):
        super().__init__()

        def block(*args, **kwargs):
            return ConvNorm(norm_layer, conditioned, *args, **kwargs)

        self.inc = block(3, width)
        self.down = nn.ModuleList([block(width, 2 * width, stride=2), block(2 * width, 4 * width, stride=2)])
        self.middle = nn.ModuleList([block(4 * width, 4 * width) for _ in range(4)])
        self.up = nn.ModuleList([block(4 * width, 2 * width, upsample=True), block(2 * width, width, upsample=True)])
        # NOTE: after each upsampling, the encoder's map of that size is concatenated and fused by one conv
        self.fuse = nn.ModuleList([block(4 * width, 2 * width), block(2 * width, width)])
        self.to_rgb = nn.Conv2d(width, 3, 3, padding=1, padding_mode="reflect")

    def forward(self, content, cond=None):
        skips = [self.inc(content, cond)]
        for down in self.down:
            skips.append(down(skips[-1], cond))
        x = skips.pop()
        for first, second in zip(self.middle[::2], self.middle[1::2]):
            x = x + second(first(x, cond), cond)
        for up, fuse in zip(self.up, self.fuse):
            x = fuse(torch.cat([up(x, cond), skips.pop()], dim=1), cond)
        return (torch.tanh(self.to_rgb(x)) + 1) / 2


@hookimpl
def normbench_register_architectures(registry):
    registry.add(
        ArchitectureSpec(
            name="unet",
            build=lambda norm_layer, conditioning, nets: UNet(norm_layer, conditioning is not Conditioning.NONE),
            criterion=GramCriterion,
            supports=(Conditioning.NONE, Conditioning.STYLE_ID),
            feature_nets=("vgg16",),
            training=TrainingSettings(lr=1e-3, content_weight=2.0, style_weight=1.0, tv_weight=1.0),
            description="a small U-Net: 2 strided convs down, 2 residual blocks, 2 upsample convs up with skip "
            "connections; VGG16 Gram loss",
        )
    )
