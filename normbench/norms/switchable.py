"""``switchable``: Switchable Normalization (Luo, Ren, Peng, Zhang, Li, "Differentiable Learning-to-Normalize via
Switchable Normalization", ICLR 2019, arXiv:1806.10779).

Sec. 3 of the paper: the mean and the variance are each a softmax-weighted sum of the instance, layer and batch
statistics, with their own importance weights::

    h_hat = gamma * (h - sum_k w_k mu_k) / sqrt(sum_k w'_k sigma_k^2 + eps) + beta,   k in {in, ln, bn}
    w_k = softmax(lambda)_k,   w'_k = softmax(lambda')_k

The layer and batch statistics are computed from the instance ones, as the paper does to share work:
``mu_ln = mean_c mu_in``, ``sigma_ln^2 = mean_c (sigma_in^2 + mu_in^2) - mu_ln^2``, and the same over the batch
for BN. In eval mode the BN pair is its running average (the paper's moving average), like ``bn``.
Six control parameters per layer (one lambda per statistic and kind), started equal, and ``gamma, beta`` per
channel.
"""

from __future__ import annotations

import torch
from torch import nn

from normbench.markers import hookimpl
from normbench.registry import NormSpec

#: The statistics SN switches between, in the order of its weights.
KINDS = ("in", "ln", "bn")


def statistics(x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Mean and variance of each kind, each broadcastable to ``x``: IN ``(N, C)``, LN ``(N, 1)``, BN ``(1, C)``."""
    var_in, mean_in = torch.var_mean(x, dim=(2, 3), correction=0)
    second_in = var_in + mean_in**2
    mean_ln, mean_bn = mean_in.mean(dim=1, keepdim=True), mean_in.mean(dim=0, keepdim=True)
    return {
        "in": (mean_in, var_in),
        "ln": (mean_ln, second_in.mean(dim=1, keepdim=True) - mean_ln**2),
        "bn": (mean_bn, second_in.mean(dim=0, keepdim=True) - mean_bn**2),
    }


class SwitchableNorm2d(nn.Module):
    """SN with BN running statistics for eval; ``mean_weight`` and ``var_weight`` are the paper's lambda, lambda'."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.mean_weight = nn.Parameter(torch.ones(len(KINDS)))
        self.var_weight = nn.Parameter(torch.ones(len(KINDS)))
        self.register_buffer("running_mean", torch.zeros(1, num_features))
        self.register_buffer("running_var", torch.ones(1, num_features))

    def batch_statistics(self, stats: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """The BN pair: this batch's while training (updating the running average), the running one in eval."""
        if not self.training:
            return self.running_mean, self.running_var
        mean, var = stats["bn"]
        with torch.no_grad():
            self.running_mean.lerp_(mean.detach(), self.momentum)
            self.running_var.lerp_(var.detach(), self.momentum)
        return mean, var

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stats = statistics(x)
        stats["bn"] = self.batch_statistics(stats)
        mean_w, var_w = self.mean_weight.softmax(0), self.var_weight.softmax(0)
        mean = sum(w * stats[kind][0] for w, kind in zip(mean_w, KINDS))
        var = sum(w * stats[kind][1] for w, kind in zip(var_w, KINDS))
        normalized = (x - mean[:, :, None, None]) / (var[:, :, None, None] + self.eps).sqrt()
        return normalized * self.weight[:, None, None] + self.bias[:, None, None]


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="switchable",
            factory=SwitchableNorm2d,
            aliases=("switchable_norm", "sn"),
            description="Switchable Norm: learned softmax weights over IN, LN and BN means and variances",
            # NOTE: gamma and beta per channel plus six switch weights per layer: not a fixed count per channel
            params_per_channel=None,
        )
    )
