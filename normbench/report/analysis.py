"""What a stored run concludes over its seeds: paired differences against a reference norm, verdicts in words,
the leading norms of each column, mean ranks, and the spread over seeds beside the spread over evaluation draws.

Every test here is paired by training seed (see :mod:`normbench.report.stats`). Verdicts cover the quality
axes (content, style, composite) of the training styles; on each column, Holm's correction covers the k - 1
comparisons of the other norms with the reference; differences it does not find are ties.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from normbench.columns import Column
from normbench.errors import UserError
from normbench.numbers import format_number
from normbench.report import stats, tables

#: Axes the verdicts test: what a reader means by "better". Speed and invariance are reported, not judged.
QUALITY_AXES = ("content", "style", "composite")


def cells(run: tables.StoredRun, column: str, split: str = "train") -> pd.DataFrame:
    """One column's values of the trained norms: index (seed, style), one column per norm in run order."""
    rows = run.ok[(run.ok.style_split == split) & (run.ok.kind == "norm")]
    table = rows.pivot_table(index=["seed", "style"], columns="norm", values=column, aggfunc="mean")
    return table[[name for name in run.kinds() if name in table.columns]]


def norms(run: tables.StoredRun) -> list[str]:
    return [name for name, kind in run.kinds().items() if kind == "norm"]


def seed_count(run: tables.StoredRun) -> int:
    """Distinct training seeds among the finished rows of trained norms."""
    return int(run.ok[run.ok.kind == "norm"].seed.nunique())


def reference_norm(run: tables.StoredRun, requested: str | None = None) -> str | None:
    """The norm the others are tested against: ``requested``, else the run's ``--reference``, else its first norm.

    :raises UserError: when ``requested`` is not a trained norm of the run.
    """
    available = norms(run)
    if requested is not None:
        if requested not in available:
            raise UserError(
                f"--reference {requested}: not a trained norm of this run; available: {', '.join(available) or 'none'}"
            )
        return requested
    stored = run.manifest.seeds.get("reference")
    return stored if stored in available else (available[0] if available else None)


def quality_columns(run: tables.StoredRun) -> dict[str, Column]:
    return {name: column for name, column in tables.metric_columns(run).items() if column.axis in QUALITY_AXES}


def paired_comparisons(run: tables.StoredRun, reference: str | None) -> list[stats.PairedDifference]:
    """Every other norm against ``reference`` on every quality column; Holm-adjusted per column over the k - 1
    comparisons with the reference (Demšar 2006, comparisons with a control), so that adding a metric does not
    change another metric's verdicts."""
    if reference is None:
        return []
    found = []
    for name, column in quality_columns(run).items():
        table = cells(run, name)
        if reference not in table:
            continue
        found += stats.adjust(
            [
                stats.paired_difference(table[norm], table[reference], column.higher_is_better, (norm, reference, name))
                for norm in table.columns
                if norm != reference
            ]
        )
    return found


def paired_frame(run: tables.StoredRun, comparisons: list[stats.PairedDifference]) -> pd.DataFrame:
    """The comparisons as data: one row per (norm, column), for ``paired.csv`` and the report's table."""
    columns = tables.metric_columns(run)
    return pd.DataFrame(
        [
            {
                "norm": c.norm,
                "reference": c.reference,
                "column": c.column,
                "label": columns[c.column].label,
                "seeds": c.difference.n,
                "difference": c.difference.mean,
                "low": c.difference.low,
                "high": c.difference.high,
                "p": c.p,
                "p_holm": c.p_holm,
                "better_seeds": c.better_seeds,
                "verdict": c.verdict(columns[c.column].higher_is_better),
                "interval": c.difference.method,
                "test": "paired t-test over seeds, Holm over the column's comparisons with the reference",
            }
            for c in comparisons
        ]
    )


def _signed(value: float) -> str:
    return format_number(value, 3, signed=True)


