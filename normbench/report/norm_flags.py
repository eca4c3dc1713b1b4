"""Doing nothing must lose, norm by norm: each trained norm against each baseline on each stylization column, paired
over seeds and styles, flagged where the norm is no better than the baseline.

A baseline does not train, so its value on a style is the same for every seed; a norm's difference from it on a seed
is the mean over the training styles of (norm − baseline), and the difference's interval is over seeds, at its Holm
step's level over every (norm, baseline, column) contest of the run. A baseline's win on an axis it wins by
construction (the style image itself on style distance) is its job, not a flag; columns on too few samples to test
(:func:`~normbench.report.tables.undersampled`) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from normbench.columns import STYLIZATION_AXES
from normbench.numbers import format_number
from normbench.report import stats, tables
from normbench.report.analysis import cells


@dataclass(frozen=True)
class NormFlag:
    """``norm`` is no better than ``baseline`` on ``column``: ``difference`` is norm − baseline over seeds."""

    norm: str
    baseline: str
    column: str
    label: str
    difference: stats.Interval
    beyond_noise: bool

    @property
    def sentence(self) -> str:
        """``bn is worse than color_transfer on style distance (Gram) (+0.03 [+0.01, +0.05], 3 seeds)``."""
        d = self.difference
        interval = (
            f" [{format_number(d.low, 3, signed=True)}, {format_number(d.high, 3, signed=True)}]"
            if d.has_interval
            else ""
        )
        word = "worse than" if self.beyond_noise else "no better than"
        seeds = f"{d.n} seed{'s' if d.n != 1 else ''}"
        return (
            f"{self.norm} is {word} {self.baseline} on {self.label} "
            f"({format_number(d.mean, 3, signed=True)}{interval}, {seeds})"
        )


def _baseline_by_seed(run: tables.StoredRun, baseline: str, column: str, index: pd.MultiIndex) -> pd.Series:
    """The baseline's value on each style, repeated for every (seed, style) of ``index``: it does not train."""
    rows = run.ok[(run.ok.norm == baseline) & (run.ok.style_split == "train")]
    per_style = rows.groupby("style")[column].mean()
    return pd.Series(per_style.reindex(index.get_level_values("style")).to_numpy(), index=index)


def contests(run: tables.StoredRun) -> list[tuple[str, str, str, stats.PairedDifference]]:
    """``(norm, baseline, column, norm − baseline)`` for every contest the flags decide, intervals not adjusted."""
    wins, kinds, untested = run.wins_by_construction(), run.kinds(), tables.undersampled(run)
    baselines = [name for name, kind in kinds.items() if kind == "baseline"]
    found = []
    for name, column in tables.metric_columns(run).items():
        if column.axis not in STYLIZATION_AXES or name in untested:
            continue
        table = cells(run, name)
        for baseline in [b for b in baselines if column.axis not in wins.get(b, set())]:
            reference = _baseline_by_seed(run, baseline, name, table.index)
            for norm in table.columns:
                test = stats.paired_difference(table[norm], reference, column.higher_is_better, (norm, baseline, name))
                if test.difference.n:
                    found.append((norm, baseline, name, test))
    return found


def norm_flags(run: tables.StoredRun) -> list[NormFlag]:
    """Every norm no better than a baseline on a stylization column (by its mean over seeds); ``beyond_noise`` where
    the family's Holm-adjusted paired test finds the baseline better."""
    found = contests(run)
    adjusted = stats.adjust([test for *_, test in found])
    columns = tables.metric_columns(run)
    flags = []
    for (norm, baseline, name, _), test in zip(found, adjusted):
        higher_is_better = columns[name].higher_is_better
        if tables.better(test.difference.mean, 0.0, higher_is_better):  # NOTE: norm − baseline leans the norm's way
            continue
        beyond = test.verdict(higher_is_better) == "worse"
        flags.append(NormFlag(norm, baseline, name, columns[name].label, test.difference, beyond))
    return flags
