"""Statistics over training seeds: intervals, paired tests, Holm's correction and mean ranks.

The unit of replication is the training seed: seed s gives every norm the same
initialisation, crops and order, so two norms are paired within a seed. A
norm's value for a seed is its mean over the styles it was measured on; a paired
difference for a seed is the mean over the styles both norms have (stratified
by style). scipy does the distributions; only Holm's step-down, which scipy
lacks, is written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

#: Two-sided level of every interval (1 - ALPHA) and test in a report.
ALPHA = 0.05
#: From this many seeds on, intervals are BCa bootstrap intervals over seeds; below it, t-intervals, which are
#: exact for normal per-seed values and which a bootstrap cannot beat with so few (3 seeds have 10 resamples).
BOOTSTRAP_MIN_SEEDS = 10
#: Fixed, so that the same run always gives the same bootstrap interval.
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` seeds with its 95% interval (``nan`` bounds for one seed)."""

    mean: float
    low: float
    high: float
    n: int
    method: str

    @property
    def has_interval(self) -> bool:
        return not math.isnan(self.low)


def _constant(values: np.ndarray) -> bool:
    """No spread but rounding: the same difference on every seed, whatever the last bits of its float sums (on
    which scipy's t-test would warn of catastrophic cancellation and return noise)."""
    return bool(np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max())))


def mean_interval(values, confidence: float = 1 - ALPHA) -> Interval:
    """The mean of per-seed ``values`` and its interval: t below BOOTSTRAP_MIN_SEEDS values, BCa bootstrap from it."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, "no value")
    mean = float(values.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1, "one seed: no interval")
    if _constant(values):  # NOTE: identical values: every method gives the point (and scipy warns)
        return Interval(mean, mean, mean, n, "no spread")
    if n >= BOOTSTRAP_MIN_SEEDS:
        result = stats.bootstrap(
            (values,), np.mean, confidence_level=confidence, method="BCa", rng=np.random.default_rng(BOOTSTRAP_SEED)
        )
        low, high = result.confidence_interval
        return Interval(mean, float(low), float(high), n, "BCa bootstrap over seeds")
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=stats.sem(values))
    return Interval(mean, float(low), float(high), n, "t")


def paired_p_value(differences) -> float:
    """Two-sided paired t-test of per-seed differences against 0 (``nan`` below two seeds)."""
    differences = np.asarray(differences, dtype=float)
    differences = differences[np.isfinite(differences)]
    if len(differences) < 2:
        return math.nan
    if _constant(differences):
        # NOTE: no spread: a zero difference is no evidence; a constant non-zero one is a difference beyond any noise
        # (its t statistic is infinite), not an untestable one.
        return 1.0 if differences[0] == 0 else 0.0
    return float(stats.ttest_1samp(differences, 0.0).pvalue)


def equivalence_p_value(differences, margin: float | None) -> float:
    """Two one-sided t-tests (TOST, Schuirmann 1987) that the mean per-seed difference lies inside ``(-margin,
    margin)``: the larger of the two one-sided p-values (``nan`` below two seeds or without a margin)."""
    differences = np.asarray(differences, dtype=float)
    differences = differences[np.isfinite(differences)]
    if margin is None or not margin > 0 or len(differences) < 2:
        return math.nan
    if _constant(differences):
        return 0.0 if abs(differences[0]) < margin else 1.0
    above_lower = stats.ttest_1samp(differences, -margin, alternative="greater").pvalue
    below_upper = stats.ttest_1samp(differences, margin, alternative="less").pvalue
    return float(max(above_lower, below_upper))


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (``nan`` entries are left out of the family)."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p_values))
    order = tested[np.argsort(p_values[tested], kind="stable")]
    m = len(order)
    steps = np.maximum.accumulate((m - np.arange(m)) * p_values[order]) if m else np.array([])
    adjusted[order] = np.minimum(steps, 1.0)
    return adjusted


def seed_differences(values: pd.Series, reference: pd.Series) -> pd.Series:
    """Per seed, the mean over the styles both have of ``values - reference`` (both indexed by seed and style)."""
    joined = pd.concat({"values": values, "reference": reference}, axis=1).dropna()
    return (joined["values"] - joined["reference"]).groupby(level="seed").mean()


@dataclass(frozen=True)
class PairedDifference:
    """``norm - reference`` on one column: the mean per-seed difference, its interval and tests.

    :param better_seeds: seeds on which ``norm`` is better than ``reference`` by the column's direction.
    :param p_holm: ``p`` adjusted for every comparison of its family (set by :func:`adjust`), which also widens
        ``difference``'s interval to its Holm step's level, so that an interval excluding 0 is always a
        difference Holm finds.
    :param differences: the per-seed differences.
    :param margin: the column's equivalence margin (see :class:`~normbench.columns.Column`), ``None`` without one.
    :param p_equal: the TOST p-value that the difference is inside ``margin``; ``p_equal_holm`` adjusted as ``p``.
    """

    norm: str
    reference: str
    column: str
    difference: Interval
    p: float
    better_seeds: int
    p_holm: float = math.nan
    differences: tuple[float, ...] = ()
    margin: float | None = None
    p_equal: float = math.nan
    p_equal_holm: float = math.nan

    def verdict(self, higher_is_better: bool) -> str:
        """``better`` or ``worse`` (Holm finds a difference), ``equal`` (the equivalence test, Holm-adjusted, finds
        the difference inside the column's margin), else ``tied``: neither could be told from seed noise."""
        if self.p_holm < ALPHA:
            return "better" if (self.difference.mean > 0) == higher_is_better else "worse"
        if self.p_equal_holm < ALPHA:
            return "equal"
        return "tied"

    def seeds_towards(self, higher_is_better: bool) -> tuple[int, str]:
        """How many seeds lean the way the mean does: ``(count, "better"|"worse")``."""
        worse = (self.difference.mean > 0) != higher_is_better
        count = self.difference.n - self.better_seeds if worse else self.better_seeds
        return count, "worse" if worse else "better"


def paired_difference(
    values: pd.Series,
    reference: pd.Series,
    higher_is_better: bool,
    names: tuple[str, str, str],
    margin: float | None = None,
) -> PairedDifference:
    """Compare one norm's per-(seed, style) ``values`` with the reference's; ``names`` = (norm, reference, column);
    ``margin``: the column's equivalence margin."""
    differences = seed_differences(values, reference).to_numpy(dtype=float)
    better = int(((differences > 0) if higher_is_better else (differences < 0)).sum())
    return PairedDifference(
        *names,
        mean_interval(differences),
        paired_p_value(differences),
        better,
        differences=tuple(map(float, differences)),
        margin=margin,
        p_equal=equivalence_p_value(differences, margin),
    )


def holm_steps(p_values) -> np.ndarray:
    """For each p-value, the number of tests ``k`` its interval is corrected for, so that the interval at level
    ``1 - ALPHA / k`` excludes 0 exactly where Holm's step-down rejects (for intervals dual to the test): the
    ``r``-th smallest p is tested at ``ALPHA / (m - r + 1)`` while every smaller one was rejected, and every p from
    the first one kept on is corrected as that one was. ``nan`` entries get ``nan``."""
    p_values = np.asarray(p_values, dtype=float)
    steps = np.full(p_values.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p_values))
    order = tested[np.argsort(p_values[tested], kind="stable")]
    m, kept = len(order), None
    for rank, index in enumerate(order):
        if kept is None and p_values[index] > ALPHA / (m - rank):
            kept = rank  # NOTE: Holm stops here; this one and every larger p stay at this step's correction
        steps[index] = m - (rank if kept is None else kept)
    return steps


