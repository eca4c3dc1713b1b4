"""The Python API: a run from a notebook or a script, and a stored run read back, as pandas objects.

    import normbench

    result = normbench.run(norms=["in", "bn"], steps=40, image_size=64, weights="random")
    result.summary()                      # one row per norm, baseline and style split
    normbench.load(result.path).results   # every row of results.csv, from any earlier run
    normbench.resume(path)                # a stopped run continued; score, stylize and export reuse its models

``normbench run`` is this API with a progress display around it. Neither import nor call changes anything around
the caller: torch's thread count and determinism flags are restored afterwards, warnings are left to the caller's
filters, and nothing is printed unless ``progress=True``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from normbench.errors import NoResultError, UserError
from normbench.lifecycle.options import RunOptions
from normbench.lifecycle.runner import Run
from normbench.lifecycle.setup import Resolved, resolve_run, torch_state
from normbench.reusing import check_tiles, export, stylize
from normbench.store.directory import RunDirectory, require_run_directory

if TYPE_CHECKING:
    from normbench.lifecycle.progress import ProgressDisplay
    from normbench.notebook import RunSummary
    from normbench.store.manifest import Manifest

from normbench.listing import list_architectures, list_metrics, list_norms  # noqa: E402

__all__ = [
    "PlannedRun",
    "RunResult",
    "RunOptions",
    "export",
    "list_architectures",
    "list_metrics",
    "list_norms",
    "load",
    "plan",
    "resume",
    "run",
    "score",
    "stylize",
    "check_tiles",
]


@dataclass(frozen=True)
class RunResult:
    """A run directory read back: ``results`` (one row per norm or baseline, style and seed), ``train_log``, the
    ``manifest`` (configuration, protocol, provenance of every number) and ``path``."""

    path: Path

    @cached_property
    def manifest(self) -> dict:
        from normbench.store.results import read_run_manifest

        return read_run_manifest(self.path, status_of_cells=False).to_dict()

    @cached_property
    def results(self) -> pd.DataFrame:
        table = self.path / "results.csv"
        return pd.read_csv(table) if table.is_file() else pd.DataFrame()

    @cached_property
    def train_log(self) -> pd.DataFrame:
        log = self.path / "train_log.csv"
        return pd.read_csv(log) if log.is_file() else pd.DataFrame()

    @property
    def status(self) -> str:
        """The state ``normbench status`` gives: ``complete``, ``running``, ``interrupted``, ``terminated``,
        ``failed``, or ``incomplete`` for a run whose process died (its manifest still says running); derived from
        its cells and lock each time it is read (``normbench status`` adds the cell counts)."""
        from normbench.store.results import read_run_manifest

        return str(read_run_manifest(self.path).status).split(":")[0]

    @property
    def columns(self) -> dict[str, dict]:
        """Every metric column's declaration (``higher_is_better``, ``axis``, ``metric``, ...), by name."""
        return self.manifest.get("columns", {})

    def summary(self) -> RunSummary:
        """The answer sentence, each norm's means with their 95% intervals over seeds, the verdicts and the flags,
        as the report and ``--json`` give them (:class:`~normbench.notebook.RunSummary`; shown as HTML with the
        headline chart in a notebook)."""
        from normbench.notebook import run_summary_of

        return run_summary_of(self.path, self._means())

    def _repr_html_(self) -> str:
        return f"<p>{self.path} · {self.status}</p>" + self.summary()._repr_html_()

    def plot(self):
        """The headline chart (style against content, bars over seeds) as a matplotlib figure."""
        from normbench.notebook import headline_figure

        return headline_figure(self.path)

    def generator(self, norm: str, style: str, seed: int | None = None):
        """The trained generator of ``norm`` for ``style`` (``seed``: the run's first) as an ``nn.Module`` with
        the style built in: ``module(images)`` stylizes (N, 3, H, W) images in [0, 1]."""
        from normbench.notebook import generator

        return generator(self.path, norm, style, seed)

    def _means(self) -> pd.DataFrame:
        """What ``summary()`` returned before 0.2, now its ``means``."""
        from normbench.notebook import means_of

        return means_of(self.results, self.columns)

    def report(self) -> Path:
        """Write (or rewrite) the run's self-contained ``report.html`` and return its path."""
        from normbench.report.page import write_report

        return write_report(self.path)


def load(run_dir: str | Path) -> RunResult:
    """The run stored in ``run_dir`` (made by ``normbench run`` or :func:`run`).

    :raises UserError: when ``run_dir`` holds no normbench run.
    """
    return RunResult(require_run_directory(Path(run_dir)))


@dataclass(frozen=True)
class PlannedRun:
    """A run resolved and planned, its directory made, nothing computed yet: :meth:`execute` computes it."""

    resolved: Resolved
    run: Run
    executor: object

    @property
    def path(self) -> Path:
        return self.run.run_dir.path

    def execute(self, progress: ProgressDisplay | None = None) -> RunResult:
        """Compute every cell not yet finished (see :meth:`~normbench.lifecycle.runner.Run.execute`); Ctrl-C or an
        error leaves the finished cells and a manifest saying how the run ended, then propagates."""
        from normbench.lifecycle.progress import QuietRunProgress

        config = self.resolved.config
        with torch_state(deterministic=config.deterministic):
            self.run.execute(progress if progress is not None else QuietRunProgress(), self.executor)
        return RunResult(self.path)


