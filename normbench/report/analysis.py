"""What a stored run concludes over its seeds: paired differences against a reference norm, verdicts in words,
the leading norms of each column, mean ranks, and the spread over seeds beside the spread over evaluation draws.

Every test here is paired by training seed (see :mod:`normbench.report.stats`). Verdicts cover the quality
axes (content, style, composite) of the training styles; Holm's correction covers every comparison of the other
norms with the reference on every such column, the family the verdicts report. A difference it finds is ``better``
or ``worse``; a column with an equivalence margin may be ``equal`` (TOST); anything else is ``tied``, told with its
size and interval.
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
    """The columns verdicts test: content, style and composite ones, but those computed on fewer samples than
    their definition needs (:func:`~normbench.report.tables.undersampled`)."""
    untested = tables.undersampled(run)
    return {
        name: column
        for name, column in tables.metric_columns(run).items()
        if column.axis in QUALITY_AXES and name not in untested
    }


def untested_note(run: tables.StoredRun) -> str:
    """``FID, KID: not a distribution test at this size (96 samples, defined on ≥ 2048)``, or nothing."""
    untested, columns = tables.undersampled(run), tables.metric_columns(run)
    if not untested:
        return ""
    reasons = dict.fromkeys(untested.values())
    labels = ", ".join(columns[name].label for name in untested)
    return f"{labels}: not a distribution test at this size ({'; '.join(reasons)}), so not tested"


def paired_comparisons(run: tables.StoredRun, reference: str | None) -> list[stats.PairedDifference]:
    """Every other norm against ``reference`` on every quality column, Holm-adjusted over all of them together (every
    column times every comparison), the family the verdict sentences report; each interval at its Holm step's level."""
    if reference is None:
        return []
    found = []
    for name, column in quality_columns(run).items():
        table = cells(run, name)
        if reference not in table:
            continue
        found += [
            stats.paired_difference(
                table[norm],
                table[reference],
                column.higher_is_better,
                (norm, reference, name),
                column.equivalence_margin,
            )
            for norm in table.columns
            if norm != reference
        ]
    return stats.adjust(found)


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
                "p_equal": c.p_equal,
                "p_equal_holm": c.p_equal_holm,
                "margin": c.margin,
                "test": "paired t-test over seeds (TOST within the margin for equal), Holm over every column and "
                "comparison with the reference",
            }
            for c in comparisons
        ]
    )


def _signed(value: float) -> str:
    return format_number(value, 3, signed=True)


def describe(comparison: stats.PairedDifference, column: Column, flagged: bool) -> str:
    """``better style distance (Gram) (−0.37 [−0.59, −0.16], 3/3 seeds better, p_Holm = 0.03)``; a tie the same
    way, with the seeds that lean the way its mean does; ``equal`` names its margin."""
    d, word = comparison.difference, comparison.verdict(column.higher_is_better)
    interval = f" [{_signed(d.low)}, {_signed(d.high)}]" if d.has_interval else ""
    count, towards = comparison.seeds_towards(column.higher_is_better)
    p = "" if math.isnan(comparison.p_holm) else f", p_Holm = {comparison.p_holm:.2g}"
    if word == "equal":
        p = f", within ±{format_number(comparison.margin, 3)}, p_Holm(TOST) = {comparison.p_equal_holm:.2g}"
    flag, on = " ⚑" if flagged else "", " on" if word in ("tied", "equal") else ""
    return f"{word}{on} {column.label}{flag} ({_signed(d.mean)}{interval}, {count}/{d.n} seeds {towards}{p})"


def few_seeds_note(n: int, family: int) -> str:
    """What a verdict over ``n`` seeds can and cannot find, below three seeds."""
    if n >= 3:
        return ""
    if n < 2:
        return " (one seed: nothing can be told from seed noise; run several seeds, e.g. --seeds 0-4)"
    factor = stats.smallest_findable(n, family)
    return (
        f" ({n} seeds: only a difference larger than {factor:.0f} times the spread between the seeds can be found"
        f"{f' in a family of {family} tests' if family > 1 else ''}, so a tie says little; run --seeds 0-4)"
    )


def failed_note(failed: dict[str, tables.Failures], norms: tuple[str, ...]) -> str:
    """`` (bn: 1 of 3 seeds failed (diverged), not paired)``: seeds a verdict cannot pair, their model gave no
    numbers."""
    lost = [f"{norm}: {failed[norm].sentence}" for norm in norms if norm in failed and failed[norm].failed]
    return f" ({'; '.join(lost)}, not paired)" if lost else ""


def verdicts(
    run: tables.StoredRun, reference: str | None, comparisons: list[stats.PairedDifference] | None = None
) -> list[str]:
    """One sentence per norm against the reference: its differences first, then what is equal, then the ties, each
    with its size and interval; then which columns were too small a sample to test."""
    comparisons = paired_comparisons(run, reference) if comparisons is None else comparisons
    columns = tables.metric_columns(run)
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    family = sum(1 for c in comparisons if not math.isnan(c.p))
    failed = tables.failures(run)
    order = {"better": 0, "worse": 0, "equal": 1, "tied": 2}
    sentences = []
    for norm in dict.fromkeys(c.norm for c in comparisons):
        mine = sorted(
            (c for c in comparisons if c.norm == norm),
            key=lambda c: order[c.verdict(columns[c.column].higher_is_better)],
        )
        parts = [describe(c, columns[c.column], c.column in flagged) for c in mine]
        n = max(c.difference.n for c in mine)
        note = few_seeds_note(n, family)
        lost = failed_note(failed, (norm, reference))
        sentences.append(
            f"{norm} vs {reference}, {n} paired seed{'s' if n != 1 else ''}{lost}: {'; '.join(parts)}{note}"
        )
    untested = untested_note(run)
    return sentences + ([untested] if sentences and untested else [])


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
    """Mean ranks of the norms over seeds (each norm's mean over the training styles: a model of many styles is one
    training run, so (seed, style) blocks would not be independent) on the headline content and style columns;
    none below two seeds."""
    columns = tables.metric_columns(run)
    found = []
    for name in dict.fromkeys(filter(None, reversed(tables.headline(run)))):
        per_seed = cells(run, name).groupby(level="seed").mean()
        summary = stats.rank_summary(per_seed, name, columns[name].higher_is_better)
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
            spread = group[f"{name}_sd"].to_numpy(dtype=float)
            # NOTE: one trained evaluation network has no draws to spread over
            draws = float(np.sqrt(np.nanmean(np.square(spread)))) if np.isfinite(spread).any() else math.nan
            seeds = per_seed[name].std(ddof=1) if len(per_seed) > 1 else math.nan
            records.append(
                {"norm": norm, "column": name, "seeds": len(per_seed), "sd_over_seeds": seeds, "sd_over_draws": draws}
            )
    return pd.DataFrame(records)
