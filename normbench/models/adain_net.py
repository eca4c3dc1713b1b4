"""Huang & Belongie's arbitrary-style network: frozen VGG19 encoder, a norm at relu4_1, mirrored decoder."""

from __future__ import annotations

import torch
from torch import nn

from normbench.models.layers import NormFactory, NormSlot, reflect_conv
from normbench.models.vgg import VGGFeatures


def _decoder() -> nn.Sequential:
    """The encoder mirrored up to relu1_1, with nearest upsampling and no normalization (as in the paper)."""
    layers: list[nn.Module] = []
    plan = [
        (512, 256, True),
        (256, 256, False),
        (256, 256, False),
        (256, 256, False),
        (256, 128, True),
        (128, 128, False),
        (128, 64, True),
        (64, 64, False),
    ]
    for in_channels, out_channels, upsample_after in plan:
        layers += [reflect_conv(in_channels, out_channels, 3), nn.ReLU(inplace=True)]
        if upsample_after:
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
    layers.append(reflect_conv(64, 3, 3))
    return nn.Sequential(*layers)


class AdaINNet(nn.Module):
    """Encode content and style with VGG19 to relu4_1, combine them in the norm layer, decode.

    Only the decoder (and the norm's own parameters, if any) is trained.

    :param encoder: frozen VGG19 features tapped at relu1_1 ... relu4_1.
    :param norm_layer: ``norm_layer(512) -> nn.Module``, applied at relu4_1.
    :param conditioned: whether the norm takes the style features as second input.
    """

    def __init__(self, encoder: VGGFeatures, norm_layer: NormFactory, conditioned: bool = True):
        super().__init__()
        self.encoder = encoder
        self.norm = NormSlot(norm_layer(512), conditioned)
        self.decoder = _decoder()

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """relu4_1 features of ``image``: what a ``style_feat`` norm takes, computed once per style."""
        return self.encoder(image)["relu4_1"]

    def forward(self, content: torch.Tensor, cond: torch.Tensor | None = None, return_target: bool = False):
        """Stylize ``content``; ``cond`` is ``encode(style)`` for a ``style_feat`` norm (style ids for ``style_id``).

        :param return_target: also return ``t = norm(f(c), f(s))``, the features the decoder learns to invert.
        """
        target = self.norm(self.encode(content), cond)
        output = self.decoder(target)
        return (output, target) if return_target else output
