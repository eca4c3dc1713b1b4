"""The report's first screen: the answer sentence generated from the verdicts, speed as an interval and a ratio,
the Pareto front only where speeds are separated, and a table of contents with an anchor on every section."""

import dataclasses

import pandas as pd
import pytest
from test_stats import BN, GN, IN, seeded_run

from normbench.report import analysis, tables
from normbench.report.answer import answer
from normbench.report.html import anchored
from normbench.report.throughput import separated_front, throughput


def with_speed(run: tables.StoredRun, speeds: dict[str, list[float]], load: float = 1.0) -> tables.StoredRun:
    """``run`` with ``infer_img_per_s`` per seed for each norm, timed at ``load`` runnable threads on 2 CPUs."""
    rows = run.results.copy()
    for norm, per_seed in speeds.items():
        for seed, value in enumerate(per_seed):
            mine = (rows.norm == norm) & (rows.seed == seed)
            rows.loc[mine, ["infer_img_per_s", "infer_img_per_s_q1", "infer_img_per_s_q3"]] = (value, value, value)
            rows.loc[mine, ["timing_load", "timing_cpus"]] = (load, 2.0)
    columns = {**run.manifest.columns, "infer_img_per_s": {"higher_is_better": True, "axis": "speed"}}
    manifest = dataclasses.replace(run.manifest, columns=columns)
    return tables.StoredRun(None, rows, manifest, pd.DataFrame())


def told(run: tables.StoredRun):
    reference = analysis.reference_norm(run)
    return answer(run, reference, analysis.paired_comparisons(run, reference), throughput(run, reference))


def test_the_answer_names_each_difference_found_from_the_winners_side_with_its_interval():
    run = seeded_run({"in": IN, "bn": BN, "gn": GN})
    found = told(run)
    style = next(c for c in analysis.paired_comparisons(run, "in") if (c.norm, c.column) == ("bn", "style_gram"))
    d = style.difference  # bn − in > 0 on a distance: in is better by d
    expected = f"in is better than bn on style distance (Gram) by {d.mean:.3g} [{d.low:.3g}, {d.high:.3g}]"
    assert found.sentence.startswith(expected + " over 4 seeds")
    assert "gn" not in found.sentence  # a tie is not an answer
    assert found.changes == ()


def test_ties_are_said_with_the_largest_difference_and_what_would_separate_them():
    found = told(seeded_run({"in": IN, "gn": GN}))
    assert found.sentence.startswith("No norm is separated from in on style distance (Gram) over 4 seeds")
    assert "run more seeds" in found.sentence


def test_one_seed_separates_nothing_and_says_so():
    found = told(seeded_run({"in": IN[:1], "bn": BN[:1]}))
    assert found.sentence.startswith("Nothing is separated at 1 seed: style distance (Gram) is in 0.3, bn 0.7")
    assert "--seeds 0-4" in found.sentence


def test_speed_is_the_same_within_noise_unless_the_intervals_separate():
    run = seeded_run({"in": IN, "bn": BN})
    close = told(with_speed(run, {"in": [10, 11, 10.5, 9.5], "bn": [10.4, 10.9, 10, 10.2]}))
    assert ", at the same speed within noise" in close.sentence
    apart = with_speed(run, {"in": [10, 11, 9, 10], "bn": [20, 21, 19, 20]})
    assert "in is better than bn" in told(apart).sentence
    assert "2× slower than bn" in told(apart).sentence
    points = throughput(apart, "in").points
    assert points.loc["bn", "ratio"] == pytest.approx(2.0)
    assert points.loc["in", "ratio_low"] < 1 < points.loc["in", "ratio_high"]


def test_a_busy_machine_is_a_caveat_that_changes_a_speed_claim():
    run = with_speed(seeded_run({"in": IN, "bn": BN}), {"in": [10] * 4, "bn": [10] * 4}, load=4.0)
    speed = throughput(run, "in")
    assert speed.busy == ("in", "bn")
    assert "load average reached 2 runnable threads per core" in speed.busy_note()
    assert speed.busy_note() in told(run).changes


def test_random_features_change_a_quality_answer():
    run = seeded_run({"in": IN, "bn": BN})
    random = tables.StoredRun(None, run.results, dataclasses.replace(run.manifest, features="random"), pd.DataFrame())
    assert any(change.startswith("features=random") for change in told(random).changes)


def test_the_pareto_front_joins_only_neighbours_whose_speed_intervals_do_not_overlap():
    points = pd.DataFrame(
        {
            "ratio": [1.0, 1.05, 2.0],
            "ratio_low": [0.9, 0.95, 1.9],
            "ratio_high": [1.1, 1.15, 2.1],
            "q": [0.3, 0.4, 0.5],
        },
        index=["a", "b", "c"],
    )
    assert separated_front(points, "q", higher_is_better=False) == [("b", "c")]  # a–b overlap: no trade-off told
    wide = points.assign(ratio_low=[0.5, 0.5, 0.5], ratio_high=[2.5, 2.5, 2.5])
    assert separated_front(wide, "q", higher_is_better=False) == []


def test_every_section_gets_a_unique_anchor_listed_in_the_table_of_contents():
    body = anchored("<h2>Images</h2><p>x</p><h2>Held-out: waves</h2><h2>Images</h2>", (("answer", "Answer"),))
    assert '<h2 id="images">Images</h2>' in body and '<h2 id="held-out">Held-out: waves</h2>' in body
    anchors = [part.split('"')[0] for part in body.split('href="#')[1:]]
    ids = [part.split('"')[0] for part in body.split('id="')[1:]]
    assert anchors == ["answer", "images", "held-out", ids[-1]] and len(set(ids)) == 3


def test_an_answer_on_a_column_a_baseline_wins_says_so_in_the_sentence():
    run = seeded_run({"in": IN, "bn": BN})
    transfer = run.results[run.results.norm == "identity"].assign(norm="color_transfer", style_gram=0.1)
    baselines = [*run.manifest.baselines, {"name": "color_transfer", "wins_by_construction": []}]
    rows = pd.concat([run.results, transfer], ignore_index=True)
    flagged = tables.StoredRun(None, rows, dataclasses.replace(run.manifest, baselines=baselines), pd.DataFrame())
    found = told(flagged)
    assert found.sentence.startswith("in is better than bn on style distance (Gram)")
    assert "; but color_transfer, doing nothing to train, beats every norm on style distance (Gram)" in found.sentence
    assert any(change.startswith("a baseline beats every norm on this column") for change in found.changes)
