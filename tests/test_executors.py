"""Executors: the local one needs nothing; Ray workers compute the cells of a run with the numbers of the local
executor when their torch threads match. The Ray tests start a local Ray (tox -e ray); elsewhere they are skipped."""

from __future__ import annotations

import importlib.util
import json
import pickle

import pandas as pd
import pytest
from tiny import tiny_args

from normbench import cli
from normbench.columns import TIMING_COLUMNS
from normbench.errors import ExitCode, UserError
from normbench.lifecycle.executors import LocalExecutor, make_executor
from normbench.lifecycle.progress import QuietRunProgress

ARGS = tiny_args("--norms", "in,bn", "--seeds", "0,1", steps=8)
HAS_RAY = importlib.util.find_spec("ray") is not None


def numbers(path):
    return pd.read_csv(path / "results.csv").drop(columns=list(TIMING_COLUMNS))


def test_the_default_executor_is_local_and_ray_options_need_ray():
    assert isinstance(make_executor("local"), LocalExecutor)
    with pytest.raises(UserError, match="--ray-address and --cpus-per-task need --executor ray"):
        make_executor("local", cpus_per_task=2)
    with pytest.raises(UserError, match="unknown executor 'dask'"):
        make_executor("dask")


def test_a_worker_takes_the_plan_and_refuses_one_its_data_would_not_reproduce(tmp_path):
    """What a Ray worker receives is the plan, a picklable value; it computes cells only where its own data and
    plugins give the plan's fingerprints."""
    from dataclasses import replace

    from tiny import tiny_options

    from normbench import api
    from normbench.lifecycle.executors import CellWorker
    from normbench.lifecycle.options import RunOptions

    planned = api.plan(RunOptions.from_keywords(**tiny_options(norms=["in"]), out_dir=tmp_path, run_id="p"))
    plan = pickle.loads(pickle.dumps(planned.run.plan))
    assert plan == planned.run.plan and [cell.id for cell in plan.cells] == planned.run.manifest.cells
    cell = plan.model_cells()[0]
    rows, _ = CellWorker(plan, 1).prepared.compute_cell(cell, QuietRunProgress())
    assert rows[0]["status"] == "ok" and (tmp_path / "p" / "cells" / cell.id / "cell.json").is_file()
    other_data = replace(plan, protocol={**plan.protocol, "data": {**plan.protocol["data"], "digest": "0" * 16}})
    with pytest.raises(UserError, match="other cell fingerprints than the driver"):
        CellWorker(other_data, 1)


@pytest.mark.skipif(HAS_RAY, reason="Ray is installed here")
def test_without_ray_the_ray_executor_says_how_to_get_it(tmp_path, capsys):
    assert cli.main(["run", *ARGS, "--executor", "ray", "--out-dir", str(tmp_path)]) == ExitCode.USAGE_ERROR
    assert 'pip install "normbench[ray]"' in capsys.readouterr().err


@pytest.mark.ray
@pytest.mark.skipif(not HAS_RAY, reason="needs Ray: tox -e ray")
def test_ray_workers_give_the_numbers_of_the_local_executor(tmp_path):
    assert cli.main(["run", *ARGS, "--out-dir", str(tmp_path), "--run-id", "local"]) == 0
    assert cli.main(["run", *ARGS, "--out-dir", str(tmp_path), "--run-id", "ray", "--executor", "ray"]) == 0
    pd.testing.assert_frame_equal(numbers(tmp_path / "ray"), numbers(tmp_path / "local"))
    assert (tmp_path / "ray" / "train_log.csv").read_text() == (tmp_path / "local" / "train_log.csv").read_text()
    executor = json.loads((tmp_path / "ray" / "manifest.json").read_text())["executor"]
    assert executor["name"] == "ray" and executor["workers"] == 1


@pytest.mark.ray
@pytest.mark.skipif(not HAS_RAY, reason="needs Ray: tox -e ray")
def test_ray_resumes_a_run_and_refuses_a_task_bigger_than_the_machine(tmp_path, capsys):
    assert (
        cli.main(
            ["run", *ARGS, "--out-dir", str(tmp_path), "--run-id", "r", "--executor", "ray", "--cpus-per-task", "1"]
        )
        == 0
    )
    cells = sorted((tmp_path / "r" / "cells").iterdir())
    cells[-1].rename(cells[-1].with_name(f".staging-{cells[-1].name}-1"))
    assert cli.main(["run", "--resume", str(tmp_path / "r"), "--executor", "ray", "--cpus-per-task", "1"]) == 0
    assert "resuming: 4 of 5 cells" in capsys.readouterr().err
    assert (
        cli.main(
            ["run", *ARGS, "--out-dir", str(tmp_path), "--run-id", "big", "--executor", "ray", "--cpus-per-task", "512"]
        )
        == ExitCode.USAGE_ERROR
    )
    assert "no room for a worker of 512 CPUs" in capsys.readouterr().err
