"""``cin``: conditional instance normalization (Dumoulin et al. 2017), one (gamma, beta) per style."""

import torch
import torch.nn.functional as F
from torch import nn

from normbench.markers import hookimpl
from normbench.registry import Conditioning, NormSpec


class ConditionalInstanceNorm2d(nn.Module):
    """Instance norm whose affine pair is selected per sample by a style index.

    Adding a style adds exactly ``2 * num_features`` parameters.
    """

    def __init__(self, num_features: int, num_styles: int, eps: float = 1e-5):
        super().__init__()
        if num_styles < 1:
            raise ValueError(f"num_styles must be at least 1, got {num_styles}")
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_styles, num_features))
        self.bias = nn.Parameter(torch.zeros(num_styles, num_features))

    def forward(self, x: torch.Tensor, style_id: torch.Tensor) -> torch.Tensor:
        normalized = F.instance_norm(x, eps=self.eps)
        gamma = self.weight[style_id][:, :, None, None]
        beta = self.bias[style_id][:, :, None, None]
        return normalized * gamma + beta


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="cin",
            factory=ConditionalInstanceNorm2d,
            conditioning=Conditioning.STYLE_ID,
            aliases=("conditional_instance_norm",),
            description="Conditional InstanceNorm: one learned (gamma, beta) per style",
            params_per_channel=2,
        )
    )
