"""Inline SVG charts: style against content (the headline), quality against speed, training curves.

Norms are blue circles; reference baselines are grey diamonds in the trade-off
chart and grey dashed lines in the speed chart (they have no speed).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import pandas as pd  # noqa: E402

# NOTE: text as <text>, fixed ids and no date make the SVG small and identical on every rebuild.
STYLE = {"svg.fonttype": "none", "svg.hashsalt": "normbench", "font.size": 9}


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def pareto_front(points: pd.DataFrame, speed: str, quality: str, higher_quality_is_better: bool) -> pd.DataFrame:
    """Points no other point beats on both speed (higher) and quality, sorted by speed."""
    sign = 1 if higher_quality_is_better else -1
    front = []
    for norm, row in points.iterrows():
        dominated = (
            (points[speed] >= row[speed])
            & (sign * points[quality] >= sign * row[quality])
            & ((points[speed] > row[speed]) | (sign * points[quality] > sign * row[quality]))
        ).any()
        if not dominated:
            front.append(norm)
    return points.loc[front].sort_values(speed)


NORM_COLOUR, BASELINE_COLOUR = "#1f77b4", "#7f7f7f"


def _bars(points: pd.DataFrame, column: str):
    """matplotlib's asymmetric error bars (2 × n) from ``<column>_lo`` and ``_hi``, or None without them."""
    if f"{column}_lo" not in points:
        return None
    return points[[f"{column}_lo", f"{column}_hi"]].fillna(0).to_numpy().T


def _label_trade_off(axes, labels: tuple[str, str]) -> None:
    """Axis names with their directions, the better corner, grid and legend of a style-against-content chart."""
    axes.set_xlabel(f"{labels[0]} (lower keeps more of the content)")
    axes.set_ylabel(f"{labels[1]} (lower matches the style more)")
    axes.annotate("better", xy=(0.03, 0.04), xycoords="axes fraction", color="#2ca02c", fontweight="bold")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper right", fontsize=8)


def trade_off(points: pd.DataFrame, content: str, style: str, labels: tuple[str, str]) -> str:
    """:func:`trade_off_figure` as SVG."""
    with plt.rc_context(STYLE):
        return _svg(trade_off_figure(points, content, style, labels))


def trade_off_figure(points: pd.DataFrame, content: str, style: str, labels: tuple[str, str]):
    """The headline: ``style`` against ``content`` distance, one point per norm and baseline, as a matplotlib
    figure.

    :param points: indexed by name, with ``content``, ``style``, ``kind`` and optional
        ``<column>_lo`` and ``<column>_hi`` error-bar lengths below and above each point.
    """
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.2, 4.0))
        for kind, marker, colour, size in (("norm", "o", NORM_COLOUR, 36), ("baseline", "D", BASELINE_COLOUR, 30)):
            group = points[points["kind"] == kind]
            if group.empty:
                continue
            axes.errorbar(
                group[content],
                group[style],
                xerr=_bars(group, content),
                yerr=_bars(group, style),
                fmt="none",
                ecolor=colour,
                alpha=0.6,
                elinewidth=1,
                capsize=2,
                zorder=2,
            )
            axes.scatter(
                group[content],
                group[style],
                marker=marker,
                s=size,
                color=colour,
                zorder=3,
                label="trained norm" if kind == "norm" else "baseline (no training)",
            )
            # NOTE: norms labelled above right, baselines below left: the two kinds often sit close together.
            offset, align = ((5, 4), "left") if kind == "norm" else ((-5, -11), "right")
            for name, row in group.iterrows():
                axes.annotate(
                    name,
                    (row[content], row[style]),
                    textcoords="offset points",
                    xytext=offset,
                    ha=align,
                    color=colour,
                    fontstyle="italic" if kind == "baseline" else "normal",
                )
        axes.margins(x=0.14, y=0.08)  # NOTE: room for labels at the extremes (identity sits at x = 0)
        _label_trade_off(axes, labels)
        return figure


