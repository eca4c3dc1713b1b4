"""``thumbnail_in``: Thumbnail Instance Normalization (Chen, Wang, Xie, Lu, Luo, "Towards Ultra-Resolution Neural
Style Transfer via Thumbnail Instance Normalization", AAAI 2022, arXiv:2103.11784).

The paper's TIN (Sec. 3, "Thumbnail Instance Normalization") is instance normalization whose mean and standard
deviation come from the thumbnail, a downsampled copy of the whole image, instead of the patch being normalized::

    TIN(x_p, t) = gamma * (x_p - mu(t)) / sigma(t) + beta

with ``mu, sigma`` per channel over H x W of the thumbnail's features ``t`` at the same layer. On a whole image
outside a thumbnail block (training, and every quality metric), TIN is IN, so the two differ only where an image is
stylized in patches (:mod:`normbench.thumbnail`).
"""

import torch
from torch import nn

from normbench.markers import hookimpl
from normbench.ops import channel_mean_std
from normbench.registry import NormSpec
from normbench.thumbnail import thumbnail_or_own


class ThumbnailInstanceNorm2d(nn.Module):
    """IN with affine ``gamma, beta`` per channel; the mean and variance come from the active thumbnail, if any."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, std = thumbnail_or_own(lambda: channel_mean_std(x, self.eps))
        normalized = (x - mean) / std
        return normalized * self.weight[:, None, None] + self.bias[:, None, None]


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="thumbnail_in",
            factory=ThumbnailInstanceNorm2d,
            aliases=("tin", "thumbnail_instance_norm"),
            description="Thumbnail InstanceNorm (URST): IN whose statistics come from a downsampled copy of the "
            "whole image when it is stylized in patches",
            params_per_channel=2,
        )
    )
