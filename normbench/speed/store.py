"""A bench directory: ``bench.csv`` (one row per timed configuration), the manifest, profiler tables."""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import pandas as pd

from normbench.results import atomic_write_text

BENCH_SCHEMA_VERSION = 1
#: Columns of bench.csv, in order. ``speedup`` is against the plain row of the same norm, kind, size and batch.
BENCH_COLUMNS = [
    "norm", "kind", "mode", "size", "batch", "status", "img_per_s", "img_per_s_q1", "img_per_s_q3",
    "speedup", "median_s", "q1_s", "q3_s", "reps", "first_s", "compile_s", "gflops_per_img", "achieved_tflops",
    "peak_tflops", "peak_share", "peak_source", "peak_mem_mb", "process_max_rss_mb", "threads", "device",
    "device_name", "speed", "speed_channels_last", "speed_autocast", "speed_compile", "speed_cudnn_benchmark",
    "speed_workers", "speed_pin_memory", "optimizer", "architecture", "plugin", "features", "error",
]
GROUP = ["norm", "kind", "size", "batch"]


def with_speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``speedup``: img/s over the plain baseline's img/s for the same configuration."""
    plain = frame[(frame["mode"] == "plain") & (frame["status"] == "ok")].set_index(GROUP)["img_per_s"]
    baseline = frame.set_index(GROUP).index.map(lambda key: plain.get(key, float("nan")))
    return frame.assign(speedup=frame["img_per_s"].to_numpy() / baseline.to_numpy(dtype=float))


class BenchDirectory:
    """``reports/bench/<id>/``; every file is written whole or not at all."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[dict] = []

    @classmethod
    def create(cls, root: Path, run_id: str) -> "BenchDirectory":
        path = root / run_id
        if path.exists():
            raise FileExistsError(f"bench directory {path} already exists; choose another --run-id")
        path.mkdir(parents=True)
        return cls(path)

    def write_manifest(self, manifest: dict) -> None:
        manifest = {"schema_version": BENCH_SCHEMA_VERSION, **manifest}
        atomic_write_text(self.path / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")

    def add_row(self, row: dict) -> None:
        self.rows.append(row)
        frame = with_speedups(pd.DataFrame(self.rows).reindex(columns=BENCH_COLUMNS))
        atomic_write_text(self.path / "bench.csv", frame.to_csv(index=False))

    def frame(self) -> pd.DataFrame:
        return with_speedups(pd.DataFrame(self.rows).reindex(columns=BENCH_COLUMNS))

    def write_profile(self, norm: str, mode: str, table: str) -> Path:
        path = self.path / f"profile_{norm}_{mode.replace('+', '-').replace('=', '')}.txt"
        atomic_write_text(path, f"# one training step: {norm}, speed {mode}\n{table}\n")
        return path

    def log_error(self, label: str, error: BaseException) -> None:
        with open(self.path / "errors.log", "a", encoding="utf-8") as stream:
            stream.write(f"--- {label}\n" + "".join(traceback.format_exception(error)))
