"""Feature statistics shared by norm layers, losses and metrics: Gram matrices and channel mean / std.

They live below all of them so that no loss, metric or architecture imports from a norm plugin.
"""

from __future__ import annotations

import torch

#: Added to denominators of scale-free errors (losses and metrics alike), so an all-zero target is not a 0/0.
EPS = 1e-8


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W) -> (N, C, C)``: Phi(F) Phi(F)^T / (C * H * W), in float32 (float64 stays float64).

    NOTE: float32 even under bf16/fp16 autocast: a Gram matrix sums H * W products, too many for an 8-bit mantissa.
    """
    n, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        flat = features.to(torch.promote_types(features.dtype, torch.float32)).reshape(n, c, h * w)
        return flat @ flat.transpose(1, 2) / (c * h * w)


def channel_mean_std(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample, per-channel mean and std over H x W, shaped ``(N, C, 1, 1)``."""
    var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
    return mean, (var + eps).sqrt()
