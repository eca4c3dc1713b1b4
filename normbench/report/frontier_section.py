"""The report's view of a sweep: the curves chart (the headline of a run that sweeps the style weight), each norm's
hypervolume with its interval over seeds, the paired verdicts on it and the flags of curves a baseline's dominates.
"""

from __future__ import annotations

import pandas as pd

from normbench.columns import Column
from normbench.numbers import format_number
from normbench.report import charts, tables
from normbench.report.analysis import describe, few_seeds_note
from normbench.report.frontier import Frontier, frontier
from normbench.report.html import part, sortable_table

#: The column verdicts on a curve compare: a share of the box, higher is better.
HYPERVOLUME = Column("hypervolume", True, "trade-off hypervolume", "composite")


def _interval(interval) -> str:
    if interval.method == "no spread":  # NOTE: the same value on every seed, e.g. 0: no curve point inside the box
        return f"{format_number(interval.mean, 3)} on every seed"
    if not interval.has_interval:
        return format_number(interval.mean, 3)
    return f"{format_number(interval.mean, 3)} [{format_number(interval.low, 3)}, {format_number(interval.high, 3)}]"


def sentences(front: Frontier, reference: str | None) -> list[str]:
    """The verdict on the curves: each comparison with the reference norm, in the words of the point verdicts."""
    family = len(front.comparisons)
    found = []
    for comparison in front.comparisons:
        n = comparison.difference.n
        found.append(
            f"{comparison.norm} vs {reference}, {n} paired seed{'s' if n != 1 else ''}: "
            f"{describe(comparison, HYPERVOLUME, False)}{few_seeds_note(n, family)}"
        )
    return found


def flag_sentences(front: Frontier) -> list[str]:
    """``none's trade-off curve dominates color_transfer's curve nowhere: ... (area added per seed: 0 on every
    seed)``."""
    return [
        f"{norm}'s trade-off curve dominates {baseline}'s curve nowhere: its mean curve adds none of the box to it "
        f"(area added per seed: {_interval(front.added[(norm, baseline)])})"
        for norm, baseline in front.dominated
    ]


def frontier_lines(run: tables.StoredRun, reference: str | None) -> list[str]:
    """The terminal's and Markdown's lines on a sweep: the verdicts on curves, then the flags; none without one."""
    if run.curves is None:
        return []
    front, why = frontier(run, reference)
    if front is None:
        return [f"curves: no summary, {why}"]
    volumes = "; ".join(f"{norm} {_interval(interval)}" for norm, interval in front.summaries.items())
    return [
        f"curves: hypervolume over seeds: {volumes}",
        *(f"curves verdict: {sentence}" for sentence in sentences(front, reference)),
        *(f"flagged: {sentence}" for sentence in flag_sentences(front)),
    ]


def frontier_summary(run: tables.StoredRun, reference: str | None) -> dict | None:
    """The sweep's numbers for ``--json``: the box, each norm's hypervolume with its interval, each baseline
    curve's, the paired comparisons and the flags; None without a sweep."""
    if run.curves is None:
        return None
    front, why = frontier(run, reference)
    if front is None:
        return {"summary": None, "why": why}

    def interval(value) -> dict:
        return {"mean": value.mean, "low": value.low, "high": value.high, "seeds": value.n}

    return {
        "axes": {"content": front.space.content, "style": front.space.style},
        "box": {"c0": front.space.c0, "c1": front.space.c1, "s0": front.space.s0, "s1": front.space.s1},
        "hypervolume": {norm: interval(value) for norm, value in front.summaries.items()},
        "per_seed": {
            norm: {int(seed): value for seed, value in front.hypervolumes[norm].dropna().items()}
            for norm in front.hypervolumes.columns
        },
        "baselines": front.baseline_hypervolumes,
        "added": [
            {"norm": norm, "baseline": baseline, **interval(value)} for (norm, baseline), value in front.added.items()
        ],
        "verdicts": sentences(front, reference),
        "paired": [
            {"norm": c.norm, "reference": c.reference, "p": c.p, "p_holm": c.p_holm, **interval(c.difference)}
            for c in front.comparisons
        ],
        "flags": [{"norm": norm, "baseline": baseline} for norm, baseline in front.dominated],
        "curves": front.curves.to_dict("records"),
    }


