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


def test_verdicts_name_significant_differences_and_give_each_tie_its_size():
    run = seeded_run({"in": IN, "bn": BN, "gn": GN}, styles=("s", "t"))
    sentence, tied = analysis.verdicts(run, analysis.reference_norm(run))
    assert tied.startswith("gn vs in, 4 paired seeds: tied on content distance (+0.0025 [")
    assert "tied on style distance (Gram) (" in tied and "p_Holm = " in tied
    assert sentence.startswith("bn vs in, 4 paired seeds: worse style distance (Gram) (+0.383 [")
    assert "4/4 seeds worse, p_Holm = " in sentence and "; tied on content distance (" in sentence
    frame = analysis.paired_frame(run, analysis.paired_comparisons(run, "in"))
    style = frame.set_index(["norm", "column"]).loc[("bn", "style_gram")]
    direct = scipy_stats.ttest_rel([s for _, s in BN], [s for _, s in IN])
    assert style.p == pytest.approx(direct.pvalue)
    # NOTE: the family is every comparison a verdict reports: 2 norms x 2 columns; intervals at 1 - 0.05/4
    assert (style.low, style.high) == pytest.approx(tuple(direct.confidence_interval(1 - 0.05 / 4)))
    p_values = [
        scipy_stats.ttest_rel([v[i] for v in norm], [v[i] for v in IN]).pvalue for norm in (BN, GN) for i in (0, 1)
    ]
    assert style.p_holm == pytest.approx(stats.holm(p_values)[1])
    assert style.p_holm == pytest.approx(min(1.0, 4 * min(p_values)))  # the smallest p times the family


def test_one_seed_ties_everything_and_says_why():
    run = seeded_run({"in": IN[:1], "bn": BN[:1]})
    [sentence] = analysis.verdicts(run, "in")
    assert (
        "1 paired seed: tied on content distance (-0.02, 1/1 seeds better); tied on style distance (Gram)" in sentence
    )
    assert "run several seeds, e.g. --seeds 0-4" in sentence
    assert analysis.leading_norms(run, tables.summary(run)) == {}  # no best without a test


def test_two_seeds_say_how_large_a_difference_must_be_to_be_found():
    run = seeded_run({"in": IN[:2], "bn": [(0.51, 0.40), (0.52, 0.31)]})
    [sentence] = analysis.verdicts(run, "in")
    # NOTE: t(1 - 0.05 / (2 * 2), 1) / sqrt(2): the family is the two columns
    factor = scipy_stats.t.ppf(1 - 0.05 / 4, 1) / math.sqrt(2)
    assert f"2 seeds: only a difference larger than {factor:.0f} times the spread between the seeds" in sentence
    assert "run --seeds 0-4" in sentence
    three = seeded_run({"in": IN[:3], "bn": BN[:3]})
    assert "times the spread" not in " ".join(analysis.verdicts(three, "in"))


def margin_run(values: dict, margin: float | None) -> tables.StoredRun:
    run = seeded_run(values)
    for name in COLUMNS:
        run.manifest.columns[name] = {**COLUMNS[name], "equivalence_margin": margin}
    return run


CLOSE = [(c + d, s - d) for (c, s), d in zip(IN, (0.002, -0.001, 0.001, 0.0015))]  # within 0.003 of IN


def test_equal_comes_only_from_an_equivalence_test_against_the_columns_margin():
    [equal] = analysis.verdicts(margin_run({"in": IN, "gn": CLOSE}, 0.01), "in")
    assert "equal on content distance (" in equal and "within ±0.01, p_Holm(TOST) = " in equal
    [tied] = analysis.verdicts(margin_run({"in": IN, "gn": CLOSE}, None), "in")  # no margin: never equal
    assert "equal" not in tied and "tied on content distance" in tied
    [narrow] = analysis.verdicts(margin_run({"in": IN, "gn": CLOSE}, 0.0005), "in")  # margin below the noise
    assert "equal" not in narrow


