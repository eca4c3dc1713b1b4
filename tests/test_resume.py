"""Runs as cells: a run killed at any moment loses at most the cell in progress, says so, and resumed gives the
numbers, logs and grids of an uninterrupted run; resuming refuses a changed protocol, extra flags and a run in use."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from tiny import tiny_args

import normbench
from normbench import cli
from normbench.columns import TIMING_COLUMNS
from normbench.errors import ExitCode
from normbench.store.cells import CELLS, STAGING_PREFIX, CellStore, RunLock, run_status
from normbench.store.manifest import Manifest

ARGS = tiny_args("--norms", "in,bn,none", steps=40)


def numbers(run_dir):
    """results.csv without the columns that time the machine."""
    return pd.read_csv(run_dir / "results.csv").drop(columns=list(TIMING_COLUMNS))


def training_log(run_dir):
    return pd.read_csv(run_dir / "train_log.csv")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    root = tmp_path_factory.mktemp("whole")
    assert cli.main(["run", *ARGS, "--out-dir", str(root), "--run-id", "whole"]) == 0
    return root / "whole"


def kill_mid_cell(out, finished: int):
    """Start a run in a process and kill -9 it while its cell after ``finished`` finished cells is in progress.
    It runs with this process's torch threads: thread counts change float sums, and so trained numbers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "normbench", "run", *ARGS, "--out-dir", str(out.parent), "--run-id", out.name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    cells, deadline = out / CELLS, time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if len(CellStore(out).records()) >= finished and any(cells.glob(f"{STAGING_PREFIX}*")):
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, err.decode()[-2000:]


def test_a_run_killed_mid_cell_resumes_to_the_numbers_of_an_uninterrupted_run(uninterrupted, tmp_path, capsys):
    killed = tmp_path / "killed"
    kill_mid_cell(killed, finished=2)
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["status"] == "running"  # NOTE: kill -9 leaves no word; the cells tell
    assert run_status(killed, Manifest.from_dict(manifest)) == "incomplete: 2 of 4 cells"
    assert cli.main(["status", str(killed)]) == ExitCode.NO_RESULT  # NOTE: 1: a script waiting for it sees
    assert capsys.readouterr().out.strip() == f"{killed}: incomplete: 2 of 4 cells"
    assert cli.main(["status", str(killed), "--json"]) == ExitCode.NO_RESULT
    (state,) = json.loads(capsys.readouterr().out)
    assert state["state"] == "incomplete" and len(state["unfinished"]) == 2
    assert normbench.load(killed).status == "incomplete"  # NOTE: the API agrees with `normbench status`

    assert cli.main(["run", "--resume", str(killed)]) == 0
    assert "resuming: 2 of 4 cells finished earlier are kept" in capsys.readouterr().err
    pd.testing.assert_frame_equal(numbers(killed), numbers(uninterrupted))
    pd.testing.assert_frame_equal(training_log(killed), training_log(uninterrupted))
    grid = "images/grid_waves.png"
    assert (killed / grid).read_bytes() == (uninterrupted / grid).read_bytes()
    stored = json.loads((killed / "manifest.json").read_text())
    assert stored["status"] == "complete" and stored["started_at"] == manifest["started_at"]
    assert [session["status"] for session in stored["sessions"]] == ["running", "complete"]
    assert not list((killed / CELLS).glob(f"{STAGING_PREFIX}*"))
    assert run_status(killed, Manifest.from_dict(stored)) == "complete: 4 of 4 cells"


def test_each_finished_cell_holds_its_rows_log_images_weights_and_fingerprint(uninterrupted):
    records = CellStore(uninterrupted).records()
    assert sorted(record["name"] for record in records.values()) == ["bn", "identity", "in", "none"]
    for cell_id, record in records.items():
        folder = uninterrupted / CELLS / cell_id
        assert len(record["fingerprint"]) == 64 and record["outcome"] == "ok"
        assert (folder / "generator.safetensors").is_file() == (record["kind"] == "model")
        assert len(list((folder / "images" / "waves").glob("*.png"))) == 21
    fingerprints = [record["fingerprint"] for record in records.values()]
    assert len(set(fingerprints)) == len(fingerprints)


