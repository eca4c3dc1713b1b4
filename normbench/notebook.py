"""A stored run as a notebook shows it: :class:`RunSummary` (the answer, the per-norm table with intervals, the
verdicts and flags; rendered as HTML with the headline chart), the headline chart as a matplotlib figure, and a
trained generator as an ``nn.Module``. Everything comes from :func:`normbench.report.summaries.run_summary`, the one
summary behind the terminal, ``--json`` and the report."""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from normbench.numbers import format_interval

_OLD_FRAME = (
    "RunResult.summary() returns a RunSummary since normbench 0.2; the DataFrame of means it returned is "
    "RunResult.summary().means (the old form works until 0.3)"
)


@dataclass(frozen=True)
class RunSummary:
    """A run's summary: ``answer`` (one sentence) and the caveats that ``changes`` it, ``table`` (one row per norm
    or baseline and style split: ``seeds`` and, per metric column, its mean with ``_low`` and ``_high``, the 95%
    interval over seeds), the ``verdicts`` against ``reference``, the ``flags`` and ``document``, all of it as
    ``normbench report --json`` prints it. ``means`` is the table of means earlier releases returned."""

    answer: str
    changes: tuple[str, ...]
    reference: str | None
    table: pd.DataFrame
    verdicts: tuple[str, ...]
    flags: tuple[str, ...]
    document: dict
    means: pd.DataFrame
    chart: str = field(default="", repr=False)

    def __repr__(self) -> str:
        lines = [f"answer: {self.answer}", *(f"  ⚑ changes the answer: {c}" for c in self.changes)]
        return "\n".join([*lines, "", self.shown().to_string(), *(f"verdict: {v}" for v in self.verdicts)])

    def shown(self, limit: int = 4) -> pd.DataFrame:
        """The first ``limit`` content, style and speed columns as ``mean [low, high]``: the table to read."""
        axes = ("content", "style", "speed")
        names = [n for n, c in self.document["columns"].items() if c["axis"] in axes][:limit]
        shown = self.table[["seeds"]].astype("Int64")
        for name in names:
            bounds = self.table[[name, f"{name}_low", f"{name}_high"]].to_numpy(dtype=float)
            shown[name] = [format_interval(mean, low, high) for mean, low, high in bounds]
        return shown

    def _repr_html_(self) -> str:
        changes = "".join(f"<li>{html.escape(change)}</li>" for change in self.changes)
        return (
            f"<p><b>{html.escape(self.answer)}</b></p>"
            + (f'<ul style="color:#b00">{changes}</ul>' if changes else "")
            + self.chart
            + self.shown(limit=8).to_html()
        )

    # NOTE: the old return value was a DataFrame; code that indexes it keeps working for a minor release
    def __getitem__(self, key):
        warnings.warn(_OLD_FRAME, DeprecationWarning, stacklevel=2)
        return self.means[key]

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in dir(pd.DataFrame):
            raise AttributeError(name)
        warnings.warn(_OLD_FRAME, DeprecationWarning, stacklevel=2)
        return getattr(self.means, name)


def means_of(results: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """Mean of every numeric metric column per norm (or baseline) and style split, over styles and seeds, for rows
    that finished, at the operating point of a style-weight sweep; ``rows`` counts the rows behind each mean."""
    from normbench.store.results import operating_point

    if results.empty:
        return results
    done = operating_point(results)
    done = done[done["status"] == "ok"]
    measured = [name for name in columns if name in done and pd.api.types.is_numeric_dtype(done[name])]
    grouped = done.groupby(["norm", "kind", "style_split"], sort=False)
    return grouped[measured].mean().assign(rows=grouped.size()).reset_index()


def summary_table(document: dict) -> pd.DataFrame:
    """``run_summary``'s per-norm entries as one flat table."""
    records = []
    for entry in document["summary"]:
        record = {key: entry[key] for key in ("norm", "kind", "style_split", "seeds")}
        for column in document["columns"]:
            stats = entry.get(column, {})
            record.update(
                {column: stats.get("mean"), f"{column}_low": stats.get("low"), f"{column}_high": stats.get("high")}
            )
        records.append(record)
    return pd.DataFrame.from_records(records).set_index(["norm", "style_split"])


def run_summary_of(path: Path, means: pd.DataFrame, with_chart: bool = True) -> RunSummary:
    """The :class:`RunSummary` of the run stored in ``path``."""
    from normbench.report import analysis, tables
    from normbench.report.headline import headline_html
    from normbench.report.summaries import run_summary
    from normbench.report.throughput import throughput

    run = tables.load_run(path)
    document = run_summary(run)
    chart = ""
    if with_chart and not run.ok.empty:
        chart = headline_html(run, None, throughput(run, analysis.reference_norm(run)))
    flags = [flag["sentence"] for flag in [*document["norm_flags"], *document["flags"]]]
    return RunSummary(
        document["answer"]["sentence"],
        tuple(document["answer"]["changes"]),
        document["reference"],
        summary_table(document),
        tuple(document["verdicts"]),
        tuple(flags),
        document,
        means,
        chart,
    )


def headline_figure(path: Path):
    """The report's headline chart, style against content with intervals over seeds, as a matplotlib figure."""
    import matplotlib.pyplot as plt

    from normbench.errors import NoResultError
    from normbench.report import charts, tables
    from normbench.report.headline import _points

    run = tables.load_run(path)
    content, style = tables.headline(run)
    if not (content and style):
        raise NoResultError(f"{path}: no content and style columns were measured, so there is nothing to plot")
    columns = tables.metric_columns(run)
    points = _points(run, [content, style])[0].dropna(subset=[content, style])
    with plt.rc_context(charts.STYLE):
        figure = charts.trade_off_figure(points, content, style, (columns[content].label, columns[style].label))
    plt.close(figure)  # NOTE: the caller shows it; left open, pyplot would show it a second time in a notebook
    return figure


def generator(path: Path, norm: str, style: str, seed: int | None = None):
    """The generator the run trained for ``norm`` and ``style`` (``seed``: the run's first) with its style built
    in, on the CPU in eval mode: ``module(images)`` takes (N, 3, H, W) in [0, 1], H and W multiples of 4, and
    returns the stylized images (``.to("cuda")`` moves it)."""
    from normbench.reuse.deploy import BakedStyle, stored_models
    from normbench.reuse.reopen import open_run

    return BakedStyle(stored_models(open_run(path, "cpu"), norm, style, seed)[0]).eval()
