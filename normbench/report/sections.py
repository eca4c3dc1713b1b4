"""The parts of a run's page, each built only from the stored run."""

from __future__ import annotations

import pandas as pd

from normbench.report import charts, tables
from normbench.report.html import escape, image_data_uri, sortable_table

_SPREAD = "sd over evaluation draws"


def summary_html(run: tables.StoredRun, first: tuple[str | None, ...] = (), split: str = "train",
                 table_id: str = "summary") -> str:
    """The per-norm table, baselines after the norms; ``first`` columns lead (the plotted ones)."""
    columns = tables.metric_columns(run)
    columns = {**{name: columns[name] for name in first if name in columns}, **columns}
    table, kinds = tables.summary(run, split), run.kinds()
    best = tables.best_norms(table, columns, kinds)
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    headers = ["norm"] + [f"{c.label} {'↑' if c.higher_is_better else '↓'}{' ⚑' if name in flagged else ''}"
                          for name, c in columns.items()]
    rows = [[(f"{norm} (baseline)" if kinds.get(norm) == "baseline" else norm, norm, False)] + [
        (f"{tables.format_value(table.loc[norm, (name, 'mean')])} ± {tables.format_value(table.loc[norm, (name, 'std')])}",
         table.loc[norm, (name, "mean")], best.get(name) == norm) for name in columns] for norm in table.index]
    return sortable_table(headers, rows, table_id)


def detail_html(run: tables.StoredRun) -> str:
    frame = tables.detail(run)
    rows = [[(tables.format_value(v) if isinstance(v, float) else v, v, False) for v in record]
            for record in frame.itertuples(index=False)]
    return sortable_table(list(frame.columns), rows, "detail")


def flags_html(run: tables.StoredRun) -> str:
    """A red box naming every stylization metric a baseline wins, then a note on the other columns baselines win."""
    flags, notes = tables.baseline_flags(run), tables.baseline_notes(run)
    html = ""
    if flags:
        items = "".join(f"<li>{escape(flag.sentence)}</li>" for flag in flags)
        html += (f'<div class="flags"><b>⚑ Metrics that do not separate stylization from doing nothing in this run'
                 f"</b><ul>{items}</ul>These columns are reported but are never the headline.</div>")
    if notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in notes)
        html += (f'<div class="banner"><b>Columns a baseline wins or ties that do not measure stylization</b>'
                 f"<ul>{items}</ul>Content columns are one axis of the trade-off; invariance columns describe which "
                 "statistics a layer uses. Neither says which norm stylizes better.</div>")
    return html


def _points(run: tables.StoredRun, columns: list[str]) -> pd.DataFrame:
    """Per norm and baseline (training styles): the mean of each column and of its spread over draws."""
    rows = run.ok[run.ok.style_split == "train"]
    wanted = [c for c in dict.fromkeys(columns + [f"{c}_sd" for c in columns]) if c in rows]
    means = rows.groupby("norm", sort=False)[wanted].mean()
    order = [name for name in run.kinds() if name in means.index]
    return means.reindex(order).assign(kind=[run.kinds()[name] for name in order])


def headline_html(run: tables.StoredRun, quality: str | None = None) -> str:
    """The trade-off chart (style against content) beside the speed view (``quality`` against throughput)."""
    columns = tables.metric_columns(run)
    content, style = tables.headline(run)
    quality = quality or style or content or next(iter(columns), None)
    if quality not in columns:
        raise ValueError(f"unknown quality column {quality!r}; available: {', '.join(columns)}")
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    trade = "<p>no content or style column was measured</p>"
    if content and style:
        points = _points(run, [content, style]).dropna(subset=[content, style])
        trade = charts.trade_off(points, content, style, (columns[content].label, columns[style].label))
    norms = _points(run, [quality, "infer_img_per_s"])
    baselines = norms[norms.kind == "baseline"][quality].dropna().to_dict()
    speed_points = norms[norms.kind == "norm"][[quality, "infer_img_per_s"]].dropna()
    speed = charts.quality_vs_speed(speed_points, quality, columns[quality].label, columns[quality].higher_is_better,
                                    baselines)
    notes = [f"Bottom left is better: a norm should sit nearer the ideal corner than every baseline. Error bars: "
             f"{_SPREAD}. Training styles only; held-out styles are below."]
    if style in flagged:
        notes.append(f"⚑ every style column is won by a baseline in this run; {columns[style].label} is shown anyway.")
    if quality in flagged and quality != style:
        notes.append(f"⚑ {columns[quality].label}, plotted against speed, is won by a baseline in this run.")
    return (f'<div class="answer"><div>{trade}</div><div>{speed}</div></div>'
            + "".join(f'<p class="note">{escape(note)}</p>' for note in notes))