def quality_vs_speed(
    points: pd.DataFrame,
    quality: tuple[str, str, bool],
    reference: tuple[str, float],
    front: list[tuple[str, str]],
    baselines: dict[str, float] | None = None,
) -> str:
    """One point per norm: quality against inference throughput as a ratio to the reference norm's, both with
    their bars; the Pareto front only between neighbours whose speed intervals do not overlap; baselines as lines.

    :param points: a :class:`~normbench.report.throughput.Throughput`'s points with ``quality``'s column and its
        ``_lo``/``_hi`` bar lengths.
    :param quality: ``(column, label, higher_is_better)``.
    :param reference: ``(norm, its img/s)``: the 1 of the ratio axis.
    :param front: the segments of :func:`~normbench.report.throughput.separated_front`.
    """
    column, label, higher_is_better = quality
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.2, 4.0))
        speed_bars = [points.ratio - points.ratio_low, points.ratio_high - points.ratio]
        axes.errorbar(
            points.ratio,
            points[column],
            xerr=pd.DataFrame(speed_bars).fillna(0).to_numpy(),
            yerr=_bars(points, column),
            fmt="o",
            color=NORM_COLOUR,
            ecolor=NORM_COLOUR,
            alpha=0.8,
            elinewidth=1,
            capsize=2,
            zorder=3,
            label="trained norm",
        )
        for norm, row in points.iterrows():
            axes.annotate(norm, (row.ratio, row[column]), textcoords="offset points", xytext=(5, 4))
        for index, (a, b) in enumerate(front):
            axes.plot(
                points.loc[[a, b], "ratio"],
                points.loc[[a, b], column],
                color="#d62728",
                linestyle="--",
                label="Pareto front (speeds separated)" if index == 0 else None,
            )
        for index, (name, value) in enumerate((baselines or {}).items()):
            axes.axhline(
                value,
                color=BASELINE_COLOUR,
                linestyle=":",
                linewidth=1.2,
                label="baseline (no training)" if index == 0 else None,
            )
            axes.annotate(
                name,
                (1.0, value),
                xycoords=("axes fraction", "data"),
                textcoords="offset points",
                xytext=(-4, 3),
                ha="right",
                color=BASELINE_COLOUR,
                fontstyle="italic",
            )
        axes.axvline(1.0, color="#bbbbbb", linewidth=0.8)
        # NOTE: from 0, so that a few per cent between norms looks like a few per cent
        axes.set_xlim(0, max(1.2, float(points[["ratio", "ratio_high"]].max().max()) * 1.1))
        axes.set_xlabel(f"inference throughput ÷ {reference[0]}'s {reference[1]:.3g} img/s (higher is faster)")
        axes.set_ylabel(f"{label} ({'higher' if higher_is_better else 'lower'} is better)")
        axes.grid(alpha=0.3)
        axes.legend(loc="best", fontsize=8)
        return _svg(figure)


def mean_ranks(summaries: list, labels: dict[str, str]) -> str:
    """Demšar's view: each norm's mean rank (1 = best) on each column, with a bar of ± CD/2 around it, so that
    two norms whose bars do not overlap differ at the test's level.

    :param summaries: :class:`normbench.report.stats.RankSummary` objects, one per column.
    """
    norms = list(dict.fromkeys(name for summary in summaries for name in summary.mean_ranks))
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.2, 0.9 + 0.45 * len(norms) * len(summaries)))
        step = 0.8 / max(1, len(summaries))
        for index, summary in enumerate(summaries):
            rows = [
                (position - 0.4 + step * (index + 0.5), summary.mean_ranks[name])
                for position, name in enumerate(norms)
                if name in summary.mean_ranks
            ]
            axes.errorbar(
                [rank for _, rank in rows],
                [y for y, _ in rows],
                xerr=summary.cd / 2,
                fmt="o",
                color=f"C{index}",
                capsize=3,
                label=f"{labels[summary.column]} (CD {summary.cd:.2f})",
            )
        axes.set_yticks(range(len(norms)), norms)
        axes.invert_yaxis()
        half = max(summary.cd for summary in summaries) / 2
        axes.set_xlim(min(0.5, 1 - half), max(len(norms) + 0.5, len(norms) + half))
        axes.set_xlabel("mean rank over seeds (1 is best; bars ± CD/2)")
        axes.grid(alpha=0.3, axis="x")
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.35 - 0.3 / len(norms)), ncol=2)
        return _svg(figure)


