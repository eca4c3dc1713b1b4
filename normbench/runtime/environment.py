"""What a number was computed on: the device, its threads, the packages and the source it ran."""

from __future__ import annotations

import datetime as dt
import json
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
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def source_of_normbench(here: Path | None = None) -> tuple[str | None, str]:
    """``(commit, how it is known)`` of the normbench code running now, read from what was installed.

    - installed from a VCS URL (``pip install git+https://...``): the commit pip recorded (PEP 610
      ``direct_url.json``);
    - an editable install, or the source tree run without installing: that checkout's ``HEAD``, with ``-dirty``
      when it has local changes;
    - any other install (a wheel, ``pip install .``): None, since nothing recorded the commit; the
      manifest's package version says what ran.

    Git is only asked about normbench's own checkout, never about a repository a virtual environment happens
    to sit in.
    """
    try:
        distribution = metadata.distribution("normbench")
    except metadata.PackageNotFoundError:
        distribution = None
    origin = json.loads(distribution.read_text("direct_url.json") or "{}") if distribution else {}
    if origin.get("vcs_info", {}).get("commit_id"):
        return origin["vcs_info"]["commit_id"], f"installed from {origin['vcs_info'].get('vcs', 'vcs')} {origin['url']}"
    here = here or Path(__file__).resolve().parents[2]  # NOTE: the folder holding the normbench package
    if origin.get("dir_info", {}).get("editable") or distribution is None or not _is_installed(here):
        return _checkout_commit(here), f"source checkout {here}"
    return None, f"installed normbench {distribution.version}: no commit recorded"


def _is_installed(root: Path) -> bool:
    """Whether the running normbench sits in an environment's site-packages rather than in a checkout."""
    return root.name in ("site-packages", "dist-packages") or not (root / "pyproject.toml").is_file()


def _checkout_commit(root: Path) -> str | None:
    """``HEAD`` of the git checkout ``root``, if ``root`` is one (its top level), with ``-dirty`` for local changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root.resolve():
            return None
        commit, dirty = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
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
        **dict(zip(("git_commit", "source"), source_of_normbench())),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device_description(device),
    }


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
