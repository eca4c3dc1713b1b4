"""Johnson et al.'s image transformation network with the norm layer swapped in by factory."""

from __future__ import annotations

import torch
from torch import nn

from normbench.models.layers import ConvNormAct, NormFactory, NormSlot, ResidualBlock, reflect_conv


class TransformerNet(nn.Module):
    """9x9 conv, two stride-2 convs, 5 residual blocks, two nearest-upsample + conv, 9x9 conv.

    Every place the original has ``InstanceNorm2d(c, affine=True)`` holds
    ``norm_layer(c)`` instead. As in the paper, a scaled tanh keeps the output
    image in range, here [0, 1].

    :param norm_layer: ``norm_layer(num_features) -> nn.Module``.
    :param conditioned: whether the layers take a second, conditioning input.
    """

    def __init__(self, norm_layer: NormFactory, conditioned: bool = False, num_residual: int = 5):
        super().__init__()

        def make_norm(channels: int) -> NormSlot:
            return NormSlot(norm_layer(channels), conditioned)

        self.down = nn.ModuleList(
            [
                ConvNormAct(reflect_conv(3, 32, 9), make_norm(32)),
                ConvNormAct(reflect_conv(32, 64, 3, stride=2), make_norm(64)),
                ConvNormAct(reflect_conv(64, 128, 3, stride=2), make_norm(128)),
            ]
        )
        self.residual = nn.ModuleList([ResidualBlock(128, make_norm) for _ in range(num_residual)])
        self.up = nn.ModuleList(
            [
                ConvNormAct(reflect_conv(128, 64, 3), make_norm(64), upsample=True),
                ConvNormAct(reflect_conv(64, 32, 3), make_norm(32), upsample=True),
            ]
        )
        self.to_rgb = reflect_conv(32, 3, 9)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        for block in (*self.down, *self.residual, *self.up):
            x = block(x, cond)
        return (torch.tanh(self.to_rgb(x)) + 1) / 2
