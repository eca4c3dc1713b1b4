"""Output directories, run and bench: one lifecycle (created new or reopened, a reserve against a full disk, a
manifest, files that land whole, an error log); a run's tables and images."""

from __future__ import annotations

import contextlib
import io
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image

from normbench.errors import OutputError, UserError, reason, stopped_by
from normbench.fileio import atomic_write_bytes
from normbench.imageio import path_component
from normbench.runtime.environment import now
from normbench.store.manifest import MANIFEST, Manifest, manifest_bytes


def grid_path(style: str) -> Path:
    """Where a style's grid goes, relative to its run directory: ``images/grid_<style>.png``, the style's name as one
    component (a style in a subfolder, ``sub/name``, has ``images/grid_sub%2Fname.png``); the report finds grids by
    the styles of the rows."""
    return Path("images", f"grid_{path_component(style)}.png")


def legacy_grid_path(style: str) -> Path:
    """Where runs before 0.2 put a style's grid (``images/grid_sub/name.png`` for ``sub/name``), for their reports."""
    return Path("images", f"grid_{style}.png")


@dataclass
class Ending:
    """How a recorded session of work ended: ``status`` (complete, interrupted, terminated or failed), the
    ``failure`` that ended it, if any, and its wall ``seconds``."""

    status: str = "failed"
    failure: BaseException | None = None
    seconds: float = 0.0


class OutputDirectory:
    """A new directory of results with its manifest and error log; every file lands whole or not at all.

    Writing raises :class:`OutputError` naming the file (disk full, directory removed). A small reserve file
    is kept while the directory is written to, and given back by :meth:`release_reserve`, so that the final
    manifest saying what happened fits on a full disk.
    """

    kind = "output"
    RESERVE = ".space-reserve"
    RESERVE_BYTES = 64 * 1024

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[dict] = []

    @classmethod
    def create(cls, root: Path, run_id: str):
        path = root / run_id
        if path.exists():
            raise UserError(f"{cls.kind} directory {path} already exists; choose another --run-id")
        try:
            path.mkdir(parents=True)
            (path / cls.RESERVE).write_bytes(bytes(cls.RESERVE_BYTES))
        except OSError as error:
            raise UserError(f"--out-dir {root}: cannot create {path} ({error.strerror or error})") from None
        return cls(path)

    def write(self, relative: str | Path, data: bytes) -> None:
        """Write ``relative`` (below the directory) whole, or raise OutputError naming it."""
        if not self.path.is_dir():  # NOTE: never recreate a removed directory with half of its files
            raise OutputError(f"{self.kind} directory {self.path} was removed while {relative} was written")
        try:
            atomic_write_bytes(self.path / relative, data)
        except OSError as error:
            raise cannot_write(self.path / relative, error) from None

    def write_png(self, relative: str | Path, image: Image.Image) -> None:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        self.write(relative, buffer.getvalue())

    def write_manifest(self, manifest: Manifest | dict) -> None:
        self.write(MANIFEST, manifest_bytes(manifest))

    @contextlib.contextmanager
    def recording(self, manifest: Manifest | dict, finish: Callable[[Ending], None] | None = None) -> Iterator[Ending]:
        """The lifecycle every output directory shares: ``manifest`` is written, the body runs, and however it ends
        (done, Ctrl-C, SIGTERM, a crash, a full disk) the manifest is written again with its ``status``,
        ``finished_at`` and, for a failure, ``error``. The reserve is freed first, so that the last manifest fits on
        a full disk; ``finish(ending)`` runs just before, and may change the ending (a failed last write)."""
        self.write_manifest(manifest)
        ending, start = Ending(), time.perf_counter()
        try:
            yield ending
            ending.status = "complete"
        except KeyboardInterrupt as stop:
            ending.status = stopped_by(stop)
            raise
        except Exception as error:
            ending.failure = error
            raise
        finally:
            ending.seconds = time.perf_counter() - start
            self.release_reserve()
            if finish is not None:
                finish(ending)
            _ended(manifest, ending.status, reason(ending.failure) if ending.failure is not None else None)
            self.write_manifest(manifest)

    def release_reserve(self) -> None:
        """Free the reserve, before the last manifest is written."""
        (self.path / self.RESERVE).unlink(missing_ok=True)

    def log_error(self, label: str, error: BaseException) -> None:
        """Append ``error``'s traceback to errors.log; the row that failed says only its message."""
        try:
            with open(self.path / "errors.log", "a", encoding="utf-8") as stream:
                stream.write(f"--- {label}\n" + "".join(traceback.format_exception(error)))
        except OSError as error:
            raise cannot_write(self.path / "errors.log", error) from None

    def log_note(self, label: str, lines: list[str]) -> None:
        """Append ``lines`` under ``label`` to errors.log (what went wrong without an exception)."""
        try:
            with open(self.path / "errors.log", "a", encoding="utf-8") as stream:
                stream.write(f"--- {label}\n" + "".join(f"{line}\n" for line in lines))
        except OSError as error:
            raise cannot_write(self.path / "errors.log", error) from None


