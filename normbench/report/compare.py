"""``normbench compare RUN_A RUN_B``: the per-norm summaries of two runs side by side, with the change."""

from __future__ import annotations

import html
from pathlib import Path

from normbench.report import page, tables


def comparison(run_a: tables.StoredRun, run_b: tables.StoredRun):
    """Rows ``(norm, column, header, higher_is_better, mean_a, mean_b, change)`` for norms and columns both share."""
    columns_a, columns_b = tables.metric_columns(run_a), tables.metric_columns(run_b)
    means_a = tables.summary(run_a).xs("mean", axis=1, level=1)
    means_b = tables.summary(run_b).xs("mean", axis=1, level=1)
    rows = []
    for norm in [n for n in means_a.index if n in means_b.index]:
        for name, (header, higher) in columns_a.items():
            if name in columns_b:
                a, b = means_a.loc[norm, name], means_b.loc[norm, name]
                rows.append((norm, name, header, higher, a, b, b - a))
    return rows


def render(run_a: tables.StoredRun, run_b: tables.StoredRun) -> str:
    def verdict(higher, change):
        if change != change or change == 0:
            return "", False
        better = (change > 0) == higher
        return ("better" if better else "worse"), better

    headers = ["norm", "metric", "A", "B", "B − A", "B vs A"]
    rows = []
    for norm, _, header, higher, a, b, change in comparison(run_a, run_b):
        word, better = verdict(higher, change)
        rows.append([(norm, norm, False), (f"{header} {'↑' if higher else '↓'}", header, False),
                     (tables.format_value(a), a, False), (tables.format_value(b), b, False),
                     (f"{change:+.4g}", change, better), (word, word, better)])
    names = [run.manifest.get("run_id", run.path.name) for run in (run_a, run_b)]
    title = f"normbench compare: A = {names[0]}, B = {names[1]}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
            f"<style>{page.CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<h2>A</h2>{page.banner(run_a)}<h2>B</h2>{page.banner(run_b)}"
            f"<h2>Change per norm and metric</h2>{page.sortable_table(headers, rows, 'compare')}"
            f"<h2>A: summary</h2>{page.summary_html(run_a)}<h2>B: summary</h2>{page.summary_html(run_b)}"
            f"<script>{page.SORT_SCRIPT}</script></body></html>\n")


def write_comparison(dir_a: Path, dir_b: Path, output: Path) -> Path:
    from normbench.results import atomic_write_text

    atomic_write_text(output, render(tables.load_run(dir_a), tables.load_run(dir_b)))
    return output
