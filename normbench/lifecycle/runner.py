"""One benchmark run: the plan (baselines and every requested norm, cell by cell), its record (manifest, tables,
grids) and its lifecycle; a :class:`~normbench.lifecycle.prepared.PreparedRun` computes the cells."""

from __future__ import annotations

import contextlib

import torch

from normbench.catalog import Catalog
from normbench.columns import CONTEXT_COLUMNS, RUN_COLUMNS, id_columns
from normbench.config import RunConfig
from normbench.data import ImageSet
from normbench.errors import OutputError, UserError
from normbench.lifecycle import preparation
from normbench.lifecycle.executors import LocalExecutor
from normbench.lifecycle.grids import write_grids
from normbench.lifecycle.plan import RunPlan, evaluated_styles, fingerprints_of, plan_cells
from normbench.lifecycle.prepared import PreparedRun
from normbench.lifecycle.progress import ProgressDisplay
from normbench.lifecycle.provenance import metric_sections, resumed_manifest, run_manifest
from normbench.lifecycle.run_trackers import RunTrackers
from normbench.metrics.base import MetricRegistry
from normbench.registry import BaselineRegistry, BaselineSpec
from normbench.runtime.environment import now
from normbench.store.cells import Cell, CellStore, RunLock
from normbench.store.directory import Ending, RunDirectory
from normbench.store.manifest import Manifest
from normbench.tracking import TrackerContext, TrackerRegistry


