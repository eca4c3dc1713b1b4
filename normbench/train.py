"""Training one generator: a plain Adam loop that syncs with the host only at log intervals."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from normbench.data import BatchSampler
from normbench.harness import StyleBank


@dataclass
class TrainOutcome:
    """What training one model produced."""

    status: str  # "ok" or "diverged"
    steps: int
    images: int
    seconds: float
    log: list[dict] = field(default_factory=list)

    @property
    def img_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else float("nan")


class LossLog:
    """Loss terms summed on the device between log steps, read back only when flushed."""

    def __init__(self):
        self.rows: list[dict] = []
        self._sums: dict[str, torch.Tensor] = {}
        self._count = 0

    def add(self, terms: dict[str, torch.Tensor]) -> None:
        for name, value in terms.items():
            self._sums[name] = self._sums.get(name, 0.0) + value.detach()
        self._count += 1

    def flush(self, step: int) -> dict:
        # NOTE: the only host sync of the training loop, once per log interval.
        means = {name: float(total) / self._count for name, total in self._sums.items()}
        self.rows.append({"step": step, **means})
        self._sums, self._count = {}, 0
        return means


def style_schedule(style_indices: list[int], batch_size: int, steps: int, device) -> torch.Tensor:
    """``(steps, batch)`` style index per sample, cycling through the model's styles.

    A single-style model sees its one style; a multi-style model sees each of
    its styles equally often, the same way in every run.
    """
    order = torch.arange(steps * batch_size) % len(style_indices)
    return torch.tensor(style_indices, device=device)[order.to(device)].view(steps, batch_size)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_model(model: nn.Module, criterion: Callable, conditioning: str, bank: StyleBank,
                sampler: BatchSampler, style_indices: list[int], steps: int, lr: float,
                log_every: int, on_step: Callable[[int, dict | None], None]) -> TrainOutcome:
    """Train ``model`` for ``steps`` Adam steps; stop early, marked ``diverged``, on a non-finite loss.

    ``on_step(step, logged)`` is called every step; ``logged`` holds the mean
    loss terms since the last log line at log steps and is ``None`` otherwise.
    """
    device = next(model.parameters()).device
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, foreach=True)
    schedule = style_schedule(style_indices, sampler.batch_size, steps, device)
    model.train()
    log = LossLog()
    _sync(device)
    start = time.perf_counter()
    for step, content in enumerate(sampler.batches(steps), start=1):
        style_ids = schedule[step - 1]
        content = content.to(device, non_blocking=True)
        terms = criterion(model, content, style_ids, bank.conditioning(conditioning, style_ids))
        optimizer.zero_grad(set_to_none=True)
        terms["total"].backward()
        optimizer.step()
        log.add(terms)
        logged = log.flush(step) if step % log_every == 0 or step == steps else None
        on_step(step, logged)
        if logged is not None and not math.isfinite(logged["total"]):
            return TrainOutcome("diverged", step, step * sampler.batch_size, time.perf_counter() - start, log.rows)
    _sync(device)
    return TrainOutcome("ok", steps, steps * sampler.batch_size, time.perf_counter() - start, log.rows)
