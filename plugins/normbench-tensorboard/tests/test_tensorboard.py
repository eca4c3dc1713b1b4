"""The TensorBoard tracker's event files, read back with TensorBoard's own reader: what a run records is what
TensorBoard shows."""

from __future__ import annotations

import math

import pytest
from normbench_tensorboard import LOGDIR_ENV, TensorBoardTracker, run_name, seed_label
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import normbench

COLUMNS = {
    "lpips": {"higher_is_better": False, "axis": "content"},
    "lpips_std": {"higher_is_better": None, "axis": "info"},
    "infer_img_per_s": {"higher_is_better": True, "axis": "speed"},
}


def context(tmp_path, run_id="r1"):
    manifest = {"run_id": run_id, "features": "random", "precision": "fp32", "columns": COLUMNS}
    return normbench.TrackerContext(tmp_path / run_id, run_id, manifest)


def read(folder):
    events = EventAccumulator(str(folder))
    events.Reload()
    return events


def scalars(events, tag):
    return [(event.step, pytest.approx(event.value)) for event in events.Scalars(tag)]


def row(norm, style, seed, **values):
    return {
        "norm": norm,
        "kind": "norm" if seed is not None else "baseline",
        "style": style,
        "style_split": "train",
        "seed": math.nan if seed is None else seed,
        "status": "ok",
        "architecture": "transformer",
        "conditioning": "none",
        "precision": "fp32",
        "features": "random",
        **values,
    }


def test_training_losses_are_scalars_per_model_and_seed(tmp_path):
    tracker = TensorBoardTracker(context(tmp_path))
    tracker.log_training(
        [
            {
                "norm": "in",
                "model": "in/waves seed 1",
                "seed": 1,
                "step": s,
                "total": 10.0 / s,
                "content": 1.0,
                "style": math.nan,
            }
            for s in (5, 10)
        ]
    )
    tracker.finish("complete")
    events = read(tmp_path / "r1" / "tensorboard" / "train" / "in" / "waves" / "seed1")
    assert scalars(events, "loss/total") == [(5, 2.0), (10, 1.0)]
    assert scalars(events, "loss/content") == [(5, 1.0), (10, 1.0)]
    assert "loss/style" not in events.Tags()["scalars"]  # NOTE: non-finite values are left out, not plotted as 0


def test_each_finished_row_is_a_run_with_its_scores_and_failed_rows_are_left_out(tmp_path):
    tracker = TensorBoardTracker(context(tmp_path))
    tracker.log_rows(
        [
            row("in", "waves", 0, lpips=0.25, lpips_std=0.1, infer_img_per_s=math.nan),
            row("identity", "waves", None, lpips=0.0),
            {**row("bn", "waves", 0, lpips=0.5), "status": "diverged"},
        ]
    )
    tracker.finish("complete")
    rows = tmp_path / "r1" / "tensorboard" / "rows"
    trained = read(rows / "in" / "waves" / "seed0")
    assert scalars(trained, "score/lpips") == [(0, 0.25)]
    # NOTE: only declared scores (higher_is_better set) and only finite values
    assert set(trained.Tags()["scalars"]) == {"score/lpips"}
    assert scalars(read(rows / "identity" / "waves" / "noseed"), "score/lpips") == [(0, 0.0)]
    assert not (rows / "bn").exists()


def test_the_manifest_summary_and_status_are_text(tmp_path):
    tracker = TensorBoardTracker(context(tmp_path))
    tracker.finish("interrupted")
    events = read(tmp_path / "r1" / "tensorboard" / "run")
    assert set(events.Tags()["tensors"]) >= {"normbench/manifest/text_summary", "normbench/status/text_summary"}
    status = events.Tensors("normbench/status/text_summary")[0].tensor_proto.string_val[0]
    assert status == b"interrupted"


def test_a_shared_logdir_gets_one_folder_per_run(tmp_path, monkeypatch):
    monkeypatch.setenv(LOGDIR_ENV, str(tmp_path / "all"))
    for run_id in ("a", "b"):
        TensorBoardTracker(context(tmp_path, run_id)).finish("complete")
    assert sorted(path.name for path in (tmp_path / "all").iterdir()) == ["a", "b"]


def test_run_names_keep_levels_and_drop_what_a_folder_name_cannot_hold():
    assert run_name("train", "in@msgnet/waves", "seed0") == "train/in@msgnet/waves/seed0"
    assert run_name("rows", "my norm", "a:b") == "rows/my_norm/a_b"
    assert seed_label(math.nan) == "noseed" and seed_label(3.0) == "seed3"


def test_a_run_writes_what_its_tables_hold(tmp_path):
    """End to end, found through the entry point as installed: the event files match train_log.csv and
    results.csv."""
    result = normbench.run(
        "in",
        out_dir=tmp_path,
        run_id="tb",
        steps=4,
        image_size=32,
        eval_size=32,
        batch_size=2,
        metrics=["lpips"],
        baselines=["identity"],
        styles=["waves"],
        weights="random",
        profile_fields={"log_every": 2},
    )
    assert result.status == "complete"
    assert [t["name"] for t in result.manifest["trackers"]] == ["tensorboard"]
    board = result.path / "tensorboard"
    log = result.train_log
    events = read(board / "train" / "in" / "waves" / "seed0")
    assert scalars(events, "loss/total") == [(int(s), v) for s, v in zip(log["step"], log["total"])]
    rows = result.results.set_index("norm")
    assert scalars(read(board / "rows" / "in" / "waves" / "seed0"), "score/lpips") == [(0, rows.loc["in", "lpips"])]
    assert isinstance(rows.loc["identity", "lpips"], float)
    assert (board / "rows" / "identity" / "waves" / "noseed").is_dir()