def describe(comparison: stats.PairedDifference, column: Column, flagged: bool) -> str:
    """``better Gram style distance (−0.37 [−0.59, −0.16], 3/3 seeds, p_Holm = 0.03)``."""
    d, word = comparison.difference, comparison.verdict(column.higher_is_better)
    interval = f" [{_signed(d.low)}, {_signed(d.high)}]" if d.has_interval else ""
    count = comparison.better_seeds if word != "worse" else d.n - comparison.better_seeds
    seeds = f"{count}/{d.n} seeds" + ("" if word == "better" else " worse" if word == "worse" else " better")
    p = "" if math.isnan(comparison.p_holm) else f", p_Holm = {comparison.p_holm:.2g}"
    return f"{word} {column.label}{' ⚑' if flagged else ''} ({_signed(d.mean)}{interval}, {seeds}{p})"


def verdicts(
    run: tables.StoredRun, reference: str | None, comparisons: list[stats.PairedDifference] | None = None
) -> list[str]:
    """One sentence per norm against the reference: its significant differences first, then what ties."""
    comparisons = paired_comparisons(run, reference) if comparisons is None else comparisons
    columns = tables.metric_columns(run)
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    sentences = []
    for norm in dict.fromkeys(c.norm for c in comparisons):
        mine = [c for c in comparisons if c.norm == norm]
        decided = [
            describe(c, columns[c.column], c.column in flagged)
            for c in mine
            if c.verdict(columns[c.column].higher_is_better) != "tied"
        ]
        tied = [columns[c.column].label for c in mine if c.verdict(columns[c.column].higher_is_better) == "tied"]
        n = max(c.difference.n for c in mine)
        parts = decided + ([f"tied on {', '.join(tied)}"] if tied else [])
        note = " (one seed: nothing can be told from seed noise; run several seeds, e.g. --seeds 0-4)" if n < 2 else ""
        sentences.append(f"{norm} vs {reference}, {n} paired seed{'s' if n != 1 else ''}: {'; '.join(parts)}{note}")
    return sentences


def leading_norms(run: tables.StoredRun, table: pd.DataFrame) -> dict[str, set[str]]:
    """Per column of ``table`` (a :func:`tables.summary`): the best norm by mean and every norm whose paired test
    against it is not significant (Holm within the column). Empty with one seed, or when every norm ties."""
    leading = {}
    columns = tables.metric_columns(run)
    for name, column in columns.items():
        values = cells(run, name)
        means = table.loc[[n for n in values.columns if n in table.index], (name, "mean")].dropna()
        if means.empty or seed_count(run) < 2:
            continue
        best = means.idxmax() if column.higher_is_better else means.idxmin()
        others = [n for n in means.index if n != best]
        tests = stats.adjust(
            [stats.paired_difference(values[n], values[best], column.higher_is_better, (n, best, name)) for n in others]
        )
        group = {best} | {t.norm for t in tests if t.verdict(column.higher_is_better) == "tied"}
        if len(group) < len(means) or len(means) == 1:
            leading[name] = group
    return leading


def rank_summaries(run: tables.StoredRun) -> list[stats.RankSummary]:
    """Mean ranks of the norms over (seed, training style) blocks on the headline content and style columns."""
    columns = tables.metric_columns(run)
    found = []
    for name in dict.fromkeys(filter(None, reversed(tables.headline(run)))):
        summary = stats.rank_summary(cells(run, name), name, columns[name].higher_is_better)
        if summary is not None:
            found.append(summary)
    return found


def spread_frame(run: tables.StoredRun) -> pd.DataFrame:
    """Per norm and per column measured over several evaluation draws: the sd over seeds of the per-seed mean
    beside the sd over draws (root mean square of the rows' ``<column>_sd``), training styles."""
    columns = [name for name in tables.metric_columns(run) if f"{name}_sd" in run.results]
    rows = run.ok[(run.ok.style_split == "train") & (run.ok.kind == "norm")]
    records = []
    for norm, group in rows.groupby("norm", sort=False):
        per_seed = group.groupby("seed")[columns].mean()
        for name in columns:
            draws = np.sqrt(np.nanmean(np.square(group[f"{name}_sd"].to_numpy(dtype=float))))
            seeds = per_seed[name].std(ddof=1) if len(per_seed) > 1 else math.nan
            records.append(
                {"norm": norm, "column": name, "seeds": len(per_seed), "sd_over_seeds": seeds, "sd_over_draws": draws}
            )
    return pd.DataFrame(records)
