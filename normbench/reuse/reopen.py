"""Runs planned again from what they stored: a resumed run, and the runs ``score``, ``stylize`` and ``export`` reuse.

The stored configuration comes back as :class:`~normbench.lifecycle.options.RunOptions` (``RunOptions.from_stored``) and
is resolved again here (plugins, device, weights); only the options declared ``resumable`` may differ, as they change
where and how fast cells are computed, not their numbers. Whether the protocol is unchanged is for the run to check
(:func:`normbench.lifecycle.provenance.resumed_manifest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from normbench.catalog import Catalog
from normbench.config import Profile
from normbench.data import ImageSet
from normbench.errors import UserError
from normbench.lifecycle import preparation
from normbench.lifecycle.options import RunOptions, flag_name, flags
from normbench.lifecycle.plan import RunPlan, plan_run
from normbench.lifecycle.prepared import PreparedRun
from normbench.lifecycle.setup import Resolved, resolve_run
from normbench.metrics.base import MetricRegistry
from normbench.registry import BaselineRegistry
from normbench.store.cells import CellStore
from normbench.store.directory import RunDirectory
from normbench.store.manifest import Manifest
from normbench.store.results import read_run_manifest

#: Options a resumed run may change, with their defaults (:class:`~normbench.lifecycle.options.Flag` ``resumable``).
RESUMABLE = {item.name for item, flag in flags() if flag.resumable}


def resumable_flags() -> str:
    return ", ".join(flag_name(item) for item, flag in flags() if flag.resumable)


def stored_options(run_dir: Path, stored: Manifest, metrics: list[str] | None = None, **changes) -> RunOptions:
    """The options ``stored`` (the manifest of the run in ``run_dir``) was made with. ``device`` and ``speed`` of
    ``changes`` may differ from the stored ones; left at their defaults, the stored ones are kept, as are the stored
    speed switches on the stored device.

    :raises ValueError: for a change that is not resumable.
    """
    unknown = sorted(set(changes) - RESUMABLE)
    if unknown:
        raise ValueError(f"a stored run cannot change {unknown[0]!r}; it may change {', '.join(sorted(RESUMABLE))}")
    saved = stored.config
    device, speed = changes.pop("device", "auto"), changes.pop("speed", "fast")
    same_device = device in ("auto", saved["device"])
    return RunOptions.from_stored(
        saved,
        run_dir,
        metrics=metrics,
        device=saved["device"] if same_device else device,
        speed=saved["speed"]["speed"] if same_device and speed == "fast" else speed,
        **changes,
    )


def reopen(
    run_dir: Path, metrics: list[str] | None = None, progress: bool = False, **changes
) -> tuple[RunOptions, Resolved, Manifest]:
    """The run stored in ``run_dir``: its options (:func:`stored_options`), resolved again here, and its manifest.
    Nothing is written.

    :raises UserError: when ``run_dir`` holds no run, or one whose profile this version cannot make again.
    """
    stored = read_run_manifest(run_dir, status_of_cells=False)
    options = stored_options(run_dir, stored, metrics, **changes)
    resolved = resolve_run(options, progress)
    saved = stored.config
    # NOTE: every profile field as stored (a study file may set fields no flag reaches)
    try:
        resolved.config.profile = Profile(**saved["profile"])
    except TypeError:  # NOTE: fields renamed since (adain_lr went into the architectures' training settings)
        raise UserError(
            f"{run_dir} was made by another normbench version ({stored.normbench}), whose profile "
            f"fields differ from this one's: it cannot be planned again; start a new run"
        ) from None
    resolved.config.baselines = list(saved["baselines"])
    return options, resolved, stored


@dataclass(frozen=True)
class ReopenedRun:
    """A stored run planned again to reuse what it trained: its ``plan`` (under the ``stored`` manifest's protocol),
    its ``directory`` and cell ``store``, and what this process computes it with (the resolved plugins and the
    images). Score, stylize and export read it; nothing here trains."""

    plan: RunPlan
    directory: RunDirectory
    stored: Manifest
    catalog: Catalog
    metrics: MetricRegistry
    baselines: BaselineRegistry
    images: ImageSet

    @property
    def store(self) -> CellStore:
        return CellStore(self.plan.path)

    @property
    def style_images(self) -> list:
        return self.plan.style_images(self.images)

    def prepare(self) -> PreparedRun:
        """What the plan's cells share (:func:`normbench.lifecycle.preparation.prepare`), errors into errors.log."""
        return preparation.prepare(
            self.plan, self.catalog, self.metrics, self.baselines, self.images, self.directory.log_error
        )


def open_run(run_dir: Path, device: str = "auto", metrics: list[str] | None = None, disable_plugin=()) -> ReopenedRun:
    """A finished (or partly finished) run, planned again from its stored configuration to reuse what it trained.
    Nothing is written."""
    from normbench.data import load_run_images

    _, resolved, stored = reopen(run_dir, metrics, device=device, speed="plain", disable_plugin=list(disable_plugin))
    config, images = resolved.config, load_run_images(resolved.config)
    baselines = [resolved.baselines.get(name) for name in config.baselines]
    plan = plan_run(config, resolved.catalog, baselines, images, run_dir, stored.protocol.to_dict())
    return ReopenedRun(
        plan, RunDirectory(run_dir), stored, resolved.catalog, resolved.metrics, resolved.baselines, images
    )
