"""Training losses of the built-in architectures, each built once per model from the run's styles.

An architecture's ``criterion(nets, styles, training, profile)`` returns ``loss(model, content, style_ids, cond)``,
a dict of terms whose ``"total"`` is minimised. Style targets are computed once, with the uncompiled trunk.
"""

from __future__ import annotations

import torch
from torch import nn

from normbench.config import Profile
from normbench.models.vgg import VGGFeatures, block_relus, retapped
from normbench.ops import channel_mean_std
from normbench.registry import TrainingSettings
from normbench.runtime.switches import original_module
from normbench.training import losses


def per_image_features(net: VGGFeatures, images: torch.Tensor) -> dict[str, torch.Tensor]:
    """``net``'s features of each image computed alone and stacked.

    Convolution numerics change with batch size, so a batch of all styles would
    make one style's targets depend on which other styles share the run.
    """
    with torch.no_grad():
        single = [net(image[None]) for image in images]
    return {layer: torch.cat([features[layer] for features in single]) for layer in single[0]}


def adain_encoder(net: nn.Module) -> nn.Module:
    """``net`` tapped at relu1_1 .. relu4_1, the AdaIN layers: ``net`` itself where those are its taps (VGG19, compiled
    or not), else a view of its trunk (VGG16, whose own taps are Johnson's relu*_2 / relu*_3; the view is uncompiled).
    """
    base = original_module(net)
    taps = block_relus(base.spec.name)
    return net if base.spec.taps == taps else retapped(base, taps)


class GramCriterion:
    """Johnson et al.'s loss: VGG16 content at the profile's layer, Gram style at four layers, total variation.

    :param nets: the trunks by name; ``vgg16`` is the loss network, possibly compiled or channels_last.
    """

    def __init__(
        self, nets: dict[str, VGGFeatures], styles: torch.Tensor, training: TrainingSettings, profile: Profile
    ):
        self.loss_net, self.training, self.content_layer = nets["vgg16"], training, profile.content_layer
        targets = per_image_features(original_module(self.loss_net), styles)
        self.target_grams = {k: losses.gram_matrix(f) for k, f in targets.items()}

    def __call__(self, model: nn.Module, content, style_ids, cond) -> dict[str, torch.Tensor]:
        output = model(content, cond)
        with torch.no_grad():
            content_target = self.loss_net(content, upto=self.content_layer)
        features = self.loss_net(output)
        terms = {
            "content": losses.content_loss(features, content_target, self.content_layer),
            "style": losses.gram_style_loss(features, {k: g[style_ids] for k, g in self.target_grams.items()}),
            "tv": losses.total_variation(output),
        }
        t = self.training
        terms["total"] = (
            t.content_weight * terms["content"] + t.style_weight * terms["style"] + t.tv_weight * terms["tv"]
        )
        return terms


class MeanStdCriterion:
    """Huang & Belongie's loss: content against the AdaIN target, mean/std style at relu1_1..relu4_1 of ``network``.

    The model is called as ``model(content, cond, return_target=True)`` and returns the target features too.

    :param network: the encoder's trunk in ``nets``: ``vgg19`` as in the paper, or ``vgg16``.
    """

    def __init__(
        self,
        nets: dict[str, VGGFeatures],
        styles: torch.Tensor,
        training: TrainingSettings,
        profile: Profile,
        network: str = "vgg19",
    ):
        self.encoder, self.training = adain_encoder(nets[network]), training
        targets = per_image_features(original_module(self.encoder), styles)
        self.target_stats = {k: channel_mean_std(f, 1e-5) for k, f in targets.items()}

    def __call__(self, model: nn.Module, content, style_ids, cond) -> dict[str, torch.Tensor]:
        output, target = model(content, cond, return_target=True)
        features = self.encoder(output)
        stats = {k: (mean[style_ids], std[style_ids]) for k, (mean, std) in self.target_stats.items()}
        terms = {
            "content": losses.relative_mse(features["relu4_1"], target.detach()),
            "style": losses.mean_std_style_loss(features, stats),
        }
        terms["total"] = self.training.content_weight * terms["content"] + self.training.style_weight * terms["style"]
        return terms
