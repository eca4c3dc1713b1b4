"""pandas tables from a stored run: columns as the manifest declares them, baselines beside norms, flags.

Every direction, label and axis comes from the run's manifest (``columns``), so
a third-party metric is reported exactly like a built-in one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from normbench.columns import STYLIZATION_AXES, Column
from normbench.numbers import format_interval, format_number
from normbench.report import stats
from normbench.store.results import StoredRun, load_run

__all__ = ["StoredRun", "load_run"]  # NOTE: re-exported; the report modules read runs through tables


def declared_columns(run: StoredRun) -> dict[str, Column]:
    """Every column the run declared, in declaration order."""
    return {name: Column.from_dict({"name": name, **spec}) for name, spec in run.manifest.columns.items()}


def metric_columns(run: StoredRun) -> dict[str, Column]:
    """The ranked columns (with a better direction) that hold at least one number."""
    return {
        name: column
        for name, column in declared_columns(run).items()
        if column.ranked and name in run.results and pd.to_numeric(run.results[name], errors="coerce").notna().any()
    }


def undersampled(run: StoredRun) -> dict[str, str]:
    """The metric columns computed on fewer samples than their definition needs (``Column.min_samples``), with the
    count: reports show them but test and flag nothing on them."""
    found = {}
    for name, column in metric_columns(run).items():
        if column.min_samples is None:
            continue
        rows = run.ok[pd.to_numeric(run.ok[name], errors="coerce").notna()] if name in run.ok else run.ok
        counts = pd.to_numeric(rows.get(column.samples_column, pd.Series(dtype=float)), errors="coerce").dropna()
        if counts.empty or counts.min() < column.min_samples:
            count = "no sample count" if counts.empty else f"{int(counts.min())} samples"
            found[name] = f"{count}, defined on ≥ {column.min_samples}"
    return found


@dataclass(frozen=True)
class Failures:
    """How many of a norm's trained seeds produced no numbers on ``split``: ``failed`` of ``seeds``, by status."""

    failed: int
    seeds: int
    statuses: dict[str, int]

    @property
    def why(self) -> str:
        return ", ".join(status if count == 1 else f"{count} {status}" for status, count in self.statuses.items())

    @property
    def label(self) -> str:
        """``1/3 (diverged)`` or ``0/3``."""
        return f"{self.failed}/{self.seeds}" + (f" ({self.why})" if self.why else "")

    @property
    def sentence(self) -> str:
        """``1 of 3 seeds failed (diverged)``."""
        return f"{self.failed} of {self.seeds} seeds failed" + (f" ({self.why})" if self.why else "")


def failures(run: StoredRun, split: str = "train") -> dict[str, Failures]:
    """Per trained norm, its seeds whose model diverged or failed (any row not ``ok``): rows that would otherwise
    vanish from means, pairs and ranks without a word."""
    rows = run.results[(run.results.kind == "norm") & (run.results.style_split == split)]
    found = {}
    for norm, group in rows.groupby("norm", sort=False):
        by_seed = group.groupby("seed")["status"].agg(lambda statuses: next((s for s in statuses if s != "ok"), "ok"))
        failed = by_seed[by_seed != "ok"]
        found[norm] = Failures(len(failed), len(by_seed), dict(failed.value_counts()))
    return found


#: The statistics of every column in :func:`summary`.
SUMMARY_STATS = ("mean", "low", "high", "seeds")


def seed_means(run: StoredRun, columns: list[str], split: str = "train") -> pd.DataFrame:
    """Per (norm, seed): the mean over styles of each column; a baseline, which has no seed, has one row."""
    rows = run.ok[run.ok.style_split == split]
    return rows.groupby(["norm", "seed"], sort=False, dropna=False)[columns].mean()


def summary(run: StoredRun, split: str = "train") -> pd.DataFrame:
    """One row per norm, then per baseline: for every ranked column, the mean over seeds of the per-seed mean over
    styles, its 95% interval over seeds (``low``, ``high``; none for one seed or a baseline) and the seed count.

    :param split: ``"train"`` (the styles models trained on) or ``"heldout"``.
    """
    columns = list(metric_columns(run))
    per_seed = seed_means(run, columns, split)
    order = [name for name in run.kinds() if name in per_seed.index.get_level_values("norm")]
    records = []
    for norm in order:  # NOTE: rows built as lists, one DataFrame at the end: cell-wise .loc writes were the cost
        values = per_seed.loc[norm]
        intervals = [stats.mean_interval(values[column].to_numpy()) for column in columns]
        records.append([figure for i in intervals for figure in (i.mean, i.low, i.high, i.n)])
    return pd.DataFrame(records, index=order, columns=pd.MultiIndex.from_product([columns, SUMMARY_STATS]), dtype=float)


def better(a: float, b: float, higher_is_better: bool) -> bool:
    return a > b if higher_is_better else a < b


def best_norms(table: pd.DataFrame, columns: dict[str, Column], kinds: dict[str, str]) -> dict[str, str]:
    """For each column, the trained norm with the best mean (baselines are references, never best)."""
    best = {}
    norms = [name for name in table.index if kinds.get(name, "norm") == "norm"]
    for name, column in columns.items():
        means = table.loc[norms, (name, "mean")].dropna()
        if not means.empty:
            best[name] = means.idxmax() if column.higher_is_better else means.idxmin()
    return best


