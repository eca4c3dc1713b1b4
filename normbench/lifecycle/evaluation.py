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
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import torch
from PIL import Image
from torch import nn

from normbench import data
from normbench.lifecycle import measure
from normbench.metrics.base import DerivedMetric, Metric, MetricSpec, StylizedSample
from normbench.metrics.contract import MetricContractError, built_metric, checked_values, metric_label
from normbench.models.layers import content_style_alpha

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


def model_stylizer(
    model: nn.Module, conditioning: Callable[[int], torch.Tensor | None], batch_size: int, alpha: float = 1.0
) -> Stylize:
    """``stylize(images, statistics="eval")`` for a trained model, in fp32 and eagerly, its conditioned norms at
    test-time ``alpha`` (:func:`~normbench.models.layers.content_style_alpha`; 1: as trained).

    ``statistics="batch"`` runs a copy in training mode, so its layers normalize
    with the statistics of the batch given, as in training, and nothing the model
    learned (running statistics) changes.
    """
    in_training_mode: list[nn.Module] = []

    def stylize(images: torch.Tensor, statistics: str = "eval") -> torch.Tensor:
        if statistics == "eval":
            with content_style_alpha(model, alpha):
                return measure.stylize(model, images, conditioning(images.shape[0]), batch_size)
        if statistics != "batch":
            raise ValueError(f"unknown statistics {statistics!r}; available: eval, batch")
        if not in_training_mode:
            in_training_mode.append(copy.deepcopy(model).train())
        with torch.inference_mode(), content_style_alpha(in_training_mode[0], alpha):
            return in_training_mode[0](images, conditioning(images.shape[0])).clamp(0, 1)

    return stylize


def baseline_stylizer(method: Callable, style: torch.Tensor, alpha: float = 1.0) -> Stylize:
    """A baseline as a ``stylize`` function, its output blended with the content at ``alpha`` (1: the output
    alone); it has no statistics, so both kinds give the same."""

    @torch.inference_mode()
    def stylize(images: torch.Tensor, statistics: str = "eval") -> torch.Tensor:
        output = method(images, style).clamp(0, 1)
        return output if alpha == 1 else torch.lerp(images, output, alpha).clamp(0, 1)

    return stylize


def build_metrics(
    registry, context, plugins: dict[str, str], on_error: Callable[[str, BaseException], None]
) -> tuple[list[tuple[MetricSpec, Metric]], dict[str, str]]:
    """Each metric of ``registry`` built once for the run, and ``{name: why}`` for those whose factory failed: a
    failed metric is its plugin's problem, warned about, logged and left out (its columns stay empty), never the
    end of the run."""
    built, failed = [], {}
    for spec in registry:
        try:
            built.append((spec, built_metric(spec.name, spec.factory, context, plugins.get(spec.name))))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # NOTE: a third-party factory must not take the run down
            why = error.detail if isinstance(error, MetricContractError) else f"{type(error).__name__}: {error}"
            on_error(f"metric {spec.name} (factory)", error)
            failed[spec.name] = why
            label = metric_label(spec.name, plugins.get(spec.name))
            warnings.warn(f"{label} failed and is left out of this run: {why}", stacklevel=2)
    return built, failed


class Evaluator:
    """Runs every metric over the evaluation set for one row; a failing metric leaves NaN and a note.

    :param metrics: ``(spec, metric)`` pairs in registration order; derived metrics
        run after the others, from their values.
    :param plugins: ``{metric name: plugin}``, to name a metric's plugin when its result breaks the contract.
    """

    def __init__(
        self,
        metrics: list[tuple[MetricSpec, Metric]],
        eval_set: EvaluationSet,
        on_error: Callable[[str, BaseException], None],
        plugins: dict[str, str] | None = None,
    ):
        self.eval_set, self.on_error, self.plugins = eval_set, on_error, plugins or {}
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
        for spec, metric in list(working.items()):
            self._guarded(label, spec, working, notes, functools.partial(self._add, values, spec, metric.compute))
        for spec, metric in self.derived:
            derive = functools.partial(metric.derive, values)
            self._guarded(label, spec, working, notes, functools.partial(self._add, values, spec, derive, "derive"))
        values["eval_images"] = len(self.eval_set)
        values["metrics_seconds"] = round(time.perf_counter() - start_time, 3)
        return values, notes

    def _add(self, values: dict, spec: MetricSpec, method: Callable[[], dict], name: str = "compute") -> None:
        """``method()``'s result into ``values``, checked to be exactly ``spec``'s columns, numbers where ranked
        (:func:`~normbench.metrics.contract.checked_values`)."""
        who = metric_label(spec.name, self.plugins.get(spec.name))
        values.update(checked_values(spec.columns, method(), who, name))

    def _guarded(self, label: str, spec: MetricSpec, working: dict, notes: list[str], step) -> None:
        try:
            step()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # a third-party metric must not take the run down
            self.on_error(f"{label} metric {spec.name}", error)
            notes.append(f"metric {spec.name}: {error.detail if isinstance(error, MetricContractError) else error}")
            working.pop(spec, None)
