"""What a number was computed on: the device, its threads, the packages and the source it ran."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import torch

PACKAGES = (
    "normbench",
    "torch",
    "torchvision",
    "numpy",
    "pandas",
    "pillow",
    "scikit-image",
    "lpips",
    "pytorch-fid",
    "rich",
    "pluggy",
)


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
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
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
    from normbench.runtime.switches import cpu_has_native_bf16
    from normbench.runtime.threads import available_cpus

    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = _cpu_model() or platform.processor() or platform.machine()
    # NOTE: bf16 speed (never its numbers) depends on it, so speed reports carry it.
    return {
        "type": device.type,
        "name": name,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "cpus_available": available_cpus(),
        "cuda": torch.version.cuda,
        "cpu_native_bf16": cpu_has_native_bf16(),
    }


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
