"""What ``--json`` prints for ``run``, ``report``, ``bench`` and ``compare``: the summaries the terminal and the
pages show, as data (plain JSON types, a missing number as ``null``), built only from what the run stored."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from normbench.report import analysis, tables
from normbench.report.frontier_section import frontier_summary
from normbench.report.norm_flags import norm_flags
from normbench.report.problems import run_problems

#: Bumped when a field is renamed or removed; new fields do not bump it.
SUMMARY_SCHEMA = 1


def to_json(document: dict) -> str:
    """``document`` as JSON: NaN and infinities become ``null`` (JSON has no NaN), numpy numbers plain ones."""
    return json.dumps(_plain(document), indent=2, allow_nan=False, default=str)


def _plain(value):
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # NOTE: numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _summary_rows(run: tables.StoredRun, split: str) -> list[dict]:
    """One entry per norm and baseline: ``seeds`` and, per metric column, ``{mean, low, high}`` (the 95% interval
    over seeds; null for one seed or a baseline)."""
    table, kinds = tables.summary(run, split), run.kinds()
    rows = []
    for norm in table.index:
        entry: dict = {"norm": norm, "kind": kinds.get(norm, "norm"), "style_split": split}
        entry["seeds"] = int(table.loc[norm].xs("seeds", level=1).max()) if kinds.get(norm) == "norm" else None
        for column in tables.metric_columns(run):
            entry[column] = {stat: table.loc[norm, (column, stat)] for stat in ("mean", "low", "high")}
        rows.append(entry)
    return rows


def run_summary(run: tables.StoredRun, reference: str | None = None, report: Path | None = None) -> dict:
    """A run's (or pooled runs') summary: provenance, columns, per-norm means with intervals on training and
    held-out styles, the answer sentence and its caveats, the verdicts and paired differences against
    ``reference``, and the flags. The one summary: ``--json``, the terminal's answer and
    :meth:`normbench.RunResult.summary` are this."""
    from normbench.report.opening import answer_and_caveats

    manifest, reference = run.manifest, analysis.reference_norm(run, reference)
    comparisons = analysis.paired_comparisons(run, reference)
    found, caveats = answer_and_caveats(run, reference, comparisons)
    splits = ["train"] + (["heldout"] if (run.ok.style_split == "heldout").any() else [])
    return {
        "schema": SUMMARY_SCHEMA,
        "run_dir": run.path,
        "run_id": manifest.run_id or run.path.name,
        "status": manifest.status,
        "features": manifest.features,
        "networks": manifest.networks,
        "precision": manifest.precision,
        "seeds": analysis.seed_count(run),
        "report": report,
        "columns": {
            name: {"label": c.label, "higher_is_better": c.higher_is_better, "axis": c.axis}
            for name, c in tables.metric_columns(run).items()
        },
        "summary": [row for split in splits for row in _summary_rows(run, split)],
        "reference": reference,
        "answer": {"sentence": found.sentence, "changes": list(found.changes)},
        "caveats": [{"title": title, "items": items, "note": note} for title, items, note in caveats],
        "verdicts": analysis.verdicts(run, reference, comparisons) if reference else [],
        "paired": analysis.paired_frame(run, comparisons).to_dict("records"),
        "flags": [{"column": flag.column, "sentence": flag.sentence} for flag in tables.baseline_flags(run)],
        "norm_flags": [
            {
                "norm": flag.norm,
                "baseline": flag.baseline,
                "column": flag.column,
                "difference": flag.difference.mean,
                "low": flag.difference.low,
                "high": flag.difference.high,
                "seeds": flag.difference.n,
                "beyond_noise": flag.beyond_noise,
                "sentence": flag.sentence,
            }
            for flag in norm_flags(run)
        ],
        "frontier": frontier_summary(run, reference),
        "notes": list(run.notes),
        "problems": run_problems(run),
    }


def comparison_summary(run_a: tables.StoredRun, run_b: tables.StoredRun, changes: list, output: Path) -> dict:
    """``normbench compare``'s changes (B - A per norm and column, with the paired test where there is one)."""
    kinds = {**run_a.kinds(), **run_b.kinds()}
    return {
        "schema": SUMMARY_SCHEMA,
        "a": run_a.manifest.run_id or run_a.path.name,
        "b": run_b.manifest.run_id or run_b.path.name,
        "page": output,
        "changes": [
            {
                "norm": change.name,
                "column": change.column,
                "a": change.mean_a,
                "b": change.mean_b,
                "change": change.change,
                "low": change.paired.difference.low if change.paired else None,
                "high": change.paired.difference.high if change.paired else None,
                "seeds": change.paired.difference.n if change.paired else None,
                "p_holm": change.paired.p_holm if change.paired else None,
                "verdict": change.verdict(kinds.get(change.name, "norm")),
            }
            for change in changes
        ],
    }


def bench_summary(path: Path, frame: pd.DataFrame, best: pd.DataFrame, manifest: dict, report: Path) -> dict:
    """``normbench bench``'s summary: the fastest mode of each norm against the plain baseline, and every row."""
    return {
        "schema": SUMMARY_SCHEMA,
        "bench_dir": path,
        "status": manifest.get("status"),
        "device": manifest.get("environment", {}).get("device"),
        "report": report,
        "fastest": best.to_dict("records"),
        "rows": frame.to_dict("records"),
    }
