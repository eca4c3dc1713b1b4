"""Zhang & Dana's CoMatch layer (the "inspiration" layer of MSG-Net, arXiv 1703.06953): the content features F
are re-mixed across channels by the style's Gram matrix through a learned C x C matrix W,

    Y = Phi^-1[ Phi(F)^T  W  G(F_s) ]^T,

where Phi flattens (C, H, W) to (C, H*W) and G(F_s) is the Gram matrix of the style's features. With W = I it is
Gram-weighted mixing: output channel c is sum_k G[c, k] F[k]. It is the fifth way the papers condition a
generator on a style, after BN/IN statistics, CIN's per-style affine and AdaIN's statistics.

Registered as the ``comatch`` norm, benchmarked by default in the MSG-Net architecture, whose siamese encoder gives
it the style's features; ``comatch@adain`` gives it VGG19's instead.
"""

from __future__ import annotations

import torch
from torch import nn

from normbench.markers import hookimpl
from normbench.ops import gram_matrix
from normbench.registry import Conditioning, NormSpec

#: W starts as small positive noise, as in the reference MSG-Net code, so early outputs are small mixtures.
INIT_RANGE = (0.0, 0.02)


def comatch(content: torch.Tensor, gram: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Y = Phi^-1[Phi(F)^T W G]^T for content ``(N, C, H, W)``, Grams ``(N, C, C)`` and ``weight`` ``(C, C)``;
    equal to ``(W G)^T Phi(F)`` reshaped, which is how it is computed (one batched matrix product); ``gram`` is
    normalised by C * H * W (:func:`normbench.ops.gram_matrix`)."""
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
            raise ValueError(
                f"CoMatch: style features {tuple(style_features.shape)} must have the batch and "
                f"channels of the input {tuple(x.shape)}"
            )
        return comatch(x, gram_matrix(style_features).to(x.dtype), self.weight)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="comatch",
            factory=CoMatch,
            conditioning=Conditioning.STYLE_FEAT,
            architecture="msgnet",
            aliases=("inspiration", "co_match"),
            description="CoMatch (MSG-Net's inspiration layer): channels re-mixed by the style's Gram matrix "
            "through a learned C x C matrix",
            # NOTE: C x C parameters: C per channel, not a constant, so the contract kit's count check is skipped
            params_per_channel=None,
        )
    )
