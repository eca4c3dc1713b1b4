"""Failures that keep what finished: write errors, a removed directory, SIGTERM, runs where no model finished,
messages that hold rich markup, plugins that exit at import. Each asserts the exit code, that the message names
the problem, that no traceback reaches the user and that the rows already finished are kept."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from tiny import run_tiny, tiny_args

from normbench import cli
from normbench.errors import ExitCode
from normbench.lifecycle import prepared
from normbench.store import directory as outputs
from normbench.store.directory import no_model_finished

TINY = tiny_args("--norms", "in", styles=None)


def run(tmp_path, *extra: str) -> int:
    return run_tiny(tmp_path, "--norms", "in", *extra, styles=None)


def manifest(tmp_path) -> dict:
    return json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())


def test_a_full_disk_ends_the_run_keeping_rows_and_marking_the_manifest_failed(tmp_path, monkeypatch, capsys):
    writes = []
    original = outputs.atomic_write_bytes

    def disk_fills_at_the_second_results_table(path, data):
        writes.append(path.name)
        if path.name == "results.csv" and writes.count("results.csv") == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        original(path, data)

    monkeypatch.setattr(outputs, "atomic_write_bytes", disk_fills_at_the_second_results_table)
    assert run(tmp_path, "--styles", "waves") == ExitCode.OUTPUT_ERROR
    err = capsys.readouterr().err
    assert "No space left on device" in err and "results.csv" in err and "Traceback" not in err
    rows = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert list(rows.norm) == ["identity"]  # the baseline's row, written before the disk filled, is intact
    stored = manifest(tmp_path)
    assert stored["status"] == "failed" and "No space left on device" in stored["error"]
    assert not (tmp_path / "runs" / "r" / outputs.OutputDirectory.RESERVE).exists()


def test_a_removed_run_directory_is_named_and_never_recreated(tmp_path, monkeypatch, capsys):
    original = prepared.PreparedRun._run_model

    def remove_first(self, *args, **kwargs):
        shutil.rmtree(self.plan.path)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(prepared.PreparedRun, "_run_model", remove_first)
    assert run(tmp_path, "--styles", "waves") == ExitCode.OUTPUT_ERROR
    assert "was removed" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "r").exists()


def test_a_run_in_which_no_model_finished_exits_1_saying_why_and_writes_its_report(tmp_path, capsys):
    assert run(tmp_path, "--styles", "waves", "--lr", "1e30") == ExitCode.NO_RESULT
    err = capsys.readouterr().err
    assert "error: no norm finished: in diverged" in err and "Traceback" not in err
    assert "no norm finished: in diverged" in (tmp_path / "runs" / "r" / "report.html").read_text()
    assert manifest(tmp_path)["status"] == "complete"


def test_no_model_finished_names_each_norm_once_with_its_reason():
    rows = [
        {"kind": "baseline", "norm": "identity", "status": "ok", "error": ""},
        {"kind": "norm", "norm": "in", "status": "diverged", "error": ""},
        {"kind": "norm", "norm": "in", "status": "diverged", "error": ""},
        {"kind": "norm", "norm": "bn", "status": "error", "error": "RuntimeError: boom"},
    ]
    assert no_model_finished(rows) == "no norm finished: in diverged, bn failed: RuntimeError: boom"
    assert no_model_finished([*rows, {**rows[1], "status": "ok"}]) is None


def test_rich_markup_in_a_path_is_printed_as_it_is(tmp_path, capsys):
    missing = tmp_path / "photos[/x]"
    assert cli.main(["run", *TINY, "--content-dir", str(missing), "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "[/x]" in err and "does not exist" in err and "Traceback" not in err


def test_exit_codes_are_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for code in ExitCode:
        assert f"{int(code):<4} {code.name.lower()}" in out


@pytest.mark.parametrize("raises", ["SystemExit(3)", "KeyboardInterrupt()"])
def test_a_plugin_that_exits_or_interrupts_at_import_is_contained_and_named(fake_distribution, capsys, raises):
    fake_distribution("nb_exits", f"raise {raises}\n", dist_name="nb-exits", entry_name="exits")
    assert cli.main(["plugins"]) == 0
    assert "plugin 'exits' failed and was skipped: nb-exits 0.1:" in capsys.readouterr().out


def test_sigterm_stops_a_run_like_ctrl_c_keeping_finished_rows(tmp_path):
    """Slurm, timeout and docker stop send SIGTERM: exit 143, rows and a manifest saying terminated."""
    out = tmp_path / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "normbench", "run", *TINY, "--steps", "400", "--out-dir", str(out), "--run-id", "r"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    table = out / "r" / "results.csv"
    deadline = time.monotonic() + 240
    while not table.is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # NOTE: the baselines' rows come first, then the first model trains for a while
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == ExitCode.TERMINATED, err.decode()[-2000:]
    assert b"terminated:" in err and b"Traceback" not in err
    assert json.loads((out / "r" / "manifest.json").read_text())["status"] == "terminated"
    assert set(pd.read_csv(table).norm) == {"identity"}


@pytest.mark.parametrize("command", [["plugins", "--json"], ["plugins"], ["--help"], ["run", "--help"]])
def test_a_closed_pipe_ends_quietly_with_the_status_of_sigpipe(command):
    """``normbench plugins --json | head -1``: the reader is gone before the output is written."""
    process = subprocess.Popen(
        [sys.executable, "-m", "normbench", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # NOTE: closed before normbench writes (its imports take a second), so every write fails
    err = process.stderr.read()
    assert process.wait(timeout=120) == ExitCode.BROKEN_PIPE == 141
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err


def test_bare_normbench_prints_the_help_and_exits_2(capsys):
    assert cli.main([]) == ExitCode.USAGE_ERROR == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: normbench") and "exit codes:" in out and "run" in out
