"""One benchmark run: the baselines and every requested norm, measured the same way, rows stored as they finish."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, replace

import torch

from normbench import data, harness, measure
from normbench.cells import Cell, CellStore, RunLock, StagedCell, fingerprint
from normbench.columns import CONTEXT_COLUMNS, ID_COLUMNS, RUN_COLUMNS
from normbench.config import RunConfig
from normbench.data import ImageSet
from normbench.errors import OutputError, UserError, reason, stopped_by
from normbench.executors import LocalExecutor
from normbench.evaluation import (EVALUATION_SEED, SAVED_IMAGES, EvaluationSet, Evaluator,
                                  baseline_stylizer, model_stylizer)
from normbench.grids import cell_image, write_grids
from normbench.manifest import metric_sections, resumed_manifest, run_manifest
from normbench.metrics.base import MetricContext, MetricRegistry
from normbench.models.vgg import load_vgg
from normbench.precision import autocast_of, precision_phase
from normbench.progress import RunProgress
from normbench.harness import Catalog, Placement
from normbench.registry import BaselineRegistry, BaselineSpec
from normbench.results import RunDirectory, now
from normbench.generators import generator_bytes
from normbench.speed.switches import prepare_module, speed_phase
from normbench.train import TrainOutcome, train_model


def plan_models(spec: Placement, num_styles: int) -> list[list[int]]:
    """Style indices each model of ``spec`` serves: one model per style, or one for all."""
    if spec.conditioning.serves_many_styles:
        return [list(range(num_styles))]
    return [[index] for index in range(num_styles)]


class Run:
    """Measures ``config.baselines`` and trains and measures ``config.norms`` on ``images``, into ``run_dir``, cell by
    cell (:mod:`normbench.cells`). With ``stored``, the manifest of the run in ``run_dir``, it resumes that run: the
    protocol must be unchanged, and finished cells are kept."""

    def __init__(self, config: RunConfig, registry: Catalog, images: ImageSet, run_dir: RunDirectory,
                 metric_registry: MetricRegistry | None = None, baseline_registry: BaselineRegistry | None = None,
                 stored: dict | None = None):
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
        self.uses_heldout_styles = any(spec.conditioning.takes_arbitrary_styles for spec in self.specs)
        self.style_images = self.images.styles + (self.images.heldout_styles if self.uses_heldout_styles else [])
        self.eval_set: EvaluationSet | None = None  # made by _prepare
        self.store = CellStore(run_dir.path)
        self.cells = self.plan()
        self.manifest = run_manifest(self)
        if stored is not None:
            self.manifest = resumed_manifest(stored, self.manifest)
        self.fingerprints = {cell.id: fingerprint(self.manifest["protocol"], cell, self.origin(cell))
                             for cell in self.cells}
        self.finished: dict[str, tuple[list[dict], list[dict]]] = {}  # cell id -> rows, log rows
        self.executor = None  # set by execute

    def plan(self) -> list[Cell]:
        """Every baseline, then ``(seed, norm, styles)`` per model, seed by seed: a run stopped after seed s has s
        whole pairs."""
        names = [name for name, _ in self.style_images]
        trained = [name for name, _ in self.images.styles]
        cells = [Cell("baseline", baseline.name, tuple(names)) for baseline in self.baselines]
        return cells + [Cell("model", spec.name, tuple(trained[i] for i in styles), seed)
                        for seed in self.config.seeds for spec in self.specs
                        for styles in plan_models(spec, len(trained))]

    def model_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.kind == "model"]

    def origin(self, cell: Cell) -> dict | None:
        """The plugin entries (plugin, distribution and version) that compute ``cell`` and, for a model, its
        architecture's and the training settings it uses: part of its fingerprint."""
        def entry(kind: str, name: str) -> dict | None:
            return next((item for item in self.config.plugins.get(kind) or [] if item["name"] == name), None)

        if cell.kind != "model":
            return entry("baselines", cell.name)
        spec = self.registry.get(cell.name)
        return {"norm": entry("norms", spec.norm.name), "architecture": entry("architectures", spec.architecture),
                "training": asdict(harness.training_settings(spec.arch, self.profile))}

    def execute(self, progress: RunProgress, executor=None) -> None:
        """Every cell not yet finished; on Ctrl-C, SIGTERM, a write error or a crash the finished cells stay, and
        the manifest says how the run ended (``error`` gives the reason of a failed one)."""
        lock = RunLock(self.run_dir.path)
        if not lock.acquire():
            raise UserError(f"{self.run_dir.path} is being computed by process {lock.holder()}; wait for it or "
                            "stop it before resuming")
        try:
            self.store.clear_staging()
            self._execute(progress, executor or LocalExecutor())
        finally:
            lock.release()

    def _execute(self, progress: RunProgress, executor) -> None:
        self.run_dir.write_manifest(self.manifest)
        start = time.perf_counter()
        status, failure = "failed", None
        try:
            self._prepare()
            self.executor = executor
            self.manifest["executor"] = executor.describe()
            self.run_dir.write_manifest(self.manifest)
            kept = self._kept_cells()
            progress.start_run(len(self.cells), self.manifest["columns"])
            progress.resumed(len(kept), len(self.cells))
            if kept:  # NOTE: a run killed between a cell's commit and the tables' rendering gets them now
                self._render()
            # NOTE: baselines do not train and the instrument is the same for every seed: measured once.
            executor.run(self, [cell for cell in self.cells if cell.id not in kept], progress)
            status = "complete"
        except KeyboardInterrupt as stop:
            status = stopped_by(stop)
            raise
        except Exception as error:
            failure = error
            raise
        finally:
            self._finish(status, failure, time.perf_counter() - start)

    def _kept_cells(self) -> set[str]:
        """Finished cells of the plan that a resumed run keeps (their rows are loaded; see CellStore.kept)."""
        kept, changed = self.store.kept(self.fingerprints)
        if changed:
            raise UserError(f"cells {', '.join(changed)} were computed by another version of their plugin than "
                            "this one; their numbers would not compare: start a new run")
        for cell in self.cells:
            if cell.id in kept:
                self.finished[cell.id] = self.store.rows(cell.id)
                self.run_dir.link_images(self.store.path(cell.id), cell.name)
        return kept

    def compute_cell(self, cell: Cell, progress) -> tuple[list[dict], list[dict]]:
        """Compute ``cell`` into a staging folder and move it into place whole: its rows and log rows. Executors
        call it, here or in a worker process that planned the same run."""
        start = time.perf_counter()
        with self.store.stage(cell, self.fingerprints[cell.id]) as staged:
            if cell.kind == "baseline":
                rows, log_rows, weights = self._run_baseline(self.baseline_registry.get(cell.name), staged), [], None
            else:
                indices = [self._style_index(name) for name in cell.styles]
                rows, log_rows, weights = self._run_model(self.registry.get(cell.name), indices, cell.seed,
                                                          progress, staged)
            # NOTE: the thread count changes float sums, and so trained numbers: each cell says what it ran with
            staged.commit(rows, log_rows, weights, {"seconds": round(time.perf_counter() - start, 3),
                                                    "device": self.config.device,
                                                    "torch_threads": torch.get_num_threads()})
        return rows, log_rows

    def record_cell(self, cell: Cell, rows: list[dict], log_rows: list[dict], progress: RunProgress) -> None:
        """A finished cell joins the run's tables and images, in plan order."""
        self.finished[cell.id] = (rows, log_rows)
        self.run_dir.link_images(self.store.path(cell.id), cell.name)
        self._render()
        progress.model_done(rows)

    def _render(self) -> None:
        """results.csv and train_log.csv from every finished cell, in plan order."""
        done = [self.finished[cell.id] for cell in self.cells if cell.id in self.finished]
        self.run_dir.render([row for rows, _ in done for row in rows], [row for _, log in done for row in log])

    def _finish(self, status: str, failure: Exception | None, seconds: float) -> None:
        """Grids from whatever finished, then the manifest saying how the run ended. The reserve is freed
        first, so that after a full disk the manifest still fits; grids are skipped after a write error."""
        self.run_dir.release_reserve()
        if not isinstance(failure, OutputError):
            try:
                write_grids(self)
            except OutputError as error:
                status, failure = "failed", error
        if self.executor is not None:  # NOTE: what it ended up using (a Ray executor knows its workers then)
            self.manifest["executor"] = self.executor.describe()
        if failure is not None:
            self.manifest["error"] = reason(failure)
        else:
            self.manifest.pop("error", None)
        self.manifest.update(status=status, finished_at=now(),
                             wall_seconds=round(self.manifest.get("wall_seconds_before", 0) + seconds, 2))
        if "sessions" in self.manifest:  # NOTE: a resumed run: this session's own ending and time
            self.manifest["sessions"][-1].update(status=status, finished_at=now(), wall_seconds=round(seconds, 2))
        self.run_dir.write_manifest(self.manifest)

    def _prepare(self) -> None:
        """Feature networks, style banks, the evaluation set, the training crops and the metrics, each made once."""
        self.prepare_styles()
        self.crops = data.CropBatches(self.images.train, self.profile.image_size, self.profile.batch_size,
                                      self.config.seeds[0])
        self.prepare_evaluation()

    def prepare_styles(self) -> None:
        """The VGG trunks training uses and each architecture's style bank: what a generator's conditioning needs."""
        self.nets = {name: load_vgg(name, self.config.features).to(self.device)
                     for name in harness.required_feature_nets(self.specs)}
        # NOTE: one prepared (channels_last/compiled) loss net per trunk, shared by every model, compiles once.
        self.loss_nets = {name: prepare_module(copy.deepcopy(net), self.config.speed) for name, net in self.nets.items()}
        # NOTE: styles everywhere at the training resolution: the scale at which a model learns a style.
        styles = torch.stack([data.center_square(image, self.profile.image_size)
                              for _, image in self.style_images]).to(self.device)
        self.banks = {spec.architecture: harness.style_bank(spec.arch, self.nets, styles) for spec in self.specs}
        self.style_targets = styles

    def prepare_evaluation(self) -> None:
        """The evaluation set, the metrics and the evaluator; the manifest's metric provenance and columns."""
        self.eval_set = EvaluationSet(self.images.heldout, self.profile.eval_size, self.device)
        # NOTE: the evaluation seed is the run's, not the training seed's: every seed is measured by one instrument.
        context = MetricContext(self.device, self.config.features, EVALUATION_SEED, self.profile.fid_samples,
                                num_images=len(self.eval_set), batch_size=self.profile.batch_size,
                                eval_draws=self.profile.eval_draws, training_networks=tuple(self.nets))
        self.metrics = [(spec, spec.factory(context)) for spec in self.metric_registry]
        self.evaluator = Evaluator(self.metrics, self.eval_set, self.run_dir.log_error)
        self.manifest["metrics"], self.manifest["columns"] = metric_sections(self)
        metric_columns = [column.name for spec in self.metric_registry for column in spec.columns]
        self.run_dir.columns = [*ID_COLUMNS, *metric_columns, *(c.name for c in RUN_COLUMNS), *CONTEXT_COLUMNS]

    def conditioning_for(self, spec: Placement, style: str):
        """``conditioning(count)`` of ``spec``'s layers for ``style`` (a name), and the style's target image."""
        index = self._style_index(style)
        return self._conditioning(spec, index), self.banks[spec.architecture].images[index:index + 1]

    def style_target(self, style: str) -> torch.Tensor:
        """The ``(1, 3, S, S)`` target of ``style`` (a name) that baselines are given and measured against."""
        index = self._style_index(style)
        return self.style_targets[index:index + 1]

    def _style_index(self, name: str) -> int:
        return next(index for index, (style, _) in enumerate(self.style_images) if style == name)

    def _style(self, index: int) -> tuple[str, str]:
        """``(name, split)`` of the style at ``index`` of the banks."""
        return self.style_images[index][0], "train" if index < len(self.images.styles) else "heldout"

    def _run_baseline(self, baseline: BaselineSpec, staged: StagedCell) -> list[dict]:
        """A baseline's row on every style the run evaluates; no training, the same metrics."""
        rows = []
        for index in range(len(self.style_images)):
            name, split = self._style(index)
            row = self._row(baseline.name, "baseline", index, None, status="ok")
            target = self.style_targets[index:index + 1]
            values, notes = self.evaluator.evaluate(f"{baseline.name}/{name}",
                                                    baseline_stylizer(baseline.stylize, target), target,
                                                    self._saver(staged, name))
            rows.append({**row, **values, "error": "; ".join(notes)})
        return rows

    def _run_model(self, spec: Placement, style_indices: list[int], seed: int, progress: RunProgress,
                   staged: StagedCell) -> tuple[list[dict], list[dict], bytes | None]:
        """Train one model: a row per style it is measured on, its training log and, when it trained, its weights
        (safetensors); a failure becomes ``error`` rows."""
        label = spec.name if len(style_indices) > 1 else f"{spec.name}/{self._style(style_indices[0])[0]}"
        label += f" seed {seed}" if len(self.config.seeds) > 1 else ""
        steps = self.profile.steps * len(style_indices)
        measured = [(index, "train") for index in style_indices]
        if spec.conditioning.takes_arbitrary_styles:
            measured += [(index, "heldout") for index in range(len(self.images.styles), len(self.style_images))]
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        try:
            torch.manual_seed(seed)
            model = harness.build_generator(spec, len(self.images.styles), self.nets).to(self.device)
            bank, training = self.banks[spec.architecture], harness.training_settings(spec.arch, self.profile)
            criterion = spec.arch.criterion({name: self.loss_nets[name] for name in spec.arch.feature_nets},
                                            bank.images, training, self.profile)
            with progress.model(label, steps) as on_step, speed_phase(self.config.speed, self.config.deterministic), \
                    precision_phase(self.profile.precision, self.device):
                outcome = train_model(model, criterion, spec.conditioning, bank, self.crops.with_seed(seed),
                                      style_indices, steps, training.lr, self.profile.log_every,
                                      on_step, self.train_settings)
            rows = [self._evaluate(spec, model, index, seed, outcome, staged) for index, _ in measured]
            weights = None
            if outcome.status == "ok":  # NOTE: speed does not depend on the style: timed once per model
                speed = self._inference_speed(model, self._conditioning(spec, style_indices[0]))
                rows = [{**row, **speed} for row in rows]
                weights = generator_bytes(model, spec, [self._style(i)[0] for i in range(len(self.images.styles))])
        except (KeyboardInterrupt, SystemExit, OutputError):  # NOTE: a full disk ends the run, not just the norm
            raise
        except Exception as error:  # one broken norm must not end the sweep
            self.run_dir.log_error(label, error)
            outcome, model, weights = TrainOutcome("error", 0, 0, 0.0), None, None
            rows = [self._row(spec.name, "norm", index, seed, outcome=outcome, spec=spec,
                              error=f"{type(error).__name__}: {error}") for index, _ in measured]
        log_rows = [{"norm": spec.name, "model": label, "seed": seed, **entry} for entry in outcome.log]
        return rows, log_rows, weights

    def _inference_speed(self, model, conditioning) -> dict:
        """Inference speed under the run's switches and precision and, in the same process, the plain baseline."""
        batch = next(self.eval_set.chunks(1))[1].expand(self.profile.batch_size, -1, -1, -1).contiguous()
        return measure.inference_speeds(model, batch, conditioning(batch.shape[0]), self.profile.timing_reps,
                                        self.train_settings, self.config.deterministic)

    def _conditioning(self, spec: Placement, style_index: int):
        """``conditioning(count)``: what ``spec``'s layers are given beside ``count`` images of one style."""
        bank = self.banks[spec.architecture]

        def conditioning(count: int) -> torch.Tensor | None:
            return bank.conditioning(spec.conditioning, torch.full((count,), style_index, device=self.device))

        return conditioning

    def _evaluate(self, spec: Placement, model, style_index: int, seed: int, outcome: TrainOutcome,
                  staged: StagedCell) -> dict:
        name, _ = self._style(style_index)
        row = self._row(spec.name, "norm", style_index, seed, outcome=outcome, spec=spec, model=model)
        if outcome.status != "ok":
            return row
        stylize = model_stylizer(model, self._conditioning(spec, style_index), self.profile.batch_size)
        target = self.banks[spec.architecture].images[style_index:style_index + 1]
        # NOTE: images and grids show the first seed; every seed's numbers are in the rows.
        save = self._saver(staged, name) if seed == self.config.seeds[0] else None
        values, notes = self.evaluator.evaluate(f"{spec.name}/{name}", stylize, target, save)
        return {**row, **values, "error": "; ".join(filter(None, [row["error"], *notes]))}

    def _row(self, name: str, kind: str, style_index: int, seed: int | None, status: str = "",
             outcome: TrainOutcome | None = None, spec: Placement | None = None, model=None, error: str = "") -> dict:
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

    def _saver(self, staged: StagedCell, style: str):
        """Stores a row's outputs in its cell: the first SAVED_IMAGES as PNG, of which grids show the first
        GRID_IMAGES."""
        def save(first: int, outputs: torch.Tensor) -> None:
            for offset, output in enumerate(outputs[:max(0, SAVED_IMAGES - first)]):
                staged.write_png(cell_image(self.eval_set.names, style, first + offset), data.to_image(output))

        return save