def plan(
    options: RunOptions,
    resume: Path | None = None,
    stored: Manifest | None = None,
    resolved: Resolved | None = None,
    progress: bool = False,
) -> PlannedRun:
    """``options`` resolved (plugins, norms, device, profile, seeds, weights) and the run planned in a new directory
    under ``options.out_dir``; or, with ``resume`` and its ``stored`` manifest and ``resolved`` configuration, the
    run in ``resume`` planned again to continue it. Published weights files the run lacks are downloaded here
    (``progress``: their total size and a bar each on stderr; see :func:`normbench.lifecycle.setup.resolve_run`).

    :raises UserError: for any bad option, named, before anything is written.
    """
    from normbench.data import load_run_images
    from normbench.lifecycle.executors import make_executor

    executor = make_executor(options.executor, options.ray_address, options.cpus_per_task)
    resolved = resolved or resolve_run(options, progress)
    config = resolved.config
    images = load_run_images(config)
    if resume is not None:
        run_dir = RunDirectory.open(resume)
    else:
        run_id = options.run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-{'-'.join(config.norms)}"
        run_dir = RunDirectory.create(options.out_dir, run_id)
    run = Run(
        config, resolved.catalog, images, run_dir, resolved.metrics, resolved.baselines, stored, resolved.trackers
    )
    return PlannedRun(resolved, run, executor)


def run(norms: list[str] | str | None = None, *, progress: bool = False, **options) -> RunResult:
    """Train and measure ``norms`` (default: every registered norm) and the baselines, like ``normbench run``.

    Options are ``normbench run``'s, with underscores: ``profile``, ``steps``, ``image_size``, ``eval_size``,
    ``batch_size``, ``lr`` (a float, or ``{"adain": 3e-5}``), ``seeds``, ``precision``, ``speed``, ``metrics``,
    ``baselines``, ``styles``, ``content_dir``, ``style_dir``, ``weights``, ``eval_network``, ``offline``,
    ``out_dir`` (default ``reports/runs``), ``run_id``, ``disable_plugin``, ``device``, ``executor``; see
    :class:`RunOptions`. ``progress=True`` shows the command's progress bars on the terminal.

    Like torchvision, a published weights file that ``weights`` (default ``auto``) needs and this machine lacks is
    downloaded first, also without ``progress`` (then quietly: its total size goes to the ``normbench`` logger);
    ``offline=True`` or ``NORMBENCH_OFFLINE=1`` never downloads. A network whose file cannot be had falls back to
    a random one with a warning under ``auto``, and raises :class:`~normbench.errors.MissingWeightsError` under
    ``pretrained``.

    :returns: the finished run (:class:`RunResult`), also when some norms failed (their rows say why).
    :raises UserError: for bad options, before any work; :class:`~normbench.errors.OutputError` when the run
        directory cannot be written.
    :raises ValueError: for an option :class:`RunOptions` does not have.
    """
    if isinstance(norms, str):
        norms = [name.strip() for name in norms.split(",") if name.strip()]
    return _execute(plan(RunOptions.from_keywords(norms=norms, **options), progress=progress), progress)


def _execute(planned: PlannedRun, progress: bool) -> RunResult:
    if not progress:
        return planned.execute()
    from normbench.lifecycle.progress import RunProgress, plain_console

    with RunProgress(plain_console(stderr=True)) as display:
        return planned.execute(display)


def resume(run_dir: str | Path, *, progress: bool = False, **changes) -> RunResult:
    """Continue the run stored in ``run_dir`` (stopped by Ctrl-C, a crash or ``kill -9``) with its stored
    configuration, like ``normbench run --resume``: finished cells are kept, the rest are computed.

    ``changes`` may be the options that change where and how fast cells are computed, never their numbers:
    ``device``, ``speed``, ``disable_plugin``, ``executor``, ``ray_address``, ``cpus_per_task``.

    :raises UserError: when ``run_dir`` holds no run, its protocol changed, or another process computes it.
    :raises ValueError: for any other option.
    """
    from normbench.reuse.reopen import reopen

    path = Path(run_dir)
    options, resolved, stored = reopen(path, progress=progress, **changes)
    return _execute(plan(options, path, stored, resolved, progress), progress)


def score(
    run_dir: str | Path, metrics: list[str], *, device: str = "auto", disable_plugin=(), on_cell=None
) -> RunResult:
    """Measure every finished cell of the run in ``run_dir`` with ``metrics`` (new ones, or ones whose plugin
    changed) on its stored generators and baselines, without training, like ``normbench score``; their columns are
    written into the cells, results.csv, the manifest (which records the scoring) and the report.
    ``on_cell(cell, rows)`` follows progress.

    :raises NoResultError: when the run has no finished cell.
    :raises UserError: when another process computes the run.
    """
    from normbench.report.page import write_report
    from normbench.reuse.reopen import open_run
    from normbench.reuse.scoring import score_run
    from normbench.store.cells import RunLock

    path = Path(run_dir)
    run = open_run(path, device, list(metrics), disable_plugin)
    lock = RunLock(path)
    if not lock.acquire():
        raise UserError(f"{path} is being computed by process {lock.holder()}; score it when it ends")
    try:
        rescored = score_run(run, on_cell)
    finally:
        lock.release()
    if not rescored:
        raise NoResultError(f"{path} has no finished cell to score")
    write_report(path)
    return RunResult(path)
