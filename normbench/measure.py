"""Measuring a trained generator: quality on held-out content and inference speed."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch
from torch import nn

from normbench import losses
from normbench.models.vgg import VGGFeatures

#: Timed repetitions are preceded by this many untimed ones (allocator, caches, cudnn autotune).
WARMUP_REPS = 2
CONTENT_LAYER = "relu2_2"


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn: Callable[[], object], reps: int, device: torch.device) -> float:
    """Median wall time of ``fn`` over ``reps`` (at least 5) timed calls after warm-up."""
    for _ in range(WARMUP_REPS):
        fn()
    synchronize(device)
    times = []
    for _ in range(max(5, reps)):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@torch.inference_mode()
def stylize(model: nn.Module, content: torch.Tensor, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
    """The model's outputs for ``content``, clamped to the displayable range [0, 1]."""
    model.eval()
    outputs = []
    for start in range(0, content.shape[0], batch_size):
        chunk = content[start:start + batch_size]
        chunk_cond = cond[: chunk.shape[0]] if cond is not None else None
        outputs.append(model(chunk, chunk_cond).clamp(0, 1))
    return torch.cat(outputs)


@torch.inference_mode()
def quality(eval_net: VGGFeatures, outputs: torch.Tensor, content: torch.Tensor, style: torch.Tensor) -> dict:
    """Content loss (relu2_2) and Gram style loss (four layers) of ``outputs``, without weights.

    Every norm is measured with this same network, whatever loss it trained with.
    """
    out_features = eval_net(outputs)
    content_features = eval_net(content, upto=CONTENT_LAYER)
    style_grams = {k: losses.gram_matrix(f) for k, f in eval_net(style[None]).items()}
    return {
        "content_loss": float(losses.content_loss(out_features, content_features, CONTENT_LAYER)),
        "style_loss": float(losses.gram_style_loss(out_features, style_grams)),
    }


@torch.inference_mode()
def inference_speed(model: nn.Module, content: torch.Tensor, cond: torch.Tensor | None, reps: int) -> dict:
    """Throughput at ``content``'s batch size and batch-1 latency, as medians of timed runs."""
    model.eval()
    device = content.device
    batch = content.shape[0]
    batch_seconds = median_seconds(lambda: model(content, cond), reps, device)
    single_cond = cond[:1] if cond is not None else None
    single_seconds = median_seconds(lambda: model(content[:1], single_cond), reps, device)
    return {
        "infer_img_per_s": batch / batch_seconds,
        "infer_batch": batch,
        "latency_ms_p50": single_seconds * 1000.0,
    }