def heldout_html(run: tables.StoredRun) -> str:
    """Models that take arbitrary styles on styles they never trained on, beside the baselines on the same styles."""
    heldout = run.ok[run.ok.style_split == "heldout"]
    if heldout.empty:
        return ""
    styles = ", ".join(dict.fromkeys(heldout["style"]))
    return (f"<h2>Held-out styles (never trained on): {escape(styles)}</h2>"
            f"{summary_html(run, tables.headline(run), 'heldout', 'heldout')}"
            "<p>Only norms that take arbitrary styles (style_feat conditioning) are measured here; compare each "
            "with its own row on the training styles above.</p>")


def legend_html(run: tables.StoredRun) -> str:
    """Each column's description and direction, with the notes that qualify it."""
    items = []
    for name, column in tables.declared_columns(run).items():
        if not column.ranked:
            continue
        direction = "higher is better" if column.higher_is_better else "lower is better"
        items.append(f"<dt>{escape(column.label)} <code>{escape(name)}</code></dt><dd>{escape(column.description)} "
                     f"({direction}; axis {escape(column.axis)})</dd>")
    for note in ("fid_note", "artfid_note"):
        if note in run.results:
            for text in dict.fromkeys(run.results[note].dropna().astype(str)):
                items.append(f"<dt><code>{note}</code></dt><dd>{escape(text)}</dd>")
    return f"<dl>{''.join(items)}</dl>"


def curves_html(run: tables.StoredRun) -> str:
    if run.train_log.empty:
        return "<p>no training log</p>"
    return charts.training_curves(run.train_log) + '<p class="note">Baselines do not train.</p>'


def grids_html(run: tables.StoredRun) -> str:
    return "".join(
        f'<h3>{escape(path.stem.removeprefix("grid_"))}</h3><img alt="{escape(path.stem)}" src="{image_data_uri(path)}">'
        for path in sorted((run.path / "images").glob("grid_*.png")))


def banner(run: tables.StoredRun) -> str:
    """The provenance of every number on the page, with warnings in red."""
    manifest, profile = run.manifest, run.manifest["config"]["profile"]
    env, packages = manifest["environment"], manifest["environment"]["packages"]
    speed = manifest["config"].get("speed", {}).get("speed", "plain")
    facts = (f"device {env['device']['name']} ({env['device']['type']}) · precision {profile['precision']} · "
             f"speed {speed} · normbench {packages.get('normbench')} · torch {packages.get('torch')} · "
             f"profile {profile['name']}: {profile['steps']} steps/style at {profile['image_size']}², batch "
             f"{profile['batch_size']} · {manifest['evaluation'].get('eval_images')} evaluation images at "
             f"{profile['eval_size']}² · features {manifest.get('features')} · seeds {sorted(set(run.results.seed))} · "
             f"status {manifest.get('status')} · commit {str(env.get('git_commit'))[:12]}")
    warnings = []
    if manifest.get("features") == "random":
        warnings.append(f"features=random: every network was randomly initialised; content and style distances are "
                        f"means over {profile.get('eval_draws')} independently seeded VGG13 draws. Numbers compare "
                        "norms within this run only, not with papers.")
    if "fid_n" in run.results and run.results.fid_n.notna().any():
        n, dims = int(run.results.fid_n.max()), int(run.results.fid_dims.max())
        if n < 2048 or dims < 2048:
            warnings.append(f"FID from few samples: {n} patches per row with {dims}-d features, "
                            "not comparable with 2048-d FID on thousands of images.")
    return f'<div class="banner">{escape(facts)}' + "".join(f'<div class="warn">{escape(w)}</div>' for w in warnings) + "</div>"
