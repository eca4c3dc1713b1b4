"""Seeds as an axis: paired by construction, pooled across runs of one protocol, refused across protocols."""

import json
import re
import shutil

import pandas as pd
import pytest
from tiny import tiny_args

from normbench import cli
from normbench.config import PROFILES, resolve_seeds

TINY = tiny_args(metrics="distances")
QUALITY = ["content_distance", "style_gram", "style_meanstd"]


@pytest.fixture(scope="module")
def seeded_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("seeds")
    for run_id, extra in (
        ("two", ["--norms", "in,bn", "--seeds", "0-1"]),
        ("one", ["--norms", "in", "--seed", "1"]),
        ("bf16", ["--norms", "in", "--seed", "2", "--precision", "bf16"]),
    ):
        assert cli.main(["run", *extra, "--out-dir", str(root), "--run-id", run_id, *TINY]) == 0
    return root


def results(path):
    return pd.read_csv(path / "results.csv")


def test_every_norm_trains_once_per_seed_and_baselines_once(seeded_runs):
    table = results(seeded_runs / "two")
    norms = table[table.kind == "norm"]
    assert sorted(zip(norms.norm, norms.seed)) == [("bn", 0), ("bn", 1), ("in", 0), ("in", 1)]
    baseline = table[table.kind == "baseline"]
    assert len(baseline) == 1 and baseline.seed.isna().all()
    manifest = json.loads((seeded_runs / "two" / "manifest.json").read_text())
    assert manifest["seeds"]["training"] == [0, 1] and manifest["seeds"]["reference"] == "in"
    assert "seeds" not in manifest["protocol"]["profile"]  # runs of other seeds pool


def test_a_seed_decides_the_model_whatever_else_the_run_trains(seeded_runs):
    alone = results(seeded_runs / "one").query("kind == 'norm'").iloc[0]
    among = results(seeded_runs / "two").query("norm == 'in' and seed == 1").iloc[0]
    assert alone[QUALITY].tolist() == among[QUALITY].tolist()  # same init, crops and order: bit-identical
    first = results(seeded_runs / "two").query("norm == 'in' and seed == 0").iloc[0]
    assert first[QUALITY].tolist() != among[QUALITY].tolist()


def test_runs_of_one_protocol_pool_into_one_analysis(seeded_runs, tmp_path, capsys):
    output = tmp_path / "pooled.html"
    assert cli.main(["report", str(seeded_runs / "two"), str(seeded_runs / "one"), "-o", str(output)]) == 0
    out = capsys.readouterr().out
    assert "Verdict against in:" in out and "bn vs in, 2 paired seeds" in out
    page = output.read_text()
    device = re.search(r"pooled from two \(seeds \[0, 1\], complete: 5 of 5 cells, (cpu [^)]*)\)", page)
    assert device and f"one (seeds [1], complete: 2 of 2 cells, {device.group(1)})" in page  # each run's device
    assert "cells in more than one run, counted once from the first: in seed 1 (one)" in page
    paired = pd.read_csv(tmp_path / "pooled_paired.csv")
    assert set(paired.column) == set(QUALITY) and (paired.seeds == 2).all()
    assert (tmp_path / "pooled_summary.csv").is_file()


def test_a_report_of_some_norms_leaves_the_others_out_and_names_an_unknown_one(seeded_runs, tmp_path, capsys):
    output = tmp_path / "in.html"
    assert cli.main(["report", str(seeded_runs / "two"), "--norms", "in", "-o", str(output)]) == 0
    assert "bn vs in" not in capsys.readouterr().out
    assert set(pd.read_csv(tmp_path / "in_summary.csv").name) == {"in", "identity"}
    assert "rows of bn left out (--norms)" in output.read_text()
    assert cli.main(["report", str(seeded_runs / "two"), "--norms", "in,gn", "-o", str(tmp_path / "x.html")]) == 2
    assert "no norm 'gn' in the run; its norms: in, bn" in capsys.readouterr().err


def test_runs_of_different_protocols_are_refused_naming_the_field(seeded_runs, tmp_path, capsys):
    args = ["report", str(seeded_runs / "two"), str(seeded_runs / "bf16"), "-o", str(tmp_path / "x.html")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "differ in protocol, so their numbers cannot be pooled" in err and "profile.precision: 'fp32' vs" in err
    assert not (tmp_path / "x.html").exists()
    assert cli.main(["report", str(seeded_runs / "two"), str(seeded_runs / "two")]) == 2


def test_compare_of_seeded_runs_shows_paired_intervals(seeded_runs, tmp_path):
    shutil.copytree(seeded_runs / "two", tmp_path / "again")
    assert cli.main(["compare", str(seeded_runs / "two"), str(tmp_path / "again"), "-o", str(tmp_path / "c.html")]) == 0
    table = (tmp_path / "c.html").read_text().split('id="compare"')[1].split("</table>")[0]
    assert "[+0, +0]" in table and ">tied<" in table and ">same<" in table  # norms tested, the baseline exact


def test_the_report_opens_with_a_verdict_and_takes_another_reference(seeded_runs, tmp_path, capsys):
    assert cli.main(["report", str(seeded_runs / "two"), "-o", str(tmp_path / "r.html"), "--reference", "bn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("**Answer:** ") and "in vs bn, 2 paired seeds" in out
    page = (tmp_path / "r.html").read_text()
    # NOTE: the answer, then the charts, then the caveats, then the verdicts
    order = ['id="answer"', 'id="headline"', 'id="caveats"', 'class="verdict"']
    assert [page.index(part) for part in order] == sorted(page.index(part) for part in order)
    assert "95% interval over training seeds" in page and 'id="paired"' in page and 'id="spread"' in page
    assert cli.main(["report", str(seeded_runs / "two"), "--reference", "none"]) == 2


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--seeds", "1,1"], "seed 1 is given twice"),
        (["--seed", "-1"], "seed -1 is out of range"),
        (["--num-seeds", "0"], "--num-seeds must be at least 1"),
        (["--reference", "bn"], "--reference bn: not one of the norms of this run (in)"),
        (["--reference", "nope"], "unknown norm 'nope'"),
    ],
)
def test_bad_seeds_and_references_exit_2_naming_the_problem(flags, message, tmp_path, capsys):
    assert cli.main(["run", "--norms", "in", *flags, "--out-dir", str(tmp_path), *TINY]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # refused before any directory is made


def test_seed_lists_ranges_and_counts():
    assert cli.build_parser().parse_args(["run", "--seeds", "0-2,7"]).seeds == [0, 1, 2, 7]
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--seeds", "3-1"])
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--seeds", "0,1", "--seed", "2"])
    assert resolve_seeds(PROFILES["study"]) == [0, 1, 2] and resolve_seeds(PROFILES["quick"]) == [0]
    assert resolve_seeds(PROFILES["quick"], num_seeds=4) == [0, 1, 2, 3]
