"""Reading what ``normbench run`` stored, checked: a file that is missing, cut short or not what normbench writes is
named with what is wrong (exit 2), and a flaw the report can live with becomes a visible note."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from normbench.errors import UserError
from normbench.store.cells import run_status
from normbench.store.directory import grid_path, legacy_grid_path, require_run_directory
from normbench.store.manifest import MANIFEST, Manifest, read_manifest

#: results.csv columns without which no table can be made.
RESULT_COLUMNS = ("norm", "style", "status")


@dataclass
class StoredRun:
    """What ``normbench run`` stored: the only input of a report. ``notes`` name flaws the report shows."""

    path: Path
    results: pd.DataFrame
    manifest: Manifest
    train_log: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: In a run that sweeps the style weight, every row of every curve (``style_weight`` and ``alpha`` columns);
    #: ``results`` then holds the operating point alone (factor 1, no blend), which point verdicts compare.
    curves: pd.DataFrame | None = None

    @property
    def ok(self) -> pd.DataFrame:
        return self.results[self.results.status == "ok"]

    def kinds(self) -> dict[str, str]:
        """``{row name: "norm" or "baseline"}`` in run order, norms first."""
        kinds = dict(zip(self.results.norm, self.results.kind))
        return {name: kind for wanted in ("norm", "baseline") for name, kind in kinds.items() if kind == wanted}

    def wins_by_construction(self) -> dict[str, set[str]]:
        return {entry["name"]: set(entry.get("wins_by_construction", [])) for entry in self.manifest.baselines}

    def grids(self) -> list[tuple[str, Path]]:
        """``(style, path of its grid)`` for every style of the rows, in run order, whether the file exists or not (a
        run written before 0.2 has its grids where :func:`legacy_grid_path` says)."""
        found = []
        for style in dict.fromkeys(self.results["style"].astype(str)):
            legacy = self.path / legacy_grid_path(style)
            path = self.path / grid_path(style)
            found.append((style, legacy if legacy.is_file() and not path.is_file() else path))
        return found


def load_run(path: Path) -> StoredRun:
    """Read a run directory.

    :raises UserError: naming the file, when it is not a run directory, a file is unreadable, cut or not
        normbench's, or an older normbench wrote it.
    """
    if not (path / "results.csv").is_file() or not (path / MANIFEST).is_file():
        raise UserError(f"{str(path)!r} is not a normbench run directory (no results.csv and {MANIFEST})")
    manifest = read_run_manifest(path)
    notes: list[str] = []
    results = read_csv(path / "results.csv", notes)
    missing = [column for column in RESULT_COLUMNS if column not in results]
    if missing:
        raise UserError(f"{path / 'results.csv'}: no column {', '.join(missing)}; it is not a normbench results table")
    for column, default in (("error", ""), ("style_split", "train"), ("kind", "norm")):
        # NOTE: an all-empty column reads as float; as object it takes a string default without a warning
        results[column] = results[column].astype(object).fillna(default) if column in results else default
    log_path = path / "train_log.csv"
    train_log = (
        read_csv(log_path, notes) if log_path.is_file() else pd.DataFrame(columns=["norm", "model", "step", "total"])
    )
    return StoredRun(path, operating_point(results), manifest, train_log, notes, curves_of(results))


def curves_of(results: pd.DataFrame) -> pd.DataFrame | None:
    """Every row of a sweep's curves, or None for a run that did not sweep the style weight."""
    return results if "style_weight" in results and "alpha" in results else None


def at_operating_point(row: dict) -> bool:
    """Whether a result row (a dict) is at its architecture's own style weight and unblended; every row of a run
    without a sweep is."""
    weight, alpha = row.get("style_weight"), row.get("alpha", 1.0)
    return (weight is None or weight != weight or weight == 1) and alpha == 1


def operating_point(results: pd.DataFrame) -> pd.DataFrame:
    """The rows at each architecture's own style weight (factor 1; a baseline's, NaN) and unblended (alpha 1)."""
    if curves_of(results) is None:
        return results
    at_point = (results.style_weight.isna() | (results.style_weight == 1)) & (results.alpha == 1)
    return results[at_point].reset_index(drop=True)


def read_run_manifest(path: Path, status_of_cells: bool = True) -> Manifest:
    """The manifest of the run in ``path``; with ``status_of_cells``, its ``status`` the one its cells and lock give
    (a killed run's manifest still says running).

    :raises UserError: when ``path`` holds no run, or its manifest is unreadable, of another schema or cut.
    """
    manifest = read_manifest(require_run_directory(path) / MANIFEST)
    if status_of_cells:
        manifest.status = run_status(path, manifest)
    return manifest


def read_csv(path: Path, notes: list[str]) -> pd.DataFrame:
    """A CSV normbench wrote; a last line cut mid-row is left out with a note, anything else wrong is refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    if not text.strip():
        raise UserError(f"{path}: is empty; the run wrote no rows (see its manifest.json and errors.log)")
    if not text.endswith("\n"):  # NOTE: normbench writes whole files ending in a newline; this one was cut
        text = text[: text.rfind("\n") + 1]
        notes.append(f"{path.name} ends mid-row (cut short after normbench wrote it): its last line is left out")
    try:
        return pd.read_csv(io.StringIO(text), keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UserError(f"{path}: not a table normbench wrote ({str(error).strip()})") from None
