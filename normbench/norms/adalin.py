"""``adalin``: Adaptive Layer-Instance Normalization (Kim, Kim, Kang, Lee, "U-GAT-IT", ICLR 2020,
arXiv:1907.10830).

The paper's AdaLIN (Sec. 2.1.1, the generator) mixes the instance-normalized and the layer-normalized input with a
learned gate ``rho`` in [0, 1], then scales and shifts the mix by ``gamma`` and ``beta`` computed from features::

    AdaLIN(a, gamma, beta) = gamma * (rho * a_I + (1 - rho) * a_L) + beta
    a_I = (a - mu_I) / sqrt(sigma_I^2 + eps),   a_L = (a - mu_L) / sqrt(sigma_L^2 + eps)

``mu_I, sigma_I`` are per sample and channel over H x W; ``mu_L, sigma_L`` per sample over C x H x W. ``rho`` is
one value per channel, started at 0.9 as the authors' code starts it in the residual blocks, and kept in [0, 1]:
the paper clips it after every update; here the clip is applied where ``rho`` is used, which gives the same
layer output without a hook into the optimizer.

U-GAT-IT computes ``gamma`` and ``beta`` with a fully connected network from the generator's own pooled features.
The transformer net has no such side branch, so each layer computes them from its own input's channel means
(a linear map per layer, started at ``gamma = 1``, ``beta = 0``): adaptive to the image, as in the paper, with no
style input, so it serves the one-model-per-style protocol IN and BN are compared in.
"""

import torch
import torch.nn.functional as F
from torch import nn

from normbench.markers import hookimpl
from normbench.registry import NormSpec

#: The authors' starting value of rho in the residual blocks' AdaLIN (their up-sampling LIN starts at 0).
RHO_START = 0.9


def layer_instance_mix(x: torch.Tensor, rho: torch.Tensor, eps: float) -> torch.Tensor:
    """``rho * a_I + (1 - rho) * a_L`` (the paper's normalized mix, before gamma and beta); ``rho`` is ``(C,)``."""
    instance = F.instance_norm(x, eps=eps)
    layer = F.layer_norm(x, x.shape[1:], eps=eps)
    gate = rho.clamp(0, 1).view(1, -1, 1, 1)
    return gate * instance + (1 - gate) * layer


class AdaptiveLayerInstanceNorm2d(nn.Module):
    """AdaLIN with ``gamma`` and ``beta`` predicted from the input's channel means, and a learned ``rho``."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.full((num_features,), RHO_START))
        self.affine = nn.Linear(num_features, 2 * num_features)
        nn.init.zeros_(self.affine.weight)
        with torch.no_grad():  # NOTE: gamma starts at 1 and beta at 0: the layer starts as the paper's LIN
            self.affine.bias.copy_(torch.cat([torch.ones(num_features), torch.zeros(num_features)]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.affine(x.mean(dim=(2, 3))).chunk(2, dim=1)
        mix = layer_instance_mix(x, self.rho, self.eps)
        return mix * gamma[:, :, None, None] + beta[:, :, None, None]


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="adalin",
            factory=AdaptiveLayerInstanceNorm2d,
            aliases=("adaptive_layer_instance_norm",),
            description="AdaLIN (U-GAT-IT): learned rho in [0, 1] between IN and LN, gamma and beta from the "
            "input's channel means",
            # NOTE: rho (1 per channel) plus a C -> 2C linear map: not a fixed count per channel
            params_per_channel=None,
        )
    )
