"""Zhang & Dana's Multi-style Generative Network (MSG-Net, arXiv 1703.06953) with its norm slots open.

The generator of the paper's released code: a 7x7 conv and two downsampling pre-activation bottlenecks (the
encoder), the inspiration layer, residual bottlenecks, two upsampling bottlenecks (nearest upsample + conv, which
the paper uses against checkerboard artefacts) and a 7x7 conv. The style goes through the same encoder (a siamese
network: the weights are shared and trained with the rest), and the inspiration layer matches the content's
features to the style's.

Where the paper has a norm layer there is a :class:`NormSlot`. A ``style_feat`` norm (``comatch``, ``adain``)
goes into the inspiration slot, given the encoded style, and the other slots hold instance norm as in the paper;
any other norm fills every slot and the inspiration slot is left out (a feed-forward net with MSG-Net's blocks).
"""

from __future__ import annotations

import torch
from torch import nn

from normbench.models.layers import NormFactory, NormSlot, reflect_conv
from normbench.registry import Conditioning

#: Bottleneck blocks widen their input by this factor (ResNet's).
EXPANSION = 4


def paper_norm(num_features: int) -> nn.Module:
    # NOTE: with affine, like normbench's `in`, so that `comatch` and `in@msgnet` differ only by the inspiration layer.
    return nn.InstanceNorm2d(num_features, affine=True, track_running_stats=False)


class Bottleneck(nn.Module):
    """Pre-activation bottleneck: (norm, ReLU, conv) x 3 with 1x1, 3x3 (strided, or after a 2x upsample) and 1x1
    convs, widening ``planes`` by :data:`EXPANSION`, with a 1x1 conv on the shortcut when the shape changes."""

    def __init__(self, inplanes: int, planes: int, make_norm, stride: int = 1, upsample: bool = False):
        super().__init__()
        outplanes = planes * EXPANSION
        middle = reflect_conv(planes, planes, 3, stride)
        if upsample:
            middle = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), middle)
        shortcut_conv = nn.Conv2d(inplanes, outplanes, 1, stride)
        shortcut = (
            nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), shortcut_conv) if upsample else shortcut_conv
        )
        changes_shape = stride != 1 or upsample or inplanes != outplanes
        self.shortcut = shortcut if changes_shape else nn.Identity()
        self.norms = nn.ModuleList([make_norm(inplanes), make_norm(planes), make_norm(planes)])
        self.convs = nn.ModuleList([nn.Conv2d(inplanes, planes, 1), middle, nn.Conv2d(planes, outplanes, 1)])
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        out = x
        for norm, conv in zip(self.norms, self.convs):
            out = conv(self.relu(norm(out, cond)))
        return self.shortcut(x) + out


class MSGNet(nn.Module):
    """MSG-Net around ``norm_layer``; see the module's docstring for where the norm goes.

    :param conditioning: the norm's; ``style_feat`` puts it in the inspiration slot, and ``model(content, style)``
        then takes style images ``(N, 3, h, w)`` in [0, 1], encoded by the shared encoder.
    :param width: the paper's ``ngf``: the inspiration layer works on ``4 * width`` channels (128 in the paper).
    :param num_blocks: residual bottlenecks after the inspiration layer (6 in the paper).
    """

    def __init__(
        self,
        norm_layer: NormFactory,
        conditioning: Conditioning | str = Conditioning.NONE,
        width: int = 128,
        num_blocks: int = 6,
    ):
        super().__init__()
        conditioning = Conditioning.parse(conditioning)
        inspired = conditioning is Conditioning.STYLE_FEAT
        slot_layer = paper_norm if inspired else norm_layer
        conditioned = conditioning is Conditioning.STYLE_ID

        def make_norm(channels: int) -> NormSlot:
            return NormSlot(slot_layer(channels), conditioned)

        channels = width * EXPANSION
        self.stem = reflect_conv(3, 64, 7)
        self.stem_norm = make_norm(64)
        self.encoder = nn.ModuleList(
            [Bottleneck(64, 32, make_norm, stride=2), Bottleneck(32 * EXPANSION, width, make_norm, stride=2)]
        )
        self.inspiration = NormSlot(norm_layer(channels), True) if inspired else None
        self.blocks = nn.ModuleList([Bottleneck(channels, width, make_norm) for _ in range(num_blocks)])
        self.decoder = nn.ModuleList(
            [
                Bottleneck(channels, 32, make_norm, upsample=True),
                Bottleneck(32 * EXPANSION, 16, make_norm, upsample=True),
            ]
        )
        self.out_norm = make_norm(16 * EXPANSION)
        self.to_rgb = reflect_conv(16 * EXPANSION, 3, 7)

    def encode(self, image: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """The encoder's features of ``image``: the content's, and (siamese) the style's for the inspiration."""
        x = torch.relu(self.stem_norm(self.stem(image), cond))
        for block in self.encoder:
            x = block(x, cond)
        return x

    def forward(self, content: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        x = self.encode(content, cond)
        if self.inspiration is not None:
            # NOTE: the style is encoded at every call, not once per run: the encoder it shares is being trained.
            x = self.inspiration(x, self.encode(cond))
        for block in (*self.blocks, *self.decoder):
            x = block(x, cond)
        x = torch.relu(self.out_norm(x, cond))
        return (torch.tanh(self.to_rgb(x)) + 1) / 2
