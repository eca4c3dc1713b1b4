"""The run's answer in one sentence, generated from its verdicts: which norm, at what speed, and how sure.

The report opens with it, ``normbench run`` ends with it and :meth:`normbench.RunResult.summary` carries it. It names
only differences a verdict found (Holm over every comparison of the run, over seeds); otherwise it says what is tied
and what would separate it. A caveat that changes the answer (random features, a baseline winning its column, a
busy machine behind a speed claim) is returned with it, so that a page can show it open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from normbench.columns import Column
from normbench.numbers import format_number
from normbench.report import analysis, stats, tables
from normbench.report.frontier import Frontier
from normbench.report.frontier_section import HYPERVOLUME
from normbench.report.norm_flags import norm_flags
from normbench.report.throughput import Throughput
from normbench.store.directory import no_model_finished

RANDOM_FEATURES = "features=random: random VGG features check the pipeline; a quality answer needs trained ones"


@dataclass(frozen=True)
class Answer:
    """``sentence`` and the caveats that change it (``changes``, empty when every caveat is background)."""

    sentence: str
    changes: tuple[str, ...] = ()


def _advantage(comparison: stats.PairedDifference, higher_is_better: bool) -> tuple[str, str, stats.Interval]:
    """``(winner, loser, how much better the winner is)`` of a separated comparison, in the column's units."""
    d = comparison.difference
    norm_wins = comparison.verdict(higher_is_better) == "better"
    factor = (1 if higher_is_better else -1) * (1 if norm_wins else -1)
    low, high = sorted((factor * d.low, factor * d.high))
    gain = stats.Interval(factor * d.mean, low, high, d.n, d.method)
    pair = (comparison.norm, comparison.reference) if norm_wins else (comparison.reference, comparison.norm)
    return (*pair, gain)


def _by(interval: stats.Interval) -> str:
    if not interval.has_interval:
        return format_number(interval.mean, 3)
    return f"{format_number(interval.mean, 3)} [{format_number(interval.low, 3)}, {format_number(interval.high, 3)}]"


def separated_sentence(comparison: stats.PairedDifference, column: Column, speed: Throughput | None) -> str:
    """``in is better than bn on style distance (Gram) by 0.19 [0.11, 0.27] over 5 seeds, at the same speed within
    noise``."""
    winner, loser, gain = _advantage(comparison, column.higher_is_better)
    sentence = f"{winner} is better than {loser} on {column.label} by {_by(gain)} over {gain.n} seeds"
    if speed is not None and winner in speed.points.index and loser in speed.points.index:
        sentence += f", {speed.phrase(winner, loser)}"
    return sentence


def _tie_sentence(found: list[stats.PairedDifference], column: Column, reference: str) -> str:
    largest = max(found, key=lambda c: abs(c.difference.mean))
    d = largest.difference
    interval = f" [{format_number(d.low, 3, True)}, {format_number(d.high, 3, True)}]" if d.has_interval else ""
    return (
        f"No norm is separated from {reference} on {column.label} over {d.n} seeds (largest difference: "
        f"{largest.norm} {format_number(d.mean, 3, True)}{interval}); run more seeds (--seeds 0-9) to separate them"
    )


def _one_seed(run: tables.StoredRun, name: str, column: Column) -> str:
    table = tables.summary(run, "train")
    norms = [n for n in analysis.norms(run) if n in table.index]
    means = table.loc[norms, (name, "mean")].dropna().sort_values(ascending=not column.higher_is_better)
    ranking = ", ".join(f"{norm} {format_number(value, 3)}" for norm, value in means.items())
    return (
        f"Nothing is separated at 1 seed: {column.label} is {ranking} "
        f"({'higher' if column.higher_is_better else 'lower'} is better), an anecdote; run --seeds 0-4 for an answer"
    )


def _column_sentence(
    comparisons: list[stats.PairedDifference], name: str, column: Column, reference: str, speed: Throughput | None
) -> tuple[str, list[str]]:
    """The sentence on one column and the winners it names."""
    found = [c for c in comparisons if c.column == name]
    separated = [c for c in found if c.verdict(column.higher_is_better) in ("better", "worse")]
    if not separated:
        return _tie_sentence(found, column, reference), []
    return "; ".join(separated_sentence(c, column, speed) for c in separated), [
        _advantage(c, column.higher_is_better)[0] for c in separated
    ]


def _counter_findings(
    comparisons: list[stats.PairedDifference], columns: dict[str, Column], headline: str, winners: list[str]
) -> list[str]:
    """Differences found on other columns in favour of a norm the headline column found worse: the other side of
    a trade-off (``bn is better than in on content distance by 0.41 [0.09, 0.73] over 5 seeds``)."""
    found = []
    for comparison in comparisons:
        column = columns.get(comparison.column)
        if comparison.column == headline or column is None:
            continue
        if comparison.verdict(column.higher_is_better) not in ("better", "worse"):
            continue
        winner, loser, _ = _advantage(comparison, column.higher_is_better)
        if loser in winners:
            found.append(separated_sentence(comparison, column, None))
    return found


