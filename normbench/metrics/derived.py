"""Scores computed from other metrics' columns: ArtFID from LPIPS and FID."""

from __future__ import annotations

import math

from normbench.columns import Column
from normbench.metrics import functional
from normbench.metrics.base import DerivedMetric, MetricContext

#: Wright & Ommer compute FID on 2048-d features of thousands of whole images.
ARTFID_MIN_SAMPLES = 2048


class ArtFID(DerivedMetric):
    """ArtFID = (1 + LPIPS)(1 + FID) (Wright & Ommer 2022), with a note wherever its definition does not hold.

    The definition compares sets of whole stylized images with sets of style
    images through a pretrained Inception; a row here has one style image, so
    FID is on patches, and the note says so. Reports never make it the default.
    """

    feature_networks = ("inception_fid",)  # NOTE: its note says whether FID's Inception was trained

    columns = (
        Column(
            "artfid",
            False,
            "ArtFID",
            "composite",
            "(1 + LPIPS) (1 + FID)",
            min_samples=ARTFID_MIN_SAMPLES,
            samples_column="fid_n",
        ),
        Column("artfid_note", None, "ArtFID note", "info", "why this is not ArtFID as defined, where it is not"),
    )
    requires = ("lpips", "fid")

    def __init__(self, context: MetricContext):
        self.context = context

    def derive(self, values: dict) -> dict:
        lpips, fid = values.get("lpips", math.nan), values.get("fid", math.nan)
        if not (math.isfinite(lpips) and math.isfinite(fid)):
            return {"artfid": math.nan, "artfid_note": "needs both LPIPS and FID"}
        return {"artfid": functional.artfid(lpips, fid), "artfid_note": "; ".join(self.departures(values))}

    def departures(self, values: dict) -> list[str]:
        """How this row's ArtFID departs from Wright & Ommer's definition (empty where it holds)."""
        reasons = []
        if self.context.features_of("inception_fid") != "pretrained":
            reasons.append("random Inception features")
        reasons.append("FID on patches of one style image, not on sets of whole style images")
        n, dims = values.get("fid_n", 0), values.get("fid_dims", 0)
        if n < ARTFID_MIN_SAMPLES or dims < 2048:
            reasons.append(f"{int(n)} samples, {int(dims)}-d features (defined on >= {ARTFID_MIN_SAMPLES}, 2048-d)")
        return reasons

    def provenance(self) -> dict:
        return {
            "implementation": "normbench.metrics.derived",
            "formula": "(1 + lpips) * (1 + fid)",
            "requires": list(self.requires),
            "reference": "Wright & Ommer 2022, ArtFID",
        }
