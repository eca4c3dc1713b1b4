"""A norm is a curve: the style-weight sweep (options, cells, rows, protocol) and the frontier summary, against
closed forms and made-up runs whose answer is known."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from normbench.config import check_style_weights, make_profile
from normbench.report import tables
from normbench.report.frontier import added_hypervolume, frontier, hypervolume
from normbench.report.frontier_section import flag_sentences, sentences
from normbench.store.cells import Cell
from normbench.store.manifest import Manifest
from normbench.store.results import curves_of, operating_point


def test_hypervolume_of_one_and_two_points_is_the_area_of_their_boxes():
    assert hypervolume([(0.2, 0.4)]) == pytest.approx(0.8 * 0.6)
    # NOTE: inclusion-exclusion: 0.8 x 0.4 + 0.5 x 0.8 - the 0.5 x 0.4 both cover
    assert hypervolume([(0.2, 0.6), (0.5, 0.2)]) == pytest.approx(0.32 + 0.40 - 0.20)
    assert hypervolume([(0.5, 0.2), (0.2, 0.6)]) == hypervolume([(0.2, 0.6), (0.5, 0.2)])


def test_dominated_points_and_points_beyond_the_reference_add_nothing():
    front = [(0.2, 0.6), (0.5, 0.2)]
    assert hypervolume([*front, (0.6, 0.7), (1.2, 0.0), (0.0, 1.0), (math.nan, 0.1)]) == hypervolume(front)
    assert hypervolume([]) == 0.0
    assert hypervolume([(0.0, 0.0)]) == 1.0


def test_hypervolume_matches_counting_a_fine_grid():
    rng = np.random.default_rng(7)
    points = rng.uniform(0, 1.1, size=(12, 2))
    grid = (np.arange(400) + 0.5) / 400
    xs, ys = np.meshgrid(grid, grid)
    covered = np.zeros_like(xs, dtype=bool)
    for x, y in points:
        covered |= (xs >= x) & (ys >= y)
    assert hypervolume(points) == pytest.approx(covered.mean(), abs=5e-3)


def test_added_hypervolume_is_zero_only_where_the_other_curve_dominates_every_point():
    baseline = [(0.0, 1.0), (0.3, 0.6), (0.6, 0.2)]
    assert added_hypervolume([(0.5, 0.8), (0.7, 0.6)], baseline) == 0.0
    # NOTE: the baseline covers 0.7 x 0.4 + 0.4 x 0.4 = 0.44; with (0.2, 0.4), 0.8 x 0.6 + 0.4 x 0.2 = 0.56
    assert hypervolume(baseline) == pytest.approx(0.44)
    assert added_hypervolume([(0.2, 0.4)], baseline) == pytest.approx(0.12)


def test_a_sweep_is_positive_finite_includes_the_operating_point_and_is_sorted():
    assert check_style_weights([4, 0.25, 1]) == (0.25, 1.0, 4.0)
    assert check_style_weights([]) == ()
    for bad, words in (([0.5, 2], "must include 1"), ([1, -1], "positive finite"), ([1, 1.0], "repeats")):
        with pytest.raises(ValueError, match=words):
            check_style_weights(bad)
    assert make_profile("frontier").style_weights == (0.25, 1.0, 4.0)
    assert make_profile("quick", style_weights=(2, 1)).style_weights == (1.0, 2.0)


def test_a_cell_outside_a_sweep_keeps_its_key_and_id():
    plain, swept = Cell("model", "in", ("waves",), 0), Cell("model", "in", ("waves",), 0, 0.25)
    assert plain.key() == {"kind": "model", "name": "in", "styles": ["waves"], "seed": 0}
    assert plain.id == "in-s0-waves.0455c7a5"  # NOTE: its id in runs stored before sweeps existed
    assert swept.key()["style_weight"] == 0.25 and swept.id.startswith("in-s0-waves-w0.25.")
    assert swept.label == "in/waves seed 0 style ×0.25"


# NOTE: the box's ends: identity (content 0, style 2) and the style image (content 1, style 0), so x = content and
# y = style / 2. Colour transfer's blend runs from the content (alpha 0) towards (0.6, 0.4).
WEIGHTS = (0.25, 1.0, 4.0)
IN = [[(0.20 + 0.01 * k, 0.8), (0.30 + 0.01 * k, 0.5), (0.50, 0.30 - 0.02 * k)] for k in range(3)]
BN = [[(0.50, 1.6), (0.60, 1.4 + 0.05 * k * k), (0.70, 1.2)] for k in range(3)]


def sweep_run(norms: dict) -> tables.StoredRun:
    """A stored sweep: ``{norm: [[(content, style) per weight] per seed]}`` on one style, with the baselines."""
    row = {"style": "s", "style_split": "train", "status": "ok"}
    rows = [
        {**row, "norm": norm, "kind": "norm", "seed": seed, "style_weight": weight, "alpha": 1.0}
        | {"content_distance": c, "style_gram": s}
        for norm, seeds in norms.items()
        for seed, curve in enumerate(seeds)
        for weight, (c, s) in zip(WEIGHTS, curve)
    ]
    baseline = {**row, "kind": "baseline", "seed": math.nan, "style_weight": math.nan}
    rows += [{**baseline, "norm": "identity", "alpha": 1.0, "content_distance": 0.0, "style_gram": 2.0}]
    rows += [{**baseline, "norm": "style_image", "alpha": 1.0, "content_distance": 1.0, "style_gram": 0.0}]
    rows += [
        {**baseline, "norm": "color_transfer", "alpha": a, "content_distance": 0.6 * a, "style_gram": 2 - 1.6 * a}
        for a in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    columns = {
        "content_distance": {"higher_is_better": False, "axis": "content", "label": "content distance"},
        "style_gram": {"higher_is_better": False, "axis": "style", "label": "style distance (Gram)"},
    }
    manifest = {
        "columns": columns,
        "baselines": [
            {"name": "identity", "wins_by_construction": ["content"]},
            {"name": "color_transfer", "wins_by_construction": []},
            {"name": "style_image", "wins_by_construction": ["style"]},
        ],
        "seeds": {"reference": "in"},
    }
    results = pd.DataFrame(rows)
    return tables.StoredRun(
        None, operating_point(results), Manifest.from_dict(manifest), pd.DataFrame(), curves=curves_of(results)
    )


def test_point_verdicts_see_only_the_operating_point():
    run = sweep_run({"in": IN, "bn": BN})
    assert set(run.results.style_weight.dropna()) == {1.0} and set(run.results.alpha) == {1.0}
    assert len(run.results) == 2 * 3 + 3 and len(run.curves) == 2 * 3 * 3 + 2 + 5


def test_each_norms_curve_is_summarised_per_seed_and_paired_over_seeds():
    front, why = frontier(sweep_run({"in": IN, "bn": BN}), "in")
    assert why == ""
    expected = {
        norm: [hypervolume([(c, s / 2) for c, s in curve]) for curve in seeds]
        for norm, seeds in (("in", IN), ("bn", BN))
    }
    assert list(front.hypervolumes["in"]) == pytest.approx(expected["in"])
    assert front.summaries["in"].mean == pytest.approx(np.mean(expected["in"]))
    [comparison] = front.comparisons
    differences = np.subtract(expected["bn"], expected["in"])
    assert comparison.p == pytest.approx(scipy_stats.ttest_1samp(differences, 0).pvalue)
    assert comparison.verdict(True) == "worse"
    [sentence] = sentences(front, "in")
    assert sentence.startswith("bn vs in, 3 paired seeds: worse trade-off hypervolume (")


def test_a_curve_the_colour_transfer_curve_dominates_everywhere_is_flagged():
    front, _ = frontier(sweep_run({"in": IN, "bn": BN}), "in")
    assert front.dominated == [("bn", "color_transfer")]
    assert front.added[("in", "color_transfer")].mean > 0 and front.added[("bn", "color_transfer")].mean == 0
    [flag] = flag_sentences(front)
    assert flag.startswith("bn's trade-off curve dominates color_transfer's curve nowhere")
    assert front.baseline_hypervolumes["color_transfer"] == pytest.approx(
        hypervolume([(0.6 * a, 1 - 0.8 * a) for a in (0.0, 0.25, 0.5, 0.75, 1.0)])
    )


def test_without_the_baselines_that_span_the_box_there_is_no_summary_and_it_says_why():
    run = sweep_run({"in": IN})
    run.manifest.baselines = [{"name": b, "wins_by_construction": []} for b in ("identity", "style_image")]
    front, why = frontier(run, "in")
    assert front is None and "wins content by construction" in why
    assert frontier(tables.StoredRun(None, run.results, run.manifest, pd.DataFrame()), "in")[1].startswith(
        "the run did not sweep"
    )


def test_test_time_alpha_blends_a_conditioned_norms_output_with_its_input_and_is_put_back():
    import torch

    from normbench.models.layers import NormSlot, content_style_alpha

    class Shift(torch.nn.Module):
        def forward(self, x, cond=None):
            return x + 4.0

    model = torch.nn.ModuleList([NormSlot(Shift(), conditioned=True), NormSlot(Shift(), conditioned=False)])
    x = torch.zeros(1, 2, 3, 3)
    with content_style_alpha(model, 0.25):
        assert torch.equal(model[0](x, None), torch.full_like(x, 1.0))  # NOTE: 0.25 x (x + 4) + 0.75 x
        assert torch.equal(model[1](x, None), x + 4.0)  # NOTE: an unconditioned norm has no style to blend
    assert model[0].alpha == 1.0 and torch.equal(model[0](x, None), x + 4.0)
    assert "alpha" not in model.state_dict()


@pytest.mark.slow
def test_a_sweep_trains_a_model_per_weight_measures_blends_and_reports_curves(tmp_path, capsys):
    import json

    from tiny import run_tiny

    flags = ["--norms", "in,adain", "--style-weights", "1,4", "--json"]
    assert run_tiny(tmp_path, *flags, metrics="distances", baselines="identity,color_transfer,style_image") == 0
    run = tmp_path / "runs" / "r"
    results = pd.read_csv(run / "results.csv")
    identity = ["norm", "kind", "style", "style_split", "seed", "style_weight", "alpha", "status"]
    assert list(results.columns[:8]) == identity
    train = results[results.style_split == "train"]
    assert sorted(train[train.norm == "in"].style_weight) == [1.0, 4.0]
    # NOTE: AdaIN at x1 is measured at every test-time blend, at x4 as trained
    assert sorted(train[train.norm == "adain"].alpha) == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert sorted(train[train.norm == "color_transfer"].alpha) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert len(train[train.norm == "identity"]) == 1
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["protocol"]["frontier"]["style_weights"] == [1.0, 4.0]
    assert manifest["protocol"]["profile"]["style_weights"] == [1.0, 4.0]
    assert sum("-w4." in cell for cell in manifest["cells"]) == 2
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["frontier"]["hypervolume"]) == {"in", "adain"}
    assert "Trade-off curves (style weights ×1, ×4)" in (run / "report.html").read_text()
    curves = pd.read_csv(run / "frontier.csv")
    assert set(curves.norm) == {"in", "adain", "color_transfer"} and len(curves[curves.norm == "adain"]) == 6


@pytest.mark.slow
def test_a_sweep_resumes_cell_by_cell_to_the_same_curves(tmp_path, capsys):
    import shutil

    from tiny import run_tiny

    from normbench import cli
    from normbench.columns import TIMING_COLUMNS

    assert run_tiny(tmp_path, "--norms", "in", "--style-weights", "0.5,1", metrics="distances") == 0
    run = tmp_path / "runs" / "r"
    whole = pd.read_csv(run / "results.csv").drop(columns=list(TIMING_COLUMNS))
    [lost] = [path for path in (run / "cells").iterdir() if "-w0.5." in path.name]
    shutil.rmtree(lost)  # NOTE: as if the run had been killed before this cell
    assert cli.main(["run", "--resume", str(run)]) == 0
    assert "resuming: 2 of 3 cells finished earlier are kept" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(run / "results.csv").drop(columns=list(TIMING_COLUMNS)), whole)
    assert lost.is_dir()
