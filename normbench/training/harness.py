"""The common generator harness: any registered norm built into a registered architecture (a
:class:`~normbench.catalog.Placement`), with its style bank and loss.

Nothing here looks at a norm's or an architecture's name. A norm's declared ``conditioning`` decides what second
input its layers get and how many styles one model serves; the architecture, its own by default or the one named
as ``norm@architecture``, decides the generator, the loss and the training settings.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from normbench.catalog import Catalog, Placement, training_settings
from normbench.models.vgg import VGGFeatures
from normbench.registry import ArchitectureSpec, Conditioning

__all__ = [
    "Catalog",
    "Placement",
    "StyleBank",
    "build_generator",
    "count_parameters",
    "required_feature_nets",
    "style_bank",
    "training_settings",
]


class StyleBank:
    """The run's style images on the device, their encoded features, and the conditioning a batch needs.

    :param features: the architecture's encoding of each style, computed once
        (``ArchitectureSpec.encode_styles``), so no training step re-encodes a style.
    """

    def __init__(self, images: torch.Tensor, features: torch.Tensor | None = None):
        self.images, self.features = images, features

    def __len__(self) -> int:
        return self.images.shape[0]

    def conditioning(self, conditioning: Conditioning | str, style_ids: torch.Tensor) -> torch.Tensor | None:
        """What the generator is given beside the content: nothing, style indices or style features."""
        conditioning = Conditioning.parse(conditioning)
        if conditioning is Conditioning.STYLE_ID:
            return style_ids
        if conditioning is Conditioning.STYLE_FEAT:
            if self.features is None:
                raise ValueError("style_feat conditioning needs a StyleBank built with encoded style features")
            return self.features[style_ids]
        return None


def style_bank(arch: ArchitectureSpec, nets: dict[str, VGGFeatures], images: torch.Tensor) -> StyleBank:
    """``images`` with ``arch``'s encoding of each, computed once."""
    return StyleBank(images, arch.encode_styles(nets, images) if arch.encode_styles is not None else None)


def build_generator(spec: Placement, num_styles: int, nets: dict[str, VGGFeatures]) -> nn.Module:
    """The generator for ``spec``, its norm layers made by the norm's factory."""
    factory = spec.factory
    if spec.conditioning is Conditioning.STYLE_ID:
        factory = partial(spec.factory, num_styles=num_styles)
    return spec.arch.build(factory, spec.conditioning, nets)


def required_feature_nets(specs: list[Placement]) -> list[str]:
    """The VGG trunks training needs: each architecture's own (evaluation brings its own networks)."""
    return list(dict.fromkeys(name for spec in specs for name in spec.arch.feature_nets))


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """``(trainable, frozen)`` parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    return trainable, frozen
