"""Each norm's inference speed as a report shows it: an interval, a ratio to the reference norm, and whether the
machine was busy while the timer ran.

A speed is a median over timed repeats (:func:`normbench.lifecycle.measure.inference_speed`), one per (seed, style).
Over two or more seeds its interval is the 95% t-interval of the seeds' means; with one seed nothing varies but the
repeats, so the interval is their interquartile range. Two norms whose intervals overlap are the same speed within
noise: no speed trade-off is drawn or told between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from normbench.numbers import format_number
from normbench.report import analysis, tables
from normbench.report.charts import pareto_front

SPEED = "infer_img_per_s"
#: A row was timed on a busy machine when the 1-minute load average around its timer exceeded this many runnable
#: threads per core: more threads than cores wanted to run, so the timed one shared its core.
BUSY_LOAD_PER_CPU = 1.25


@dataclass(frozen=True)
class Throughput:
    """Per trained norm (index): ``img_per_s`` with ``low``/``high``, the same as ``ratio``/``ratio_low``/
    ``ratio_high`` to the reference's mean, and ``load`` (the largest load average per core around its timers).

    :param bars: what the intervals are, in words.
    :param busy: norms with a row timed on a busy machine.
    """

    points: pd.DataFrame
    reference: str
    bars: str
    busy: tuple[str, ...]

    def same_speed(self, a: str, b: str) -> bool:
        """Whether ``a``'s and ``b``'s intervals overlap (or either has none): no speed difference is told."""
        x, y = self.points.loc[a], self.points.loc[b]
        if any(math.isnan(v) for v in (x.low, x.high, y.low, y.high)):
            return True
        return x.low <= y.high and y.low <= x.high

    def phrase(self, a: str, b: str) -> str:
        """``at the same speed within noise`` or ``1.3× as fast as bn`` (``a`` against ``b``)."""
        if self.same_speed(a, b):
            return "at the same speed within noise"
        ratio = self.points.loc[a, "img_per_s"] / self.points.loc[b, "img_per_s"]
        if ratio >= 1:
            return f"{format_number(ratio, 2)}× as fast as {b}"
        return f"{format_number(1 / ratio, 2)}× slower than {b}"

    def clause(self) -> str:
        """The speeds against the reference: ``all at the same speed within noise`` or ``none is 1.3× as fast as
        in``."""
        others = [norm for norm in self.points.index if norm != self.reference]
        apart = [norm for norm in others if not self.same_speed(norm, self.reference)]
        if not apart:
            return "all at the same speed within noise"
        return "; ".join(f"{norm} is {self.phrase(norm, self.reference)}" for norm in apart)

    def busy_note(self) -> str:
        """A sentence naming the norms timed on a busy machine, or ``""``."""
        if not self.busy:
            return ""
        worst = self.points.load.max()
        return (
            f"Timed on a busy machine: the load average reached {format_number(worst, 2)} runnable threads per core "
            f"while {', '.join(self.busy)} {'was' if len(self.busy) == 1 else 'were'} timed (above "
            f"{BUSY_LOAD_PER_CPU}), so another process shared the cores; their speeds are low by an unknown amount."
        )


def _load_per_cpu(rows: pd.DataFrame) -> pd.Series:
    if "timing_load" not in rows or "timing_cpus" not in rows:
        return pd.Series(math.nan, index=rows.index)
    return rows.timing_load / rows.timing_cpus


def throughput(run: tables.StoredRun, reference: str | None = None) -> Throughput | None:
    """The norms' speeds on the training styles; None when no trained norm was timed."""
    rows = run.ok[(run.ok.style_split == "train") & (run.ok.kind == "norm")]
    if SPEED not in rows or rows[SPEED].isna().all():
        return None
    rows = rows[rows[SPEED].notna()].assign(load=_load_per_cpu)
    table = tables.summary(run, "train")
    norms = [name for name in table.index if name in set(rows.norm)]
    points = pd.DataFrame(index=norms)
    points["img_per_s"] = table.loc[norms, (SPEED, "mean")]
    over_seeds = analysis.seed_count(run) >= 2
    if over_seeds:
        points["low"], points["high"] = table.loc[norms, (SPEED, "low")], table.loc[norms, (SPEED, "high")]
        bars = "95% interval over seeds of each seed's median over timed repeats"
    else:
        quartiles = rows.groupby("norm")[[f"{SPEED}_q1", f"{SPEED}_q3"]].mean() if f"{SPEED}_q1" in rows else None
        points["low"] = quartiles[f"{SPEED}_q1"] if quartiles is not None else math.nan
        points["high"] = quartiles[f"{SPEED}_q3"] if quartiles is not None else math.nan
        bars = "interquartile range of the timed repeats (one seed)"
    points["load"] = rows.groupby("norm").load.max()
    reference = reference if reference in norms else norms[0]
    scale = points.loc[reference, "img_per_s"]
    for column in ("img_per_s", "low", "high"):
        points[f"ratio{'' if column == 'img_per_s' else '_' + column}"] = points[column] / scale
    busy = tuple(points.index[points.load > BUSY_LOAD_PER_CPU])
    return Throughput(points, reference, bars, busy)


def separated_front(points: pd.DataFrame, quality: str, higher_is_better: bool) -> list[tuple[str, str]]:
    """The Pareto front of ``points`` (``ratio`` against ``quality``) as segments between neighbours whose speed
    intervals do not overlap: where they overlap neither is faster, so no trade-off lies between them."""
    ordered = pareto_front(points, "ratio", quality, higher_is_better)
    segments = []
    for (a, x), (b, y) in zip(ordered.iterrows(), list(ordered.iterrows())[1:]):
        if x.ratio_high < y.ratio_low:  # NOTE: False when either bound is NaN: no interval, no claim
            segments.append((a, b))
    return segments
