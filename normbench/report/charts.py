"""Inline SVG charts: quality against speed with its Pareto front, and training curves."""

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
    return text[text.index("<svg"):]


def pareto_front(points: pd.DataFrame, speed: str, quality: str, higher_quality_is_better: bool) -> pd.DataFrame:
    """Points no other point beats on both speed (higher) and quality, sorted by speed."""
    sign = 1 if higher_quality_is_better else -1
    front = []
    for norm, row in points.iterrows():
        dominated = ((points[speed] >= row[speed]) & (sign * points[quality] >= sign * row[quality])
                     & ((points[speed] > row[speed]) | (sign * points[quality] > sign * row[quality]))).any()
        if not dominated:
            front.append(norm)
    return points.loc[front].sort_values(speed)


def quality_vs_speed(points: pd.DataFrame, quality: str, label: str, higher_is_better: bool) -> str:
    """Scatter of one point per norm: ``quality`` against inference throughput, Pareto front drawn."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.2, 3.6))
        axes.scatter(points["infer_img_per_s"], points[quality], color="#1f77b4", zorder=3)
        for norm, row in points.iterrows():
            axes.annotate(norm, (row["infer_img_per_s"], row[quality]), textcoords="offset points", xytext=(5, 4))
        front = pareto_front(points, "infer_img_per_s", quality, higher_is_better)
        axes.plot(front["infer_img_per_s"], front[quality], color="#d62728", linestyle="--", label="Pareto front")
        axes.set_xlabel("inference throughput (img/s, higher is better)")
        axes.set_ylabel(f"{label} ({'higher' if higher_is_better else 'lower'} is better)")
        axes.grid(alpha=0.3)
        axes.legend(loc="best")
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
