"""Perceptual losses: Johnson et al.'s Gram loss, Huang & Belongie's mean/std loss, total variation.

Every feature term is divided by its target's mean square, so a weight means the
same whether the loss network is pretrained or randomly initialised (whose
activation scales differ by orders of magnitude between layers).

The loss arithmetic runs in float32 even under bf16/fp16 autocast: Gram matrices
and squared errors lose too much in a 8-bit mantissa, and they cost little.
"""

from __future__ import annotations

import torch

from normbench.ops import EPS, channel_mean_std, gram_matrix

__all__ = [
    "channel_mean_std",
    "content_loss",
    "gram_matrix",
    "gram_style_loss",
    "mean_std_style_loss",
    "relative_mse",
    "total_variation",
]


def relative_mse(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error divided by the target's mean square (a scale-free error)."""
    value, target = value.float(), target.float()
    return (value - target).pow(2).mean() / (target.detach().pow(2).mean() + EPS)


def content_loss(features: dict, target: dict, layer: str) -> torch.Tensor:
    return relative_mse(features[layer], target[layer])


def gram_style_loss(features: dict, target_grams: dict) -> torch.Tensor:
    """Sum over layers of the relative error between Gram matrices.

    :param target_grams: per layer, ``(N, C, C)`` or ``(1, C, C)`` (broadcast).
    """
    total = 0.0
    for layer, target in target_grams.items():
        gram = gram_matrix(features[layer])
        total = total + relative_mse(gram, target.expand_as(gram))
    return total


def mean_std_style_loss(features: dict, target_stats: dict) -> torch.Tensor:
    """Huang & Belongie's style loss: match channel means and stds layer by layer."""
    total = 0.0
    for layer, (target_mean, target_std) in target_stats.items():
        mean, std = channel_mean_std(features[layer].float(), eps=1e-5)
        total = total + relative_mse(mean, target_mean) + relative_mse(std, target_std)
    return total


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (smoothness prior)."""
    image = image.float()
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    return dy.pow(2).mean() + dx.pow(2).mean()
