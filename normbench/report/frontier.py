"""A norm is a curve, not a point: in a run that sweeps the style weight, each norm's trade-off curve of style
against content distance, summarised per seed by the area it dominates, and compared as a whole.

The space is the box whose corners are the two ways of doing nothing, so the summary is bounded, comparable
between runs, and defined although the unchanged content's content distance is 0 (where a log axis is -inf):

- ``x = (content − c0) / (c1 − c0)``: 0 is the content distance of the baseline that wins content by construction
  (the content itself), 1 that of the baseline that wins style by construction (the style image);
- ``y = (style − s0) / (s1 − s0)``: 0 is the style image's style distance, 1 the unchanged content's.

A curve's summary is its hypervolume: the area of the box's part it dominates (lower is better on both axes), with
the reference point (1, 1) (both baselines at once). It is computed per seed, from the seed's mean over the training
styles at each style weight, so seeds pair as in every other comparison. A baseline that declares a curve
(``BaselineSpec.curve``: colour transfer blended with the content) is summarised alike, and a norm whose mean curve
adds no area to that baseline's, dominating it nowhere, is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from normbench.report import stats, tables
from normbench.report.analysis import quality_columns


def hypervolume(points, reference: tuple[float, float] = (1.0, 1.0)) -> float:
    """The area that ``points`` ``(n, 2)`` dominate (lower is better on both axes) inside the box below
    ``reference``; a point not below the reference on both axes adds nothing."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    inside = points[(points[:, 0] < reference[0]) & (points[:, 1] < reference[1])]
    area, ceiling = 0.0, reference[1]
    for x, y in inside[np.lexsort((inside[:, 1], inside[:, 0]))]:
        if y < ceiling:  # NOTE: sweeping left to right, each point adds the strip below the lowest so far
            area += (reference[0] - x) * (ceiling - y)
            ceiling = y
    return float(area)


def added_hypervolume(points, other, reference: tuple[float, float] = (1.0, 1.0)) -> float:
    """The area ``points`` dominate that ``other`` does not: 0 where ``other``'s curve dominates every point."""
    both = np.vstack([np.asarray(points, dtype=float).reshape(-1, 2), np.asarray(other, dtype=float).reshape(-1, 2)])
    return hypervolume(both, reference) - hypervolume(other, reference)


