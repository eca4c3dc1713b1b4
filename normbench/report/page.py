"""A run's report page, its summary CSV and its Markdown tables, built only from the stored run."""

from __future__ import annotations

from pathlib import Path

from normbench.report import sections, tables
from normbench.report.html import page


def render(run: tables.StoredRun, quality: str | None = None) -> str:
    """The whole page: the trade-off and speed views first, then tables, the legend, curves and images."""
    body = (f"{sections.banner(run)}{sections.flags_html(run)}<h2>Style against content, and speed</h2>"
            f"{sections.headline_html(run, quality)}"
            f"<h2>Every norm and baseline, training styles</h2>{sections.summary_html(run, tables.headline(run))}"
            "<p>Mean ± std over styles and seeds; the best trained norm per column in bold (baselines are "
            "references, never best). ↑ higher is better, ↓ lower is better, ⚑ flagged above. "
            f"Click a header to sort.</p>{sections.heldout_html(run)}"
            f"<h2>Every row</h2>{sections.detail_html(run)}<h2>What each number means</h2>{sections.legend_html(run)}"
            f"<h2>Training curves</h2>{sections.curves_html(run)}<h2>Images</h2>{sections.grids_html(run)}")
    return page(f"normbench report: {run.manifest.get('run_id', run.path.name)}", body)


def write_report(run_dir: Path, output: Path | None = None, quality: str | None = None) -> Path:
    """Build the page and the summary CSV for ``run_dir``; returns the page's path."""
    from normbench.results import atomic_write_text

    run = tables.load_run(run_dir)
    output = output or run_dir / "report.html"
    atomic_write_text(output, render(run, quality))
    flat = tables.summary(run)
    flat.columns = [f"{name}_{stat}" for name, stat in flat.columns]
    atomic_write_text(run_dir / "summary.csv", flat.to_csv())
    return output


def markdown(run_dir: Path) -> str:
    """The tables as Markdown: flags, the per-norm summary (baselines after the norms), then every row."""
    run = tables.load_run(run_dir)
    flags = "".join(f"> ⚑ {flag.sentence}\n" for flag in tables.baseline_flags(run))
    flags += "".join(f"> baseline at least as good, not a stylization measure: {note}\n"
                     for note in tables.baseline_notes(run))
    parts = [flags, tables.display_summary(run).to_markdown()]
    if (run.ok.style_split == "heldout").any():
        parts.append("Held-out styles:\n\n" + tables.display_summary(run, "heldout").to_markdown())
    parts.append(tables.detail(run).to_markdown(index=False, floatfmt=".4g"))
    return "\n\n".join(part for part in parts if part)