def resumable(tmp_path):
    """A run whose second model cell was lost, as after a kill."""
    out = tmp_path / "r"
    assert cli.main(["run", *ARGS, "--norms", "in,bn", "--out-dir", str(tmp_path), "--run-id", "r"]) == 0
    lost = next(cell for cell in (out / CELLS).iterdir() if cell.name.startswith("bn-"))
    lost.rename(out / CELLS / f"{STAGING_PREFIX}{lost.name}-1")
    return out


def test_resume_refuses_a_changed_protocol_naming_the_fields(tmp_path, capsys):
    out = resumable(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["config"]["profile"]["steps"] = 41  # NOTE: as if the study file had been edited
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert cli.main(["run", "--resume", str(out)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert "protocol changed" in err and "profile.steps: 40 -> 41" in err
    assert run_status(out, Manifest.from_dict(manifest)).startswith("incomplete: 2 of 3 cells")


def test_resume_takes_only_flags_that_leave_the_numbers_alone(tmp_path, capsys):
    out = resumable(tmp_path)
    assert cli.main(["run", "--resume", str(out), "--steps", "3"]) == ExitCode.USAGE_ERROR
    assert "--steps cannot be given with it" in capsys.readouterr().err
    assert cli.main(["run", "--resume", str(tmp_path / "missing")]) == ExitCode.USAGE_ERROR
    assert "not a normbench run directory" in capsys.readouterr().err


def test_the_python_api_resumes_a_run_with_the_flags_resume_takes(tmp_path):
    import normbench

    out = resumable(tmp_path)
    with pytest.raises(ValueError, match="a stored run cannot change 'steps'"):
        normbench.resume(out, steps=3)
    result = normbench.resume(str(out), speed="plain")
    assert result.status == "complete" and len(result.results.query("kind == 'norm'")) == 2
    assert [session["status"] for session in result.manifest["sessions"]] == ["complete", "complete"]
    assert run_status(out, Manifest.from_dict(result.manifest)) == "complete: 3 of 3 cells"


def test_a_run_another_process_computes_is_not_resumed(tmp_path, capsys):
    out = resumable(tmp_path)
    lock = RunLock(out)
    assert lock.acquire()
    try:
        assert run_status(out, Manifest.from_dict(json.loads((out / "manifest.json").read_text()))).startswith(
            "running: 2 of 3 cells"
        )
        assert cli.main(["run", "--resume", str(out), "--speed", "plain"]) == ExitCode.USAGE_ERROR
        assert f"is being computed by process {os.getpid()}" in capsys.readouterr().err
    finally:
        lock.release()
    assert cli.main(["run", "--resume", str(out), "--speed", "plain"]) == 0
    assert "resuming: 2 of 3 cells" in capsys.readouterr().err
    assert not list((out / CELLS).glob(f"{STAGING_PREFIX}*"))


def test_a_cell_whose_norm_raised_runs_again_on_resume(tmp_path, capsys):
    out = resumable(tmp_path)
    cell = next(cell for cell in (out / CELLS).iterdir() if cell.name.startswith("in-"))
    record = json.loads((cell / "cell.json").read_text())
    (cell / "cell.json").write_text(json.dumps({**record, "outcome": "error"}))
    assert cli.main(["run", "--resume", str(out)]) == 0
    assert "resuming: 1 of 3 cells" in capsys.readouterr().err
    assert json.loads((cell / "cell.json").read_text())["outcome"] == "ok"


def test_torch_threads_follow_the_cpus_the_process_may_use(monkeypatch):
    import torch

    from normbench.runtime import threads

    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})  # NOTE: as under taskset -c 0 or a 1-CPU task
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    try:
        assert threads.match_torch_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "3")
        torch.set_num_threads(2)
        assert threads.match_torch_threads() == 2  # NOTE: the user's OMP_NUM_THREADS was applied by torch itself
    finally:
        torch.set_num_threads(before)
