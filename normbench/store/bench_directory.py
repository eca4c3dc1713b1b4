"""A bench directory: ``bench.csv``, one row per timed configuration with its speed-up over the plain row, and the
profiler tables; its manifest is a plain dict (``kind: bench``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from normbench.errors import UserError
from normbench.store.directory import OutputDirectory
from normbench.store.manifest import MANIFEST, read_manifest_data

BENCH_SCHEMA_VERSION = 1


#: Columns of bench.csv, in order. ``speedup`` is against the plain row of the same norm, kind, size and batch.
BENCH_COLUMNS = [
    "norm",
    "kind",
    "mode",
    "size",
    "batch",
    "status",
    "img_per_s",
    "img_per_s_q1",
    "img_per_s_q3",
    "speedup",
    "median_s",
    "q1_s",
    "q3_s",
    "reps",
    "first_s",
    "compile_s",
    "gflops_per_img",
    "achieved_tflops",
    "peak_tflops",
    "peak_share",
    "peak_source",
    "peak_mem_mb",
    "process_max_rss_mb",
    "threads",
    "device",
    "device_name",
    "speed",
    "speed_channels_last",
    "speed_autocast",
    "speed_compile",
    "speed_cudnn_benchmark",
    "speed_workers",
    "speed_pin_memory",
    "optimizer",
    "architecture",
    "plugin",
    "features",
    "error",
]
GROUP = ["norm", "kind", "size", "batch"]


def with_speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``speedup``: img/s over the plain baseline's img/s for the same configuration."""
    plain = frame[(frame["mode"] == "plain") & (frame["status"] == "ok")].set_index(GROUP)["img_per_s"]
    baseline = frame.set_index(GROUP).index.map(lambda key: plain.get(key, float("nan")))
    return frame.assign(speedup=frame["img_per_s"].to_numpy() / baseline.to_numpy(dtype=float))


def read_bench(path: Path) -> tuple[pd.DataFrame, dict]:
    """``bench.csv`` and the manifest of a bench directory (or a run directory holding one; ``{}`` without one)."""
    csv, manifest = path / "bench.csv", path / MANIFEST
    if not csv.is_file():
        raise UserError(f"{path} has no bench.csv; is it a directory written by `normbench bench`?")
    meta = read_manifest_data(manifest) if manifest.is_file() else {}
    return pd.read_csv(csv, keep_default_na=True).fillna({"error": ""}), meta


class BenchDirectory(OutputDirectory):
    """``reports/bench/<id>/``."""

    kind = "bench"

    def add_row(self, row: dict) -> None:
        self.rows.append(row)
        frame = with_speedups(pd.DataFrame(self.rows).reindex(columns=BENCH_COLUMNS))
        self.write("bench.csv", frame.to_csv(index=False).encode("utf-8"))

    def frame(self) -> pd.DataFrame:
        return with_speedups(pd.DataFrame(self.rows).reindex(columns=BENCH_COLUMNS))

    def write_profile(self, norm: str, mode: str, table: str) -> Path:
        path = self.path / f"profile_{norm}_{mode.replace('+', '-').replace('=', '')}.txt"
        self.write(path.name, f"# one training step: {norm}, speed {mode}\n{table}\n".encode())
        return path
