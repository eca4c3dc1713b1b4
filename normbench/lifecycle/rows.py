"""A result row's identity and provenance: which norm, style and seed, how it trained, on what, and with which
settings; the metrics' columns join it once measured (:mod:`normbench.lifecycle.prepared`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from normbench.catalog import Placement
from normbench.training import harness
from normbench.training.train import TrainOutcome
from normbench.weights.sources import network_column

if TYPE_CHECKING:
    from normbench.lifecycle.plan import RunPlan


def result_row(
    plan: RunPlan,
    name: str,
    kind: str,
    style_index: int,
    seed: int | None,
    status: str = "",
    outcome: TrainOutcome | None = None,
    spec: Placement | None = None,
    model=None,
    error: str = "",
    style_weight: float | None = None,
    alpha: float = 1.0,
) -> dict:
    """The identity and provenance of one row of ``plan``; ``seed`` is None for a baseline, which does not train.
    In a style-weight sweep a row also says where on its curve it lies: the model's ``style_weight`` factor (NaN for
    a baseline) and ``alpha``, a baseline's blend with the content (1: its output alone). The metrics' values join it
    once measured."""
    style, split = plan.style_at(style_index)
    config, profile = plan.config, plan.profile
    params, frozen = harness.count_parameters(model) if model is not None else (math.nan, math.nan)
    peak = torch.cuda.max_memory_allocated(plan.device) / 2**20 if plan.device.type == "cuda" else math.nan
    trained = outcome is not None
    # NOTE: only a sweep has the curve columns, so a run without one writes the results.csv it always did
    curve = (
        {"style_weight": math.nan if style_weight is None else style_weight, "alpha": alpha}
        if profile.style_weights
        else {}
    )
    return {
        "norm": name,
        "kind": kind,
        "style": style,
        "style_split": split,
        "seed": math.nan if seed is None else seed,
        **curve,
        "status": outcome.status if trained else status,
        "params": params,
        "params_frozen": frozen,
        "features": config.features,
        "networks": network_column(config.networks),
        "precision": profile.precision,
        "architecture": spec.architecture if spec else "",
        "conditioning": spec.conditioning if spec else "",
        "train_img_per_s": outcome.img_per_s if trained else math.nan,
        "train_steps": outcome.steps if trained else math.nan,
        "train_seconds": round(outcome.seconds, 3) if trained else math.nan,
        "image_size": profile.image_size,
        "eval_size": profile.eval_size,
        "batch_size": profile.batch_size,
        "peak_mem_mb": peak if trained else math.nan,
        "device": config.device,
        "speed": config.speed.label if trained else "",
        "optimizer": outcome.optimizer if trained else "",
        "error": error,
    }
