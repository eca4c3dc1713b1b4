"""One benchmark run: the baselines and every requested norm, measured the same way, rows stored as they finish."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image

from normbench import data, harness, measure
from normbench.columns import CONTEXT_COLUMNS, ID_COLUMNS, RUN_COLUMNS
from normbench.config import RunConfig
from normbench.data import ImageSet
from normbench.errors import OutputError, reason, stopped_by
from normbench.evaluation import (EVALUATION_SEED, GRID_IMAGES, SAVED_IMAGES, EvaluationSet, Evaluator,
                                  baseline_stylizer, model_stylizer)
from normbench.images import style_grid
from normbench.manifest import metric_sections, run_manifest
from normbench.metrics.base import MetricContext, MetricRegistry
from normbench.models.vgg import load_vgg
from normbench.precision import autocast_of, precision_phase
from normbench.progress import RunProgress
from normbench.registry import BaselineRegistry, BaselineSpec, NormRegistry, NormSpec
from normbench.results import RunDirectory, grid_path, now
from normbench.speed.switches import PLAIN, prepare_module, speed_phase
from normbench.train import TrainOutcome, train_model


def plan_models(spec: NormSpec, num_styles: int) -> list[list[int]]:
    """Style indices each model of ``spec`` serves: one model per style, or one for all."""
    if spec.conditioning in harness.MULTI_STYLE:
        return [list(range(num_styles))]
    return [[index] for index in range(num_styles)]


class Run:
    """Measures ``config.baselines`` and trains and measures ``config.norms`` on ``images``, into ``run_dir``."""

    def __init__(self, config: RunConfig, registry: NormRegistry, images: ImageSet, run_dir: RunDirectory,
                 metric_registry: MetricRegistry | None = None, baseline_registry: BaselineRegistry | None = None):
        self.config, self.registry, self.images, self.run_dir = config, registry, images, run_dir
        self.metric_registry = metric_registry if metric_registry is not None else MetricRegistry()
        self.baseline_registry = baseline_registry if baseline_registry is not None else BaselineRegistry()
        self.specs = [registry.get(name) for name in config.norms]
        self.baselines: list[BaselineSpec] = [self.baseline_registry.get(name) for name in config.baselines]
        self.device = torch.device(config.device)
        self.profile = config.profile
        # NOTE: the precision is the protocol's; the speed switches only decide how fast it is computed.
        self.train_settings = replace(config.speed, autocast=autocast_of(self.profile.precision))
        # NOTE: held-out styles judge arbitrary-style models; without one, nobody is measured on them.
        self.uses_heldout_styles = any(spec.conditioning == "style_feat" for spec in self.specs)
        self.outputs: dict[str, dict[str, list[Image.Image]]] = {}  # style -> norm -> grid images
        self.manifest: dict = {}
        self.eval_set: EvaluationSet | None = None  # made by _prepare
        self.style_images: list[tuple[str, Image.Image]] = []

    def jobs(self) -> list[tuple[int, NormSpec, list[int]]]:
        """``(seed, norm, style indices)`` per model, seed by seed: a run stopped after seed s has s whole pairs."""
        return [(seed, spec, styles) for seed in self.config.seeds for spec in self.specs
                for styles in plan_models(spec, len(self.images.styles))]

    def execute(self, progress: RunProgress) -> None:
        """Every baseline, then every model; on Ctrl-C, SIGTERM, a write error or a crash the finished rows and
        images stay, and the manifest says how the run ended (``error`` gives the reason of a failed one)."""
        self.manifest = run_manifest(self)
        self.run_dir.write_manifest(self.manifest)
        start = time.perf_counter()
        status, failure = "failed", None
        try:
            self._prepare()
            jobs = self.jobs()
            progress.start_run(len(self.baselines) + len(jobs), self.manifest["columns"])
            # NOTE: baselines do not train and the instrument is the same for every seed: measured once.
            for baseline in self.baselines:
                self._run_baseline(baseline, progress)
            for seed, spec, style_indices in jobs:
                self._run_model(spec, style_indices, seed, progress)
            status = "complete"
        except KeyboardInterrupt as stop:
            status = stopped_by(stop)
            raise
        except Exception as error:
            failure = error
            raise
        finally:
            self._finish(status, failure, time.perf_counter() - start)

    def _finish(self, status: str, failure: Exception | None, seconds: float) -> None:
        """Grids from whatever finished, then the manifest saying how the run ended. The reserve is freed
        first, so that after a full disk the manifest still fits; grids are skipped after a write error."""
        self.run_dir.release_reserve()
        if not isinstance(failure, OutputError):
            try:
                self._write_grids()
            except OutputError as error:
                status, failure = "failed", error
        if failure is not None:
            self.manifest["error"] = reason(failure)
        self.manifest.update(status=status, finished_at=now(), wall_seconds=round(seconds, 2))
        self.run_dir.write_manifest(self.manifest)

    def _prepare(self) -> None:
        """Feature networks, style banks, the evaluation set and the metrics, each made once."""
        self.nets = {name: load_vgg(name, self.config.features).to(self.device)
                     for name in harness.required_feature_nets(self.specs)}
        # NOTE: one prepared (channels_last/compiled) loss net per trunk, shared by every model, compiles once.
        self.loss_nets = {name: prepare_module(copy.deepcopy(net), self.config.speed) for name, net in self.nets.items()}
        self.style_images = self.images.styles + (self.images.heldout_styles if self.uses_heldout_styles else [])
        # NOTE: styles everywhere at the training resolution: the scale at which a model learns a style.
        styles = torch.stack([data.center_square(image, self.profile.image_size)
                              for _, image in self.style_images]).to(self.device)
        self.banks = {arch.name: arch.style_bank(self.nets, styles) for arch in map(harness.architecture_for, self.specs)}
        self.style_targets = styles
        self.eval_set = EvaluationSet(self.images.heldout, self.profile.eval_size, self.device)
        self.crops = data.CropBatches(self.images.train, self.profile.image_size, self.profile.batch_size,
                                      self.config.seeds[0])
        # NOTE: the evaluation seed is the run's, not the training seed's: every seed is measured by one instrument.
        context = MetricContext(self.device, self.config.features, EVALUATION_SEED, self.profile.fid_samples,
                                num_images=len(self.eval_set), batch_size=self.profile.batch_size,
                                eval_draws=self.profile.eval_draws, training_networks=tuple(self.nets))
        self.metrics = [(spec, spec.factory(context)) for spec in self.metric_registry]
        self.evaluator = Evaluator(self.metrics, self.eval_set, self.run_dir.log_error)
        self.manifest["metrics"], self.manifest["columns"] = metric_sections(self)
        metric_columns = [column.name for spec in self.metric_registry for column in spec.columns]
        self.run_dir.columns = [*ID_COLUMNS, *metric_columns, *(c.name for c in RUN_COLUMNS), *CONTEXT_COLUMNS]
        self.run_dir.write_manifest(self.manifest)

    def _style(self, index: int) -> tuple[str, str]:
        """``(name, split)`` of the style at ``index`` of the banks."""
        return self.style_images[index][0], "train" if index < len(self.images.styles) else "heldout"

    def _run_baseline(self, baseline: BaselineSpec, progress: RunProgress) -> None:
        """A baseline's row on every style the run evaluates; no training, the same metrics."""
        rows = []
        for index in range(len(self.style_images)):
            name, split = self._style(index)
            row = self._row(baseline.name, "baseline", index, None, status="ok")
            target = self.style_targets[index:index + 1]
            values, notes = self.evaluator.evaluate(f"{baseline.name}/{name}",
                                                    baseline_stylizer(baseline.stylize, target), target,
                                                    self._saver(baseline.name, name))
            rows.append({**row, **values, "error": "; ".join(notes)})
        self.run_dir.add_rows(rows, [])
        progress.model_done(rows)

    def _run_model(self, spec: NormSpec, style_indices: list[int], seed: int, progress: RunProgress) -> None:
        """Train one model and store a row per style it is measured on; a failure becomes ``error`` rows."""
        label = spec.name if len(style_indices) > 1 else f"{spec.name}/{self._style(style_indices[0])[0]}"
        label += f" seed {seed}" if len(self.config.seeds) > 1 else ""
        steps = self.profile.steps * len(style_indices)
        measured = [(index, "train") for index in style_indices]
        if spec.conditioning == "style_feat":
            measured += [(index, "heldout") for index in range(len(self.images.styles), len(self.style_images))]
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        try:
            torch.manual_seed(seed)
            model = harness.build_generator(spec, len(self.images.styles), self.nets).to(self.device)
            arch = harness.architecture_for(spec)
            bank = self.banks[arch.name]
            criterion = arch.criterion(self.loss_nets[arch.feature_net], bank.images, self.profile)
            with progress.model(label, steps) as on_step, speed_phase(self.config.speed, self.config.deterministic), \
                    precision_phase(self.profile.precision, self.device):
                outcome = train_model(model, criterion, spec.conditioning, bank, self.crops.with_seed(seed),
                                      style_indices, steps, arch.learning_rate(self.profile), self.profile.log_every,
                                      on_step, self.train_settings)
            rows = [self._evaluate(spec, model, index, seed, outcome) for index, _ in measured]
            if outcome.status == "ok":  # NOTE: speed does not depend on the style: timed once per model
                speed = self._inference_speed(model, self._conditioning(spec, style_indices[0]))
                rows = [{**row, **speed} for row in rows]
        except (KeyboardInterrupt, SystemExit, OutputError):  # NOTE: a full disk ends the run, not just the norm
            raise
        except Exception as error:  # one broken norm must not end the sweep
            self.run_dir.log_error(label, error)
            outcome, model = TrainOutcome("error", 0, 0, 0.0), None
            rows = [self._row(spec.name, "norm", index, seed, outcome=outcome, spec=spec,
                              error=f"{type(error).__name__}: {error}") for index, _ in measured]
        log_rows = [{"norm": spec.name, "model": label, "seed": seed, **entry} for entry in outcome.log]
        self.run_dir.add_rows(rows, log_rows)
        progress.model_done(rows)

    def _conditioning(self, spec: NormSpec, style_index: int):
        """``conditioning(count)``: what ``spec``'s layers are given beside ``count`` images of one style."""
        bank = self.banks[spec.architecture]

        def conditioning(count: int) -> torch.Tensor | None:
            return bank.conditioning(spec.conditioning, torch.full((count,), style_index, device=self.device))

        return conditioning

    def _evaluate(self, spec: NormSpec, model, style_index: int, seed: int, outcome: TrainOutcome) -> dict:
        name, _ = self._style(style_index)
        row = self._row(spec.name, "norm", style_index, seed, outcome=outcome, spec=spec, model=model)
        if outcome.status != "ok":
            return row
        stylize = model_stylizer(model, self._conditioning(spec, style_index), self.profile.batch_size)
        target = self.banks[spec.architecture].images[style_index:style_index + 1]
        # NOTE: images and grids show the first seed; every seed's numbers are in the rows.
        save = self._saver(spec.name, name) if seed == self.config.seeds[0] else None
        values, notes = self.evaluator.evaluate(f"{spec.name}/{name}", stylize, target, save)
        return {**row, **values, "error": "; ".join(filter(None, [row["error"], *notes]))}

    def _inference_speed(self, model, conditioning) -> dict:
        """Inference speed under the run's switches and precision and, in the same process, the plain baseline."""
        first = next(self.eval_set.chunks(1))[1]
        batch = first.expand(self.profile.batch_size, -1, -1, -1).contiguous()
        cond, reps = conditioning(batch.shape[0]), self.profile.timing_reps
        with speed_phase(PLAIN):
            plain = measure.inference_speed(model, batch, cond, reps, PLAIN)
        if self.train_settings == PLAIN:
            return {**plain, "infer_plain_img_per_s": plain["infer_img_per_s"], "infer_speedup": 1.0}
        with speed_phase(self.train_settings, self.config.deterministic):
            fast = measure.inference_speed(model, batch, cond, reps, self.train_settings)
        return {**fast, "infer_plain_img_per_s": plain["infer_img_per_s"],
                "infer_speedup": fast["infer_img_per_s"] / plain["infer_img_per_s"]}

    def _row(self, name: str, kind: str, style_index: int, seed: int | None, status: str = "",
             outcome: TrainOutcome | None = None, spec: NormSpec | None = None, model=None, error: str = "") -> dict:
        """The identity and provenance of one row; ``seed`` is None for a baseline, which does not train."""
        style, split = self._style(style_index)
        params, frozen = harness.count_parameters(model) if model is not None else (math.nan, math.nan)
        peak = torch.cuda.max_memory_allocated(self.device) / 2**20 if self.device.type == "cuda" else math.nan
        trained = outcome is not None
        return {
            "norm": name, "kind": kind, "style": style, "style_split": split,
            "seed": math.nan if seed is None else seed,
            "status": outcome.status if trained else status, "params": params, "params_frozen": frozen,
            "features": self.config.features, "precision": self.profile.precision,
            "architecture": spec.architecture if spec else "", "conditioning": spec.conditioning if spec else "",
            "train_img_per_s": outcome.img_per_s if trained else math.nan,
            "train_steps": outcome.steps if trained else math.nan,
            "train_seconds": round(outcome.seconds, 3) if trained else math.nan,
            "image_size": self.profile.image_size, "eval_size": self.profile.eval_size,
            "batch_size": self.profile.batch_size, "peak_mem_mb": peak if trained else math.nan,
            "device": self.config.device, "speed": self.config.speed.label if trained else "",
            "optimizer": outcome.optimizer if trained else "", "error": error,
        }

    def _saver(self, norm: str, style: str):
        """Stores a row's outputs: the first SAVED_IMAGES as PNG, the first GRID_IMAGES for the style's grid."""
        preview = self.outputs.setdefault(style, {}).setdefault(norm, [])

        def save(first: int, outputs: torch.Tensor) -> None:
            for offset, output in enumerate(outputs[:max(0, SAVED_IMAGES - first)]):
                image, content = data.to_image(output), Path(self.eval_set.names[first + offset])
                self.run_dir.write_png(self.run_dir.image_path(norm, style, *content.parent.parts, f"{content.name}.png"),
                                       image)
                if first + offset < GRID_IMAGES:
                    preview.append(image)

        return save

    def _write_grids(self) -> None:
        """One grid per style from whatever finished (norms, then baselines), so an interrupted run has them."""
        if self.eval_set is None:
            return
        contents = self.eval_set.images(GRID_IMAGES)
        baselines = {baseline.name for baseline in self.baselines}
        for style_name, style_image in self.style_images:
            columns = self.outputs.get(style_name, {})
            if columns:
                ordered = {k: v for k, v in columns.items() if k not in baselines} | {
                    k: v for k, v in columns.items() if k in baselines}
                grid = style_grid(style_image, contents, ordered, self.profile.eval_size)
                self.run_dir.write_png(grid_path(style_name), grid)

