"""Training one generator: an Adam loop that syncs with the host only at log intervals."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from normbench.data import CropBatches
from normbench.runtime.switches import PLAIN, SpeedSettings, autocast, make_optimizer, prepare_input, prepare_module
from normbench.runtime.timing import synchronize
from normbench.training.harness import StyleBank


@dataclass
class TrainOutcome:
    """What training one model produced."""

    status: str  # "ok" or "diverged"
    steps: int
    images: int
    seconds: float
    log: list[dict] = field(default_factory=list)
    optimizer: str = ""

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


class TrainStep:
    """One optimizer step of generator and loss network under ``settings``, with no host sync.

    ``model`` keeps its own parameters; the step runs a channels_last and/or
    compiled view of it as ``settings`` ask. Autocast covers the forward pass
    only; fp16 gets a gradient scaler, which the fused Adam applies on the device.
    """

    def __init__(
        self,
        model: nn.Module,
        criterion: Callable,
        conditioning: str,
        bank: StyleBank,
        lr: float,
        settings: SpeedSettings = PLAIN,
    ):
        self.device = next(model.parameters()).device
        self.settings, self.criterion, self.conditioning, self.bank = settings, criterion, conditioning, bank
        self.forward_model = prepare_module(model, settings)
        self.optimizer, self.optimizer_name = make_optimizer([p for p in model.parameters() if p.requires_grad], lr)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=settings.autocast == "fp16")
        model.train()

    def __call__(self, content: torch.Tensor, style_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        content = prepare_input(content.to(self.device, non_blocking=True), self.settings)
        with autocast(self.settings, self.device):
            terms = self.criterion(
                self.forward_model, content, style_ids, self.bank.conditioning(self.conditioning, style_ids)
            )
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(terms["total"]).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return terms


def train_model(
    model: nn.Module,
    criterion: Callable,
    conditioning: str,
    bank: StyleBank,
    crops: CropBatches,
    style_indices: list[int],
    steps: int,
    lr: float,
    log_every: int,
    on_step: Callable[[int, dict | None], None],
    settings: SpeedSettings = PLAIN,
) -> TrainOutcome:
    """Train ``model`` for ``steps`` Adam steps; stop early, marked ``diverged``, on a non-finite loss.

    ``on_step(step, logged)`` is called every step; ``logged`` holds the mean
    loss terms since the last log line at log steps and is ``None`` otherwise.
    """
    step_fn = TrainStep(model, criterion, conditioning, bank, lr, settings)
    schedule = style_schedule(style_indices, crops.batch_size, steps, step_fn.device)
    log = LossLog()
    synchronize(step_fn.device)
    start = time.perf_counter()
    batches = crops.batches(steps, settings.workers, settings.pin_memory and step_fn.device.type == "cuda")
    for step, content in enumerate(batches, start=1):
        log.add(step_fn(content, schedule[step - 1]))
        logged = log.flush(step) if step % log_every == 0 or step == steps else None
        on_step(step, logged)
        if logged is not None and not math.isfinite(logged["total"]):
            return TrainOutcome(
                "diverged", step, step * crops.batch_size, time.perf_counter() - start, log.rows, step_fn.optimizer_name
            )
    synchronize(step_fn.device)
    return TrainOutcome(
        "ok", steps, steps * crops.batch_size, time.perf_counter() - start, log.rows, step_fn.optimizer_name
    )