def test_the_equivalence_p_value_is_the_larger_of_two_one_sided_t_tests():
    differences = np.array([0.002, -0.001, 0.001, 0.0015])
    lower = scipy_stats.ttest_1samp(differences, -0.01, alternative="greater").pvalue
    upper = scipy_stats.ttest_1samp(differences, 0.01, alternative="less").pvalue
    assert stats.equivalence_p_value(differences, 0.01) == pytest.approx(max(lower, upper))
    assert math.isnan(stats.equivalence_p_value(differences, None))
    assert math.isnan(stats.equivalence_p_value([0.001], 0.01))
    assert stats.equivalence_p_value([0.02, 0.02], 0.01) == 1.0 and stats.equivalence_p_value([0.0, 0.0], 0.01) == 0


def test_a_constant_nonzero_difference_is_a_difference():
    assert stats.paired_p_value([0.1, 0.1, 0.1]) == 0.0
    assert stats.paired_p_value([0.3 - 0.2, 0.1, 0.4 - 0.3]) == 0.0  # the same up to rounding: no scipy warning
    run = seeded_run({"in": IN, "bn": [(c, s + 0.05) for c, s in IN]}, styles=("s", "t"))
    [sentence] = analysis.verdicts(run, "in")
    assert "worse style distance (Gram) (+0.05 [+0.05, +0.05], 4/4 seeds worse, p_Holm = 0)" in sentence


def test_no_interval_that_excludes_zero_sits_beside_a_tie():
    # NOTE: bn's raw p is about 0.03 on both columns: below 0.05 alone, not after Holm over four comparisons
    rng = np.random.default_rng(7)
    for _ in range(40):
        noisy = {
            name: [(c + d, s + e) for (c, s), d, e in zip(IN, rng.normal(0.02, 0.02, 4), rng.normal(0.02, 0.02, 4))]
            for name in ("bn", "gn")
        }
        frame = analysis.paired_frame(
            seeded_run({"in": IN, **noisy}), analysis.paired_comparisons(seeded_run({"in": IN, **noisy}), "in")
        )
        excludes_zero = (frame.low > 0) | (frame.high < 0)
        assert (excludes_zero == frame.verdict.isin(["better", "worse"])).all()
        assert (frame.p_holm >= frame.p).all()


def test_each_interval_is_at_its_holm_steps_level():
    # NOTE: m = 4; the smallest p is corrected for 4 tests, the next for 3 once the first is rejected; from the first
    # p Holm keeps (0.03 > 0.05 / 2), every larger p is corrected as that one
    assert list(stats.holm_steps([0.03, 0.001, 0.2, 0.012, math.nan])) == [2, 4, 2, 3] + [
        pytest.approx(math.nan, nan_ok=True)
    ]
    assert list(stats.holm_steps([0.04, 0.3])) == [2, 2]
    differences = (0.12, 0.10, 0.15, 0.09)
    comparisons = [
        stats.PairedDifference("a", "r", "x", stats.mean_interval(d), p, 0, differences=d)
        for d, p in ((differences, 0.001), ((0.2, -0.1, 0.3, 0.0), 0.3))
    ]
    first, second = stats.adjust(comparisons)
    low, high = scipy_stats.ttest_1samp(differences, 0).confidence_interval(1 - 0.05 / 2)
    assert (first.difference.low, first.difference.high) == pytest.approx((low, high))
    assert "corrected for 2 tests" in first.difference.method


def test_ranks_are_over_seeds_and_need_two_of_them():
    three_styles = ("s", "t", "u")
    run = seeded_run({"in": IN[:2], "bn": BN[:2], "gn": GN[:2]}, styles=three_styles)
    summaries = analysis.rank_summaries(run)
    assert summaries and all(summary.blocks == 2 for summary in summaries)  # not 2 seeds x 3 styles = 6
    assert analysis.rank_summaries(seeded_run({"in": IN[:1], "bn": BN[:1], "gn": GN[:1]}, styles=three_styles)) == []


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


