"""Several stored runs as one: pooled when their protocols match, refused with the differing fields otherwise.

Runs pool when everything that decides a quality number matches (the manifest's
``protocol``: profile budget and sizes, precision, features, data, metrics,
baselines, normbench series; and the device, torch version and torch thread count
they ran with); they may differ in seeds, norms, profile name and speed switches.
A (norm, style, seed) cell in two runs counts once, from the first run that has it:
a seed is one replicate however often it was run.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd

from normbench.columns import CURVE_COLUMNS
from normbench.errors import UserError
from normbench.report import tables

#: Differences listed in a refusal before "and N more".
SHOWN_DIFFERENCES = 8
#: What makes two rows the same measurement.
CELL = ["norm", "kind", "style", "style_split", "seed"]


def _flatten(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {key: leaf for name, item in value.items() for key, leaf in _flatten(item, f"{prefix}{name}.").items()}
    return {prefix.rstrip("."): value}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def execution(run: tables.StoredRun) -> dict:
    """Where a run's numbers were computed, as far as it changes them: the device (kind and model), the torch
    version and torch's thread count (float sums, and so trained weights, repeat bit for bit only with equal
    threads)."""
    environment = run.manifest.environment or {}
    device = environment.get("device") or {}
    return {
        "device": f"{device.get('type')} {device.get('name')}",
        "torch": (environment.get("packages") or {}).get("torch"),
        "torch_threads": device.get("torch_threads"),
    }


def protocol_differences(run_a: tables.StoredRun, run_b: tables.StoredRun) -> list[str]:
    """``"field: A vs B"`` for every protocol field (profile, precision, features, data, metrics, ...) that differs,
    and for where the numbers were computed (:func:`execution`)."""
    a, b = ({**run.manifest.protocol.to_dict(), "execution": execution(run)} for run in (run_a, run_b))
    # NOTE: an entry one run recorded and the other could not (networks, before runs kept them) is one difference
    unlike = sorted(key for key in a.keys() | b.keys() if isinstance(a.get(key), dict) != isinstance(b.get(key), dict))
    whole = [f"{key}: {_short(a.get(key))} vs {_short(b.get(key))}" for key in unlike]
    a, b = (_flatten({key: value for key, value in side.items() if key not in unlike}) for side in (a, b))
    return whole + [
        f"{key}: {_short(a.get(key))} vs {_short(b.get(key))}"
        for key in sorted(a.keys() | b.keys())
        if a.get(key) != b.get(key)
    ]


def refusal(differences: list[str]) -> str:
    more = len(differences) - SHOWN_DIFFERENCES
    return "; ".join(differences[:SHOWN_DIFFERENCES]) + (f"; and {more} more" if more > 0 else "")


def load_runs(paths: list[Path]) -> tables.StoredRun:
    """One run, or several pooled into one (the first run's manifest, with ``pooled_from`` naming them all).

    :raises UserError: for a run given twice, or runs whose protocols differ (naming the fields).
    """
    runs = [tables.load_run(path) for path in paths]
    if len(runs) == 1:
        return runs[0]
    resolved = [path.resolve() for path in paths]
    if len(set(resolved)) < len(resolved):
        raise UserError("a run directory is given twice; each run counts once")
    for path, run in zip(paths[1:], runs[1:]):
        differences = protocol_differences(runs[0], run)
        if differences:
            raise UserError(
                f"{paths[0]} and {path} differ in protocol, so their numbers cannot be pooled: {refusal(differences)}"
            )
    return _pool(runs)


def _pool(runs: list[tables.StoredRun]) -> tables.StoredRun:
    results = pd.concat(
        [run.results.assign(run_id=run.manifest.run_id or run.path.name) for run in runs], ignore_index=True
    )
    repeated = results[results.duplicated(CELL, keep="first") & (results.kind == "norm")]
    manifest = copy.deepcopy(runs[0].manifest)
    manifest.columns = {name: spec for run in runs for name, spec in run.manifest.columns.items()}
    manifest.run_id = " + ".join(run.manifest.run_id or run.path.name for run in runs)
    manifest.pooled_from = [
        {
            "run_id": run.manifest.run_id,
            "path": str(run.path),
            "status": run.manifest.status,
            "device": execution(run)["device"],
            "wall_seconds": run.manifest.wall_seconds,
            "seeds": sorted({int(s) for s in run.results.seed.dropna()}),
        }
        for run in runs
    ]
    manifest.repeated_cells = sorted({f"{r.norm} seed {int(r.seed)} ({r.run_id})" for r in repeated.itertuples()})
    manifest.wall_seconds = sum(run.manifest.wall_seconds or 0 for run in runs)
    train_log = pd.concat([run.train_log for run in runs], ignore_index=True)
    notes = [f"{run.path.name}: {note}" for run in runs for note in run.notes]
    curves = None
    if all(run.curves is not None for run in runs):  # NOTE: equal protocols: all runs swept, or none did
        curves = pd.concat(
            [run.curves.assign(run_id=run.manifest.run_id or run.path.name) for run in runs if run.curves is not None],
            ignore_index=True,
        ).drop_duplicates([*CELL, *CURVE_COLUMNS], keep="first")
    return tables.StoredRun(
        runs[0].path, results.drop_duplicates(CELL, keep="first"), manifest, train_log, notes, curves
    )