class Run:
    """Measures ``config.baselines`` and trains and measures ``config.norms`` on ``images``, into ``run_dir``, cell by
    cell (:mod:`normbench.store.cells`). With ``stored``, the manifest of the run in ``run_dir``, it resumes that run:
    the protocol must be unchanged, and finished cells are kept. ``trackers`` are handed every record as it is made
    (:mod:`normbench.lifecycle.run_trackers`)."""

    def __init__(
        self,
        config: RunConfig,
        registry: Catalog,
        images: ImageSet,
        run_dir: RunDirectory,
        metric_registry: MetricRegistry | None = None,
        baseline_registry: BaselineRegistry | None = None,
        stored: Manifest | None = None,
        trackers: TrackerRegistry | None = None,
    ):
        self.config, self.registry, self.images, self.run_dir = config, registry, images, run_dir
        self.metric_registry = metric_registry if metric_registry is not None else MetricRegistry()
        self.baseline_registry = baseline_registry if baseline_registry is not None else BaselineRegistry()
        self.specs = [registry.get(name) for name in config.norms]
        self.baselines: list[BaselineSpec] = [self.baseline_registry.get(name) for name in config.baselines]
        self.device = torch.device(config.device)
        self.profile = config.profile
        self.uses_heldout_styles = any(spec.conditioning.takes_arbitrary_styles for spec in self.specs)
        self.store = CellStore(run_dir.path)
        styles, heldout = evaluated_styles(self.specs, images)
        self.cells = plan_cells(config, self.specs, self.baselines, list(styles), list(styles + heldout))
        self.manifest = run_manifest(self)
        if stored is not None:
            self.manifest = resumed_manifest(stored, self.manifest)
        protocol = self.manifest.protocol.to_dict()
        #: What the run computes, as the value executors and workers receive.
        self.plan = RunPlan(
            config,
            run_dir.path,
            protocol,
            tuple(self.cells),
            fingerprints_of(protocol, self.cells, config, registry),
            styles,
            heldout,
        )
        self.style_images = self.plan.style_images(images)
        self.finished: dict[str, tuple[list[dict], list[dict]]] = {}  # cell id -> rows, log rows
        self.trackers = RunTrackers(trackers, run_dir.log_error)

    def execute(self, progress: ProgressDisplay, executor=None) -> None:
        """Every cell not yet finished; on Ctrl-C, SIGTERM, a write error or a crash the finished cells stay, and
        the manifest says how the run ended (``error`` gives the reason of a failed one)."""
        lock = RunLock(self.run_dir.path)
        if not lock.acquire():
            raise UserError(
                f"{self.run_dir.path} is being computed by process {lock.holder()}; wait for it or "
                "stop it before resuming"
            )
        try:
            self.store.clear_staging()
            self._execute(progress, executor or LocalExecutor())
        finally:
            lock.release()

    def _execute(self, progress: ProgressDisplay, executor) -> None:
        prepared: list[PreparedRun] = []  # NOTE: filled once prepared, so that the ending draws grids from it
        with self.run_dir.recording(self.manifest, lambda ending: self._finish(ending, executor, prepared)):
            prepared.append(self.prepare())
            self.manifest.executor = executor.describe()
            kept = self._kept_cells()
            resumed = self.manifest.sessions is not None
            self.trackers.start(
                TrackerContext(self.run_dir.path, self.run_dir.path.name, self.manifest.to_dict(), resumed=resumed)
            )
            self.manifest.trackers = self.trackers.describe()
            self.run_dir.write_manifest(self.manifest)
            progress.start_run(len(self.cells), self.manifest.columns)
            progress.resumed(len(kept), len(self.cells))
            if kept:  # NOTE: a run killed between a cell's commit and the tables' rendering gets them now
                self.render()
            # NOTE: baselines do not train and the instrument is the same for every seed: measured once.
            pending = [cell for cell in self.cells if cell.id not in kept]
            # NOTE: closed at once however the loop ends, so that a Ray executor's workers stop with it
            with contextlib.closing(executor.compute(prepared[0], pending, progress)) as finished:
                for cell, rows, log_rows in finished:
                    self.record_cell(cell, rows, log_rows, progress)

    def _kept_cells(self) -> set[str]:
        """Finished cells of the plan that a resumed run keeps (their rows are loaded; see CellStore.kept)."""
        kept, changed = self.store.kept(self.plan.fingerprints)
        if changed:
            raise UserError(
                f"cells {', '.join(changed)} were computed by another version of their plugin than "
                "this one; their numbers would not compare: start a new run"
            )
        for cell in self.cells:
            if cell.id in kept:
                self.finished[cell.id] = self.store.rows(cell.id)
                self.run_dir.link_images(self.store.path(cell.id), cell.name)
        return kept

    def record_cell(self, cell: Cell, rows: list[dict], log_rows: list[dict], progress: ProgressDisplay) -> None:
        """A finished cell joins the run's tables and images, in plan order."""
        self.finished[cell.id] = (rows, log_rows)
        self.run_dir.link_images(self.store.path(cell.id), cell.name)
        self.render()
        progress.model_done(rows)
        self.trackers.training(log_rows)
        self.trackers.rows(rows)

    def render(self) -> None:
        """results.csv and train_log.csv from every finished cell, in plan order."""
        done = [self.finished[cell.id] for cell in self.cells if cell.id in self.finished]
        self.run_dir.render([row for rows, _ in done for row in rows], [row for _, log in done for row in log])

    def _finish(self, ending: Ending, executor, prepared: list[PreparedRun]) -> None:
        """Grids from whatever finished (skipped after a write error), what the executor ended up using (a Ray
        executor knows its workers then), and the run's and this session's wall time."""
        if prepared and not isinstance(ending.failure, OutputError):
            try:
                write_grids(
                    self.plan, self.run_dir, self.style_images, prepared[0].evaluation.eval_set, set(self.finished)
                )
            except OutputError as error:
                ending.status, ending.failure = "failed", error
        skipped = {**self.images.skipped, **(prepared[0].crops.skipped if prepared else {})}
        if skipped:  # NOTE: each file was warned about once; the whole list is kept with the run
            self.manifest.data["skipped_files"] = skipped
            self.run_dir.log_note(
                "image files skipped (not an accepted image)", [f"{p}: {r}" for p, r in skipped.items()]
            )
        self.manifest.executor = executor.describe()
        self.trackers.finish(ending.status)
        self.manifest.trackers = self.trackers.describe()
        self.manifest.wall_seconds = round((self.manifest.wall_seconds_before or 0) + ending.seconds, 2)
        if self.manifest.sessions:  # NOTE: a resumed run: this session's own ending and time
            self.manifest.sessions[-1].update(
                status=ending.status, finished_at=now(), wall_seconds=round(ending.seconds, 2)
            )

    def prepare(self) -> PreparedRun:
        """What the cells share, made once (:func:`normbench.lifecycle.preparation.prepare`); the manifest's metric
        provenance and columns, and results.csv's columns, once the metrics are built."""
        prepared = preparation.prepare(
            self.plan, self.registry, self.metric_registry, self.baseline_registry, self.images, self.run_dir.log_error
        )
        built = prepared.evaluation
        self.manifest.metrics, self.manifest.columns = metric_sections(
            self.config, self.metric_registry, built.metrics, built.failed
        )
        metric_columns = [column.name for spec in self.metric_registry for column in spec.columns]
        self.run_dir.columns = [
            *id_columns(bool(self.plan.profile.style_weights)),
            *metric_columns,
            *(c.name for c in RUN_COLUMNS),
            *CONTEXT_COLUMNS,
        ]
        return prepared