def fid_run(samples: int) -> tables.StoredRun:
    """IN clearly better than BN on FID, colour transfer better than both, every row on ``samples`` samples."""
    run = seeded_run({"in": IN, "bn": BN})
    run.manifest.columns["fid"] = {
        "higher_is_better": False,
        "axis": "style",
        "label": "FID",
        "min_samples": 2048,
        "samples_column": "fid_n",
    }
    run.results["fid"] = [0.1 + 0.01 * i if norm == "in" else 0.5 + 0.01 * i for i, norm in enumerate(run.results.norm)]
    run.results["fid_n"] = samples
    transfer = {**run.results.iloc[-1].to_dict(), "norm": "color_transfer", "fid": 0.01, "style_gram": 0.9}
    run.results = pd.concat([run.results, pd.DataFrame([transfer])], ignore_index=True)
    return run


def test_distribution_distances_on_too_few_samples_are_shown_but_never_tested_or_flagged():
    small = fid_run(96)
    assert tables.undersampled(small) == {"fid": "96 samples, defined on ≥ 2048"}
    assert "fid" not in {c.column for c in analysis.paired_comparisons(small, "in")}
    assert "fid" not in {flag.column for flag in tables.baseline_flags(small)}
    sentences = analysis.verdicts(small, "in")
    assert "FID" not in sentences[0]
    assert sentences[-1] == "FID: not a distribution test at this size (96 samples, defined on ≥ 2048), so not tested"
    large = fid_run(4096)
    assert tables.undersampled(large) == {}
    assert "worse FID ⚑ (" in analysis.verdicts(large, "in")[0]  # ⚑: colour transfer beats both norms there
    assert "fid" in {flag.column for flag in tables.baseline_flags(large)}  # colour transfer beats both norms


def test_runs_pool_only_on_one_device_torch_and_thread_count():
    from normbench.report.pooling import protocol_differences

    def on(name: str, torch: str, threads: int) -> tables.StoredRun:
        run = seeded_run({"in": IN})
        run.manifest.environment = {
            "device": {"type": "cpu", "name": name, "torch_threads": threads},
            "packages": {"torch": torch},
        }
        return run

    assert protocol_differences(on("AMD EPYC", "2.14.1", 2), on("AMD EPYC", "2.14.1", 2)) == []
    assert protocol_differences(on("AMD EPYC", "2.14.1", 2), on("AMD EPYC", "2.14.1", 4)) == [
        "execution.torch_threads: 2 vs 4"
    ]
    assert protocol_differences(on("AMD EPYC", "2.14.1", 2), on("Intel Xeon", "2.13.0", 2)) == [
        "execution.device: 'cpu AMD EPYC' vs 'cpu Intel Xeon'",
        "execution.torch: '2.14.1' vs '2.13.0'",
    ]


def test_a_column_declares_how_it_is_tested_consistently():
    from normbench.columns import Column

    with pytest.raises(ValueError, match="equivalence_margin must be a positive number or None; got 0"):
        Column("x", equivalence_margin=0)
    with pytest.raises(ValueError, match="give min_samples and samples_column together, or neither"):
        Column("x", min_samples=10)
    column = Column("x", min_samples=10, samples_column="x_n", equivalence_margin=0.5)
    assert Column.from_dict(column.to_dict()) == column


def with_color_transfer(run: tables.StoredRun, style_gram: float) -> tables.StoredRun:
    transfer = {**run.results.iloc[-1].to_dict(), "norm": "color_transfer", "content_distance": 0.6}
    transfer["style_gram"] = style_gram
    run.results = pd.concat([run.results, pd.DataFrame([transfer])], ignore_index=True)
    run.manifest.baselines.append({"name": "color_transfer", "wins_by_construction": []})
    return run