def frontier_frame(run: tables.StoredRun, reference: str | None) -> pd.DataFrame | None:
    """``frontier.csv``: every point of every mean curve in the columns' units and in the box's (norms with their
    95% intervals over seeds, then the curved baselines), each norm's hypervolume with its interval and, against the
    reference, its paired difference; None without a sweep or a summary."""
    front = frontier(run, reference)[0] if run.curves is not None else None
    if front is None:
        return None
    box, hv = front.space, front.summaries
    paired = {c.norm: c for c in front.comparisons}
    norms = front.curves.assign(
        kind="norm",
        content=box.c0 + front.curves.x * (box.c1 - box.c0),
        style=box.s0 + front.curves.y * (box.s1 - box.s0),
        hypervolume=front.curves.norm.map(lambda n: hv[n].mean),
        hypervolume_low=front.curves.norm.map(lambda n: hv[n].low),
        hypervolume_high=front.curves.norm.map(lambda n: hv[n].high),
        seeds=front.curves.norm.map(lambda n: hv[n].n),
        difference=front.curves.norm.map(lambda n: paired[n].difference.mean if n in paired else float("nan")),
        p_holm=front.curves.norm.map(lambda n: paired[n].p_holm if n in paired else float("nan")),
    )
    baselines = [
        curve.reset_index().assign(
            norm=name,
            kind="baseline",
            content=box.c0 + curve.x.to_numpy() * (box.c1 - box.c0),
            style=box.s0 + curve.y.to_numpy() * (box.s1 - box.s0),
            hypervolume=front.baseline_hypervolumes[name],
        )
        for name, curve in front.baselines.items()
    ]
    frame = pd.concat([norms, *baselines], ignore_index=True)
    return frame.rename(columns={"content": box.content, "style": box.style})


def table(front: Frontier) -> pd.DataFrame:
    """Per norm, then per curved baseline: the hypervolume, its interval over seeds, and the area added to each
    curved baseline's."""
    records = []
    for norm, interval in front.summaries.items():
        record = {"name": norm, "kind": "norm", "seeds": interval.n, "hypervolume": _interval(interval)}
        for baseline in front.baselines:
            record[f"adds to {baseline}"] = _interval(front.added[(norm, baseline)])
        records.append(record)
    for baseline, volume in front.baseline_hypervolumes.items():
        records.append(
            {"name": baseline, "kind": "baseline curve", "seeds": "–", "hypervolume": format_number(volume, 3)}
        )
    return pd.DataFrame.from_records(records).fillna("")


def chart(run: tables.StoredRun, front: Frontier) -> str:
    """The curves in the columns' own units (the box's affine map undone)."""
    box = front.space
    columns = tables.metric_columns(run)

    def content(x):
        return box.c0 + x * (box.c1 - box.c0)

    def style(y):
        return box.s0 + y * (box.s1 - box.s0)

    curves = front.curves.assign(content=content(front.curves.x), style=style(front.curves.y))
    for axis, column, unmap in (("x", "content", content), ("y", "style", style)):
        curves[f"{column}_lo"] = curves[column] - unmap(curves[f"{axis}_low"])
        curves[f"{column}_hi"] = unmap(curves[f"{axis}_high"]) - curves[column]
    baselines = {
        name: pd.DataFrame({"content": content(curve.x), "style": style(curve.y)})
        for name, curve in front.baselines.items()
    }
    winners = run.wins_by_construction()
    ends = {
        name: (content(0.0), style(1.0)) if "content" in axes else (content(1.0), style(0.0))
        for name, axes in winners.items()
        if axes & {"content", "style"} and (run.ok.norm == name).any()
    }
    return charts.frontier_curves(curves, baselines, ends, (columns[box.content].label, columns[box.style].label))


def frontier_html(run: tables.StoredRun, reference: str | None) -> str:
    """The sweep's section: the verdict on curves and the table (its flags are in the caveats panel); empty for a
    run without a sweep."""
    if run.curves is None:
        return ""
    front, why = frontier(run, reference)
    if front is None:
        return part("box", "verdict warn", "Trade-off curves", [], f": no summary, {why}.")
    weights = ", ".join(f"×{w:g}" for w in sorted(front.curves.style_weight.unique()))
    html = "<h2>Trade-off curves</h2>" + part(
        "box",
        "verdict",
        f"Trade-off curves (style weights {weights}): hypervolume against {reference}",
        sentences(front, reference),
        "Each norm's curve per seed (its means over the training styles) is summarised by the share of the box "
        "between the unchanged content and the style image that it dominates (higher is better); seeds pair, Holm "
        "over the norms compared.",
    )
    frame = table(front)
    rows = [[(str(value), value, False) for value in record] for record in frame.itertuples(index=False)]
    return html + sortable_table(list(frame.columns), rows, "frontier")
