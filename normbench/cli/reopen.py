"""Runs planned again from what they stored: ``run --resume``, and the runs ``score``, ``stylize`` and ``export``
reuse."""

from __future__ import annotations

import argparse
from pathlib import Path

from normbench.cli.run import RUN_DEFAULTS, build_config
from normbench.errors import UserError

#: Flags that may be given with ``--resume``: they change where and how fast cells are computed, not their numbers.
RESUME_FLAGS = ("resume", "device", "speed", "disable_plugin", "executor", "ray_address", "cpus_per_task", "json")


def resume_config(args: argparse.Namespace):
    """The configuration of the run to resume (:func:`stored_config`), refusing flags that would change it."""
    given = [key for key, default in RUN_DEFAULTS.items() if key not in RESUME_FLAGS and getattr(args, key) != default]
    if given:
        raise UserError(
            f"--resume continues a run with its stored configuration; --{given[0].replace('_', '-')} "
            f"cannot be given with it (only {', '.join('--' + f.replace('_', '-') for f in RESUME_FLAGS[1:])})"
        )
    return stored_config(args.resume, args.device, args.speed, args.disable_plugin)


def stored_config(
    run_dir: Path, device: str = "auto", speed: str = "fast", disable_plugin=(), metrics: list[str] | None = None
):
    """The configuration stored in ``run_dir``, re-resolved here (plugins, device, features): ``build_config``'s
    results and the stored manifest. ``device`` and ``speed`` may differ from the stored ones (they change where and
    how fast, not what); ``metrics`` replaces the stored metrics. Whether the protocol is unchanged is for the
    caller to check (``manifest.resumed_manifest``)."""
    from normbench.config import Profile
    from normbench.store.results import read_run_manifest

    stored = read_run_manifest(run_dir, status_of_cells=False)
    saved = stored.config
    same_device = device in ("auto", saved["device"])
    paths = {
        key: Path(saved[key]) if saved.get(key) else None
        for key in ("content_dir", "style_dir", "eval_content_dir", "eval_style_dir")
    }
    resolved = argparse.Namespace(
        **{
            **RUN_DEFAULTS,
            **paths,
            "norms": saved["norms"],
            "profile": saved["profile"]["name"],
            "precision": saved["profile"]["precision"],
            "seeds": saved["seeds"],
            "reference": saved["reference"],
            "metrics": metrics or saved.get("metrics"),
            "baselines": saved["baselines"] or None,
            "styles": saved["styles"],
            "weights": saved["weights"],
            "eval_network": saved.get("eval_network", "vgg13"),
            "deterministic": saved["deterministic"],
            "out_dir": run_dir.parent,
            "disable_plugin": list(disable_plugin),
            "device": saved["device"] if same_device else device,
            "speed": saved["speed"]["speed"] if same_device and speed == RUN_DEFAULTS["speed"] else speed,
        }
    )
    config, *registries = build_config(resolved)
    # NOTE: every profile field as stored (a study file may set fields no flag reaches)
    try:
        config.profile = Profile(**saved["profile"])
    except TypeError:  # NOTE: fields renamed since (adain_lr went into the architectures' training settings)
        raise UserError(
            f"{run_dir} was made by another normbench version ({stored.normbench}), whose profile "
            f"fields differ from this one's: it cannot be planned again; start a new run"
        ) from None
    config.baselines = list(saved["baselines"])
    return (config, *registries, stored)


def open_run(run_dir: Path, device: str = "auto", metrics: list[str] | None = None, disable_plugin=()):
    """A finished (or partly finished) run, planned again from its stored configuration to reuse what it trained:
    ``(Run, stored manifest)``. Nothing is written."""
    from normbench.data import load_run_images
    from normbench.store.directory import RunDirectory
    from normbench.study import runner

    config, registry, metric_registry, baseline_registry, _, stored = stored_config(
        run_dir, device, "plain", disable_plugin, metrics
    )
    return runner.Run(
        config, registry, load_run_images(config), RunDirectory(run_dir), metric_registry, baseline_registry
    ), stored