@dataclass(frozen=True)
class Flag:
    """A stylization metric that baselines win against every trained norm in this run.

    :param winners: ``(baseline, its mean)`` for each baseline better than the best norm.
    """

    column: str
    label: str
    winners: tuple[tuple[str, float], ...]
    best_norm: str
    norm_value: float

    @property
    def sentence(self) -> str:
        scores = ", ".join(f"{name} {format_number(value)}" for name, value in self.winners)
        return (
            f"{self.label} ({self.column}): this metric does not separate stylization from doing nothing in this "
            f"run: {'baseline' if len(self.winners) == 1 else 'baselines'} {scores} beat every trained norm "
            f"(best {self.best_norm}, {format_number(self.norm_value)})"
        )


def _baseline_contests(run: StoredRun, axes: tuple[str, ...]):
    """``(name, column, best norm, its mean, {baseline: its mean})`` for each ranked column on ``axes`` that a
    norm has a value for (training styles): what flags and notes compare."""
    columns, kinds = metric_columns(run), run.kinds()
    table = summary(run, "train")
    best = best_norms(table, columns, kinds)
    for name, column in columns.items():
        if column.axis in axes and name in best:
            baselines = {
                baseline: table.loc[baseline, (name, "mean")]
                for baseline in table.index
                if kinds.get(baseline) == "baseline"
            }
            yield name, column, best[name], table.loc[best[name], (name, "mean")], baselines


def baseline_flags(run: StoredRun) -> list[Flag]:
    """Every ``style`` or ``composite`` column on which a baseline beats every norm (on the training styles).

    A baseline's win on an axis it wins by construction (the style image itself on
    style distance) is its job, not a flag.
    """
    wins, flags, untested = run.wins_by_construction(), [], undersampled(run)
    for name, column, best, norm_value, baselines in _baseline_contests(run, STYLIZATION_AXES):
        if name in untested:  # NOTE: not a distribution test at this size: no flag either way
            continue
        winners = tuple(
            (baseline, float(value))
            for baseline, value in baselines.items()
            if column.axis not in wins.get(baseline, set()) and better(value, norm_value, column.higher_is_better)
        )
        if winners:
            flags.append(Flag(name, column.label, winners, best, norm_value))
    return flags


#: Axes a baseline may win without a flag, because they do not claim to measure stylization.
_DESCRIPTIVE_AXES = ("content", "invariance", "other")


def baseline_notes(run: StoredRun) -> list[str]:
    """For every content, invariance or other column, the baselines that score at least as well as every norm.

    These columns are not stylization quality, so a baseline's win is not a flag, but a reader must see it.
    """
    wins, notes = run.wins_by_construction(), []
    for name, column, best, norm_value, baselines in _baseline_contests(run, _DESCRIPTIVE_AXES):
        winners = [
            f"{baseline} {format_number(value)}"
            + (" (by construction)" if column.axis in wins.get(baseline, ()) else "")
            for baseline, value in baselines.items()
            if value == norm_value or better(value, norm_value, column.higher_is_better)
        ]
        if winners:
            notes.append(
                f"{column.label} ({name}, axis {column.axis}): {', '.join(winners)}, at least as good as "
                f"every trained norm (best {best}, {format_number(norm_value)})"
            )
    return notes


def headline(run: StoredRun) -> tuple[str | None, str | None]:
    """``(content column, style column)`` for the headline chart: the first declared of each axis, skipping
    style columns a baseline wins (a flagged column is used only when every one is flagged) and those too
    undersampled to test (FID on a few patches), which come last."""
    columns, flagged = metric_columns(run), {flag.column for flag in baseline_flags(run)}
    untested = undersampled(run)
    content = [name for name, column in columns.items() if column.axis == "content"]
    style = [name for name, column in columns.items() if column.axis == "style"]
    style = sorted(style, key=lambda name: (name in untested, name in flagged))  # NOTE: stable: declared order next
    return (content[0] if content else None), (style[0] if style else None)


def format_cell(table: pd.DataFrame, norm: str, column: str) -> str:
    """``mean [low, high]`` from a :func:`summary`, or the mean alone where there is no interval."""
    return format_interval(*(table.loc[norm, (column, stat)] for stat in ("mean", "low", "high")))


def seed_label(table: pd.DataFrame, norm: str, kinds: dict[str, str]) -> str:
    """How many seeds a :func:`summary` row rests on; ``–`` for a baseline, which does not train."""
    return str(int(table.loc[norm].xs("seeds", level=1).max())) if kinds.get(norm) == "norm" else "–"


def display_summary(run: StoredRun, split: str = "train", leading: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """The summary as strings, ``mean [95% interval over seeds]``; ``leading`` norms per column marked ``*``."""
    columns, kinds, leading = metric_columns(run), run.kinds(), leading or {}
    table = summary(run, split)
    shown = pd.DataFrame(
        index=[f"{name} (baseline)" if kinds.get(name) == "baseline" else name for name in table.index]
    )
    shown["seeds"] = [seed_label(table, norm, kinds) for norm in table.index]
    failed = failures(run, split)
    if any(entry.failed for entry in failed.values()):
        shown["failed seeds"] = [failed[norm].label if norm in failed else "–" for norm in table.index]
    for name, column in columns.items():
        arrow = "↑" if column.higher_is_better else "↓"
        shown[f"{column.label} {arrow}"] = [
            format_cell(table, norm, name) + (" *" if norm in leading.get(name, ()) else "") for norm in table.index
        ]
    return shown


INFO = ("fid_n", "fid_dims", "eval_images", "eval_draws", "features", "precision")


def detail(run: StoredRun) -> pd.DataFrame:
    """The per-row table: every (norm or baseline, style) with the ranked columns and its provenance."""
    keep = ["norm", "kind", "style", "style_split", "seed", "status", *metric_columns(run), *INFO]
    return run.results[[column for column in keep if column in run.results]]
