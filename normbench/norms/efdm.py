"""``efdm``: Exact Feature Distribution Matching (Zhang, Li, Zhao, Zhang, CVPR 2022, arXiv:2203.07740).

Where AdaIN matches each channel's mean and standard deviation, EFDM matches the whole empirical distribution of
the channel's values to the style's: the paper's Sort-Matching (its Sec. 3, "Exact histogram matching") gives the
content value of rank ``k`` the style's value of rank ``k``, and its EFDM layer adds the change as a constant so
the gradient reaching the content features is the identity (the official code's
``x + (matched - x.detach())``).

The paper sorts content and style features of one shape. Here style features are computed once per style at the
style's own size, so the style's sorted values are resampled to the content's count by linear interpolation of
their quantile function first; with equal counts that resampling is the identity and the layer is the paper's.
"""

import torch
import torch.nn.functional as F
from torch import nn

from normbench.markers import hookimpl
from normbench.registry import Conditioning, NormSpec


def sorted_values(features: torch.Tensor, count: int) -> torch.Tensor:
    """``(N, C, H, W)`` -> ``(N, C, count)``: each channel's values in ascending order, resampled to ``count``
    values by linear interpolation of the quantile function (exact when ``count == H * W``)."""
    flat = features.flatten(2).sort(dim=-1).values
    if flat.shape[-1] == count:
        return flat
    # NOTE: align_corners keeps the minimum and the maximum: the matched range is the style's own
    return F.interpolate(flat, size=count, mode="linear", align_corners=True)


def exact_feature_distribution_matching(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Content features whose values in each channel are the style's, in the content's rank order.

    :param content: ``(N, C, H, W)``.
    :param style: ``(N, C, h, w)``; any spatial size.
    :return: ``(N, C, H, W)``; per sample and channel, the sorted output equals the sorted style values (resampled
        to ``H * W``) and the output ranks equal the content's. The gradient to ``content`` is the identity.
    """
    n, c, h, w = content.shape
    flat = content.flatten(2)
    ranks = flat.argsort(dim=-1).argsort(dim=-1)  # rank of each content value within its channel
    matched = sorted_values(style, h * w).to(flat.dtype).gather(-1, ranks)
    return (flat + (matched - flat.detach())).view(n, c, h, w)


class ExactFeatureDistributionMatching(nn.Module):
    """The EFDM layer at a ``style_feat`` slot: no learned parameters, the distribution comes from the style."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return exact_feature_distribution_matching(x, style)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="efdm",
            factory=ExactFeatureDistributionMatching,
            conditioning=Conditioning.STYLE_FEAT,
            architecture="adain",
            aliases=("exact_feature_distribution_matching",),
            description="EFDM: each content channel takes the style channel's sorted values, in the content's "
            "rank order",
            params_per_channel=0,
        )
    )
