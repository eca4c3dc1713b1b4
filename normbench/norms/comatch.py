"""Zhang & Dana's CoMatch layer (the "inspiration" layer of MSG-Net, arXiv 1703.06953): the content features F
are re-mixed across channels by the style's Gram matrix through a learned C x C matrix W,

    Y = Phi^-1[ Phi(F)^T  W  G(F_s) ]^T,

where Phi flattens (C, H, W) to (C, H*W) and G(F_s) is the Gram matrix of the style's features. With W = I it is
Gram-weighted mixing: output channel c is sum_k G[c, k] F[k]. It is the fifth way the papers condition a
generator on a style, after BN/IN statistics, CIN's per-style affine and AdaIN's statistics.

The layer is here with its math and tests; it joins the benchmark as the ``comatch`` norm with the MSG-Net
architecture, whose siamese encoder gives it the style's features.
"""

from __future__ import annotations

import torch
from torch import nn

#: W starts as small positive noise, as in the reference MSG-Net code, so early outputs are small mixtures.
INIT_RANGE = (0.0, 0.02)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W) -> (N, C, C)``: Phi(F) Phi(F)^T / (C * H * W), MSG-Net's normalisation."""
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width)
    return flat @ flat.transpose(1, 2) / (channels * height * width)


def comatch(content: torch.Tensor, gram: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Y = Phi^-1[Phi(F)^T W G]^T for content ``(N, C, H, W)``, Grams ``(N, C, C)`` and ``weight`` ``(C, C)``;
    equal to ``(W G)^T Phi(F)`` reshaped, which is how it is computed (one batched matrix product)."""
    batch, channels = content.shape[:2]
    mixing = (weight @ gram).transpose(1, 2)  # (N, C, C): (W G)^T
    return (mixing @ content.reshape(batch, channels, -1)).reshape_as(content)


class CoMatch(nn.Module):
    """``layer(x, style_features)``: CoMatch of ``x`` with the Gram matrix of ``style_features`` (any H', W')."""

    def __init__(self, num_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_features, num_features).uniform_(*INIT_RANGE))

    def forward(self, x: torch.Tensor, style_features: torch.Tensor) -> torch.Tensor:
        if style_features.shape[:2] != x.shape[:2]:
            raise ValueError(f"CoMatch: style features {tuple(style_features.shape)} must have the batch and "
                             f"channels of the input {tuple(x.shape)}")
        return comatch(x, gram_matrix(style_features), self.weight)
