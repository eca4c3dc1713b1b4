"""Tracker plugins (``normbench_register_trackers``) are handed every training-log entry and finished row a run
records, and one that breaks is named and dropped without ending the run."""

from __future__ import annotations

import json
import math
import warnings

import pandas as pd
import pytest
from tiny import tiny_options

import normbench
import normbench.cli
from normbench.lifecycle.run_trackers import RunTrackers
from normbench.tracking import Tracker, TrackerContext, TrackerRegistry, TrackerSpec

RECORDER = """
import json
import normbench
import normbench.cli


class Recorder(normbench.Tracker):
    def __init__(self, context):
        self.path = context.run_dir / "tracked.jsonl"
        self.write({"event": "start", "run_id": context.run_id, "resumed": context.resumed,
                    "columns": sorted(context.columns)})

    def write(self, record):
        with open(self.path, "a") as stream:
            stream.write(json.dumps(record, default=str) + "\\n")

    def log_training(self, entries):
        self.write({"event": "training", "entries": entries})

    def log_rows(self, rows):
        self.write({"event": "rows", "rows": rows})

    def finish(self, status):
        self.write({"event": "finish", "status": status})


class Breaks(normbench.Tracker):
    def log_rows(self, rows):
        raise RuntimeError("the tracking server is down")


@normbench.hookimpl
def normbench_register_trackers(registry):
    registry.add(normbench.TrackerSpec("recorder", Recorder, description="writes what it is given"))
    registry.add(normbench.TrackerSpec("breaks", Breaks))
"""

TINY = tiny_options(steps=4)


