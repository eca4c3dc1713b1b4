"""``wct``: the whitening and colouring transform (Li, Fang, Yang, Wang, Lu, Yang, "Universal Style Transfer via
Feature Transforms", NeurIPS 2017, arXiv:1705.08086), at the AdaIN slot.

Sec. 3.1 of the paper: centre the content features ``f_c`` (``C x HW``), whiten them with the eigendecomposition of
their covariance, ``f_w = E_c D_c^(-1/2) E_c^T f_c``, so their covariance is the identity; colour them with the
style's, ``f_cs = E_s D_s^(1/2) E_s^T f_w``, and add the style mean. The output's covariance is the style's.

Numerics, which decide whether this runs at all:

* The covariances and their eigendecompositions are computed in float64 (float32 ``eigh`` of a 512 x 512
  covariance loses the small eigenvalues the whitening divides by).
* A covariance of ``HW`` pixels has rank at most ``HW - 1``: at relu4_1 of a 64-pixel training crop, 64 pixels for
  512 channels. Like the authors' code, eigenvalues below a small fraction of the largest are dropped, so the
  whitening acts on the covariance's range and a singular covariance gives finite output, never NaN.
* Features that are not finite, or an eigendecomposition that does not converge, raise
  :class:`CovarianceError` naming the layer's input, instead of spreading NaN through the decoder.
* The two transform matrices are statistics, like a norm's mean and std, but the gradient of an
  eigendecomposition is undefined where eigenvalues repeat (a flat channel, two equal channels); they are
  held constant in the backward pass. The mean stays differentiable. At the AdaIN slot the encoder is frozen, so
  nothing upstream learns from them.
"""

from __future__ import annotations

import torch
from torch import nn

from normbench.markers import hookimpl
from normbench.registry import Conditioning, NormSpec

#: Eigenvalues at or below this fraction of a covariance's largest are treated as zero (the authors' code drops
#: those below an absolute 1e-5; relative, it does not depend on the features' scale).
RANK_TOLERANCE = 1e-5


class CovarianceError(ValueError):
    """A covariance with no whitening or colouring transform: features that are not finite, or an
    eigendecomposition that did not converge."""


def centred(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(N, C, H, W)`` -> the float64 ``(N, C, HW)`` features less their channel means, and those means."""
    flat = features.flatten(2).to(torch.float64)
    mean = flat.mean(dim=-1, keepdim=True)
    return flat - mean, mean


def covariance_power(flat: torch.Tensor, power: float, what: str, tolerance: float = RANK_TOLERANCE) -> torch.Tensor:
    """``E D^power E^T`` of the covariance of centred ``(N, C, P)`` features, on the covariance's range.

    :param power: ``-0.5`` whitens, ``0.5`` colours.
    :param what: names the features in a :class:`CovarianceError`.
    :raises CovarianceError: for features that are not finite or an eigendecomposition that fails.
    """
    if not torch.isfinite(flat).all():
        raise CovarianceError(f"wct: the {what} features are not finite; no covariance to whiten or colour with")
    pixels = flat.shape[-1]
    covariance = flat @ flat.transpose(1, 2) / max(pixels - 1, 1)
    try:
        values, vectors = torch.linalg.eigh(covariance)
    except torch.linalg.LinAlgError as error:
        raise CovarianceError(f"wct: the eigendecomposition of the {what} covariance failed: {error}") from None
    largest = values.amax(dim=-1, keepdim=True)
    kept = values > tolerance * largest.clamp_min(torch.finfo(values.dtype).tiny)
    scaled = torch.where(kept, values.clamp_min(torch.finfo(values.dtype).tiny).pow(power), 0.0)
    return (vectors * scaled.unsqueeze(-2)) @ vectors.transpose(1, 2)


def whiten_colour(content: torch.Tensor, style: torch.Tensor, tolerance: float = RANK_TOLERANCE) -> torch.Tensor:
    """The content features with the style's channel means and covariance (paper Sec. 3.1).

    :param content: ``(N, C, H, W)``.
    :param style: ``(N, C, h, w)``; any spatial size.
    :raises CovarianceError: see :func:`covariance_power`.
    """
    n, c, h, w = content.shape
    with torch.no_grad():
        content_centred, _ = centred(content)
        style_centred, style_mean = centred(style)
        transform = covariance_power(style_centred, 0.5, "style", tolerance) @ covariance_power(
            content_centred, -0.5, "content", tolerance
        )
    flat = content.flatten(2)
    coloured = transform.to(flat.dtype) @ (flat - flat.mean(dim=-1, keepdim=True))
    return (coloured + style_mean.to(flat.dtype)).view(n, c, h, w)


class WhiteningColouringTransform(nn.Module):
    """WCT at a ``style_feat`` slot: no learned parameters; mean and covariance come from the style features."""

    def __init__(self, num_features: int, tolerance: float = RANK_TOLERANCE):
        super().__init__()
        self.num_features = num_features
        self.tolerance = tolerance

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return whiten_colour(x, style, self.tolerance)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="wct",
            factory=WhiteningColouringTransform,
            conditioning=Conditioning.STYLE_FEAT,
            architecture="adain",
            aliases=("whitening_colouring", "whitening_coloring"),
            description="WCT: content features whitened, then given the style features' mean and covariance "
            "(float64 eigendecomposition)",
            params_per_channel=0,
        )
    )
