"""What a layer's statistics make a generator depend on: the input's contrast, and the rest of the batch.

These describe behaviour, not stylization quality (their axis is ``invariance``).
Ulyanov et al. argue that instance normalization helps because the output should
not depend on the content's contrast; batch normalization's output depends on
the other images of its batch while training. Each is measured with the
model's test-time statistics and with per-image or batch statistics as the
control, so a column tells what a layer does rather than how it was built.
"""

from __future__ import annotations

import torch

from normbench.columns import Column
from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.metrics.perceptual import LPIPSMean, lpips_distance

#: Contrast factors of the sensitivity test (Ulyanov et al.: stylization should not depend on contrast).
CONTRAST_FACTORS = (0.5, 1.5)
#: Evaluation images the contrast test uses (each is stylized alone for the per-image control).
CONTRAST_IMAGES = 8


def scale_contrast(images: torch.Tensor, factor: float) -> torch.Tensor:
    """Scale each image's contrast about its own per-channel mean, kept in [0, 1]."""
    mean = images.mean(dim=(2, 3), keepdim=True)
    return (mean + factor * (images - mean)).clamp(0, 1)


def one_at_a_time(stylize, images: torch.Tensor, statistics: str) -> torch.Tensor:
    """Each image stylized in a batch of its own."""
    return torch.cat([stylize(images[i : i + 1], statistics=statistics) for i in range(images.shape[0])])


class ContrastSensitivity(LPIPSMean):
    """LPIPS between G(x) and G(x') for x' = x at another contrast, with test-time and per-image statistics."""

    columns = (
        Column(
            "contrast_sensitivity",
            False,
            "contrast sensitivity",
            "invariance",
            "LPIPS between G(x) and G(x') with x' at 0.5x and 1.5x contrast, test-time statistics",
        ),
        Column(
            "contrast_sensitivity_per_image",
            False,
            "contrast sensitivity, per-image statistics",
            "invariance",
            "the same with each image normalized by its own statistics (training-mode layers, batch of one): "
            "the control",
        ),
    )

    def reset(self) -> None:
        super().reset()
        self._seen = 0

    def update(self, sample: StylizedSample) -> None:
        take = max(0, min(CONTRAST_IMAGES - self._seen, sample.content.shape[0]))
        if not take:
            return
        content, stylized = sample.content[:take], sample.stylized[:take]
        alone = one_at_a_time(sample.stylize, content, "batch")
        for factor in CONTRAST_FACTORS:
            changed = scale_contrast(content, factor)
            self._add("contrast_sensitivity", lpips_distance(self.model, stylized, sample.stylize(changed)))
            self._add(
                "contrast_sensitivity_per_image",
                lpips_distance(self.model, alone, one_at_a_time(sample.stylize, changed, "batch")),
            )
        self._seen += take

    def provenance(self) -> dict:
        return {**super().provenance(), "contrast_factors": list(CONTRAST_FACTORS), "images": CONTRAST_IMAGES}


class BatchDependence(Metric):
    """How much an image's output changes with the other images in its batch, in training and test mode.

    The mean absolute difference (RGB in [0, 1]) between an image stylized alone
    and the same image stylized in a batch of ``batch_size`` held-out images.
    """

    feature_networks = ()

    columns = (
        Column(
            "batch_dependence_train",
            False,
            "batch dependence (training statistics)",
            "invariance",
            "mean |G(x alone) - G(x in a batch)|, layers in training mode",
        ),
        Column(
            "batch_dependence_eval",
            False,
            "batch dependence (test-time statistics)",
            "invariance",
            "the same with the model in eval mode, as it is deployed",
        ),
    )

    def __init__(self, context: MetricContext):
        self.batch_size = max(2, context.batch_size)
        self.reset()

    def reset(self) -> None:
        self._values: dict[str, float] | None = None

    @torch.inference_mode()
    def update(self, sample: StylizedSample) -> None:
        if self._values is not None or sample.content.shape[0] < 2:
            return  # NOTE: one batch of the first chunk is enough; the measure is per image, not per set
        batch = sample.content[: self.batch_size]
        self._values = {}
        for column, statistics in (("batch_dependence_train", "batch"), ("batch_dependence_eval", "eval")):
            together = sample.stylize(batch, statistics=statistics)
            alone = one_at_a_time(sample.stylize, batch, statistics)
            self._values[column] = float((together - alone).abs().mean())

    def compute(self) -> dict[str, float]:
        return self._values or {column.name: float("nan") for column in self.columns}

    def provenance(self) -> dict:
        return {
            "implementation": "normbench.metrics.invariance",
            "network": "none (pixel difference)",
            "batch": f"the first {self.batch_size} evaluation images",
            "input_range": "[0, 1]",
        }