def _doing_nothing(run: tables.StoredRun, name: str, column: Column, winners: list[str]) -> str:
    """``; but color_transfer (a baseline) beats every norm on it``, or ``; but in is no better than
    color_transfer on it``: a column a baseline wins is never an answer on its own."""
    flag = next((flag for flag in tables.baseline_flags(run) if flag.column == name), None)
    if flag is not None:
        names = " and ".join(baseline for baseline, _ in flag.winners)
        return f"; but {names}, doing nothing to train, beats every norm on {column.label}"
    losers = [f for f in norm_flags(run) if f.column == name and f.norm in winners]
    return "".join(f"; but {f.norm} is no better than {f.baseline} on {column.label}" for f in losers)


def _caveats(run: tables.StoredRun, name: str, winners: list[str], speed: Throughput | None) -> list[str]:
    """The caveats that change an answer on ``name`` naming ``winners``."""
    changes = []
    if run.manifest.features == "random":
        changes.append(RANDOM_FEATURES)
    flag = next((flag for flag in tables.baseline_flags(run) if flag.column == name), None)
    if flag is not None:
        changes.append(f"a baseline beats every norm on this column: {flag.sentence}")
    changes += [f.sentence for f in norm_flags(run) if f.column == name and f.norm in winners]
    if speed is not None and speed.busy:
        changes.append(speed.busy_note())
    return changes


def point_answer(
    run: tables.StoredRun, reference: str, comparisons: list[stats.PairedDifference], speed: Throughput | None
) -> Answer:
    """The answer at one operating point, on the headline style column (the first verdicts test, unflagged first);
    when no norm is separated there, the first other column where one is."""
    columns = analysis.quality_columns(run)
    content, style = tables.headline(run)
    name = style or content
    if name not in columns:
        untested = analysis.untested_note(run)
        return Answer("No quality column can be tested in this run" + (f"; {untested}." if untested else "."))
    if analysis.seed_count(run) < 2:
        sentence = _one_seed(run, name, columns[name]) + _doing_nothing(run, name, columns[name], [])
        return Answer(sentence + ".", tuple(_caveats(run, name, [], speed)))
    sentence, winners = _column_sentence(comparisons, name, columns[name], reference, speed)
    sentence += _doing_nothing(run, name, columns[name], winners)
    sentence += "".join(f"; but {clause}" for clause in _counter_findings(comparisons, columns, name, winners))
    if not winners:
        for other, column in columns.items():
            extra, found = _column_sentence(comparisons, other, column, reference, speed)
            if found:
                sentence += f"; {extra}"
                break
        else:
            sentence += f"; {speed.clause()}" if speed is not None else ""
    return Answer(sentence + ".", tuple(_caveats(run, name, winners, speed)))


def curve_answer(run: tables.StoredRun, front: Frontier, speed: Throughput | None) -> Answer:
    """The answer of a style-weight sweep: the curves' hypervolumes compared."""
    reference = front.comparisons[0].reference if front.comparisons else None
    if reference is None:
        return Answer("One norm's curve only: nothing is compared.")
    sentence, winners = _column_sentence(front.comparisons, HYPERVOLUME.name, HYPERVOLUME, reference, speed)
    changes = [
        f"{norm}'s curve dominates {baseline}'s nowhere" for norm, baseline in front.dominated if norm in winners
    ]
    if run.manifest.features == "random":
        changes.insert(0, RANDOM_FEATURES)
    return Answer(sentence + ".", tuple(changes))


def answer(
    run: tables.StoredRun,
    reference: str | None,
    comparisons: list[stats.PairedDifference],
    speed: Throughput | None,
    front: Frontier | None = None,
) -> Answer:
    """The run's answer: on the curves for a sweep, else at its operating point."""
    unfinished = no_model_finished(run.results.to_dict("records"))
    if unfinished:
        return Answer(f"No answer: {unfinished}.")
    if reference is None or len(analysis.norms(run)) < 2:
        only = reference or "no norm"
        return Answer(f"{only} is the only trained norm: nothing is compared (name two or more with --norms).")
    if front is not None and front.comparisons:
        if any(math.isnan(c.p) for c in front.comparisons) or analysis.seed_count(run) < 2:
            return Answer("Nothing is separated at 1 seed: run --seeds 0-2 to compare the curves.")
        return curve_answer(run, front, speed)
    return point_answer(run, reference, comparisons, speed)
