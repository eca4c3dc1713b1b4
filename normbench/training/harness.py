"""The common generator harness: any registered norm built into a registered architecture, with its loss.

Nothing here looks at a norm's or an architecture's name. A norm's declared ``conditioning`` decides what second
input its layers get and how many styles one model serves; the architecture, its own by default or the one named
as ``norm@architecture``, decides the generator, the loss and the training settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import partial

import torch
from torch import nn

from normbench.config import Profile
from normbench.models.vgg import VGGFeatures
from normbench.registry import (
    ArchitectureRegistry,
    ArchitectureSpec,
    Conditioning,
    NormRegistry,
    NormSpec,
    TrainingSettings,
)

#: Separates a norm from the architecture it is put in: ``in@msgnet``.
PLACEMENT_SEPARATOR = "@"


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


def training_settings(arch: ArchitectureSpec, profile: Profile) -> TrainingSettings:
    """``arch``'s training settings with the run's overrides for it (``profile.training[arch.name]``)."""
    return replace(arch.training, **profile.training.get(arch.name, {}))


@dataclass(frozen=True)
class Placement:
    """A norm in an architecture: what one row of a run trains. ``name`` is the norm's, or ``norm@architecture``
    when the architecture is not the norm's own; the rest of a :class:`NormSpec`'s fields read through."""

    norm: NormSpec
    arch: ArchitectureSpec

    @property
    def name(self) -> str:
        if self.arch.name == self.norm.architecture:
            return self.norm.name
        return f"{self.norm.name}{PLACEMENT_SEPARATOR}{self.arch.name}"

    @property
    def architecture(self) -> str:
        return self.arch.name

    @property
    def conditioning(self) -> Conditioning:
        return self.norm.conditioning

    @property
    def factory(self):
        return self.norm.factory

    @property
    def description(self) -> str:
        return (
            self.norm.description
            if self.arch.name == self.norm.architecture
            else f"{self.norm.description} (in {self.arch.name})"
        )


class Catalog:
    """Every norm in every architecture it fits: ``get("in")`` is IN in its own generator, ``get("in@msgnet")``
    IN in MSG-Net. What runs, benches and stored runs look norms up in."""

    def __init__(self, norms: NormRegistry, architectures: ArchitectureRegistry):
        self.norms, self.architectures = norms, architectures

    def get(self, name: str) -> Placement:
        """:raises ValueError: for an unknown norm or architecture (listing the available ones), or an architecture
        that cannot feed the norm's conditioning (listing the conditionings it takes)."""
        norm_name, _, arch_name = name.partition(PLACEMENT_SEPARATOR)
        norm = self.norms.get(norm_name)
        try:
            arch = self.architectures.get(arch_name or norm.architecture)
        except ValueError as error:
            raise ValueError(f"norm {norm.name!r}: {error}") from None
        if norm.conditioning not in arch.supports:
            raise ValueError(
                f"norm {norm.name!r} needs {norm.conditioning} conditioning, which architecture "
                f"{arch.name!r} cannot give; it takes {', '.join(map(str, arch.supports))}"
            )
        return Placement(norm, arch)

    def names(self) -> list[str]:
        """Every norm in its own architecture (what a run without ``--norms`` compares)."""
        return self.norms.names()

    def plugin_of(self, name: str) -> str:
        """The plugin of the norm ``name`` (the norm's, for ``norm@architecture``)."""
        return self.norms.plugin_of(self.get(name).norm.name)

    def describe(self, placement: Placement, profile: Profile) -> dict:
        """What a manifest says of a trained norm: its plugin, architecture and the training settings it used."""
        return {
            "name": placement.name,
            "norm": placement.norm.name,
            "plugin": self.norms.plugin_of(placement.norm.name),
            "conditioning": placement.conditioning,
            "architecture": placement.architecture,
            "architecture_plugin": self.architectures.plugin_of(placement.architecture),
            "training": asdict(training_settings(placement.arch, profile)),
            "description": placement.description,
        }


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
