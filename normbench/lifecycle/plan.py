"""What a run computes, as one value: its configuration, protocol, cells and their fingerprints, and the styles in
the order of the style banks. A :class:`RunPlan` is picklable and made once, by the process that starts the run; a
Ray worker receives it and computes cells from it, checking that its own data and plugins give the same
fingerprints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from normbench.catalog import Catalog, Placement, training_settings
from normbench.config import Profile, RunConfig
from normbench.data import ImageSet
from normbench.registry import BaselineSpec
from normbench.runtime.precision import autocast_of
from normbench.runtime.switches import SpeedSettings
from normbench.store.cells import Cell, fingerprint


@dataclass(frozen=True)
class RunPlan:
    """A run as a value: ``config``, its run directory ``path``, the ``protocol`` (the manifest's), the ``cells``
    in plan order with their ``fingerprints`` by id, and the training ``styles`` then the evaluated
    ``heldout_styles``, by name, in the order of the style banks."""

    config: RunConfig
    path: Path
    protocol: dict
    cells: tuple[Cell, ...]
    fingerprints: dict[str, str]
    styles: tuple[str, ...]
    heldout_styles: tuple[str, ...] = ()

    @property
    def device(self) -> torch.device:
        return torch.device(self.config.device)

    @property
    def profile(self) -> Profile:
        return self.config.profile

    @property
    def train_settings(self) -> SpeedSettings:
        """The run's speed switches with the autocast its precision sets: the precision is the protocol's; the
        switches only decide how fast it is computed."""
        return replace(self.config.speed, autocast=autocast_of(self.profile.precision))

    @property
    def style_names(self) -> tuple[str, ...]:
        return self.styles + self.heldout_styles

    def style_index(self, name: str) -> int:
        """Where style ``name`` is in the banks: the training styles, then the held-out ones."""
        return self.style_names.index(name)

    def style_at(self, index: int) -> tuple[str, str]:
        """``(name, split)`` of the style at ``index`` of the banks."""
        return self.style_names[index], "train" if index < len(self.styles) else "heldout"

    def model_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.kind == "model"]

    def style_images(self, images: ImageSet) -> list:
        """``(name, image)`` of every style of the banks, in their order, from this process's ``images``."""
        return images.styles + (images.heldout_styles if self.heldout_styles else [])


def evaluated_styles(specs: list[Placement], images: ImageSet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The training styles, and the held-out ones evaluated: those judge arbitrary-style models, so without one
    nobody is measured on them."""
    styles = tuple(name for name, _ in images.styles)
    if not any(spec.conditioning.takes_arbitrary_styles for spec in specs):
        return styles, ()
    return styles, tuple(name for name, _ in images.heldout_styles)


def plan_run(
    config: RunConfig, catalog: Catalog, baselines: list[BaselineSpec], images: ImageSet, path: Path, protocol: dict
) -> RunPlan:
    """The plan of ``config`` on ``images`` under ``protocol``, into run directory ``path``: its cells (see
    :func:`plan_cells`) with this process's fingerprints."""
    specs = [catalog.get(name) for name in config.norms]
    styles, heldout = evaluated_styles(specs, images)
    cells = plan_cells(config, specs, baselines, list(styles), list(styles + heldout))
    return RunPlan(
        config, path, protocol, tuple(cells), fingerprints_of(protocol, cells, config, catalog), styles, heldout
    )


def models_of(spec: Placement, num_styles: int) -> list[list[int]]:
    """Style indices each model of ``spec`` serves: one model per style, or one for all."""
    if spec.conditioning.serves_many_styles:
        return [list(range(num_styles))]
    return [[index] for index in range(num_styles)]


def plan_cells(
    config: RunConfig, specs: list[Placement], baselines: list[BaselineSpec], styles: list[str], evaluated: list[str]
) -> list[Cell]:
    """Every baseline (on the ``evaluated`` styles), then ``(seed, style weight, norm, styles)`` per model, seed by
    seed: a run stopped after seed s has s whole pairs (whole curves, in a sweep)."""
    cells = [Cell("baseline", baseline.name, tuple(evaluated)) for baseline in baselines]
    weights: list[float | None] = list(config.profile.style_weights) or [None]
    return cells + [
        Cell("model", spec.name, tuple(styles[i] for i in served), seed, weight)
        for seed in config.seeds
        for weight in weights
        for spec in specs
        for served in models_of(spec, len(styles))
    ]


def cell_origin(config: RunConfig, catalog: Catalog, cell: Cell) -> dict | None:
    """The plugin entries (plugin, distribution and version) that compute ``cell`` and, for a model, its
    architecture's and the training settings it uses: part of its fingerprint."""

    def entry(kind: str, name: str) -> dict | None:
        return next((item for item in config.plugins.get(kind) or [] if item["name"] == name), None)

    if cell.kind != "model":
        return entry("baselines", cell.name)
    spec = catalog.get(cell.name)
    return {
        "norm": entry("norms", spec.norm.name),
        "architecture": entry("architectures", spec.architecture),
        "training": asdict(training_settings(spec.arch, config.profile)),  # NOTE: the sweep's factor is the key's
    }


def fingerprints_of(protocol: dict, cells: list[Cell] | tuple[Cell, ...], config: RunConfig, catalog: Catalog):
    """Each cell's fingerprint by id, as this process's plugins make it."""
    return {cell.id: fingerprint(protocol, cell, cell_origin(config, catalog, cell)) for cell in cells}
