"""Reference baselines: what doing nothing, or next to nothing, scores on every metric.

They need no training and are measured by the same code as every norm, so a
metric on which one of them beats every trained model is visibly not measuring
stylization. ``identity`` returns the content (it wins content distance by
definition); ``color_transfer`` gives the content the style's colour statistics
(Reinhard et al. 2001); ``style_image`` returns the style image itself, tiled at
its training scale (it wins style distance by definition: the floor of every
style metric).
"""

from __future__ import annotations

import torch

from normbench.markers import hookimpl
from normbench.registry import BaselineSpec

# NOTE: Reinhard et al. 2001, "Color Transfer between Images": RGB -> LMS cone space, log10, then
# the decorrelated l-alpha-beta axes of Ruderman et al.; statistics are matched per axis there.
_RGB_TO_LMS = torch.tensor([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
# NOTE: the exact inverse, not the paper's rounded one, so an image round-trips unchanged.
_LMS_TO_RGB = torch.linalg.inv(_RGB_TO_LMS)
_LOG_TO_LAB = torch.diag(torch.tensor([3**-0.5, 6**-0.5, 2**-0.5])) @ torch.tensor(
    [[1.0, 1.0, 1.0], [1.0, 1.0, -2.0], [1.0, -1.0, 0.0]]
)
_LMS_FLOOR = 1e-4  # log10 of black; keeps log finite


def _mix(matrix: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Apply a 3x3 colour matrix to ``(N, 3, H, W)`` images."""
    return torch.einsum("ij,njhw->nihw", matrix.to(images), images)


def rgb_to_lab(images: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] to Reinhard's l-alpha-beta space."""
    return _mix(_LOG_TO_LAB, torch.log10(_mix(_RGB_TO_LMS, images).clamp_min(_LMS_FLOOR)))


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    return _mix(_LMS_TO_RGB, 10 ** _mix(torch.linalg.inv(_LOG_TO_LAB), lab))


def color_transfer(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Each content image with the style's per-axis mean and std in l-alpha-beta, clipped to [0, 1]."""
    source, target = rgb_to_lab(content.float()), rgb_to_lab(style.float())
    source_std, source_mean = torch.std_mean(source, dim=(2, 3), keepdim=True)
    target_std, target_mean = torch.std_mean(target, dim=(2, 3), keepdim=True)
    matched = (source - source_mean) / source_std.clamp_min(1e-6) * target_std + target_mean
    return lab_to_rgb(matched).clamp(0, 1)


def identity(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """The content, unchanged."""
    return content.clone()


def style_image(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """The style image at its training scale, tiled to the output size, for every content image."""
    height, width = content.shape[-2:]
    rows, cols = -(-height // style.shape[-2]), -(-width // style.shape[-1])
    tiled = style.repeat(1, 1, rows, cols)[..., :height, :width]
    return tiled.expand(content.shape[0], -1, -1, -1).contiguous()


@hookimpl
def normbench_register_baselines(registry):
    registry.add(
        BaselineSpec("identity", identity, "the content unchanged: no stylization", wins_by_construction=("content",))
    )
    registry.add(
        BaselineSpec(
            "color_transfer",
            color_transfer,
            "the content with the style's colour mean and std (Reinhard et al. 2001)",
            aliases=("reinhard",),
            curve=True,
        )
    )
    registry.add(
        BaselineSpec(
            "style_image",
            style_image,
            "the style image itself at its training scale, tiled: no content",
            wins_by_construction=("style",),
        )
    )
