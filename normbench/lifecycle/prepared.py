"""A prepared run: the networks, style banks, training crops, evaluation set and metrics a run's cells share, made
once and never changed afterwards, and the computation of one cell with them.

:class:`~normbench.lifecycle.runner.Run` plans cells and records them; a :class:`PreparedRun` computes them. A Ray
worker prepares its own from the same plan, so nothing here is shared between processes but the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from normbench import data
from normbench.catalog import Placement
from normbench.errors import OutputError
from normbench.lifecycle import measure
from normbench.lifecycle.evaluation import SAVED_IMAGES, baseline_stylizer, model_stylizer
from normbench.lifecycle.grids import cell_image
from normbench.lifecycle.rows import result_row
from normbench.models.layers import conditioned_slots
from normbench.registry import BLEND_ALPHAS
from normbench.runtime.precision import precision_phase
from normbench.runtime.switches import speed_phase
from normbench.store.cells import Cell, StagedCell
from normbench.training import harness
from normbench.training.generators import generator_bytes
from normbench.training.train import TrainOutcome, train_model

if TYPE_CHECKING:
    from normbench.catalog import Catalog
    from normbench.lifecycle.plan import RunPlan
    from normbench.lifecycle.preparation import EvaluationSetup, StyleSetup
    from normbench.registry import BaselineRegistry, BaselineSpec
    from normbench.store.cells import CellStore


@dataclass(frozen=True)
class PreparedRun:
    """A run's ``plan`` with what its cells share, made in this process
    (:func:`~normbench.lifecycle.preparation.prepare`): the plugins' ``catalog`` and ``baselines``, the cell
    ``store``, where errors are logged, the style banks, the training crops and the evaluation; :meth:`compute_cell`
    trains or measures one cell."""

    plan: RunPlan
    catalog: Catalog
    baselines: BaselineRegistry
    store: CellStore
    log_error: Callable[[str, BaseException], None]
    styles: StyleSetup
    crops: data.CropBatches
    evaluation: EvaluationSetup

    @property
    def nets(self) -> dict[str, nn.Module]:
        return self.styles.nets

    def conditioning_for(self, spec: Placement, style: str):
        """``conditioning(count)`` of ``spec``'s layers for ``style`` (a name), and the style's target image."""
        index = self.plan.style_index(style)
        return self.styles.conditioning(spec, index), self.styles.banks[spec.architecture].images[index : index + 1]

    def style_target(self, style: str) -> torch.Tensor:
        """The ``(1, 3, S, S)`` target of ``style`` (a name) that baselines are given and measured against."""
        index = self.plan.style_index(style)
        return self.styles.targets[index : index + 1]

    def compute_cell(self, cell: Cell, progress) -> tuple[list[dict], list[dict]]:
        """Compute ``cell`` into a staging folder and move it into place whole: its rows and log rows. Executors
        call it, here or in a worker process that planned the same run."""
        plan, start = self.plan, time.perf_counter()
        with self.store.stage(cell, plan.fingerprints[cell.id]) as staged:
            if cell.kind == "baseline":
                rows, log_rows, weights = self._run_baseline(self.baselines.get(cell.name), staged), [], None
            else:
                rows, log_rows, weights = self._run_model(self.catalog.get(cell.name), cell, progress, staged)
            # NOTE: the thread count changes float sums, and so trained numbers: each cell says what it ran with
            staged.commit(
                rows,
                log_rows,
                weights,
                {
                    "seconds": round(time.perf_counter() - start, 3),
                    "device": plan.config.device,
                    "torch_threads": torch.get_num_threads(),
                },
            )
        return rows, log_rows

    def _run_baseline(self, baseline: BaselineSpec, staged: StagedCell) -> list[dict]:
        """A baseline's row on every style the run evaluates, and in a sweep one per blend of its curve; no
        training, the same metrics."""
        alphas = BLEND_ALPHAS if baseline.curve and self.plan.profile.style_weights else (1.0,)
        rows = []
        for index in range(len(self.plan.style_names)):
            name, _ = self.plan.style_at(index)
            target = self.styles.targets[index : index + 1]
            for alpha in alphas:
                row = result_row(self.plan, baseline.name, "baseline", index, None, status="ok", alpha=alpha)
                values, notes = self.evaluation.evaluator.evaluate(
                    f"{baseline.name}/{name}" + ("" if alpha == 1 else f" α={alpha:g}"),
                    baseline_stylizer(baseline.stylize, target, alpha),
                    target,
                    self._saver(staged, name) if alpha == 1 else None,
                )
                rows.append({**row, **values, "error": "; ".join(notes)})
        return rows

    def _run_model(
        self, spec: Placement, cell: Cell, progress, staged: StagedCell
    ) -> tuple[list[dict], list[dict], bytes | None]:
        """Train the model of ``cell``: a row per style it is measured on, its training log and, when it trained, its
        weights (safetensors); a failure becomes ``error`` rows."""
        plan, seed = self.plan, cell.seed
        style_indices = [plan.style_index(name) for name in cell.styles]
        label = spec.name if len(style_indices) > 1 else f"{spec.name}/{plan.style_at(style_indices[0])[0]}"
        label += f" seed {seed}" if len(plan.config.seeds) > 1 else ""
        label += cell.weight_label
        measured = [(index, "train") for index in style_indices]
        if spec.conditioning.takes_arbitrary_styles:
            measured += [(index, "heldout") for index in range(len(plan.styles), len(plan.style_names))]
        if plan.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(plan.device)
        try:
            model, outcome = self._train(spec, cell, progress, label)
            rows = [
                self._evaluate(spec, model, index, cell, outcome, staged, alpha)
                for alpha in self._test_time_alphas(spec, model, cell)
                for index, _ in measured
            ]
            weights = None
            if outcome.status == "ok":  # NOTE: speed does not depend on the style: timed once per model
                speed = self._inference_speed(model, self.styles.conditioning(spec, style_indices[0]))
                rows = [{**row, **speed} for row in rows]
                weights = generator_bytes(model, spec, list(plan.styles))
        except (KeyboardInterrupt, SystemExit, OutputError):  # NOTE: a full disk ends the run, not just the norm
            raise
        except Exception as error:  # one broken norm must not end the sweep
            self.log_error(label, error)
            outcome, weights = TrainOutcome("error", 0, 0, 0.0), None
            rows = [
                result_row(
                    self.plan,
                    spec.name,
                    "norm",
                    index,
                    seed,
                    outcome=outcome,
                    spec=spec,
                    error=f"{type(error).__name__}: {error}",
                    style_weight=cell.style_weight,
                )
                for index, _ in measured
            ]
        log_rows = [{"norm": spec.name, "model": label, "seed": seed, **entry} for entry in outcome.log]
        return rows, log_rows, weights

    def _train(self, spec: Placement, cell: Cell, progress, label: str) -> tuple[nn.Module, TrainOutcome]:
        """A new generator of ``spec`` trained as ``cell`` says (seed, styles, style weight) under the run's
        protocol."""
        plan, seed = self.plan, cell.seed
        style_indices = [plan.style_index(name) for name in cell.styles]
        torch.manual_seed(seed)
        model = harness.build_generator(spec, len(plan.styles), self.nets).to(plan.device)
        bank = self.styles.banks[spec.architecture]
        training = harness.training_settings(spec.arch, plan.profile, cell.style_weight)
        criterion = spec.arch.criterion(
            {name: self.styles.loss_nets[name] for name in spec.arch.feature_nets}, bank.images, training, plan.profile
        )
        steps = plan.profile.steps * len(style_indices)
        with (
            progress.model(label, steps) as on_step,
            speed_phase(plan.config.speed, plan.config.deterministic),
            precision_phase(plan.profile.precision, plan.device),
        ):
            outcome = train_model(
                model,
                criterion,
                spec.conditioning,
                bank,
                self.crops.with_seed(seed),
                style_indices,
                steps,
                training.lr,
                plan.profile.log_every,
                on_step,
                plan.train_settings,
            )
        return model, outcome

    def _inference_speed(self, model: nn.Module, conditioning) -> dict:
        """Inference speed under the run's switches and precision and, in the same process, the plain baseline."""
        plan = self.plan
        batch = next(self.evaluation.eval_set.chunks(1))[1].expand(plan.profile.batch_size, -1, -1, -1).contiguous()
        return measure.inference_speeds(
            model,
            batch,
            conditioning(batch.shape[0]),
            plan.profile.timing_reps,
            plan.train_settings,
            plan.config.deterministic,
        )

    def _test_time_alphas(self, spec: Placement, model: nn.Module, cell: Cell) -> tuple[float, ...]:
        """Where the model is measured: as trained (1) and, for a model at the sweep's operating point whose norms
        take style features, at every test-time content-style blend too (no training cost)."""
        sweep = self.plan.profile.style_weights
        if not sweep or cell.style_weight != 1 or not spec.conditioning.takes_arbitrary_styles:
            return (1.0,)
        return BLEND_ALPHAS if conditioned_slots(model) else (1.0,)

    def _evaluate(
        self,
        spec: Placement,
        model,
        style_index: int,
        cell: Cell,
        outcome: TrainOutcome,
        staged: StagedCell,
        alpha: float = 1.0,
    ) -> dict:
        name, _ = self.plan.style_at(style_index)
        seed = cell.seed
        row = result_row(
            self.plan,
            spec.name,
            "norm",
            style_index,
            seed,
            outcome=outcome,
            spec=spec,
            model=model,
            style_weight=cell.style_weight,
            alpha=alpha,
        )
        if outcome.status != "ok":
            return row
        conditioning = self.styles.conditioning(spec, style_index)
        stylize = model_stylizer(model, conditioning, self.plan.profile.batch_size, alpha)
        target = self.styles.banks[spec.architecture].images[style_index : style_index + 1]
        # NOTE: images and grids show the first seed at each style weight, unblended; every number is in the rows.
        first = seed == self.plan.config.seeds[0] and alpha == 1
        save = self._saver(staged, name) if first else None
        label = f"{spec.name}/{name}" + ("" if alpha == 1 else f" α={alpha:g}")
        values, notes = self.evaluation.evaluator.evaluate(label, stylize, target, save)
        return {**row, **values, "error": "; ".join(filter(None, [row["error"], *notes]))}

    def _saver(self, staged: StagedCell, style: str):
        """Stores a row's outputs in its cell: the first SAVED_IMAGES as PNG, of which grids show the first
        GRID_IMAGES."""
        names = self.evaluation.eval_set.names

        def save(first: int, outputs: torch.Tensor) -> None:
            for offset, output in enumerate(outputs[: max(0, SAVED_IMAGES - first)]):
                staged.write_png(cell_image(names, style, first + offset), data.to_image(output))

        return save
