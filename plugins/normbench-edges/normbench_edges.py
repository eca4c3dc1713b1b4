"""Edge agreement: how much of the photograph's structure a stylized image keeps, as a normbench metric plugin.

Per image, the Pearson correlation between the Sobel gradient magnitudes of the stylized output and of the
content photo (on luminance): 1 when every edge is where it was with the same relative strength, about 0 when
the edges have nothing to do with the photo's. A functional core (``edge_agreement``) under a thin
update/compute/reset class, registered through the public hook.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from normbench import Metric, MetricSpec, StylizedSample, hookimpl

__version__ = "0.1.0"

#: Rec. 601 luma weights: edges of brightness, which survive a change of palette.
LUMA = (0.299, 0.587, 0.114)
EPS = 1e-12


def gradient_magnitude(images: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` RGB in [0, 1] -> ``(N, H-2, W-2)`` Sobel gradient magnitude of the luminance."""
    luma = torch.tensordot(images.float(), images.new_tensor(LUMA, dtype=torch.float32), dims=([1], [0]))
    sobel = luma.new_tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernels = torch.stack([sobel, sobel.T])[:, None]
    gradients = F.conv2d(luma[:, None], kernels)
    return gradients.pow(2).sum(1).sqrt()


def edge_agreement(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Per image ``(N,)``: Pearson correlation of the two images' gradient magnitudes; 0 where either image has
    no edges at all (a flat image keeps no structure)."""
    a = gradient_magnitude(stylized).flatten(1)
    b = gradient_magnitude(content).flatten(1)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    norms = a.norm(dim=1) * b.norm(dim=1)
    return torch.where(norms > EPS, (a * b).sum(1) / norms.clamp_min(EPS), torch.zeros_like(norms))


class EdgeAgreement(Metric):
    """Mean edge agreement over a row's evaluation images."""

    name = "edge_agreement"
    higher_is_better = True
    axis = "content"
    label = "edges"
    description = "correlation of Sobel gradient magnitudes, stylized vs content (1 = every edge kept)"

    def __init__(self, context=None):
        self.reset()

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, sample: StylizedSample) -> None:
        values = edge_agreement(sample.stylized, sample.content)
        self.total += float(values.sum())
        self.count += values.numel()

    def compute(self) -> dict[str, float]:
        return {self.name: self.total / self.count if self.count else float("nan")}

    def provenance(self) -> dict:
        return {
            "implementation": f"normbench-edges {__version__}: Sobel on Rec. 601 luma, Pearson per image",
            "network": None,
        }


@hookimpl
def normbench_register_metrics(registry):
    registry.add(MetricSpec(name="edges", factory=EdgeAgreement, description=EdgeAgreement.description))
