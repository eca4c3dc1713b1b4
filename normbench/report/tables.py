"""pandas tables from a stored run: per-norm mean ± std, per-(norm, style) rows, best values marked."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from normbench.errors import UserError

#: Reported columns: (header with unit, higher is better). Metric plugins' own columns join from the manifest.
KNOWN_COLUMNS = {
    "content_loss": ("content loss", False),
    "style_loss": ("style loss", False),
    "lpips": ("LPIPS", False),
    "fid": ("FID", False),
    "kid": ("KID", False),
    "artfid": ("ArtFID", False),
    "contrast_lpips": ("contrast LPIPS", False),
    "infer_img_per_s": ("inference (img/s)", True),
    "infer_speedup": ("inference × plain", True),
    "latency_ms_p50": ("latency (ms)", False),
    "train_img_per_s": ("training (img/s)", True),
    "params": ("parameters", False),
}


@dataclass
class StoredRun:
    """What ``normbench run`` stored: the only input of a report."""

    path: Path
    results: pd.DataFrame
    manifest: dict
    train_log: pd.DataFrame

    @property
    def ok(self) -> pd.DataFrame:
        return self.results[self.results.status == "ok"]


def load_run(path: Path) -> StoredRun:
    """Read a run directory.

    :raises UserError: when it is not a run directory.
    """
    if not (path / "results.csv").is_file() or not (path / "manifest.json").is_file():
        raise UserError(f"{str(path)!r} is not a normbench run directory (no results.csv and manifest.json)")
    log_path = path / "train_log.csv"
    train_log = pd.read_csv(log_path) if log_path.is_file() else pd.DataFrame(columns=["norm", "model", "step", "total"])
    return StoredRun(path, pd.read_csv(path / "results.csv"), json.loads((path / "manifest.json").read_text()), train_log)


def metric_columns(run: StoredRun) -> dict[str, tuple[str, bool]]:
    """Columns to report, each with its header and direction; third-party metrics from the manifest."""
    columns = dict(KNOWN_COLUMNS)
    for name, info in run.manifest.get("metrics", {}).items():
        columns.setdefault(name, (name, bool(info.get("higher_is_better", False))))
    return {name: spec for name, spec in columns.items() if name in run.results and run.results[name].notna().any()}


def summary(run: StoredRun) -> pd.DataFrame:
    """One row per norm (in run order): mean and std over styles and seeds of every reported column."""
    columns = list(metric_columns(run))
    grouped = run.ok.groupby("norm", sort=False)[columns]
    means, stds = grouped.mean(), grouped.std(ddof=0)
    table = pd.concat({"mean": means, "std": stds}, axis=1).swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    return table.reindex(columns=pd.MultiIndex.from_product([columns, ["mean", "std"]]))


def best_norms(table: pd.DataFrame, columns: dict[str, tuple[str, bool]]) -> dict[str, str]:
    """For each column, the norm with the best mean, using the column's ``higher_is_better``."""
    best = {}
    for name, (_, higher) in columns.items():
        means = table[(name, "mean")].dropna()
        if not means.empty:
            best[name] = means.idxmax() if higher else means.idxmin()
    return best


def format_value(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def display_summary(run: StoredRun) -> pd.DataFrame:
    """The summary as strings, ``mean ± std``, best value per column marked with ``*``."""
    columns = metric_columns(run)
    table = summary(run)
    best = best_norms(table, columns)
    shown = pd.DataFrame(index=table.index)
    for name, (header, higher) in columns.items():
        arrow = "↑" if higher else "↓"
        shown[f"{header} {arrow}"] = [
            f"{format_value(table.loc[norm, (name, 'mean')])} ± {format_value(table.loc[norm, (name, 'std')])}"
            + (" *" if best.get(name) == norm else "") for norm in table.index]
    return shown


def detail(run: StoredRun) -> pd.DataFrame:
    """The per-(norm, style) rows with the reported columns."""
    keep = ["norm", "style", "seed", "status", *metric_columns(run), "fid_n", "fid_dims", "features"]
    return run.results[[column for column in keep if column in run.results]]
