"""Run directories: the flat results table, the training log, the manifest and images, written atomically."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import platform
import subprocess
import tempfile
import traceback
from importlib import metadata
from pathlib import Path

import pandas as pd
import torch
from PIL import Image

from normbench.errors import OutputError, UserError

SCHEMA_VERSION = 4

_UMASK = os.umask(0)
os.umask(_UMASK)

PACKAGES = ("normbench", "torch", "torchvision", "numpy", "pandas", "pillow", "scikit-image",
            "lpips", "pytorch-fid", "rich", "pluggy")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then move it into place: after a
    crash or power loss ``path`` holds the old contents or the new, never a mix or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        # NOTE: mkstemp makes files private (0600); results are meant to be shared, so honour the umask.
        os.chmod(temp, 0o666 & ~_UMASK)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def grid_path(style: str) -> Path:
    """Where a style's grid goes, relative to its run directory (a style in a subfolder, ``sub/name``, has its grid
    in ``images/grid_sub/``); the report finds grids by the styles of the rows."""
    return Path("images", f"grid_{style}.png")


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """The commit of the normbench source tree, with ``-dirty`` when it has local changes."""
    source = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=source,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def device_description(device: torch.device) -> dict:
    from normbench.speed.switches import cpu_has_native_bf16
    from normbench.speed.threads import available_cpus

    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = _cpu_model() or platform.processor() or platform.machine()
    # NOTE: bf16 speed (never its numbers) depends on it, so speed reports carry it.
    return {"type": device.type, "name": name, "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(), "cpus_available": available_cpus(), "cuda": torch.version.cuda, "cpu_native_bf16": cpu_has_native_bf16()}


def environment(device: torch.device) -> dict:
    return {
        "packages": package_versions(),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device_description(device),
    }


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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

    def write_manifest(self, manifest: dict) -> None:
        self.write("manifest.json", (json.dumps(manifest, indent=2, default=str) + "\n").encode("utf-8"))

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
    def open(cls, path: Path) -> "RunDirectory":
        """An existing run directory, to resume: its reserve is made again."""
        if not (path / "manifest.json").is_file():
            raise UserError(f"--resume {path}: not a normbench run directory (no manifest.json)")
        directory = cls(path)
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
