"""What went wrong with plugins in a stored run, one sentence each: a plugin that failed to load (or loaded only in
part), a metric whose factory failed or that gave no value on some rows, a tracker that was dropped. The run's
final summary, its report and its JSON show the same sentences, so a failure is never only a warning at the
start."""

from __future__ import annotations

import re

import pandas as pd

from normbench.plugins import problem_sentence
from normbench.store.results import StoredRun


def run_problems(run: StoredRun) -> list[str]:
    """Every plugin problem of ``run``, in the order plugins, metrics, trackers."""
    manifest = run.manifest
    plugins = manifest.plugins or {}
    broken = plugins.get("broken_plugins")
    if broken is None:  # NOTE: runs before 0.2 stored only {plugin: reason}
        broken = [{"plugin": name, "reason": reason} for name, reason in (plugins.get("broken") or {}).items()]
    sentences = [problem_sentence(problem) for problem in broken]
    for name, entry in (manifest.metrics or {}).items():
        sentences += _metric_problems(run.results, name, entry)
    for tracker in manifest.trackers or []:
        if tracker.get("error"):
            sentences.append(
                f"tracker {tracker['name']!r} (plugin {tracker.get('plugin')!r}) failed and was dropped: "
                f"{tracker['error']}"
            )
    return sentences


def _metric_problems(results: pd.DataFrame, name: str, entry: dict) -> list[str]:
    label = f"metric {name!r} (plugin {entry.get('plugin')!r})"
    if entry.get("error"):
        return [f"{label} failed and was left out of this run, its columns empty: {entry['error']}"]
    ok = results[results["status"] == "ok"] if "status" in results else results
    notes = ok["error"].dropna().astype(str) if "error" in ok else pd.Series([], dtype=str)
    # NOTE: a row's notes are "metric NAME: message" joined by "; " (study.evaluation.Evaluator)
    pattern = re.compile(rf"(?:^|; )metric {re.escape(name)}: (.*?)(?=; metric [a-z][a-z0-9_]*: |$)")
    found = [match.group(1) for note in notes if (match := pattern.search(note))]
    if not found:
        return []
    return [f"{label} failed on {len(found)} of {len(ok)} rows, its columns empty there: {found[0]}"]