def test_each_norm_is_flagged_against_each_baseline_it_does_not_beat_with_its_interval():
    from normbench.report.norm_flags import contests, norm_flags

    run = with_color_transfer(seeded_run({"in": IN, "bn": BN}), 0.5)
    [flag] = norm_flags(run)  # IN beats both baselines; BN beats identity (2.0), not colour transfer (0.5)
    assert (flag.norm, flag.baseline, flag.column, flag.beyond_noise) == ("bn", "color_transfer", "style_gram", True)
    differences = [s - 0.5 for _, s in BN]
    # NOTE: the family: 2 norms x 2 baselines on the one stylization column; bn's interval is at its Holm step's level
    found = contests(run)
    [index] = [i for i, (norm, baseline, *_) in enumerate(found) if (norm, baseline) == ("bn", "color_transfer")]
    step = stats.holm_steps([test.p for *_, test in found])[index]
    assert step == 1  # NOTE: the three other contests have smaller p and Holm rejects them first
    low, high = scipy_stats.ttest_1samp(differences, 0).confidence_interval(1 - 0.05 / step)
    assert flag.difference.mean == pytest.approx(np.mean(differences))
    assert (flag.difference.low, flag.difference.high) == pytest.approx((low, high))
    assert flag.sentence.startswith("bn is worse than color_transfer on style distance (Gram) (+0.172 [+")
    assert flag.sentence.endswith(", 4 seeds)")
    [close] = norm_flags(with_color_transfer(seeded_run({"in": IN, "bn": BN}), 0.66))  # inside BN's seed noise
    assert not close.beyond_noise and close.sentence.startswith("bn is no better than color_transfer on")


def test_a_failed_seed_is_counted_in_the_summary_and_the_verdict():
    run = seeded_run({"in": IN, "bn": BN})
    lost = (run.results.norm == "bn") & (run.results.seed == 2)
    run.results.loc[lost, "status"] = "diverged"
    run.results.loc[lost, ["content_distance", "style_gram"]] = float("nan")
    assert tables.failures(run)["bn"] == tables.Failures(1, 4, {"diverged": 1})
    [sentence] = analysis.verdicts(run, "in")
    assert sentence.startswith("bn vs in, 3 paired seeds (bn: 1 of 4 seeds failed (diverged), not paired): ")
    shown = tables.display_summary(run)
    assert shown.loc["bn", "failed seeds"] == "1/4 (diverged)" and shown.loc["in", "failed seeds"] == "0/4"
    assert "failed seeds" not in tables.display_summary(seeded_run({"in": IN, "bn": BN}))  # nothing failed


def test_runs_pool_over_a_network_only_one_of_them_loaded_and_keep_every_network():
    from normbench.report.pooling import _pool, protocol_differences

    imported = {"kind": "import", "sha256": "372c", "seed": None}
    random = {"kind": "random", "sha256": None, "seed": 1234}

    def loading(run_id: str, norms: dict, networks: dict) -> tables.StoredRun:
        run = seeded_run(norms)
        run.manifest.run_id, run.manifest.networks = run_id, networks
        run.manifest.protocol.networks = networks
        return run

    transformer = loading("a", {"in": IN}, {"vgg16": imported, "vgg19": random})
    decoder = loading("b", {"adain@adain16": BN}, {"vgg16": imported})
    assert protocol_differences(transformer, decoder) == []
    assert protocol_differences(transformer, loading("c", {"in": IN}, {"vgg16": random})) == [
        "networks.vgg16.kind: 'import' vs 'random'",
        "networks.vgg16.seed: None vs 1234",
        "networks.vgg16.sha256: '372c' vs None",
    ]
    pooled = _pool([decoder, transformer])
    assert pooled.manifest.networks == pooled.manifest.protocol.networks == {"vgg16": imported, "vgg19": random}
    assert set(pooled.results.norm) == {"in", "adain@adain16", "identity"}


def test_a_report_of_some_norms_keeps_the_baselines_tests_only_those_shown_and_says_so():
    from normbench.errors import UserError
    from normbench.report.pooling import select_norms

    run = seeded_run({"in": IN, "bn": BN, "gn": GN})
    chosen = select_norms(run, ["in", "gn"])
    assert list(chosen.kinds()) == ["in", "gn", "identity"]
    assert {c.norm for c in analysis.paired_comparisons(chosen, "in")} == {"gn"}
    assert chosen.notes == [
        "rows of bn left out (--norms); the networks listed are those the runs loaded for all their norms"
    ]
    assert select_norms(run, ["in", "bn", "gn"]).notes == []
    with pytest.raises(UserError, match="no norm 'ln' in the run; its norms: in, bn, gn"):
        select_norms(run, ["in", "ln"])