def adjust(comparisons: list[PairedDifference]) -> list[PairedDifference]:
    """The same comparisons with Holm-adjusted p-values over the whole list (difference and equivalence tests
    alike), and each interval at its Holm step's level (:func:`holm_steps`): an interval excludes 0 where, and only
    where, Holm finds the difference, so it never sits beside ``tied``, nor one that includes 0 beside ``better``."""
    p_values = [comparison.p for comparison in comparisons]
    adjusted, equal = holm(p_values), holm([comparison.p_equal for comparison in comparisons])
    found = []
    for comparison, p, p_equal, step in zip(comparisons, adjusted, equal, holm_steps(p_values)):
        difference = comparison.difference
        if step > 1 and comparison.differences:
            difference = family_interval(comparison.differences, int(step))
        found.append(replace(comparison, p_holm=float(p), p_equal_holm=float(p_equal), difference=difference))
    return found


def family_interval(differences, family: int) -> Interval:
    """The interval of ``differences``' mean corrected for ``family`` tests (level ``1 - ALPHA / family``)."""
    interval = mean_interval(differences, 1 - ALPHA / family)
    if not interval.has_interval or interval.method == "no spread":
        return interval
    return replace(interval, method=f"{interval.method}, corrected for {family} tests (Holm step)")


def smallest_findable(n: int, family: int = 1) -> float:
    """How many standard deviations of the per-seed differences a mean difference must exceed for a two-sided
    t-test over ``n`` seeds to find it, in a family of ``family`` (Bonferroni; ``inf`` below two seeds)."""
    if n < 2:
        return math.inf
    return float(stats.t.ppf(1 - ALPHA / (2 * family), n - 1) / math.sqrt(n))


@dataclass(frozen=True)
class RankSummary:
    """Mean ranks over blocks (Demšar 2006): 1 is best; two norms differ when their ranks differ by more than ``cd``.

    :param friedman_p: Friedman's test that all norms rank alike (``nan`` below three norms).
    """

    column: str
    mean_ranks: dict[str, float]
    cd: float
    blocks: int
    friedman_p: float


def rank_summary(values: pd.DataFrame, column: str, higher_is_better: bool) -> RankSummary | None:
    """Ranks of the norms (columns of ``values``) in every block (row) that has all of them, with the Nemenyi
    critical difference at ALPHA; ``None`` without two norms and two complete blocks."""
    blocks = values.dropna()
    norms, count = list(blocks.columns), len(blocks)
    if len(norms) < 2 or count < 2:
        return None
    signed = -blocks.to_numpy() if higher_is_better else blocks.to_numpy()
    ranks = stats.rankdata(signed, axis=1).mean(axis=0)
    k = len(norms)
    q_alpha = stats.studentized_range.ppf(1 - ALPHA, k, np.inf) / math.sqrt(2)
    cd = float(q_alpha * math.sqrt(k * (k + 1) / (6 * count)))
    friedman = math.nan
    if k >= 3 and np.ptp(signed, axis=1).any():
        friedman = float(stats.friedmanchisquare(*signed.T).pvalue)
    return RankSummary(column, dict(zip(norms, map(float, ranks))), cd, count, friedman)
