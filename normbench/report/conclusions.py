"""The parts of a report that draw conclusions over seeds: verdicts, paired differences, ranks, noise sources."""

from __future__ import annotations

import math

from normbench.numbers import MISSING, format_number
from normbench.report import analysis, charts, stats, tables
from normbench.report.html import part, sortable_table
from normbench.store.directory import no_model_finished

_FAMILY = (
    "Paired by training seed: a seed's difference is the mean over the styles both norms have; "
    "t-interval over seeds (BCa bootstrap from {min_boot} seeds), paired t-test, Holm's correction over every "
    "column's comparisons with the reference together, and each interval at its Holm step's level, so an interval "
    "excludes 0 exactly where a difference is found. Equal: an equivalence test (TOST) puts the difference "
    "inside the column's declared margin. Anything else is a tie, given with its size."
)


def verdict_html(run: tables.StoredRun, reference: str | None, comparisons: list[stats.PairedDifference]) -> str:
    """The report's opening: one generated sentence per norm against the reference."""
    if reference is None:
        return ""
    unfinished = no_model_finished(run.results.to_dict("records"))
    if unfinished:
        return part("box", "verdict warn", "Verdict", [], f": {unfinished}.")
    sentences = analysis.verdicts(run, reference, comparisons)
    if not sentences:
        return part("box", "verdict", "Verdict", [], f": {reference} is the only trained norm.")
    return part(
        "verdict",
        reference,
        "(training styles; content, style and composite columns; ⚑ a baseline beats every norm on that column, so "
        "a norm better there than the reference is still no better than doing nothing)",
        sample_caveats(run)[:1] if analysis.seed_count(run) < 2 else [],
        sentences,
        _FAMILY.format(min_boot=stats.BOOTSTRAP_MIN_SEEDS)
        + " `normbench report --reference NORM` picks another reference.",
    )


def sample_caveats(run: tables.StoredRun) -> list[str]:
    """What the run's sample sizes cannot tell: one training seed, columns too small a sample to test."""
    found = []
    if analysis.seed_count(run) < 2:
        found.append(
            "One training seed: every difference is an anecdote, reported as a tie. Run several seeds "
            "(--seeds 0-4, or --profile study for three) for conclusions."
        )
    untested = analysis.untested_note(run)
    return found + ([untested[0].upper() + untested[1:] + "."] if untested else [])


def _number(value: float, signed: bool = False) -> tuple[str, float, bool]:
    return format_number(value, 3, signed), value, False


def paired_html(run: tables.StoredRun, comparisons: list[stats.PairedDifference]) -> str:
    """Every paired difference against the reference, with its interval and both p-values."""
    frame = analysis.paired_frame(run, comparisons)
    if frame.empty:
        return ""
    headers = [
        "norm",
        "column",
        "seeds",
        "norm − reference",
        "interval (family level)",
        "p",
        "p_Holm",
        "p_Holm equal (TOST)",
        "seeds better",
        "verdict",
    ]
    rows = [
        [
            (r.norm, r.norm, False),
            (r.label, r.label, False),
            (str(r.seeds), r.seeds, False),
            _number(r.difference, signed=True),
            (
                MISSING
                if math.isnan(r.low)
                else f"[{format_number(r.low, 3, True)}, {format_number(r.high, 3, True)}]",
                r.low,
                False,
            ),
            _number(r.p),
            _number(r.p_holm),
            _number(r.p_equal_holm),
            (f"{r.better_seeds}/{r.seeds}", r.better_seeds, False),
            (r.verdict, r.verdict, r.verdict == "better"),
        ]
        for r in frame.itertuples()
    ]
    return (
        f"{part('heading', 2, f'Paired differences against {frame.reference.iloc[0]}')}"
        f'{sortable_table(headers, rows, "paired")}<p class="note">Also in paired.csv. '
        "“seeds better”: seeds on which the norm beats the reference by the column's direction. Each interval is at "
        "its Holm step's level, 1 − 0.05/k with k the tests its p is corrected for (m for the smallest p of m, 95% "
        "when m = 1), so it excludes 0 exactly where p_Holm < 0.05; “p_Holm equal” "
        "tests that the difference lies inside the column's equivalence margin, where it declares one.</p>"
    )


def ranks_html(run: tables.StoredRun) -> str:
    """Mean ranks with the Nemenyi critical difference (Demšar 2006), as a chart and a table."""
    summaries = analysis.rank_summaries(run)
    if not summaries:
        return ""
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    # NOTE: ranks order the norms among themselves; a baseline that beats them all must still be named.
    labels = {
        name: column.label + (" ⚑" if name in flagged else "") for name, column in tables.metric_columns(run).items()
    }
    headers = ["norm"] + [f"{labels[s.column]}: mean rank [± CD/2]" for s in summaries]
    norms = list(dict.fromkeys(name for s in summaries for name in s.mean_ranks))
    rows = [
        [(norm, norm, False)]
        + [
            (
                f"{s.mean_ranks[norm]:.2f} [{s.mean_ranks[norm] - s.cd / 2:.2f}, {s.mean_ranks[norm] + s.cd / 2:.2f}]",
                s.mean_ranks[norm],
                s.mean_ranks[norm] == min(s.mean_ranks.values()),
            )
            if norm in s.mean_ranks
            else ("–", math.nan, False)
            for s in summaries
        ]
        for norm in norms
    ]
    facts = "; ".join(
        f"{labels[s.column]}: {s.blocks} blocks, CD {s.cd:.2f}"
        + ("" if math.isnan(s.friedman_p) else f", Friedman p = {s.friedman_p:.2g}")
        for s in summaries
    )
    return (
        f"<h2>Overall rank across styles and seeds</h2>{charts.mean_ranks(summaries, labels)}"
        f'{sortable_table(headers, rows, "ranks")}<p class="note">Each training seed is a block in which the '
        "norms are ranked by their mean over the training styles (1 is best, ties share the mean rank); a model of "
        "many styles is one training run, so its styles are not separate blocks. Two norms differ at the 5% level when "
        f"their mean ranks differ by more than the critical difference CD (Nemenyi), i.e. when their bars do not "
        f"overlap. {part('text', facts)}. Baselines are not ranked: a column marked ⚑ is one on which a baseline beats "
        "every norm, so ranking first there is not stylizing better than doing nothing.</p>"
    )


def spread_html(run: tables.StoredRun) -> str:
    """Which noise dominates: the spread over training seeds beside the spread over evaluation draws."""
    frame = analysis.spread_frame(run)
    if frame.empty:
        return ""
    labels = {name: column.label for name, column in tables.metric_columns(run).items()}
    headers = ["norm", "column", "seeds", "sd over seeds", "sd over draws", "seeds ÷ draws"]
    rows = [
        [
            (r.norm, r.norm, False),
            (labels[r.column], r.column, False),
            (str(r.seeds), r.seeds, False),
            _number(r.sd_over_seeds),
            _number(r.sd_over_draws),
            _number(r.sd_over_seeds / r.sd_over_draws if r.sd_over_draws else math.nan),
        ]
        for r in frame.itertuples()
    ]
    return (
        "<h2>Two sources of noise: training seeds and evaluation draws</h2>"
        f'{sortable_table(headers, rows, "spread")}<p class="note">sd over seeds: of a norm\'s per-seed mean '
        "over styles (needs two seeds). sd over draws: root mean square of the rows' spread over the independently "
        "seeded evaluation networks. Where the ratio is above 1, retraining moves a number more than re-drawing "
        "the instrument; every norm is measured with the same draws, so draw noise partly cancels in paired "
        "differences.</p>"
    )
