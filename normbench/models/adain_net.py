"""Huang & Belongie's arbitrary-style network: a frozen VGG encoder to relu4_1, a norm there, a mirrored decoder."""

from __future__ import annotations

import torch
import torchvision.models.vgg as vgg_models
from torch import nn

from normbench.models.layers import NormFactory, NormSlot, reflect_conv
from normbench.models.vgg import VGGFeatures


def encoder_convs(config: str) -> list[tuple[int, int] | str]:
    """The convolutions ``(in, out)`` and poolings ``"M"`` of a torchvision VGG ``config`` up to conv4_1."""
    layers: list[tuple[int, int] | str] = []
    channels, pools = 3, 0
    for entry in vgg_models.cfgs[config]:
        if entry == "M":
            layers.append("M")
            pools += 1
            continue
        layers.append((channels, int(entry)))
        channels = int(entry)
        if pools == 3:
            return layers
    raise ValueError(f"VGG configuration {config!r} has no conv4_1")


def decoder_for(config: str) -> nn.Sequential:
    """The encoder of ``config`` mirrored from relu4_1 down to the image: each convolution reversed (a ReLU after all
    but the last), nearest upsampling for each pooling, no normalization (as in the paper). For VGG19 this is the
    paper's decoder; VGG16's has one 256-channel convolution fewer, as its encoder has."""
    layers: list[nn.Module] = []
    for entry in reversed(encoder_convs(config)):
        if entry == "M":
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        else:
            in_channels, out_channels = entry
            layers += [reflect_conv(out_channels, in_channels, 3), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers[:-1])


class AdaINNet(nn.Module):
    """Encode content and style with a VGG to relu4_1, combine them in the norm layer, decode.

    Only the decoder (and the norm's own parameters, if any) is trained.

    :param encoder: frozen VGG features tapped at relu1_1 ... relu4_1 (VGG19 in the paper).
    :param norm_layer: ``norm_layer(512) -> nn.Module``, applied at relu4_1.
    :param conditioned: whether the norm takes the style features as second input.
    """

    def __init__(self, encoder: VGGFeatures, norm_layer: NormFactory, conditioned: bool = True):
        super().__init__()
        self.encoder = encoder
        self.norm = NormSlot(norm_layer(512), conditioned)
        self.decoder = decoder_for(encoder.spec.config)

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """relu4_1 features of ``image``: what a ``style_feat`` norm takes, computed once per style."""
        return self.encoder(image)["relu4_1"]

    def forward(self, content: torch.Tensor, cond: torch.Tensor | None = None, return_target: bool = False):
        """Stylize ``content``; ``cond`` is ``encode(style)`` for a ``style_feat`` norm (style ids for ``style_id``).

        :param return_target: also return ``t = norm(f(c), f(s))``, the features the decoder learns to invert.
        """
        target = self.norm(self.encode(content), cond)
        output = self.decoder(target)
        if not self.training:
            # NOTE: the decoder is unbounded, and trained so as in the paper (a clamp would stop the gradient of
            # every pixel outside); what it gives as an image is clamped, as an architecture's images must be
            output = output.clamp(0, 1)
        return (output, target) if return_target else output
