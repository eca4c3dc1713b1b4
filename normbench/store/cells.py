"""A run as cells: each cell is one trained model (a norm, the styles it serves, a seed) or one baseline, with
everything it produced, stored whole in its own folder under ``cells/``.

A cell is written into a staging folder and renamed into place only when all of its files are on disk, so a
``kill -9`` at any moment loses at most the cell in progress. ``results.csv`` and ``train_log.csv`` are
renderings of the finished cells, in plan order, and a run's status is derived from its cells and its lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from normbench.runtime.environment import now
from normbench.store.directory import OutputDirectory, cannot_write
from normbench.store.manifest import Manifest

CELLS = "cells"
RECORD = "cell.json"
ROWS = "rows.json"
TRAIN_LOG = "train_log.json"
WEIGHTS = "generator.safetensors"
LOCK = "run.lock"
STAGING_PREFIX = ".staging-"
#: Outcomes of a stored cell that ``--resume`` keeps; a cell whose norm raised is run again (the error may have
#: been a full GPU or a plugin since fixed).
KEPT_OUTCOMES = ("ok", "diverged")


@dataclass(frozen=True)
class Cell:
    """One unit of work: ``kind`` "model" (a norm trained with ``seed`` for ``styles``, its architecture's style
    weight times ``style_weight`` in a sweep) or "baseline" (measured once on every style the run evaluates; ``seed``
    None)."""

    kind: str
    name: str
    styles: tuple[str, ...]
    seed: int | None = None
    style_weight: float | None = None

    def key(self) -> dict:
        key: dict = {"kind": self.kind, "name": self.name, "styles": list(self.styles), "seed": self.seed}
        if self.style_weight is not None:  # NOTE: so a cell outside a sweep keeps the id and fingerprint it had
            key["style_weight"] = self.style_weight
        return key

    @property
    def weight_label(self) -> str:
        return "" if self.style_weight is None else f" style ×{self.style_weight:g}"

    @property
    def id(self) -> str:
        """The cell's folder name: readable, safe on any file system, and unique (a hash of the key ends it)."""
        if self.kind == "baseline":
            readable = f"baseline-{self.name}"
        else:
            served = self.styles[0] if len(self.styles) == 1 else f"{len(self.styles)}styles"
            readable = f"{self.name}-s{self.seed}-{served}"
            readable += "" if self.style_weight is None else f"-w{self.style_weight:g}"
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", readable)[:80].lstrip(".")
        return f"{slug}.{digest(self.key())[:8]}"

    @property
    def label(self) -> str:
        """How progress lines name it: ``in/waves seed 0``, ``cin seed 1``, ``identity (baseline)``."""
        if self.kind == "baseline":
            return f"{self.name} (baseline)"
        served = self.name if len(self.styles) > 1 else f"{self.name}/{self.styles[0]}"
        return f"{served} seed {self.seed}{self.weight_label}"