@dataclass(frozen=True)
class Space:
    """The box of the frontier on columns ``content`` and ``style``: ``(c0, c1)`` and ``(s0, s1)`` are its ends."""

    content: str
    style: str
    c0: float
    c1: float
    s0: float
    s1: float

    def normalise(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``x`` and ``y`` of the rows of ``frame`` (which has the content and style columns)."""
        return pd.DataFrame(
            {
                "x": (frame[self.content] - self.c0) / (self.c1 - self.c0),
                "y": (frame[self.style] - self.s0) / (self.s1 - self.s0),
            },
            index=frame.index,
        )


def _train_rows(run: tables.StoredRun) -> pd.DataFrame:
    curves = run.curves if run.curves is not None else pd.DataFrame()
    return curves[(curves.status == "ok") & (curves.style_split == "train")] if len(curves) else curves


def axes(run: tables.StoredRun) -> tuple[str | None, str | None]:
    """The first declared content and style columns that verdicts test. Unlike the point chart's, a column a
    baseline wins is not passed over: the curves are drawn to show exactly that."""
    columns = quality_columns(run)
    content = [name for name, column in columns.items() if column.axis == "content"]
    style = [name for name, column in columns.items() if column.axis == "style"]
    return (content[0] if content else None), (style[0] if style else None)


def space(run: tables.StoredRun) -> tuple[Space | None, str]:
    """The run's frontier box, or None and why there is none."""
    content, style = axes(run)
    if content is None or style is None:
        return None, "no testable content or style column was measured"
    winners = {
        axis: [name for name, axes in run.wins_by_construction().items() if axis in axes]
        for axis in ("content", "style")
    }
    rows = run.ok[(run.ok.kind == "baseline") & (run.ok.style_split == "train")]
    ends = {}
    for axis, names in winners.items():
        measured = rows[rows.norm.isin(names)]
        if measured.empty:
            return None, f"no baseline that wins {axis} by construction was measured, so the box has no {axis} end"
        ends[axis] = measured.groupby("norm")[[content, style]].mean().iloc[0]
    box = Space(
        content, style, ends["content"][content], ends["style"][content], ends["style"][style], ends["content"][style]
    )
    if not (box.c1 > box.c0 and box.s1 > box.s0):
        return None, "the baselines that win each axis by construction do not span a box (each must lose the other)"
    return box, ""


def norm_points(run: tables.StoredRun, box: Space) -> pd.DataFrame:
    """Each norm's curve per seed: index (norm, seed, style_weight, alpha), columns x and y (means over the
    training styles); alpha below 1 is a test-time blend of a model that takes style features."""
    rows = _train_rows(run)
    rows = rows[rows.kind == "norm"]
    means = rows.groupby(["norm", "seed", "style_weight", "alpha"], sort=False)[[box.content, box.style]].mean()
    return box.normalise(means)


def baseline_points(run: tables.StoredRun, box: Space) -> dict[str, pd.DataFrame]:
    """The curve of every baseline measured at more than one blend: ``{name: x and y by alpha}``."""
    rows = _train_rows(run)
    rows = rows[rows.kind == "baseline"]
    found = {}
    for name, group in rows.groupby("norm", sort=False):
        if group.alpha.nunique() > 1:
            found[str(name)] = box.normalise(group.groupby("alpha")[[box.content, box.style]].mean())
    return found


def seed_hypervolumes(points: pd.DataFrame) -> pd.DataFrame:
    """Hypervolume per (seed, norm) of :func:`norm_points`: index seed, one column per norm."""
    values = points.groupby(level=["norm", "seed"], sort=False).apply(lambda curve: hypervolume(curve[["x", "y"]]))
    return values.unstack("norm")


def mean_curves(points: pd.DataFrame) -> pd.DataFrame:
    """Per (norm, style weight, alpha): the mean over seeds of x and y with 95% intervals over seeds (``x_low``
    ...)."""
    records = []
    for (norm, weight, alpha), group in points.groupby(level=["norm", "style_weight", "alpha"], sort=False):
        record = {"norm": norm, "style_weight": weight, "alpha": alpha}
        for axis in ("x", "y"):
            interval = stats.mean_interval(group[axis])
            record.update({axis: interval.mean, f"{axis}_low": interval.low, f"{axis}_high": interval.high})
        records.append(record)
    return pd.DataFrame.from_records(records)


@dataclass(frozen=True)
class Frontier:
    """A sweep's answer: the box, each norm's per-seed hypervolumes and their mean with interval, the paired
    comparisons with the reference norm (Holm over the family), the mean curves, and each curved baseline's
    hypervolume and the area each norm adds to it (per seed), with ``dominated`` the (norm, baseline) pairs whose
    mean curve adds none."""

    space: Space
    hypervolumes: pd.DataFrame
    summaries: dict[str, stats.Interval]
    comparisons: list[stats.PairedDifference]
    curves: pd.DataFrame
    baselines: dict[str, pd.DataFrame]
    baseline_hypervolumes: dict[str, float]
    added: dict[tuple[str, str], stats.Interval]
    dominated: list[tuple[str, str]]


def _by_seed(values: pd.Series) -> pd.Series:
    """Per-seed values indexed (seed, style) as :func:`stats.paired_difference` pairs them; one pseudo-style."""
    return pd.Series(
        values.to_numpy(),
        index=pd.MultiIndex.from_arrays([values.index, ["all"] * len(values)], names=["seed", "style"]),
    )


def _comparisons(volumes: pd.DataFrame, reference: str | None) -> list[stats.PairedDifference]:
    """Each norm's hypervolume against the reference's, paired over seeds, Holm over the norms compared."""
    if reference not in volumes.columns:
        return []
    return stats.adjust(
        [
            stats.paired_difference(
                _by_seed(volumes[norm]), _by_seed(volumes[reference]), True, (norm, reference, "hypervolume")
            )
            for norm in volumes.columns
            if norm != reference
        ]
    )


def _against_baselines(points: pd.DataFrame, curves: pd.DataFrame, baselines: dict[str, pd.DataFrame]):
    """``(added, dominated)``: per (norm, curved baseline) the area the norm's curve adds to the baseline's, per
    seed; and the pairs whose mean curve adds none."""
    added, dominated = {}, []
    for name, curve in baselines.items():
        for norm, seeds in points.groupby(level="norm", sort=False):
            per_seed = [added_hypervolume(group, curve) for _, group in seeds.groupby(level="seed")]
            added[(str(norm), name)] = stats.mean_interval(per_seed)
            if added_hypervolume(curves[curves.norm == norm][["x", "y"]], curve) <= 0:
                dominated.append((str(norm), name))
    return added, dominated


def frontier(run: tables.StoredRun, reference: str | None) -> tuple[Frontier | None, str]:
    """The frontier analysis of a sweep against the ``reference`` norm, or None and why there is none."""
    if run.curves is None:
        return None, "the run did not sweep the style weight (--style-weights)"
    box, why = space(run)
    if box is None:
        return None, why
    points = norm_points(run, box)
    if points.empty:
        return None, "no norm finished a point of its curve"
    volumes = seed_hypervolumes(points)
    curves, baselines = mean_curves(points), baseline_points(run, box)
    added, dominated = _against_baselines(points, curves, baselines)
    summaries = {norm: stats.mean_interval(volumes[norm]) for norm in volumes.columns}
    baseline_volumes = {name: hypervolume(curve) for name, curve in baselines.items()}
    comparisons = _comparisons(volumes, reference)
    return Frontier(box, volumes, summaries, comparisons, curves, baselines, baseline_volumes, added, dominated), ""
