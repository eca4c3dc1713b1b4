"""``adain``: adaptive instance normalization (Huang & Belongie 2017), affine taken from style features."""

import torch
from torch import nn

from normbench.markers import hookimpl
from normbench.ops import channel_mean_std
from normbench.registry import Conditioning, NormSpec


class AdaptiveInstanceNorm2d(nn.Module):
    """Normalize content features, then give them the style features' channel mean and std.

    No learned parameters: the affine transform comes from the style input.
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        content_mean, content_std = channel_mean_std(x, self.eps)
        style_mean, style_std = channel_mean_std(style, self.eps)
        return (x - content_mean) / content_std * style_std + style_mean


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="adain",
            factory=AdaptiveInstanceNorm2d,
            conditioning=Conditioning.STYLE_FEAT,
            architecture="adain",
            aliases=("adaptive_instance_norm",),
            description="AdaIN: content features take the style features' channel mean and std",
            params_per_channel=0,
        )
    )
