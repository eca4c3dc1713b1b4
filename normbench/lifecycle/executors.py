"""Where a run's cells are computed: in this process, one after another (``local``, the default), or as Ray tasks on
this machine's or a cluster's CPUs and GPUs (``ray``, the optional extra ``normbench[ray]``).

An executor computes cells and yields each one as it finishes, ``(cell, rows, log rows)``; it records nothing. The
run that asked (:meth:`~normbench.lifecycle.runner.Run.execute`) records them: tables in plan order, images, trackers.
Every worker plans the same run from the same configuration and writes its finished cells into the run directory
(a folder every node sees).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from normbench.errors import UserError
from normbench.lifecycle.plan import RunPlan, fingerprints_of
from normbench.lifecycle.progress import QuietRunProgress
from normbench.store.cells import Cell

EXECUTORS = ("local", "ray")
#: A finished cell as an executor yields it: the cell, its rows and its training-log rows.
Finished = tuple[Cell, list[dict], list[dict]]


class LocalExecutor:
    """The cells one after another in this process."""

    def describe(self) -> dict:
        return {"name": "local"}

    def compute(self, prepared, cells: list[Cell], progress) -> Iterator[Finished]:
        for cell in cells:
            yield (cell, *prepared.compute_cell(cell, progress))


class CellWorker:
    """A Ray actor: receives the run's plan, loads its own plugins and data, checks that they give the plan's
    fingerprints, prepares networks, data and metrics once, then computes the cells it is given with ``threads``
    torch threads (its CPU share)."""

    def __init__(self, plan: RunPlan, threads: int | None):
        from normbench.data import load_run_images
        from normbench.lifecycle.preparation import prepare
        from normbench.lifecycle.provenance import images_digest
        from normbench.plugins import load_plugins, select_metrics
        from normbench.runtime.threads import match_torch_threads
        from normbench.store.directory import RunDirectory

        self.threads = match_torch_threads(threads)
        config = plan.config
        loaded = load_plugins(blocked=tuple(config.plugins.get("disabled") or ()))
        catalog, images = loaded.catalog(), load_run_images(config)
        held = images.heldout_styles if plan.heldout_styles else []
        digest = images_digest(images.train, images.heldout, images.styles, held)
        fingerprints = fingerprints_of(plan.protocol, plan.cells, config, catalog)
        # NOTE: another node with other data or plugins would compute other numbers under the same cell ids
        if digest != plan.protocol["data"]["digest"] or fingerprints != plan.fingerprints:
            raise UserError(
                f"a Ray worker plans run {plan.path} with other cell fingerprints than the driver: its "
                "data, plugins or normbench version differ from the driver's"
            )
        metrics = select_metrics(loaded.metrics, config.metrics)
        log_error = RunDirectory(plan.path).log_error
        self.prepared = prepare(plan, catalog, metrics, loaded.baselines, images, log_error)

    def compute(self, cell) -> tuple[str, list[dict], list[dict]]:
        rows, log_rows = self.prepared.compute_cell(cell, QuietRunProgress())
        return cell.id, rows, log_rows

    def threads_used(self) -> int:
        return self.threads


@dataclass
class RayExecutor:
    """Cells as tasks of Ray actors: one GPU per worker where the run is on CUDA, else ``cpus_per_task`` CPUs per
    worker, whose torch threads are set to match, so workers never oversubscribe a node's cores.

    :param address: a running cluster's address (``ray://host:10001`` or ``host:6379``); None starts a local Ray.
    :param cpus_per_task: CPUs (and torch threads) per worker; None takes every CPU this process may use, so a
        local run computes one cell at a time with the threads, and so the numbers, of the local executor.
    """

    address: str | None = None
    cpus_per_task: int | None = None
    workers: int = 0

    def describe(self) -> dict:
        return {
            "name": "ray",
            "address": self.address or "local",
            "cpus_per_task": self.cpus_per_task,
            "workers": self.workers,
        }

    def compute(self, prepared, cells: list[Cell], progress) -> Iterator[Finished]:
        if not cells:
            return
        plan: RunPlan = prepared.plan
        ray = _import_ray()
        from ray.util import ActorPool

        from normbench.runtime.threads import available_cpus

        started = not ray.is_initialized()
        if started:
            ray.init(
                address=self.address,
                num_cpus=None if self.address else available_cpus(),
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        gpus = 1 if plan.device.type == "cuda" else 0
        cpus = self.cpus_per_task or (1 if gpus else available_cpus())
        total = ray.cluster_resources()
        capacity = int(total.get("GPU", 0)) if gpus else int(total.get("CPU", 1) // cpus)
        if capacity < 1:
            raise UserError(
                f"the Ray cluster has no room for a worker of {cpus} CPUs{' and 1 GPU' if gpus else ''} "
                f"(it has {total.get('CPU', 0):g} CPUs, {total.get('GPU', 0):g} GPUs); lower "
                "--cpus-per-task"
            )
        self.cpus_per_task, self.workers = cpus, min(len(cells), capacity)
        actor = ray.remote(num_cpus=cpus, num_gpus=gpus)(CellWorker)
        # NOTE: the directory as every node names it
        shared = replace(plan, path=plan.path.resolve())
        workers = [actor.remote(shared, cpus) for _ in range(self.workers)]
        by_id = {cell.id: cell for cell in cells}
        try:
            for cell_id, rows, log_rows in ActorPool(workers).map_unordered(
                lambda worker, cell: worker.compute.remote(cell), cells
            ):
                yield by_id[cell_id], rows, log_rows
        except ray.exceptions.RayTaskError as error:
            raise error.as_instanceof_cause() from None
        finally:
            for worker in workers:
                ray.kill(worker)
            if started:
                ray.shutdown()


def _import_ray():
    try:
        import ray
    except ImportError:
        raise UserError('--executor ray needs Ray: pip install "normbench[ray]"') from None
    return ray


def make_executor(name: str, address: str | None = None, cpus_per_task: int | None = None):
    """The executor ``--executor`` names.

    :raises UserError: for an unknown name, or Ray options without ``--executor ray``.
    """
    if name not in EXECUTORS:
        raise UserError(f"unknown executor {name!r}; available: {', '.join(EXECUTORS)}")
    if name == "local":
        if address is not None or cpus_per_task is not None:
            raise UserError("--ray-address and --cpus-per-task need --executor ray")
        return LocalExecutor()
    if cpus_per_task is not None and cpus_per_task < 1:
        raise UserError(f"--cpus-per-task must be at least 1, got {cpus_per_task}")
    _import_ray()
    return RayExecutor(address, cpus_per_task)
