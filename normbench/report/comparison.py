"""``normbench compare RUN_A RUN_B``: two runs' summaries side by side, with the change, when their protocols match.

Where both runs trained a norm with the same two or more seeds, the change is a paired difference over those
seeds with its 95% interval and a paired t-test, Holm-corrected per column; with fewer it is untested. A
baseline does not train, so its change is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from normbench.columns import Column
from normbench.errors import UserError
from normbench.numbers import format_number
from normbench.report import analysis, sections, stats, tables
from normbench.report.html import page, part, sortable_table
from normbench.report.pooling import protocol_differences, refusal

__all__ = ["comparison", "load_pair", "protocol_differences", "render", "write_comparison"]


@dataclass(frozen=True)
class Change:
    """``B - A`` for one norm or baseline on one column; ``paired`` is set where both runs share two seeds."""

    name: str
    column: str
    spec: Column
    mean_a: float
    mean_b: float
    change: float
    paired: stats.PairedDifference | None = None

    def verdict(self, kind: str) -> str:
        if self.paired is not None:
            return self.paired.verdict(self.spec.higher_is_better)
        if kind == "baseline":  # NOTE: exact; a change here is the protocol's or the code's, not noise
            if math.isnan(self.change) or self.change == 0:
                return "same"
            return "better" if (self.change > 0) == self.spec.higher_is_better else "worse"
        return "untested (fewer than 2 shared seeds)"


def comparison(run_a: tables.StoredRun, run_b: tables.StoredRun) -> list[Change]:
    """One :class:`Change` per norm or baseline and column both runs have, paired tests Holm-adjusted per column."""
    columns_b = tables.metric_columns(run_b)
    means_a = tables.summary(run_a).xs("mean", axis=1, level=1)
    means_b = tables.summary(run_b).xs("mean", axis=1, level=1)
    changes, tests = [], []
    for column_name, column in tables.metric_columns(run_a).items():
        if column_name not in columns_b:
            continue
        cells_a, cells_b = analysis.cells(run_a, column_name), analysis.cells(run_b, column_name)
        for name in [n for n in means_a.index if n in means_b.index]:
            a, b = means_a.loc[name, column_name], means_b.loc[name, column_name]
            paired = None
            if name in cells_a and name in cells_b:
                test = stats.paired_difference(
                    cells_b[name], cells_a[name], column.higher_is_better, (name, name, column_name)
                )
                paired = test if test.difference.n >= 2 else None
            changes.append(Change(name, column_name, column, a, b, b - a, paired))
            tests += [paired] if paired else []
    adjusted = {}  # NOTE: Holm per column, over that column's tested norms, as in a run's verdicts
    for column_name in dict.fromkeys(test.column for test in tests):
        family = [test for test in tests if test.column == column_name]
        adjusted.update(zip(map(id, family), stats.adjust(family)))
    return [replace(change, paired=adjusted.get(id(change.paired))) for change in changes]


def _row(change: Change, kind: str) -> list[tuple[str, object, bool]]:
    word = change.verdict(kind)
    paired = change.paired
    interval = (
        "–"
        if paired is None or not paired.difference.has_interval
        else f"[{format_number(paired.difference.low, 3, True)}, {format_number(paired.difference.high, 3, True)}]"
    )
    p = "–" if paired is None or math.isnan(paired.p_holm) else f"{paired.p_holm:.2g}"
    seeds = str(paired.difference.n) if paired else ("–" if kind == "baseline" else "<2")
    arrow = "↑" if change.spec.higher_is_better else "↓"
    return [
        (change.name, change.name, False),
        (f"{change.spec.label} {arrow}", change.spec.label, False),
        (format_number(change.mean_a), change.mean_a, False),
        (format_number(change.mean_b), change.mean_b, False),
        (format_number(change.change, signed=True), change.change, word == "better"),
        (interval, interval, False),
        (seeds, seeds, False),
        (p, p, False),
        (word, word, word == "better"),
    ]


def render(
    run_a: tables.StoredRun, run_b: tables.StoredRun, differences: list[str] = (), changes: list[Change] | None = None
) -> str:
    """The comparison page; ``changes`` are :func:`comparison`'s when already computed."""
    headers = ["norm", "metric", "A", "B", "B − A", "95% interval (paired seeds)", "seeds", "p_Holm", "B vs A"]
    kinds = {**run_a.kinds(), **run_b.kinds()}
    changes = comparison(run_a, run_b) if changes is None else changes
    rows = [_row(change, kinds.get(change.name, "norm")) for change in changes]
    names = [run.manifest.run_id or run.path.name for run in (run_a, run_b)]
    mismatch = (
        part("box", "flags", "These runs differ in protocol; their numbers do not measure the same thing:", differences)
        if differences
        else ""
    )
    note = (
        '<p class="note">A trained norm\'s change is tested where both runs have it with the same two or more '
        "seeds: the paired difference over those seeds (mean over shared styles per seed), a t-interval and a "
        "paired t-test, Holm-corrected per column; a difference it does not find is “tied”. A baseline "
        "does not train: its change is exact.</p>"
    )
    body = (
        f"{mismatch}<h2>A</h2>{sections.banner(run_a)}<h2>B</h2>{sections.banner(run_b)}"
        f"<h2>Change per norm and metric</h2>{sortable_table(headers, rows, 'compare')}{note}"
        f"<h2>A: summary</h2>{sections.summary_html(run_a)}<h2>B: summary</h2>"
        f"{sections.summary_html(run_b, table_id='summary_b')}"
    )
    return page(f"normbench compare: A = {names[0]}, B = {names[1]}", body)


def write_comparison(
    dir_a: Path, dir_b: Path, output: Path, allow_mismatch: bool = False
) -> tuple[tables.StoredRun, tables.StoredRun, list[Change]]:
    """Write the comparison page; returns the two runs and the changes it shows (for ``--json``).

    :raises UserError: when the runs share no norm, or their protocols differ and ``allow_mismatch`` is off.
    """
    from normbench.fileio import atomic_write_text

    run_a, run_b, differences = load_pair(dir_a, dir_b, allow_mismatch)
    changes = comparison(run_a, run_b)
    atomic_write_text(output, render(run_a, run_b, differences, changes))
    return run_a, run_b, changes


def load_pair(
    dir_a: Path, dir_b: Path, allow_mismatch: bool = False
) -> tuple[tables.StoredRun, tables.StoredRun, list[str]]:
    """The two runs and their protocol differences, checked as :func:`write_comparison` says."""
    run_a, run_b = tables.load_run(dir_a), tables.load_run(dir_b)
    norms_a, norms_b = ([name for name, kind in run.kinds().items() if kind == "norm"] for run in (run_a, run_b))
    if not set(norms_a) & set(norms_b):
        # NOTE: baselines alone are no comparison: under one protocol they measure the same on both sides.
        raise UserError(
            f"{dir_a} ({', '.join(norms_a) or 'no norm'}) and {dir_b} ({', '.join(norms_b) or 'no norm'}) "
            "have no norm in common, so there is no change to show; to see their norms side by side, "
            f"pool them: normbench report {dir_a} {dir_b}"
        )
    differences = protocol_differences(run_a, run_b)
    if differences and not allow_mismatch:
        raise UserError(
            f"the runs' protocols differ, so their numbers do not compare: {refusal(differences)}. Pass "
            "--allow-protocol-mismatch to compare them anyway (the page lists the differences)"
        )
    return run_a, run_b, differences
