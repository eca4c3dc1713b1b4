"""Measuring a finished run again without training: new or changed metrics on its stored generators and baselines,
merged into its cells, its tables and its manifest."""

from __future__ import annotations

import sys
import time

from normbench.columns import CONTEXT_COLUMNS, RUN_COLUMNS, id_columns
from normbench.lifecycle.evaluation import baseline_stylizer, model_stylizer
from normbench.lifecycle.plan import cell_origin
from normbench.lifecycle.prepared import PreparedRun
from normbench.lifecycle.provenance import metric_sections
from normbench.reuse.reopen import ReopenedRun
from normbench.runtime.environment import environment, now
from normbench.store.cells import fingerprint
from normbench.store.manifest import Manifest
from normbench.training.generators import load_generator

#: What the evaluator reports beside the metric columns; a rescored row keeps the values of its first measurement.
KEPT_FROM_FIRST_MEASUREMENT = ("eval_images", "metrics_seconds")


def score_run(run: ReopenedRun, on_cell=None) -> dict[str, list[dict]]:
    """Measure every finished cell of ``run`` with its metrics (those asked for), replacing their columns in the
    cells' rows, then re-render the tables and rewrite the manifest. Rows that did not train keep their status and
    get no values. Returns the new rows by cell id. ``on_cell(cell, rows)`` follows progress."""
    start = time.perf_counter()
    prepared = run.prepare()
    built = prepared.evaluation
    manifest = merged_manifest(run, metric_sections(run.plan.config, run.metrics, built.metrics, built.failed))
    store, records = run.store, run.store.records()
    finished: dict[str, tuple[list[dict], list[dict]]] = {}
    for cell in run.plan.cells:
        if cell.id not in records:
            continue
        rows, log_rows = store.rows(cell.id)
        finished[cell.id] = (_rescore_cell(prepared, cell, rows, records[cell.id]), log_rows)
        if on_cell is not None:
            on_cell(cell, finished[cell.id][0])
    # NOTE: measured first, written after: a failure while measuring leaves the run as it was
    protocol = manifest.protocol.to_dict()
    for cell_id, (rows, _) in finished.items():
        cell = next(cell for cell in run.plan.cells if cell.id == cell_id)
        origin = cell_origin(run.plan.config, run.catalog, cell)
        store.rewrite(cell_id, rows, {**records[cell_id], "fingerprint": fingerprint(protocol, cell, origin)})
    run.directory.columns = table_columns(manifest)
    run.directory.render(
        [row for rows, _ in finished.values() for row in rows], [row for _, log in finished.values() for row in log]
    )
    manifest.scored[-1]["seconds"] = round(time.perf_counter() - start, 2)  # type: ignore[index]
    run.directory.write_manifest(manifest)
    return {cell_id: rows for cell_id, (rows, _) in finished.items()}


def merged_manifest(run: ReopenedRun, sections: tuple[dict, dict]) -> Manifest:
    """The stored manifest of ``run`` with the new metrics' provenance and columns (``sections``, see
    :func:`~normbench.lifecycle.provenance.metric_sections`), the protocol naming every metric the rows now hold,
    and this scoring recorded."""
    new = [spec.name for spec in run.metrics]
    stored = run.stored
    metrics = list(stored.config.get("metrics") or stored.metrics)
    metrics += [name for name in new if name not in metrics]
    manifest = stored.copy()
    manifest.metrics.update(sections[0])
    manifest.columns.update(sections[1])
    manifest.config["metrics"] = metrics
    manifest.protocol.metrics = sorted(metrics)
    scoring = {"at": now(), "metrics": new, "command": list(sys.argv), "environment": environment(run.plan.device)}
    manifest.scored = [*(manifest.scored or []), scoring]
    return manifest


def table_columns(manifest: Manifest) -> list[str]:
    """results.csv's columns: identity, every metric's columns in the run's metric order, then the run's own."""
    metric_columns = [
        column for name in manifest.config["metrics"] for column in manifest.metrics.get(name, {}).get("columns", [])
    ]
    sweep = bool(manifest.protocol.profile.get("style_weights"))
    return [*id_columns(sweep), *metric_columns, *(column.name for column in RUN_COLUMNS), *CONTEXT_COLUMNS]


def _rescore_cell(prepared: PreparedRun, cell, rows: list[dict], record: dict) -> list[dict]:
    """``rows`` of ``cell`` with the asked-for metrics measured again on its stored generator (loaded once) or its
    baseline; rows that did not train are kept as they are."""
    plan = prepared.plan
    if cell.kind == "baseline":
        method = prepared.baselines.get(cell.name).stylize

        def stylizer(row):
            target = prepared.style_target(row["style"])
            return baseline_stylizer(method, target, row.get("alpha", 1.0)), target
    elif record.get("weights"):
        spec = prepared.catalog.get(cell.name)
        model, _ = load_generator(prepared.store.path(cell.id) / record["weights"], spec, prepared.nets)
        model = model.to(plan.device)

        def stylizer(row):
            conditioning, target = prepared.conditioning_for(spec, row["style"])
            return model_stylizer(model, conditioning, plan.profile.batch_size, row.get("alpha", 1.0)), target
    else:
        return rows
    return [_measured(prepared, cell, row, *stylizer(row)) if row["status"] == "ok" else row for row in rows]


def _measured(prepared: PreparedRun, cell, row: dict, stylize, target) -> dict:
    values, notes = prepared.evaluation.evaluator.evaluate(f"{cell.name}/{row['style']}", stylize, target)
    for key in KEPT_FROM_FIRST_MEASUREMENT:
        values.pop(key, None)
    return {**row, **values, "error": "; ".join(filter(None, [row.get("error") or "", *notes]))}