def test_hook_normbench_register_trackers(tmp_path, fake_distribution):
    """A tracker gets each model's training log and each cell's rows, the same as train_log.csv and results.csv,
    and finish; a tracker that raises is named in errors.log and the manifest, and the run completes."""
    fake_distribution("nb_recorder", RECORDER, dist_name="nb-recorder", entry_name="recorder")
    with pytest.warns(UserWarning, match="tracker 'breaks' failed in log_rows .*tracking server is down"):
        result = normbench.run("in,bn", out_dir=tmp_path, run_id="tracked", profile_fields={"log_every": 2}, **TINY)
    assert result.status == "complete"
    events = [json.loads(line) for line in (result.path / "tracked.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["start", "rows", "training", "rows", "training", "rows", "finish"]
    assert events[0]["run_id"] == "tracked" and events[0]["resumed"] is False and "lpips" in events[0]["columns"]
    assert events[-1]["status"] == "complete"
    tracked_log = pd.DataFrame([entry for e in events if e["event"] == "training" for entry in e["entries"]])
    pd.testing.assert_frame_equal(tracked_log, result.train_log, check_dtype=False)
    assert list(tracked_log["step"]) == [2, 4, 2, 4]
    tracked = pd.DataFrame([row for e in events if e["event"] == "rows" for row in e["rows"]])
    assert list(tracked["norm"]) == list(result.results["norm"]) == ["identity", "in", "bn"]
    assert tracked["lpips"].tolist() == pytest.approx(result.results["lpips"].tolist())
    trackers = {t["name"]: t for t in result.manifest["trackers"]}
    assert trackers["recorder"]["plugin"] == "recorder" and "error" not in trackers["recorder"]
    assert "tracking server is down" in trackers["breaks"]["error"]
    assert "tracker breaks (log_rows)" in (result.path / "errors.log").read_text()


class Counting(Tracker):
    def __init__(self, fail_on: str = ""):
        self.calls: list[str] = []
        self.fail_on = fail_on

    def _called(self, name: str) -> None:
        self.calls.append(name)
        if name == self.fail_on:
            raise ValueError(f"{name} broke")

    def log_training(self, entries):
        self._called("log_training")

    def log_rows(self, rows):
        self._called("log_rows")

    def finish(self, status):
        self._called("finish")


def trackers_of(tmp_path, *made):
    registry = TrackerRegistry()
    for index, tracker in enumerate(made):
        registry.add(TrackerSpec(f"t{index}", lambda context, tracker=tracker: tracker))
    errors: list[str] = []
    trackers = RunTrackers(registry, lambda where, error: errors.append(f"{where}: {error}"))
    trackers.start(TrackerContext(tmp_path, "r", {"columns": {"lpips": {}}}))
    return trackers, errors


def test_a_failing_tracker_is_dropped_and_the_others_still_get_everything(tmp_path):
    good, bad = Counting(), Counting(fail_on="log_training")
    trackers, errors = trackers_of(tmp_path, good, bad)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for _ in range(2):
            trackers.training([{"step": 1}])
            trackers.rows([{"norm": "in"}])
        trackers.finish("complete")
    assert good.calls == ["log_training", "log_rows", "log_training", "log_rows", "finish"]
    assert bad.calls == ["log_training"]  # NOTE: never called again once it failed
    assert errors == ["tracker t1 (log_training): log_training broke"]
    assert [t.get("error") for t in trackers.describe()] == [None, "log_training: ValueError: log_training broke"]


def test_nothing_is_delivered_empty_or_after_finish_and_ctrl_c_is_not_swallowed(tmp_path):
    tracker = Counting(fail_on="log_rows")
    trackers, _ = trackers_of(tmp_path, tracker)
    trackers.training([])
    trackers.rows([])
    assert tracker.calls == []
    tracker.log_rows = lambda rows: (_ for _ in ()).throw(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        trackers.rows([{"norm": "in"}])
    trackers.finish("interrupted")
    trackers.rows([{"norm": "in"}])
    assert tracker.calls == ["finish"]


def test_a_factory_that_returns_no_tracker_or_raises_is_named(tmp_path):
    registry = TrackerRegistry()
    registry.add(TrackerSpec("nothing", lambda context: None))
    registry.add(TrackerSpec("raises", lambda context: math.log(-1)))
    errors: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trackers = RunTrackers(registry, lambda where, error: errors.append(where))
        trackers.start(TrackerContext(tmp_path, "r", {}))
    assert not trackers.active and errors == ["tracker nothing (factory)", "tracker raises (factory)"]
    assert "return a normbench.Tracker" in str(caught[0].message)


def test_a_tracker_gets_its_own_copy_of_the_manifest(tmp_path):
    seen = []
    registry = TrackerRegistry()
    registry.add(TrackerSpec("mutates", lambda context: seen.append(context.manifest) or Counting()))
    manifest = {"columns": {"lpips": {"axis": "content"}}}
    RunTrackers(registry, lambda where, error: None).start(TrackerContext(tmp_path, "r", manifest))
    seen[0]["columns"].clear()
    assert manifest["columns"] == {"lpips": {"axis": "content"}}


@pytest.mark.parametrize("spec", [dict(name="Bad Name", factory=Counting), dict(name="ok", factory=None)])
def test_a_tracker_spec_is_validated(spec):
    with pytest.raises(ValueError, match="tracker"):
        TrackerSpec(**spec)


def test_a_resumed_session_tells_its_trackers_and_hands_over_only_the_cells_it_computes(
    tiny_run, tmp_path, fake_distribution
):
    """Cells finished by an earlier session were handed to that session's trackers; a resumed one gets the rest."""
    import shutil

    from normbench.store.cells import CELLS

    fake_distribution(
        "nb_recorder",
        RECORDER.replace('registry.add(normbench.TrackerSpec("breaks", Breaks))', ""),
        dist_name="nb-recorder",
        entry_name="recorder",
    )
    assert tiny_run("--norms", "in,bn") == 0
    run_dir = tmp_path / "runs" / "r"
    shutil.rmtree(next(cell for cell in (run_dir / CELLS).iterdir() if cell.name.startswith("bn-")))
    (run_dir / "tracked.jsonl").unlink()
    assert normbench.cli.main(["run", "--resume", str(run_dir)]) == 0
    events = [json.loads(line) for line in (run_dir / "tracked.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["start", "training", "rows", "finish"]
    assert events[0]["resumed"] is True and [row["norm"] for row in events[2]["rows"]] == ["bn"]