def _ended(manifest: Manifest | dict, status: str, error: str | None) -> None:
    """Say in ``manifest`` how its session ended (a bench's manifest is a plain dict)."""
    if isinstance(manifest, Manifest):
        manifest.error, manifest.status, manifest.finished_at = error, status, now()
        return
    manifest.pop("error", None)
    manifest.update({"error": error} if error is not None else {})
    manifest.update(status=status, finished_at=now())


def cannot_write(path: Path, error: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {error.strerror or error}")


class RunDirectory(OutputDirectory):
    """One run's directory under ``reports/runs/<id>/``."""

    kind = "run"

    def __init__(self, path: Path):
        super().__init__(path)
        self.log_rows: list[dict] = []
        #: results.csv's columns in order (the run sets them from the declared columns); others follow.
        self.columns: list[str] = []

    @classmethod
    def open(cls, path: Path) -> RunDirectory:
        """An existing run directory, to resume: its reserve is made again."""
        directory = cls(require_run_directory(path, "--resume "))
        try:
            (path / cls.RESERVE).write_bytes(bytes(cls.RESERVE_BYTES))
        except OSError as error:
            raise cannot_write(path / cls.RESERVE, error) from None
        return directory

    def render(self, rows: list[dict], log_rows: list[dict]) -> None:
        """Rewrite results.csv and train_log.csv, each in one piece, from the finished cells' rows in plan order;
        ``self.rows`` holds the rows results.csv holds, also after a write error."""
        extra = [key for row in rows for key in row if key not in self.columns]
        table = pd.DataFrame(rows).reindex(columns=self.columns + list(dict.fromkeys(extra)))
        self.write("results.csv", table.to_csv(index=False).encode("utf-8"))
        self.rows, self.log_rows = list(rows), list(log_rows)
        if log_rows:
            self.write("train_log.csv", pd.DataFrame(log_rows).to_csv(index=False).encode("utf-8"))

    def link_images(self, cell_path: Path, name: str) -> None:
        """Show a finished cell's images under ``images/<name>/``: hard links (copies where links fail) to the
        cell's files, made only where missing, so a resumed run makes those a killed one had not."""
        source_root = cell_path / "images"
        for source in sorted(source_root.rglob("*.png")) if source_root.is_dir() else []:
            if not source.is_file():  # NOTE: a folder may end in .png too (a style named udnie.png)
                continue
            target = self.path / self.image_path(name, *source.relative_to(source_root).parts)
            if target.exists():
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
            except OSError:
                self.write(target.relative_to(self.path), source.read_bytes())

    @staticmethod
    def image_path(*parts: str) -> Path:
        """Where an image goes, relative to the run directory."""
        return Path("images", *parts)


def require_run_directory(path: Path, role: str = "") -> Path:
    """``path``, when it holds a normbench run (its manifest).

    :raises UserError: ``"--resume runs/x: not a normbench run directory (no manifest.json)"``, ``role`` first.
    """
    if not (path / MANIFEST).is_file():
        raise UserError(f"{role}{path}: not a normbench run directory (no {MANIFEST})")
    return path


def no_model_finished(rows: list[dict]) -> str | None:
    """Why no model of the run finished (``"no norm finished: in diverged, bn failed: ..."``), or None when one
    did."""
    models = [row for row in rows if row["kind"] == "norm"]
    if any(row["status"] == "ok" for row in models):
        return None
    why: dict[str, str] = {}
    for row in models:  # NOTE: the first reason per norm: one per norm, not one per (style, seed)
        why.setdefault(row["norm"], f"failed: {row['error']}" if row["status"] == "error" else row["status"])
    return "no norm finished: " + (", ".join(f"{norm} {reason}" for norm, reason in why.items()) or "none ran")
