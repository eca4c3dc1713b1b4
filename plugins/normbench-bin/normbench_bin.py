"""Batch-Instance Normalization (Nam & Kim 2018): a learned per-channel mix of BN and IN."""

import torch
import torch.nn.functional as F
from torch import nn

from normbench import NormSpec, hookimpl


class BatchInstanceNorm2d(nn.Module):
    """``y = (rho * BN(x) + (1 - rho) * IN(x)) * gamma + beta`` with ``rho`` kept in [0, 1]."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.batch_norm = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.eps = eps
        self.rho = nn.Parameter(torch.full((num_features,), 0.5))
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rho = self.rho.clamp(0, 1)[None, :, None, None]
        mixed = rho * self.batch_norm(x) + (1 - rho) * F.instance_norm(x, eps=self.eps)
        return mixed * self.weight[None, :, None, None] + self.bias[None, :, None, None]


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="bin",
            factory=BatchInstanceNorm2d,
            aliases=("batch_instance_norm",),
            description="Batch-Instance Norm: learned per-channel mix of BN and IN",
            params_per_channel=3,
        )
    )
