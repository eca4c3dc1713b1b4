"""The rich progress display while a run trains, and the summary table when it ends."""

from __future__ import annotations

import contextlib
import math

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table


class RunProgress:
    """An overall bar (models done) and a bar for the model training now, with its latest loss."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=console, transient=False,
        )
        self.overall = None

    def __enter__(self) -> "RunProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def start_run(self, models: int) -> None:
        self.overall = self.progress.add_task("models", total=models, loss="")

    @contextlib.contextmanager
    def model(self, label: str, steps: int):
        task = self.progress.add_task(f"train {label}", total=steps, loss="")

        def on_step(step: int, logged: dict | None) -> None:
            fields = {"loss": f"loss {logged['total']:.4g}"} if logged else {}
            self.progress.update(task, completed=step, **fields)

        try:
            yield on_step
        finally:
            # NOTE: finished models are summarised by model_done's line; their bars would pile up.
            self.progress.remove_task(task)

    def model_done(self, rows: list[dict]) -> None:
        if self.overall is not None:
            self.progress.advance(self.overall)
        for row in rows:
            if row["status"] != "ok":
                self.console.print(f"[yellow]{row['norm']}/{row['style']}: {row['status']} {row['error']}")
            else:
                self.console.print(f"{row['norm']}/{row['style']}: content {_fmt(row['content_loss'])}, "
                                   f"style {_fmt(row['style_loss'])}, {_fmt(row['infer_img_per_s'])} img/s",
                                   highlight=False)


def _fmt(value, digits: int = 4) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


def summary_table(rows: list[dict]) -> Table:
    """The finished rows as a terminal table."""
    table = Table(title="normbench results (lower loss is better)")
    columns = [("norm", "norm"), ("style", "style"), ("status", "status"), ("content_loss", "content"),
               ("style_loss", "style"), ("lpips", "lpips"), ("fid", "fid"), ("kid", "kid"),
               ("artfid", "artfid"), ("contrast_lpips", "contrast"),
               ("train_img_per_s", "train img/s"), ("infer_img_per_s", "infer img/s"),
               ("latency_ms_p50", "latency ms"), ("params", "params"), ("features", "features")]
    for _, header in columns:
        table.add_column(header, justify="left" if header in ("norm", "style", "status", "features") else "right")
    for row in rows:
        table.add_row(*(_fmt(row.get(key, "")) for key, _ in columns))
    return table
