"""Statistics over seeds, against closed forms and scipy's own tests; verdicts on stored runs of known numbers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from normbench.report import analysis, stats, tables
from normbench.store.manifest import Manifest

# NOTE: Student's t quantile t(0.975, 2) and Demšar 2006's table of q_0.05 (Nemenyi) for k = 2..6.
T_975_DF2 = 4.302652729911275
DEMSAR_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850}


def test_t_interval_matches_the_closed_form():
    interval = stats.mean_interval([1.0, 2.0, 3.0])
    assert interval.n == 3 and interval.method == "t" and interval.mean == 2.0
    half = T_975_DF2 * 1.0 / math.sqrt(3)  # sd 1 over 3 seeds
    assert interval.low == pytest.approx(2 - half) and interval.high == pytest.approx(2 + half)


def test_one_seed_has_no_interval_and_identical_seeds_no_spread():
    assert not stats.mean_interval([0.4]).has_interval
    assert stats.mean_interval([0.4, float("nan")]).n == 1  # a failed seed is not a value
    flat = stats.mean_interval([0.5, 0.5, 0.5])
    assert (flat.low, flat.high, flat.method) == (0.5, 0.5, "no spread")


def test_from_ten_seeds_the_interval_is_a_reproducible_bootstrap():
    values = np.random.default_rng(3).normal(1.0, 0.2, size=12)
    first, again = stats.mean_interval(values), stats.mean_interval(values)
    assert first.method == "BCa bootstrap over seeds" and first == again
    assert first.low < values.mean() < first.high


def test_paired_test_equals_scipys_paired_t_test():
    a, b = np.array([0.50, 0.61, 0.55, 0.58]), np.array([0.40, 0.45, 0.47, 0.41])
    assert stats.paired_p_value(a - b) == pytest.approx(scipy_stats.ttest_rel(a, b).pvalue)
    assert math.isnan(stats.paired_p_value([0.1]))
    assert stats.paired_p_value([0.0, 0.0, 0.0]) == 1.0


def test_holm_adjusts_step_down_and_keeps_the_order():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> running max 0.06 for the last
    adjusted = stats.holm([0.01, 0.04, 0.03, float("nan"), 0.005])
    assert np.allclose(adjusted[[0, 1, 2, 4]], [0.03, 0.06, 0.06, 0.02]) and math.isnan(adjusted[3])
    assert stats.holm([0.9, 0.8]).max() == 1.0  # capped


def test_differences_are_averaged_over_the_styles_both_norms_have():
    index = pd.MultiIndex.from_tuples([(0, "a"), (0, "b"), (1, "a"), (1, "b")], names=["seed", "style"])
    values = pd.Series([1.0, 3.0, 2.0, float("nan")], index=index)
    reference = pd.Series([0.0, 1.0, 1.0, 5.0], index=index)
    assert stats.seed_differences(values, reference).to_dict() == {0: 1.5, 1: 1.0}


def test_critical_difference_uses_demsars_q_and_ranks_follow_the_direction():
    for k, q in DEMSAR_Q05.items():
        blocks = pd.DataFrame(np.random.default_rng(k).normal(size=(10, k)))
        summary = stats.rank_summary(blocks, "x", higher_is_better=False)
        assert summary.cd == pytest.approx(q * math.sqrt(k * (k + 1) / 60), abs=1e-3)
    values = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": [2.0, 3.0, 1.0], "c": [3.0, 2.0, 3.0]})
    lower = stats.rank_summary(values, "x", higher_is_better=False)
    assert lower.mean_ranks == pytest.approx({"a": 4 / 3, "b": 2.0, "c": 8 / 3})
    assert lower.friedman_p == pytest.approx(scipy_stats.friedmanchisquare(*values.to_numpy().T).pvalue)
    assert stats.rank_summary(values, "x", higher_is_better=True).mean_ranks["a"] == pytest.approx(8 / 3)
    assert stats.rank_summary(values.iloc[:1], "x", False) is None


COLUMNS = {
    "content_distance": {"higher_is_better": False, "axis": "content", "label": "content distance"},
    "style_gram": {"higher_is_better": False, "axis": "style", "label": "style distance (Gram)"},
}


def seeded_run(values: dict[str, list[tuple[float, float]]], styles=("s",)) -> tables.StoredRun:
    """A stored run: ``{norm: [(content, style) per seed]}``, the same numbers on every style."""
    rows = [
        {
            "norm": norm,
            "kind": "norm",
            "style": style,
            "style_split": "train",
            "seed": seed,
            "status": "ok",
            "content_distance": content,
            "style_gram": style_value,
        }
        for norm, per_seed in values.items()
        for seed, (content, style_value) in enumerate(per_seed)
        for style in styles
    ]
    rows.append(
        {
            "norm": "identity",
            "kind": "baseline",
            "style": styles[0],
            "style_split": "train",
            "seed": float("nan"),
            "status": "ok",
            "content_distance": 0.0,
            "style_gram": 2.0,
        }
    )
    manifest = {
        "columns": COLUMNS,
        "baselines": [{"name": "identity", "wins_by_construction": ["content"]}],
        "seeds": {"reference": "in"},
    }
    return tables.StoredRun(None, pd.DataFrame(rows), Manifest.from_dict(manifest), pd.DataFrame())


IN = [(0.50, 0.30), (0.52, 0.25), (0.49, 0.33), (0.51, 0.28)]
BN = [(0.48, 0.70), (0.53, 0.61), (0.47, 0.66), (0.50, 0.72)]  # style clearly worse, content inside the noise


GN = [(0.50, 0.31), (0.51, 0.27), (0.50, 0.32), (0.52, 0.27)]  # IN within the noise


def test_verdicts_name_significant_differences_and_call_the_rest_ties():
    run = seeded_run({"in": IN, "bn": BN, "gn": GN}, styles=("s", "t"))
    sentence, tied = analysis.verdicts(run, analysis.reference_norm(run))
    assert tied.startswith("gn vs in, 4 paired seeds: tied on content distance, style distance (Gram)")
    assert sentence.startswith("bn vs in, 4 paired seeds: worse style distance (Gram) (+0.383 [")
    assert "4/4 seeds worse, p_Holm = " in sentence and sentence.endswith("tied on content distance")
    frame = analysis.paired_frame(run, analysis.paired_comparisons(run, "in"))
    style = frame.set_index(["norm", "column"]).loc[("bn", "style_gram")]
    direct = scipy_stats.ttest_rel([s for _, s in BN], [s for _, s in IN])
    assert style.p == pytest.approx(direct.pvalue)
    assert (style.low, style.high) == pytest.approx(tuple(direct.confidence_interval()))
    other = scipy_stats.ttest_rel([s for _, s in GN], [s for _, s in IN]).pvalue
    # NOTE: Holm over the column's two comparisons with the reference: the smaller p doubled
    assert style.p_holm == pytest.approx(min(1.0, 2 * min(direct.pvalue, other)))


def test_one_seed_ties_everything_and_says_why():
    run = seeded_run({"in": IN[:1], "bn": BN[:1]})
    [sentence] = analysis.verdicts(run, "in")
    assert "1 paired seed: tied on content distance, style distance (Gram)" in sentence
    assert "run several seeds, e.g. --seeds 0-4" in sentence
    assert analysis.leading_norms(run, tables.summary(run)) == {}  # no best without a test


def test_the_leading_group_is_the_best_norm_and_those_tied_with_it():
    run = seeded_run({"in": IN, "bn": BN})
    leading = analysis.leading_norms(run, tables.summary(run))
    assert leading == {"style_gram": {"in"}}  # content: every norm ties, so nobody is marked


def test_reference_is_the_requested_norm_else_the_runs_else_the_first():
    run = seeded_run({"bn": BN, "in": IN})
    assert analysis.reference_norm(run) == "in" and analysis.reference_norm(run, "bn") == "bn"
    run.manifest.seeds = {}
    assert analysis.reference_norm(run) == "bn"
    with pytest.raises(Exception, match="--reference identity: not a trained norm of this run; available: bn, in"):
        analysis.reference_norm(run, "identity")


def test_summary_intervals_are_over_seeds_of_the_mean_over_styles():
    run = seeded_run({"in": IN, "bn": BN}, styles=("s", "t"))
    table = tables.summary(run)
    expected = stats.mean_interval([s for _, s in IN])
    assert table.loc["in", ("style_gram", "low")] == pytest.approx(expected.low)
    assert table.loc["in", ("style_gram", "seeds")] == 4
    assert tables.format_cell(table, "identity", "style_gram") == "2"  # a baseline does not train: no interval


def test_spread_over_seeds_sits_beside_the_spread_over_draws():
    run = seeded_run({"in": IN})
    run.results["style_gram_sd"] = 0.01
    frame = analysis.spread_frame(run).set_index("column")
    assert frame.loc["style_gram", "sd_over_draws"] == pytest.approx(0.01)
    assert frame.loc["style_gram", "sd_over_seeds"] == pytest.approx(np.std([s for _, s in IN], ddof=1))


def test_ranks_on_a_column_a_baseline_wins_carry_the_flag():
    from normbench.report import conclusions

    run = seeded_run({"in": IN, "bn": BN}, styles=("s", "t"))
    assert "style distance (Gram) ⚑" not in conclusions.ranks_html(run)
    run.results.loc[run.results.kind == "baseline", "style_gram"] = 0.01  # identity now beats both norms
    page = conclusions.ranks_html(run)
    assert "style distance (Gram) ⚑: mean rank" in page and "a baseline beats every norm" in page
