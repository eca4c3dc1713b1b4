"""Measuring one row: a trained model or a baseline, on one style, over every evaluation image, by every metric.

Norms and baselines go through the same code: both are a ``stylize`` function.
The evaluation images live on the host as 8-bit pixels at the eval size and
reach the device a chunk at a time, so an evaluation folder of any size fits;
each chunk is one ``update`` of every metric.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch
from PIL import Image
from torch import nn

from normbench import data
from normbench.metrics.base import DerivedMetric, Metric, MetricSpec, StylizedSample
from normbench.study import measure

#: Evaluation images per chunk (one metric update each).
CHUNK = 32
#: Outputs stored as PNG per row (all of a small set; the first ones of a large folder).
SAVED_IMAGES = 64
#: Evaluation images shown in each style's grid.
GRID_IMAGES = 6
#: Seed of the metrics' own sampling (FID/KID patches, subsets): one instrument for every training seed.
EVALUATION_SEED = 0

Stylize = Callable[..., torch.Tensor]


class EvaluationSet:
    """The held-out content images as ``(N, 3, S, S)`` uint8 on the host, handed out in float chunks."""

    def __init__(self, images: list[tuple[str, Image.Image]], size: int, device: torch.device):
        self.names = [name for name, _ in images]
        self.size, self.device = size, device
        self.pixels = torch.stack(
            [
                torch.from_numpy(np.array(data.center_square_image(image, size), dtype=np.uint8)).permute(2, 0, 1)
                for _, image in images
            ]
        )

    def __len__(self) -> int:
        return len(self.names)

    def chunks(self, size: int = CHUNK) -> Iterator[tuple[int, torch.Tensor]]:
        """``(index of the first image, (n, 3, S, S) float in [0, 1] on the device)``."""
        for start in range(0, len(self), size):
            yield start, self.pixels[start : start + size].to(self.device).float().div_(255)

    def images(self, count: int) -> list[Image.Image]:
        return [Image.fromarray(self.pixels[i].permute(1, 2, 0).numpy()) for i in range(min(count, len(self)))]


def model_stylizer(model: nn.Module, conditioning: Callable[[int], torch.Tensor | None], batch_size: int) -> Stylize:
    """``stylize(images, statistics="eval")`` for a trained model, in fp32 and eagerly.

    ``statistics="batch"`` runs a copy in training mode, so its layers normalize
    with the statistics of the batch given, as in training, and nothing the model
    learned (running statistics) changes.
    """
    in_training_mode: list[nn.Module] = []

    def stylize(images: torch.Tensor, statistics: str = "eval") -> torch.Tensor:
        if statistics == "eval":
            return measure.stylize(model, images, conditioning(images.shape[0]), batch_size)
        if statistics != "batch":
            raise ValueError(f"unknown statistics {statistics!r}; available: eval, batch")
        if not in_training_mode:
            in_training_mode.append(copy.deepcopy(model).train())
        with torch.inference_mode():
            return in_training_mode[0](images, conditioning(images.shape[0])).clamp(0, 1)

    return stylize


def baseline_stylizer(method: Callable, style: torch.Tensor) -> Stylize:
    """A baseline as a ``stylize`` function; it has no statistics, so both kinds give the same."""

    @torch.inference_mode()
    def stylize(images: torch.Tensor, statistics: str = "eval") -> torch.Tensor:
        return method(images, style).clamp(0, 1)

    return stylize


class Evaluator:
    """Runs every metric over the evaluation set for one row; a failing metric leaves NaN and a note.

    :param metrics: ``(spec, metric)`` pairs in registration order; derived metrics
        run after the others, from their values.
    """

    def __init__(
        self,
        metrics: list[tuple[MetricSpec, Metric]],
        eval_set: EvaluationSet,
        on_error: Callable[[str, BaseException], None],
    ):
        self.eval_set, self.on_error = eval_set, on_error
        self.measured = [(spec, metric) for spec, metric in metrics if not isinstance(metric, DerivedMetric)]
        self.derived = [(spec, metric) for spec, metric in metrics if isinstance(metric, DerivedMetric)]

    def evaluate(
        self,
        label: str,
        stylize: Stylize,
        style: torch.Tensor,
        on_outputs: Callable[[int, torch.Tensor], None] | None = None,
    ) -> tuple[dict, list[str]]:
        """The row's metric columns and error notes; ``on_outputs(first index, outputs)``, if given, sees every
        chunk."""
        start_time, notes = time.perf_counter(), []
        working = dict(self.measured)
        for spec, metric in self.measured:
            self._guarded(label, spec, working, notes, metric.reset)
        for first, content in self.eval_set.chunks():
            outputs = stylize(content)
            if on_outputs is not None:
                on_outputs(first, outputs)
            sample = StylizedSample(outputs, content, style, stylize, first)
            for spec, metric in list(working.items()):
                self._guarded(label, spec, working, notes, functools.partial(metric.update, sample))
        values: dict = {}
        # NOTE: each function is called at once, in its own iteration, so the loop variables are the right ones
        for spec, metric in list(working.items()):
            self._guarded(label, spec, working, notes, lambda: values.update(metric.compute()))  # noqa: B023
        for spec, metric in self.derived:
            self._guarded(label, spec, working, notes, lambda: values.update(metric.derive(values)))  # noqa: B023
        values["eval_images"] = len(self.eval_set)
        values["metrics_seconds"] = round(time.perf_counter() - start_time, 3)
        return values, notes

    def _guarded(self, label: str, spec: MetricSpec, working: dict, notes: list[str], step) -> None:
        try:
            step()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # a third-party metric must not take the run down
            self.on_error(f"{label} metric {spec.name}", error)
            notes.append(f"metric {spec.name}: {error}")
            working.pop(spec, None)
