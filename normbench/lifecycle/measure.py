"""Running a trained generator on held-out content, and timing its inference."""

from __future__ import annotations

import math
import os

import torch
from torch import nn

from normbench.runtime.switches import PLAIN, SpeedSettings, inference_call, speed_phase
from normbench.runtime.timing import time_calls


@torch.inference_mode()
def stylize(model: nn.Module, content: torch.Tensor, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
    """The model's outputs for ``content``, clamped to the displayable range [0, 1]."""
    model.eval()
    outputs = []
    for start in range(0, content.shape[0], batch_size):
        chunk = content[start : start + batch_size]
        chunk_cond = cond[: chunk.shape[0]] if cond is not None else None
        outputs.append(model(chunk, chunk_cond).clamp(0, 1))
    return torch.cat(outputs)


def inference_speed(
    model: nn.Module, content: torch.Tensor, cond: torch.Tensor | None, reps: int, settings: SpeedSettings = PLAIN
) -> dict:
    """Throughput at ``content``'s batch size and batch-1 latency under ``settings``, as timed medians.

    Compilation and autotuning fall in the untimed warm-up calls.
    """
    model.eval()
    device, batch = content.device, content.shape[0]
    call = inference_call(model, settings, device)
    load_before = load_average()
    batch_timing = time_calls(lambda: call(content, cond), reps, device)
    single_cond = cond[:1] if cond is not None else None
    single_timing = time_calls(lambda: call(content[:1], single_cond), reps, device)
    return {
        "infer_img_per_s": batch / batch_timing.median_s,
        "infer_img_per_s_q1": batch / batch_timing.q3_s,
        "infer_img_per_s_q3": batch / batch_timing.q1_s,
        "infer_batch": batch,
        "latency_ms_p50": single_timing.median_s * 1000.0,
        # NOTE: the larger of the samples either side of the timer: the 1-minute average lags, so a competitor
        # that started during the timing shows in the later one, one that just stopped in the earlier
        "timing_load": max(load_before, load_average()),
        "timing_cpus": os.cpu_count() or math.nan,
    }


def load_average() -> float:
    """The machine's 1-minute load average (runnable threads, this process's included); NaN where the system does
    not say (Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return math.nan


def inference_speeds(
    model: nn.Module,
    batch: torch.Tensor,
    cond: torch.Tensor | None,
    reps: int,
    settings: SpeedSettings,
    deterministic: bool = False,
) -> dict:
    """Inference speed under ``settings`` and, in the same process, the plain baseline, with their ratio."""
    with speed_phase(PLAIN):
        plain = inference_speed(model, batch, cond, reps, PLAIN)
    if settings == PLAIN:
        return {**plain, "infer_plain_img_per_s": plain["infer_img_per_s"], "infer_speedup": 1.0}
    with speed_phase(settings, deterministic):
        fast = inference_speed(model, batch, cond, reps, settings)
    return {
        **fast,
        "infer_plain_img_per_s": plain["infer_img_per_s"],
        "infer_speedup": fast["infer_img_per_s"] / plain["infer_img_per_s"],
    }
