"""The report's headline charts: style against content (or a sweep's curves) beside quality against speed."""

from __future__ import annotations

import math

import pandas as pd

from normbench.report import analysis, charts, frontier_section, tables
from normbench.report.frontier import Frontier
from normbench.report.html import part
from normbench.report.throughput import Throughput, separated_front

_SPREAD = "sd over evaluation draws (one seed: no interval over seeds)"
_SEED_INTERVAL = "95% interval over training seeds (baselines, which do not train: sd over evaluation draws)"


def _points(run: tables.StoredRun, columns: list[str]) -> tuple[pd.DataFrame, str]:
    """Per norm and baseline (training styles): each column's mean and error bars (``<column>_lo`` and
    ``<column>_hi``, distances below and above), with what the bars are: the 95% interval over seeds where every
    norm has two or more, else the sd over evaluation draws."""
    table = tables.summary(run, "train")
    over_seeds = analysis.seed_count(run) >= 2
    rows = run.ok[run.ok.style_split == "train"]
    draws = rows.groupby("norm", sort=False)[[f"{c}_sd" for c in columns if f"{c}_sd" in rows]].mean()
    points = pd.DataFrame(index=table.index)
    for column in columns:
        mean = points[column] = table[(column, "mean")]
        draw_sd = draws[f"{column}_sd"].reindex(points.index) if f"{column}_sd" in draws else math.nan
        points[f"{column}_lo"] = (mean - table[(column, "low")]).fillna(draw_sd)
        points[f"{column}_hi"] = (table[(column, "high")] - mean).fillna(draw_sd)
    points["kind"] = [run.kinds()[name] for name in points.index]
    return points, (_SEED_INTERVAL if over_seeds else _SPREAD)


def _speed_chart(run: tables.StoredRun, quality: str, speed: Throughput | None) -> tuple[str, list[str]]:
    """Quality against throughput as a ratio to the reference, with both intervals, and its notes."""
    if speed is None:
        return '<p class="warn">no norm was timed, so nothing is plotted against speed (every row is below)</p>', []
    columns = tables.metric_columns(run)
    measured, _ = _points(run, [quality])
    baselines = measured[measured.kind == "baseline"][quality].dropna().to_dict()
    points = speed.points.join(measured[[quality, f"{quality}_lo", f"{quality}_hi"]]).dropna(subset=[quality])
    column = columns[quality]
    front = separated_front(points, quality, column.higher_is_better)
    chart = charts.quality_vs_speed(
        points,
        (quality, column.label, column.higher_is_better),
        (speed.reference, float(speed.points.loc[speed.reference, "img_per_s"])),
        front,
        baselines,
    )
    notes = [
        f"Speed: inference throughput as a ratio to {speed.reference}'s; bars: {speed.bars}. A Pareto front is "
        "drawn only between norms whose speed intervals do not overlap" + ("." if front else "; here none is.")
    ]
    if speed.busy:
        notes.append("⚑ " + speed.busy_note())
    return chart, notes


def headline_html(
    run: tables.StoredRun, quality: str | None, speed: Throughput | None, front: Frontier | None = None
) -> str:
    """The trade-off chart (style against content, or a sweep's curves) beside the speed view (``quality``
    against throughput relative to the reference norm)."""
    columns = tables.metric_columns(run)
    content, style = tables.headline(run)
    if not columns and quality is None:
        return '<p class="warn">no metric column holds a number: no row was measured (every row is listed below)</p>'
    quality = quality or style or content or next(iter(columns), None)
    if quality not in columns:
        raise ValueError(f"unknown quality column {quality!r}; available: {', '.join(columns)}")
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    trade, bars = "<p>no content or style column was measured</p>", _SPREAD
    if front is not None:  # NOTE: a sweep's headline is its curves; a point chart would show one weight of many
        trade = frontier_section.chart(run, front)
    elif content and style:
        points, bars = _points(run, [content, style])
        points = points.dropna(subset=[content, style])
        trade = charts.trade_off(points, content, style, (columns[content].label, columns[style].label))
    speed_chart, speed_notes = _speed_chart(run, quality, speed)
    notes = [
        f"Bottom left is better: a norm should sit nearer the ideal corner than every baseline. Error bars: "
        f"{bars}. Training styles only; held-out styles are below."
    ]
    if front is not None:
        notes[0] = (
            "Bottom left is better: one curve per norm through its style weights (×1 is the architecture's own), "
            "each point the mean over seeds of each seed's mean over the training styles, bars its 95% interval "
            "over seeds; grey: a baseline blended with the content (α = 0 is the content), and the two ways of "
            "doing nothing. Held-out styles are below."
        )
    notes += speed_notes
    if style in flagged:
        notes.append(f"⚑ every style column is won by a baseline in this run; {columns[style].label} is shown anyway.")
    if quality in flagged and quality != style:
        notes.append(f"⚑ {columns[quality].label}, plotted against speed, is won by a baseline in this run.")
    return f'<div class="answer"><div>{trade}</div><div>{speed_chart}</div></div>{part("notes", notes)}'
