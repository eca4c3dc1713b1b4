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

from normbench.errors import UserError

SCHEMA_VERSION = 4

_UMASK = os.umask(0)
os.umask(_UMASK)

PACKAGES = ("normbench", "torch", "torchvision", "numpy", "pandas", "pillow", "scikit-image",
            "lpips", "pytorch-fid", "rich", "pluggy")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # NOTE: mkstemp makes files private (0600); results are meant to be shared, so honour the umask.
        os.chmod(temp, 0o666 & ~_UMASK)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save_png(path: Path, image: Image.Image) -> None:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


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

    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = _cpu_model() or platform.processor() or platform.machine()
    # NOTE: bf16 speed (never its numbers) depends on it, so speed reports carry it.
    return {"type": device.type, "name": name, "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(), "cuda": torch.version.cuda, "cpu_native_bf16": cpu_has_native_bf16()}


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
    """A new directory of results with its manifest and error log; every file lands whole or not at all."""

    kind = "output"

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[dict] = []

    @classmethod
    def create(cls, root: Path, run_id: str):
        path = root / run_id
        if path.exists():
            raise FileExistsError(f"{cls.kind} directory {path} already exists; choose another --run-id")
        try:
            path.mkdir(parents=True)
        except OSError as error:
            raise UserError(f"--out-dir {root}: cannot create {path} ({error.strerror or error})") from None
        return cls(path)

    def write_manifest(self, manifest: dict) -> None:
        atomic_write_text(self.path / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")

    def log_error(self, label: str, error: BaseException) -> None:
        """Append ``error``'s traceback to errors.log; the row that failed says only its message."""
        with open(self.path / "errors.log", "a", encoding="utf-8") as stream:
            stream.write(f"--- {label}\n" + "".join(traceback.format_exception(error)))


class RunDirectory(OutputDirectory):
    """One run's directory under ``reports/runs/<id>/``."""

    kind = "run"

    def __init__(self, path: Path):
        super().__init__(path)
        self.log_rows: list[dict] = []
        #: results.csv's columns in order (the run sets them from the declared columns); others follow.
        self.columns: list[str] = []

    def add_rows(self, rows: list[dict], log_rows: list[dict]) -> None:
        """Append finished rows and rewrite results.csv and train_log.csv in one piece each."""
        self.rows.extend(rows)
        self.log_rows.extend(log_rows)
        extra = [key for row in self.rows for key in row if key not in self.columns]
        table = pd.DataFrame(self.rows).reindex(columns=self.columns + list(dict.fromkeys(extra)))
        atomic_write_text(self.path / "results.csv", table.to_csv(index=False))
        if self.log_rows:
            atomic_write_text(self.path / "train_log.csv", pd.DataFrame(self.log_rows).to_csv(index=False))

    def image_path(self, *parts: str) -> Path:
        return self.path.joinpath("images", *parts)