def digest(value) -> str:
    """sha256 of ``value`` as canonical JSON."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def fingerprint(protocol: dict, cell: Cell, norm: dict | None) -> str:
    """The hash of everything that decides a cell's numbers: the run's protocol (budget, sizes, precision,
    data digest, features, metrics), the cell's key, and the norm's plugin and its version."""
    return digest({"protocol": protocol, "cell": cell.key(), "norm": norm})


def _fsync_dir(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _json_value(value):
    """Rows hold Python and numpy scalars; numpy's become Python's so JSON keeps them exactly (NaN included)."""
    return value.item() if hasattr(value, "item") else value


def rows_bytes(rows: list[dict]) -> bytes:
    return json.dumps([{key: _json_value(value) for key, value in row.items()} for row in rows]).encode()


def record_bytes(record: dict) -> bytes:
    return (json.dumps(record, indent=2) + "\n").encode("utf-8")


class StagedCell(OutputDirectory):
    """A cell being computed: files land in a staging folder that :meth:`commit` renames into place."""

    kind = "cell"

    def __init__(self, path: Path, final: Path, cell: Cell, fingerprint: str):
        super().__init__(path)
        self.final, self.cell, self.fingerprint = final, cell, fingerprint

    def commit(self, rows: list[dict], log_rows: list[dict], weights: bytes | None, extra: dict) -> dict:
        """Write rows, log and weights, then the record, then rename the folder into place; returns the record."""
        self.write(ROWS, rows_bytes(rows))
        self.write(TRAIN_LOG, rows_bytes(log_rows))
        if weights is not None:
            self.write(WEIGHTS, weights)
        outcomes = {row["status"] for row in rows if row.get("kind") == "norm"} or {"ok"}
        record = {
            "id": self.cell.id,
            **self.cell.key(),
            "fingerprint": self.fingerprint,
            "outcome": next((o for o in ("error", "diverged") if o in outcomes), "ok"),
            "finished_at": now(),
            "weights": WEIGHTS if weights is not None else None,
            **extra,
        }
        self.write(RECORD, record_bytes(record))
        _fsync_dir(self.path)
        try:
            if self.final.exists():  # NOTE: a failed cell run again replaces its old folder
                old = self.final.with_name(f"{STAGING_PREFIX}old-{self.final.name}-{os.getpid()}")
                os.replace(self.final, old)
                os.replace(self.path, self.final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(self.path, self.final)
            _fsync_dir(self.final.parent)
        except OSError as error:
            raise cannot_write(self.final, error) from None
        return record


class CellStore:
    """The ``cells/`` folder of a run directory: finished cells by id, and staging for the one in progress."""

    def __init__(self, run_path: Path):
        self.root = run_path / CELLS

    def records(self) -> dict[str, dict]:
        """Every finished cell's record, by id (a folder without a readable record is not finished)."""
        records: dict[str, dict] = {}
        if not self.root.is_dir():
            return records
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(STAGING_PREFIX):
                continue
            with contextlib.suppress(OSError, ValueError):
                record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
                records[folder.name] = record
        return records

    def clear_staging(self) -> None:
        """Remove what a killed process left half-written."""
        if self.root.is_dir():
            for folder in self.root.glob(f"{STAGING_PREFIX}*"):
                shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def stage(self, cell: Cell, fingerprint: str):
        """A :class:`StagedCell` for ``cell``; its staging folder is removed if the block raises."""
        staging = self.root / f"{STAGING_PREFIX}{cell.id}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            yield StagedCell(staging, self.root / cell.id, cell, fingerprint)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def kept(self, fingerprints: dict[str, str]) -> tuple[set[str], list[str]]:
        """``(kept, changed)``: finished cells of the plan (``fingerprints`` by id) that a resumed run keeps, and
        those whose fingerprint differs (another version of their plugin). A cell whose norm raised is neither: it
        is run again."""
        kept, changed = set(), []
        for cell_id, record in self.records().items():
            if cell_id not in fingerprints or record.get("outcome") not in KEPT_OUTCOMES:
                continue
            (kept.add(cell_id) if record.get("fingerprint") == fingerprints[cell_id] else changed.append(cell_id))
        return kept, changed

    def path(self, cell_id: str) -> Path:
        return self.root / cell_id

    def rewrite(self, cell_id: str, rows: list[dict], record: dict) -> None:
        """Replace a finished cell's rows and record (measured again by ``score``), each file whole: its trained
        weights and training log stay as they are."""
        folder = OutputDirectory(self.path(cell_id))
        folder.write(ROWS, rows_bytes(rows))
        folder.write(RECORD, record_bytes(record))

    def rows(self, cell_id: str) -> tuple[list[dict], list[dict]]:
        """A finished cell's rows and training-log rows."""
        folder = self.root / cell_id
        rows = json.loads((folder / ROWS).read_text(encoding="utf-8"))
        log_rows = json.loads((folder / TRAIN_LOG).read_text(encoding="utf-8"))
        return rows, log_rows


class RunLock:
    """An exclusive lock on a run directory, held while a process computes its cells. The kernel releases it
    when the process dies, however it dies, so a free lock with unfinished cells means the run stopped."""

    def __init__(self, run_path: Path):
        self.path = run_path / LOCK
        self.handle: TextIO | None = None

    def acquire(self) -> bool:
        import fcntl

        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # NOTE: closing the file releases the flock
            self.handle = None

    def holder(self) -> str | None:
        """The pid of the process computing this run, or None when no process holds the lock. It only reads, so a
        report of a run on a read-only disk can ask (flock needs no write access)."""
        import fcntl

        try:
            with open(self.path, encoding="utf-8") as stream:
                try:
                    fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return stream.read().strip() or "?"
                fcntl.flock(stream, fcntl.LOCK_UN)
        except OSError:  # NOTE: no lock file: nothing ever computed here, or not since cells
            return None
        return None


def run_status(run_path: Path, manifest: Manifest) -> str:
    """A run's status derived from its cells: ``complete: 6 of 6 cells``, ``running: 2 of 6 cells (pid 123)``,
    ``interrupted: 4 of 6 cells``, or ``incomplete: 4 of 6 cells`` for a run killed without a word."""
    planned = manifest.cells
    if not planned:  # NOTE: a run stored before cells had only its manifest's word
        return str(manifest.status or "unknown")
    records = CellStore(run_path).records()
    kept = sum(1 for cell_id in planned if records.get(cell_id, {}).get("outcome") in KEPT_OUTCOMES)
    failed = sum(1 for cell_id in planned if records.get(cell_id, {}).get("outcome") == "error")
    counts = f"{kept} of {len(planned)} cells" + (f", {failed} failed" if failed else "")
    holder = RunLock(run_path).holder()
    if holder is not None:
        return f"running: {counts} (pid {holder})"
    if kept + failed == len(planned):
        return f"complete: {counts}"
    stated = manifest.status
    said = stated if stated in ("interrupted", "terminated", "failed") else "incomplete"
    return f"{said}: {counts}"
