"""A run's report page, its summary and paired CSVs and its Markdown tables, built only from the stored run."""

from __future__ import annotations

from pathlib import Path

from normbench.report import analysis, conclusions, sections, tables
from normbench.report.frontier_section import frontier_frame, frontier_html, frontier_lines
from normbench.report.html import anchored, page
from normbench.report.norm_flags import norm_flags
from normbench.report.opening import opening


def render(
    run: tables.StoredRun, quality: str | None = None, reference: str | None = None, comparisons: list | None = None
) -> str:
    """The whole page: a table of contents, the answer, the headline charts and the caveats panel first, then the
    verdicts, tables, ranks, noise, the legend, curves, images and provenance; ``comparisons`` are
    :func:`analysis.paired_comparisons` when already computed."""
    reference = analysis.reference_norm(run, reference)
    if comparisons is None:
        comparisons = analysis.paired_comparisons(run, reference)
    first, _ = opening(run, reference, comparisons, quality)
    body = (
        f"{first}<h2>Verdicts against the reference</h2>{conclusions.verdict_html(run, reference, comparisons)}"
        f"{frontier_html(run, reference)}"
        f"<h2>Every norm and baseline, training styles</h2>{sections.summary_html(run, tables.headline(run))}"
        "<p>Mean over seeds of each seed's mean over styles, with its 95% interval over seeds (t; none for one "
        "seed or for a baseline, which does not train). In bold: the best trained norm and every norm the paired "
        "test cannot tell from it (none with one seed, or when no norm is separated). ↑ higher is better, ↓ "
        f"lower is better, ⚑ flagged in the caveats. Click a header to sort.</p>{sections.heldout_html(run)}"
        f"{conclusions.paired_html(run, comparisons)}{conclusions.ranks_html(run)}{conclusions.spread_html(run)}"
        f"<h2>Every row</h2>{sections.detail_html(run)}<h2>What each number means</h2>{sections.legend_html(run)}"
        f"<h2>Training curves</h2>{sections.curves_html(run)}<h2>Images</h2>{sections.grids_html(run)}"
        f'<h2>Provenance</h2><div class="banner">{sections.provenance(run)}</div>'
    )
    contents = (("answer", "Answer"), ("headline", "Charts"), ("caveats", "Caveats"))
    return page(f"normbench report: {run.manifest.run_id or run.path.name}", anchored(body, contents))


def write_report(
    run_dir: Path, output: Path | None = None, quality: str | None = None, reference: str | None = None
) -> Path:
    """Build ``run_dir``'s page (``run_dir/report.html`` by default) and its CSVs; returns the page's path."""
    return write_pages(tables.load_run(run_dir), output or run_dir / "report.html", quality, reference)


def write_pages(run: tables.StoredRun, output: Path, quality: str | None = None, reference: str | None = None) -> Path:
    """Write the page, and beside it ``summary.csv``, ``paired.csv`` and, for a style-weight sweep, ``frontier.csv``
    (prefixed by the page's name when it is not ``report.html``); returns the page's path."""
    from normbench.fileio import atomic_write_text

    comparisons = analysis.paired_comparisons(run, analysis.reference_norm(run, reference))
    atomic_write_text(output, render(run, quality, reference, comparisons))
    prefix = "" if output.name == "report.html" else f"{output.stem}_"
    flat = tables.summary(run)
    flat.columns = [f"{name}_{stat}" for name, stat in flat.columns]
    flat.index.name = "name"  # NOTE: a header on every column, the first too (a norm or a baseline)
    failed = tables.failures(run)
    # NOTE: a norm's seeds that diverged or failed count, instead of vanishing from its mean
    flat["failed_seeds"] = [failed[name].failed if name in failed else float("nan") for name in flat.index]
    flat["trained_seeds"] = [failed[name].seeds if name in failed else float("nan") for name in flat.index]
    atomic_write_text(output.parent / f"{prefix}summary.csv", flat.to_csv())
    atomic_write_text(
        output.parent / f"{prefix}paired.csv", analysis.paired_frame(run, comparisons).to_csv(index=False)
    )
    curves = frontier_frame(run, analysis.reference_norm(run, reference))
    if curves is not None:
        atomic_write_text(output.parent / f"{prefix}frontier.csv", curves.to_csv(index=False))
    return output


def markdown(run: tables.StoredRun, reference: str | None = None) -> str:
    """Verdicts, flags, the per-norm summary (baselines after the norms), then every row, as Markdown."""
    from normbench.report.opening import answer_and_caveats

    reference = analysis.reference_norm(run, reference)
    comparisons = analysis.paired_comparisons(run, reference)
    found, _ = answer_and_caveats(run, reference, comparisons)
    verdicts = "".join(f"- {sentence}\n" for sentence in analysis.verdicts(run, reference, comparisons))
    curves = "".join(f"- {line}\n" for line in frontier_lines(run, reference))
    flags = "".join(f"> ⚑ {flag.sentence}\n" for flag in norm_flags(run))
    flags += "".join(f"> ⚑ {flag.sentence}\n" for flag in tables.baseline_flags(run))
    flags += "".join(
        f"> baseline at least as good, not a stylization measure: {note}\n" for note in tables.baseline_notes(run)
    )
    leading = analysis.leading_norms(run, tables.summary(run))
    changes = "".join(f"> ⚑ changes the answer: {change}\n" for change in found.changes)
    parts = [
        f"**Answer:** {found.sentence}",
        changes,
        verdicts and f"Verdict against {reference}:\n\n{verdicts}",
        curves and f"Trade-off curves:\n\n{curves}",
        flags,
        tables.display_summary(run, leading=leading).to_markdown(),
    ]
    if (run.ok.style_split == "heldout").any():
        parts.append("Held-out styles:\n\n" + tables.display_summary(run, "heldout").to_markdown())
    parts.append(tables.detail(run).to_markdown(index=False, floatfmt=".4g"))
    return "\n\n".join(part for part in parts if part)
