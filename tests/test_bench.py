"""``normbench bench`` end to end on tiny sizes: rows, baseline, FLOPs, profiler tables and the speed report."""

import json
import re

import pandas as pd
import pytest

from normbench import cli
from normbench.store.bench_directory import BENCH_COLUMNS

TINY = [
    "--sizes",
    "32",
    "--batches",
    "1,2",
    "--train-size",
    "32",
    "--train-batch",
    "2",
    "--reps",
    "5",
    "--device",
    "cpu",
]


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    code = cli.main(
        [
            "bench",
            "--norms",
            "in,adain",
            "--modes",
            "plain,bf16,compile=aot_eager",
            "--trace",
            "--out-dir",
            str(out),
            "--run-id",
            "b",
            *TINY,
        ]
    )
    assert code == 0
    return out / "b"


@pytest.mark.slow
def test_bench_times_every_norm_mode_size_and_batch_beside_the_plain_baseline(bench_dir):
    table = pd.read_csv(bench_dir / "bench.csv")
    assert list(table.columns) == BENCH_COLUMNS
    assert (table.status == "ok").all()
    # 2 norms x 3 modes x (2 inference batches + 1 training step)
    assert len(table) == 18
    assert set(table["mode"]) == {"plain", "bf16", "compile=aot_eager"}
    assert (table[table["mode"] == "plain"].speedup == 1.0).all()
    assert table.speedup.gt(0).all() and (table.reps >= 5).all()
    assert (table.img_per_s_q1 <= table.img_per_s).all() and (table.img_per_s <= table.img_per_s_q3).all()
    assert table.compile_s.notna().tolist() == (table["mode"] == "compile=aot_eager").tolist()
    assert table.gflops_per_img.gt(0).all() and table.peak_share.gt(0).all()
    train = table[table.kind == "train"]
    assert (train.gflops_per_img > table[table.kind == "infer"].gflops_per_img.max()).all()
    assert set(train.optimizer) <= {"adam-fused", "adam-foreach"}
    assert set(table[table["mode"] == "bf16"].speed_autocast) == {"bf16"}


@pytest.mark.slow
def test_the_bench_summary_as_json_holds_every_row_and_the_fastest_modes(bench_dir, capsys):
    import json

    assert cli.main(["report", str(bench_dir), "--json", "-o", str(bench_dir / "again.html")]) == 0
    document = json.loads(capsys.readouterr().out)
    frame = pd.read_csv(bench_dir / "bench.csv")
    assert len(document["rows"]) == len(frame) and document["status"] == "complete"
    assert {row["norm"] for row in document["fastest"]} == {"in", "adain"}


@pytest.mark.slow
def test_bench_manifest_records_the_plan_switches_threads_and_allocator(bench_dir):
    manifest = json.loads((bench_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["kind"] == "bench"
    assert manifest["plan"]["threads"] >= 1 and manifest["plan"]["norms"] == ["in", "adain"]
    assert manifest["speed"]["bf16"]["speed_autocast"] == "bf16"
    assert "allocator" in manifest and "median and IQR" in manifest["timing"]
    assert manifest["compile_cache"].startswith("cold")


@pytest.mark.slow
def test_bench_profiles_one_training_step_per_norm_and_mode(bench_dir):
    profiles = sorted(path.name for path in bench_dir.glob("profile_*.txt"))
    assert profiles == sorted(
        f"profile_{n}_{m}.txt" for n in ("in", "adain") for m in ("plain", "bf16", "compileaot_eager")
    )
    assert "aten::" in (bench_dir / "profile_in_plain.txt").read_text()


@pytest.mark.slow
def test_the_speed_report_is_one_file_and_rebuilds_identically(bench_dir, capsys):
    page = (bench_dir / "report.html").read_text()
    assert "<h2>Speed</h2>" in page and "Fastest mode against the plain baseline" in page
    assert not re.search(r'(src|href)="(?!data:)', page) and "url(" not in page
    assert cli.main(["report", str(bench_dir)]) == 0
    assert (bench_dir / "report.html").read_text() == page
    assert "fastest mode" in capsys.readouterr().out


def test_bench_all_times_every_registered_norm(tmp_path):
    from normbench.plugins import load_norms

    sizes = ["--sizes", "32", "--batches", "1", "--train-batch", "0", "--reps", "5", "--device", "cpu"]
    args = ["bench", "--norms", "all", "--modes", "plain", "--out-dir", str(tmp_path), "--run-id", "all", *sizes]
    assert cli.main(args) == 0
    rows = pd.read_csv(tmp_path / "all" / "bench.csv")
    assert set(rows.norm) == set(load_norms().names())
    assert (rows[rows.kind == "infer"].img_per_s > 0).all() and (rows.status == "ok").all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--modes", "plain,warp"], "unknown speed switch 'warp'"),
        (["--norms", "nope"], "unknown norm 'nope'"),
        (["--sizes", "30"], "multiples of 8"),
        (["--threads", "0"], "--threads must be positive"),
    ],
)
def test_bench_refuses_bad_input_by_name(tmp_path, capsys, args, message):
    assert cli.main(["bench", "--out-dir", str(tmp_path), *TINY, *args]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_an_interrupted_bench_keeps_its_rows_and_report(tmp_path, monkeypatch):
    from normbench import speedbench as bench

    def interrupt(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench.Bench, "_train", interrupt)
    assert (
        cli.main(["bench", "--norms", "in", "--modes", "plain", "--out-dir", str(tmp_path), "--run-id", "i", *TINY])
        == 130
    )
    run_dir = tmp_path / "i"
    assert len(pd.read_csv(run_dir / "bench.csv")) == 2  # the two inference batches finished
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    assert (run_dir / "report.html").is_file() and not list(run_dir.glob("*.tmp"))
