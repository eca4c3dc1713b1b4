"""The common generator harness: build any registered norm into its architecture, with its loss.

Nothing here looks at a norm's name. A norm's declared ``conditioning`` decides
what second input its layers get and how many styles one model serves; its
``architecture`` picks the generator and loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch
from torch import nn

from normbench import losses
from normbench.config import Profile
from normbench.models.adain_net import AdaINNet
from normbench.models.transformer import TransformerNet
from normbench.models.vgg import VGGFeatures
from normbench.norms.adaptive import channel_mean_std
from normbench.registry import Conditioning, NormSpec
from normbench.speed.switches import original_module

class StyleBank:
    """The run's style images on the device, their encoded features, and the conditioning a batch needs.

    :param features: the architecture's encoding of each style, computed once
        (``Architecture.encode_styles``), so no training step re-encodes a style.
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


def per_image_features(net: VGGFeatures, images: torch.Tensor) -> dict[str, torch.Tensor]:
    """``net``'s features of each image computed alone and stacked.

    Convolution numerics change with batch size, so a batch of all styles would
    make one style's targets depend on which other styles share the run.
    """
    with torch.no_grad():
        single = [net(image[None]) for image in images]
    return {layer: torch.cat([features[layer] for features in single]) for layer in single[0]}


class GramCriterion:
    """Johnson et al.'s loss: VGG16 content at one layer, Gram style at four, total variation.

    :param loss_net: the VGG16 trunk, possibly compiled or channels_last for training speed;
        style targets are computed once, with the uncompiled module.
    """

    def __init__(self, loss_net: VGGFeatures, styles: torch.Tensor, profile: Profile):
        self.loss_net, self.profile = loss_net, profile
        targets = per_image_features(original_module(loss_net), styles)
        self.target_grams = {k: losses.gram_matrix(f) for k, f in targets.items()}

    def __call__(self, model: nn.Module, content, style_ids, cond) -> dict[str, torch.Tensor]:
        output = model(content, cond)
        with torch.no_grad():
            content_target = self.loss_net(content, upto=self.profile.content_layer)
        features = self.loss_net(output)
        terms = {
            "content": losses.content_loss(features, content_target, self.profile.content_layer),
            "style": losses.gram_style_loss(features, {k: g[style_ids] for k, g in self.target_grams.items()}),
            "tv": losses.total_variation(output),
        }
        p = self.profile
        terms["total"] = p.content_weight * terms["content"] + p.style_weight * terms["style"] + p.tv_weight * terms["tv"]
        return terms


class MeanStdCriterion:
    """Huang & Belongie's loss: content against the AdaIN target, mean/std style at relu1_1..relu4_1."""

    def __init__(self, encoder: VGGFeatures, styles: torch.Tensor, profile: Profile):
        self.encoder, self.profile = encoder, profile
        targets = per_image_features(original_module(encoder), styles)
        self.target_stats = {k: channel_mean_std(f, 1e-5) for k, f in targets.items()}

    def __call__(self, model: nn.Module, content, style_ids, cond) -> dict[str, torch.Tensor]:
        output, target = model(content, cond, return_target=True)
        features = self.encoder(output)
        stats = {k: (mean[style_ids], std[style_ids]) for k, (mean, std) in self.target_stats.items()}
        terms = {
            "content": losses.relative_mse(features["relu4_1"], target.detach()),
            "style": losses.mean_std_style_loss(features, stats),
        }
        p = self.profile
        terms["total"] = p.adain_content_weight * terms["content"] + p.adain_style_weight * terms["style"]
        return terms


@dataclass(frozen=True)
class Architecture:
    """A generator family: how to build it around a norm and how to train it."""

    name: str
    feature_net: str
    supports: tuple[str, ...]
    build: Callable[[Callable[[int], nn.Module], bool, dict], nn.Module]
    criterion: Callable[[VGGFeatures, torch.Tensor, Profile], Callable]
    #: The Adam learning rate this family trains with, read from the profile.
    learning_rate: Callable[[Profile], float] = lambda profile: profile.lr
    #: ``(nets, style images) -> features`` a ``style_feat`` norm is given, or None where unsupported.
    encode_styles: Callable[[dict, torch.Tensor], torch.Tensor | None] = lambda nets, images: None

    def style_bank(self, nets: dict[str, VGGFeatures], images: torch.Tensor) -> StyleBank:
        """``images`` with this architecture's encoding of each, computed once."""
        return StyleBank(images, self.encode_styles(nets, images))


ARCHITECTURES = {
    "transformer": Architecture(
        "transformer", "vgg16", ("none", "style_id"),
        build=lambda norm_layer, conditioned, nets: TransformerNet(norm_layer, conditioned),
        criterion=GramCriterion,
    ),
    "adain": Architecture(
        "adain", "vgg19", ("none", "style_id", "style_feat"),
        build=lambda norm_layer, conditioned, nets: AdaINNet(nets["vgg19"], norm_layer, conditioned),
        criterion=MeanStdCriterion,
        learning_rate=lambda profile: profile.adain_lr,
        encode_styles=lambda nets, images: per_image_features(nets["vgg19"], images)["relu4_1"],
    ),
}

def architecture_for(spec: NormSpec) -> Architecture:
    """The architecture ``spec`` is benchmarked in.

    :raises ValueError: for an unknown architecture or one that cannot feed its conditioning.
    """
    if spec.architecture not in ARCHITECTURES:
        raise ValueError(f"norm {spec.name!r}: unknown architecture {spec.architecture!r}; "
                         f"available: {', '.join(ARCHITECTURES)}")
    arch = ARCHITECTURES[spec.architecture]
    if spec.conditioning not in arch.supports:
        raise ValueError(f"norm {spec.name!r}: architecture {arch.name!r} cannot pass "
                         f"{spec.conditioning!r} conditioning; it supports {', '.join(arch.supports)}")
    return arch


def build_generator(spec: NormSpec, num_styles: int, nets: dict[str, VGGFeatures]) -> nn.Module:
    """The generator for ``spec``, its norm layers made by ``spec.factory``."""
    factory = spec.factory
    if spec.conditioning is Conditioning.STYLE_ID:
        factory = partial(spec.factory, num_styles=num_styles)
    return architecture_for(spec).build(factory, spec.conditioning is not Conditioning.NONE, nets)


def required_feature_nets(specs: list[NormSpec]) -> list[str]:
    """The VGG trunks training needs: each architecture's own (evaluation brings its own networks)."""
    return list(dict.fromkeys(architecture_for(spec).feature_net for spec in specs))


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """``(trainable, frozen)`` parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    return trainable, frozen