def training_curves(log: pd.DataFrame) -> str:
    """Total training loss against step, one line per model, one colour per norm."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.2, 3.6))
        colours = {norm: f"C{index}" for index, norm in enumerate(dict.fromkeys(log["norm"]))}
        for model, rows in log.groupby("model", sort=False):
            axes.plot(rows["step"], rows["total"], color=colours[rows["norm"].iloc[0]], label=model, linewidth=1.2)
        axes.set_xlabel("optimizer step")
        axes.set_ylabel("training loss (weighted total)")
        axes.set_yscale("log")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7, ncol=2, loc="upper right")
        return _svg(figure)


def frontier_curves(
    curves: pd.DataFrame, baselines: dict[str, pd.DataFrame], ends: dict, labels: tuple[str, str]
) -> str:
    """The headline of a sweep: each norm's curve of style against content distance (mean per style weight over
    seeds, 95% intervals over seeds as bars), each curved baseline's in grey, and the two do-nothing corners.

    :param curves: rows with ``norm``, ``style_weight``, ``content``, ``style`` and ``<axis>_lo``/``_hi`` bar lengths.
    :param baselines: ``{name: frame of content and style by alpha}``.
    :param ends: ``{baseline name: (content, style)}`` of the baselines that span the box.
    """
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.6, 4.2))
        for index, (norm, points) in enumerate(curves.groupby("norm", sort=False)):
            colour = f"C{index}"
            blends = points[points["alpha"] < 1].sort_values("alpha")
            if not blends.empty:  # NOTE: a style_feat model's test-time blends, from its ×1 point towards the content
                at_one = points[(points["alpha"] == 1) & (points["style_weight"] == 1)]
                branch = pd.concat([blends, at_one])
                axes.plot(branch["content"], branch["style"], ":", color=colour, marker=".", alpha=0.8)
            curve = points[points["alpha"] == 1].sort_values("style_weight")
            axes.errorbar(
                curve["content"],
                curve["style"],
                xerr=_bars(curve, "content"),
                yerr=_bars(curve, "style"),
                fmt="o-",
                color=colour,
                markersize=4,
                elinewidth=1,
                capsize=2,
                alpha=0.85,
                label=str(norm),
                zorder=3,
            )
            for _, row in curve.iterrows():
                axes.annotate(
                    f"×{row['style_weight']:g}",
                    (row["content"], row["style"]),
                    textcoords="offset points",
                    xytext=(4, 3),
                    fontsize=7,
                    color=colour,
                )
        for name, curve in baselines.items():
            axes.plot(curve["content"], curve["style"], "D--", color=BASELINE_COLOUR, markersize=3, label=f"{name} α")
            for alpha, row in curve.iterrows():
                axes.annotate(
                    f"α={alpha:g}",
                    (row["content"], row["style"]),
                    textcoords="offset points",
                    xytext=(-4, -10),
                    ha="right",
                    fontsize=7,
                    color=BASELINE_COLOUR,
                    fontstyle="italic",
                )
        axes.margins(x=0.1, y=0.08)
        # NOTE: the curves set the view; a do-nothing corner far outside it (the style image's content distance) is
        # named at the edge instead of squeezing every curve into a corner
        (left, right), (bottom, top) = axes.get_xlim(), axes.get_ylim()
        for name, (content, style) in ends.items():
            inside = left <= content <= right and bottom <= style <= top
            x, y = min(max(content, left), right), min(max(style, bottom), top)
            axes.scatter([x], [y], marker="s" if inside else ">", s=26, color=BASELINE_COLOUR, zorder=3, clip_on=False)
            text = name if inside else f"{name} ({content:.3g}, {style:.3g})"
            axes.annotate(text, (x, y), textcoords="offset points", xytext=(-5, 5), ha="right", color=BASELINE_COLOUR)
        axes.set_xlim(left, right)
        axes.set_ylim(bottom, top)
        _label_trade_off(axes, labels)
        return _svg(figure)
