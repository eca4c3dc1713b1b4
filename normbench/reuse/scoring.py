"""Measuring a finished run again without training: new or changed metrics on its stored generators and baselines,
merged into its cells, its tables and its manifest."""

from __future__ import annotations

import time

from normbench.columns import CONTEXT_COLUMNS, ID_COLUMNS, RUN_COLUMNS
from normbench.lifecycle.evaluation import baseline_stylizer, model_stylizer
from normbench.lifecycle.prepared import PreparedRun
from normbench.lifecycle.runner import Run
from normbench.runtime.environment import now
from normbench.store.cells import fingerprint
from normbench.store.manifest import Manifest
from normbench.training.generators import load_generator

#: What the evaluator reports beside the metric columns; a rescored row keeps the values of its first measurement.
KEPT_FROM_FIRST_MEASUREMENT = ("eval_images", "metrics_seconds")


def score_run(run: Run, stored: Manifest, on_cell=None) -> dict[str, list[dict]]:
    """Measure every finished cell of ``run`` with ``run``'s metrics (those asked for), replacing their columns in
    the cells' rows, then re-render the tables and rewrite the manifest. Rows that did not train keep their
    status and get no values. Returns the new rows by cell id. ``on_cell(cell, rows)`` follows progress."""
    start = time.perf_counter()
    prepared = run.prepare()
    manifest = merged_manifest(stored, run)
    records = run.store.records()
    rescored: dict[str, list[dict]] = {}
    for cell in run.cells:
        if cell.id not in records:
            continue
        rows, log_rows = run.store.rows(cell.id)
        rescored[cell.id] = _rescore_cell(prepared, cell, rows, records[cell.id])
        run.finished[cell.id] = (rescored[cell.id], log_rows)
        if on_cell is not None:
            on_cell(cell, rescored[cell.id])
    # NOTE: measured first, written after: a failure while measuring leaves the run as it was
    protocol = manifest.protocol.to_dict()
    for cell in run.cells:
        if cell.id in rescored:
            record = {**records[cell.id], "fingerprint": fingerprint(protocol, cell, run.origin(cell))}
            run.store.rewrite(cell.id, rescored[cell.id], record)
    run.run_dir.columns = table_columns(manifest)
    run.render()
    manifest.scored[-1]["seconds"] = round(time.perf_counter() - start, 2)  # type: ignore[index]
    run.run_dir.write_manifest(manifest)
    return rescored


def merged_manifest(stored: Manifest, run: Run) -> Manifest:
    """The stored manifest with the new metrics' provenance and columns, the protocol naming every metric the rows
    now hold, and this scoring recorded."""
    new = [spec.name for spec in run.metric_registry]
    metrics = list(stored.config.get("metrics") or stored.metrics)
    metrics += [name for name in new if name not in metrics]
    manifest = stored.copy()
    manifest.metrics.update(run.manifest.metrics)
    manifest.columns.update(run.manifest.columns)
    manifest.config["metrics"] = metrics
    manifest.protocol.metrics = sorted(metrics)
    scoring = {"at": now(), "metrics": new, "command": run.manifest.command, "environment": run.manifest.environment}
    manifest.scored = [*(manifest.scored or []), scoring]
    return manifest


def table_columns(manifest: Manifest) -> list[str]:
    """results.csv's columns: identity, every metric's columns in the run's metric order, then the run's own."""
    metric_columns = [
        column for name in manifest.config["metrics"] for column in manifest.metrics.get(name, {}).get("columns", [])
    ]
    return [*ID_COLUMNS, *metric_columns, *(column.name for column in RUN_COLUMNS), *CONTEXT_COLUMNS]


def _rescore_cell(prepared: PreparedRun, cell, rows: list[dict], record: dict) -> list[dict]:
    """``rows`` of ``cell`` with the asked-for metrics measured again on its stored generator (loaded once) or its
    baseline; rows that did not train are kept as they are."""
    plan = prepared.plan
    if cell.kind == "baseline":
        method = prepared.baselines.get(cell.name).stylize

        def stylizer(row):
            target = prepared.style_target(row["style"])
            return baseline_stylizer(method, target), target
    elif record.get("weights"):
        spec = prepared.catalog.get(cell.name)
        model, _ = load_generator(prepared.store.path(cell.id) / record["weights"], spec, prepared.nets)
        model = model.to(plan.device)

        def stylizer(row):
            conditioning, target = prepared.conditioning_for(spec, row["style"])
            return model_stylizer(model, conditioning, plan.profile.batch_size), target
    else:
        return rows
    return [_measured(prepared, cell, row, *stylizer(row)) if row["status"] == "ok" else row for row in rows]


def _measured(prepared: PreparedRun, cell, row: dict, stylize, target) -> dict:
    values, notes = prepared.evaluation.evaluator.evaluate(f"{cell.name}/{row['style']}", stylize, target)
    for key in KEPT_FROM_FIRST_MEASUREMENT:
        values.pop(key, None)
    return {**row, **values, "error": "; ".join(filter(None, [row.get("error") or "", *notes]))}
