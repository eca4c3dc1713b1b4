"""One self-contained HTML page: no external references, images as data: URIs, sortable tables."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from PIL import Image

from normbench.report import charts, tables

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:12px;color:#222}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:18px 0 6px}
.banner{background:#f4f6f8;border-left:4px solid #8a9;padding:6px 10px;font-size:13px}
.warn{color:#b00;font-weight:600}.answer{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.answer>div{flex:1 1 460px;min-width:0}.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:12px;white-space:nowrap}th,td{padding:3px 6px;border-bottom:1px solid #ddd;text-align:right}
th{cursor:pointer;background:#eef;position:sticky;top:0}th:first-child,td:first-child{text-align:left}
td.best{font-weight:700;background:#e6f6e6}th[data-order=asc]::after{content:" ▲"}th[data-order=desc]::after{content:" ▼"}
svg{max-width:100%;height:auto}img{max-width:100%;height:auto}
@media print{th{position:static}.scroll{overflow:visible}body{max-width:none}}
"""

SORT_SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], ascending = th.dataset.order !== 'asc';
    var column = th.cellIndex;
    table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
    th.dataset.order = ascending ? 'asc' : 'desc';
    var key = function (row) {
      var cell = row.cells[column], text = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
      var number = parseFloat(text);
      return isNaN(number) ? text : number;
    };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    }).forEach(function (row) { body.appendChild(row); });
  });
});
"""


def _e(value) -> str:
    return html.escape(str(value))


def sortable_table(headers: list[str], rows: list[list[tuple[str, object, bool]]], table_id: str) -> str:
    """``rows`` of ``(shown text, sort value, is best)`` cells."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td data-value="{_e(value)}"{" class=best" if best else ""}>{_e(text)}</td>'
                         for text, value, best in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def summary_html(run: tables.StoredRun, first: tuple[str, ...] = ()) -> str:
    """The per-norm table; ``first`` columns lead (the plotted quality and speed beside the chart)."""
    columns = tables.metric_columns(run)
    columns = {**{name: columns[name] for name in first if name in columns}, **columns}
    table = tables.summary(run)
    best = tables.best_norms(table, columns)
    headers = ["norm"] + [f"{header} {'↑' if higher else '↓'}" for header, higher in columns.values()]
    rows = [[(norm, norm, False)] + [
        (f"{tables.format_value(table.loc[norm, (name, 'mean')])} ± {tables.format_value(table.loc[norm, (name, 'std')])}",
         table.loc[norm, (name, "mean")], best.get(name) == norm) for name in columns] for norm in table.index]
    return sortable_table(headers, rows, "summary")


def detail_html(run: tables.StoredRun) -> str:
    frame = tables.detail(run)
    rows = [[(tables.format_value(v) if isinstance(v, float) else v, v, False) for v in record]
            for record in frame.itertuples(index=False)]
    return sortable_table(list(frame.columns), rows, "detail")


def image_data_uri(path: Path, width: int = 640) -> str:
    """The image as a JPEG ``data:`` URI, scaled down to ``width`` so the page loads fast."""
    image = Image.open(path).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def banner(run: tables.StoredRun) -> str:
    manifest, profile = run.manifest, run.manifest["config"]["profile"]
    env, packages = manifest["environment"], manifest["environment"]["packages"]
    speed = manifest["config"].get("speed", {}).get("speed", "plain")
    facts = (f"device {env['device']['name']} ({env['device']['type']}) · speed {speed} · "
             f"normbench {packages.get('normbench')} · "
             f"torch {packages.get('torch')} · profile {profile['name']} · {profile['steps']} steps/style at "
             f"{profile['image_size']}² · batch {profile['batch_size']} · seeds {sorted(set(run.results.seed))} · "
             f"status {manifest.get('status')} · commit {str(env.get('git_commit'))[:12]}")
    warnings = []
    if manifest.get("features") == "random":
        warnings.append("features=random: the VGG, AlexNet and Inception networks were randomly initialised; "
                        "numbers compare norms within this run only, not with papers.")
    if "fid_n" in run.results and run.results.fid_n.notna().any():
        n, dims = int(run.results.fid_n.max()), int(run.results.fid_dims.max())
        if n < 2048 or dims < 2048:
            warnings.append(f"FID from few samples: {n} patches per row with {dims}-d features, "
                            "not comparable with 2048-d FID on thousands of images.")
    return f'<div class="banner">{_e(facts)}' + "".join(f'<div class="warn">{_e(w)}</div>' for w in warnings) + "</div>"


def default_quality(run: tables.StoredRun) -> str:
    columns = tables.metric_columns(run)
    return "artfid" if "artfid" in columns else "style_loss"


def render(run: tables.StoredRun, quality: str | None = None) -> str:
    """The whole page for one stored run."""
    columns = tables.metric_columns(run)
    quality = quality or default_quality(run)
    if quality not in columns:
        raise ValueError(f"unknown quality column {quality!r}; available: {', '.join(columns)}")
    means = tables.summary(run).xs("mean", axis=1, level=1)
    label, higher = columns[quality]
    scatter = charts.quality_vs_speed(means[[quality, "infer_img_per_s"]].dropna(), quality, label, higher)
    curves = charts.training_curves(run.train_log) if not run.train_log.empty else "<p>no training log</p>"
    grids = "".join(
        f'<h3>{_e(path.stem.removeprefix("grid_"))}</h3><img alt="{_e(path.stem)}" src="{image_data_uri(path)}">'
        for path in sorted((run.path / "images").glob("grid_*.png")))
    title = f"normbench report: {run.manifest.get('run_id', run.path.name)}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1>{banner(run)}"
            f'<h2>Which norm, at what speed</h2><div class="answer"><div>{scatter}</div>'
            f"<div>{summary_html(run, (quality, 'infer_img_per_s'))}<p>Mean ± std over styles and seeds; best per column in bold. "
            f"↑ higher is better, ↓ lower is better. Click a header to sort.</p></div></div>"
            f"<h2>Every norm and style</h2>{detail_html(run)}"
            f"<h2>Training curves</h2>{curves}<h2>Images</h2>{grids}"
            f"<script>{SORT_SCRIPT}</script></body></html>\n")


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
    """Both tables as Markdown: the per-norm summary, then every (norm, style) row."""
    run = tables.load_run(run_dir)
    return (tables.display_summary(run).to_markdown() + "\n\n"
            + tables.detail(run).to_markdown(index=False, floatfmt=".4g"))


