"""Several stored runs as one: pooled when their protocols match, refused with the differing fields otherwise.

Runs pool when everything that decides a quality number matches (the manifest's
``protocol``: profile budget and sizes, precision, features, data, metrics,
baselines, normbench series; and the device, torch version and torch thread count
they ran with); they may differ in seeds, norms, profile name and speed switches, and in networks one run loaded and
another did not.
A (norm, style, seed) cell in two runs counts once, from the first run that has it:
a seed is one replicate however often it was run.
"""

from __future__ import annotations

import copy
from dataclasses import replace
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
    a, b = _shared_networks(a, b)
    # NOTE: an entry one run recorded and the other could not (networks, before runs kept them) is one difference
    unlike = sorted(key for key in a.keys() | b.keys() if isinstance(a.get(key), dict) != isinstance(b.get(key), dict))
    whole = [f"{key}: {_short(a.get(key))} vs {_short(b.get(key))}" for key in unlike]
    a, b = (_flatten({key: value for key, value in side.items() if key not in unlike}) for side in (a, b))
    return whole + [
        f"{key}: {_short(a.get(key))} vs {_short(b.get(key))}"
        for key in sorted(a.keys() | b.keys())
        if a.get(key) != b.get(key)
    ]


def _shared_networks(a: dict, b: dict) -> tuple[dict, dict]:
    """``a`` and ``b`` with only the networks both record: a network one run loaded and the other did not (a VGG19
    for norms only the first trained) made none of the second's numbers, so it cannot disagree with them."""
    networks_a, networks_b = a.get("networks"), b.get("networks")
    if not (isinstance(networks_a, dict) and isinstance(networks_b, dict)):
        return a, b
    shared = networks_a.keys() & networks_b.keys()
    return (
        {**a, "networks": {name: networks_a[name] for name in shared}},
        {**b, "networks": {name: networks_b[name] for name in shared}},
    )


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


def _first_of_each(mappings: list) -> dict:
    merged: dict = {}
    for mapping in mappings:
        for key, value in mapping.items():
            merged.setdefault(key, value)
    return merged


def _pool(runs: list[tables.StoredRun]) -> tables.StoredRun:
    results = pd.concat(
        [run.results.assign(run_id=run.manifest.run_id or run.path.name) for run in runs], ignore_index=True
    )
    repeated = results[results.duplicated(CELL, keep="first") & (results.kind == "norm")]
    manifest = copy.deepcopy(runs[0].manifest)
    manifest.columns = {name: spec for run in runs for name, spec in run.manifest.columns.items()}
    # NOTE: every network that made a number of the pool and every norm trained in it, the first run's where shared
    # (their protocols agree on shared networks)
    manifest.networks = _first_of_each([run.manifest.networks for run in runs])
    if all(isinstance(run.manifest.protocol.networks, dict) for run in runs):
        manifest.protocol.networks = _first_of_each([run.manifest.protocol.networks for run in runs])
    manifest.norms = list(
        _first_of_each([{entry.get("name"): entry for entry in run.manifest.norms} for run in runs]).values()
    )
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


def select_norms(run: tables.StoredRun, names: list[str]) -> tables.StoredRun:
    """``run`` with the norm rows of ``names`` only (every baseline stays), and a note saying so.

    :raises UserError: for a name that is no norm of the run, listing those it has.
    """
    norms = [name for name, kind in run.kinds().items() if kind == "norm"]
    unknown = [name for name in names if name not in norms]
    if unknown:
        raise UserError(f"no norm {', '.join(map(repr, unknown))} in the run; its norms: {', '.join(norms)}")
    keep = (run.results.kind != "norm") | run.results.norm.isin(names)
    left_out = [name for name in norms if name not in names]
    note = (
        f"rows of {', '.join(left_out)} left out (--norms); the networks listed are those the runs loaded for all "
        "their norms"
    )
    return replace(
        run,
        results=run.results[keep],
        train_log=run.train_log[run.train_log.norm.isin(names)] if "norm" in run.train_log else run.train_log,
        notes=[*run.notes, note] if left_out else run.notes,
        curves=None if run.curves is None else run.curves[(run.curves.kind != "norm") | run.curves.norm.isin(names)],
    )
