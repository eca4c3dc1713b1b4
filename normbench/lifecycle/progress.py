"""The rich progress display while a run trains, and the summary table when it ends; the one console factory.

Every string normbench hands rich is plain text: a style, file or folder name, a plugin's norm or description, a run
id may hold ``[/x]`` or ``:smile:``, which rich would otherwise read as markup (and raise on) or as an emoji code.
Colour comes from :class:`rich.text.Text` styles, never from markup in a string."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from normbench.numbers import format_interval, format_number


class ProgressDisplay(Protocol):
    """What a run reports its progress to: :class:`RunProgress` (the command's bars), :class:`QuietRunProgress`
    (nothing), or a caller's own."""

    def start_run(self, jobs: int, columns: dict[str, dict] | None = None) -> None: ...

    def resumed(self, kept: int, total: int) -> None: ...

    def model(self, label: str, steps: int) -> contextlib.AbstractContextManager[Callable[[int, dict | None], None]]:
        """A context around one model's training, giving the ``on_step(step, logged)`` to call every step."""
        ...

    def model_done(self, rows: list[dict]) -> None: ...


class QuietRunProgress:
    """The progress of a run that shows none: the Python API's default, and a Ray worker's (its driver prints
    each cell as it arrives)."""

    def start_run(self, jobs: int, columns: dict[str, dict] | None = None) -> None:
        pass

    def resumed(self, kept: int, total: int) -> None:
        pass

    @contextlib.contextmanager
    def model(self, label: str, steps: int):
        yield lambda step, logged: None

    def model_done(self, rows: list[dict]) -> None:
        pass


class TerminalConsole(Console):
    """rich's console, but a closed pipe (``| head``) raises BrokenPipeError for the command line to end on with
    its own exit status, where rich would exit the process with status 1 from inside a write."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output is gone")


def plain_console(stderr: bool = False, **options) -> Console:
    """A console that prints every string as it is (no markup, no emoji codes); 160 columns wide where it is not a
    terminal (logs and CI), so that table columns stay whole. ``options`` go to :class:`rich.console.Console`."""
    console = TerminalConsole(stderr=stderr, markup=False, emoji=False, **options)
    if not console.is_terminal and "width" not in options:
        console.width = 160
    return console


def description_column() -> TextColumn:
    """A progress bar's description, in bold, as plain text (a task is named after styles and norms)."""
    return TextColumn("{task.description}", style="bold", markup=False)


class RunProgress:
    """An overall bar (models done) and a bar for the model training now, with its latest loss."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            description_column(),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}", markup=False),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.overall = None
        self.columns: dict[str, dict] = {}

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def start_run(self, jobs: int, columns: dict[str, dict] | None = None) -> None:
        """``jobs`` baselines and models to go; ``columns`` are the run's declarations (name -> Column dict)."""
        self.overall = self.progress.add_task("models", total=jobs, loss="")
        self.columns = columns or {}

    def resumed(self, kept: int, total: int) -> None:
        """``kept`` of ``total`` cells were finished by an earlier session and are not computed again."""
        if kept:
            self.console.print(Text(f"resuming: {kept} of {total} cells finished earlier are kept"))
            if self.overall is not None:
                self.progress.advance(self.overall, kept)

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
        shown = headline_columns(self.columns)
        for row in rows:
            where = f"{row['norm']}/{row['style']}" + (
                " (held-out style)" if row.get("style_split") == "heldout" else ""
            )
            where += " [baseline]" if row.get("kind") == "baseline" else ""
            if row["status"] != "ok":
                self.console.print(Text(f"{where}: {row['status']} {row['error']}", style="yellow"))
                continue
            figures = [
                f"{self.columns[name]['label']} {format_number(row.get(name, ''))}" for name in shown if name in row
            ]
            if row.get("kind") != "baseline":
                figures.append(f"{format_number(row.get('infer_img_per_s', ''))} img/s")
            self.console.print(Text(f"{where}: " + ", ".join(figures)))


#: Axes the terminal table shows first, in this order; every other metric's columns follow in declaration order.
TABLE_AXES = ("content", "style")
#: Speed columns the terminal table ends with.
TABLE_SPEED = ("train_img_per_s", "infer_img_per_s")


def headline_columns(columns: dict[str, dict]) -> list[str]:
    """Ranked content and style columns, in declaration order: what a finished row's line shows."""
    return [
        name
        for name, column in columns.items()
        if column.get("higher_is_better") is not None and column.get("axis") in ("content", "style")
    ][:4]


def metric_columns(columns: dict[str, dict]) -> list[str]:
    """Every score a metric declared (built-in or a plugin's, of any axis), content and style first, then the others
    in declaration order: what the terminal summary shows beside speed. Columns that rank nothing
    (``higher_is_better`` None: standard deviations, sample counts, notes) are in results.csv and the report."""
    declared = [
        name for name, column in columns.items() if column.get("metric") and column.get("higher_is_better") is not None
    ]
    rank = {axis: index for index, axis in enumerate(TABLE_AXES)}
    return sorted(declared, key=lambda name: rank.get(columns[name].get("axis"), len(rank)))


def _direction(column: dict) -> str:
    return {True: " ↑", False: " ↓"}.get(column.get("higher_is_better"), "")


def summary_tables(entries: list[dict], columns: dict[str, dict], per_table: int = 7) -> list[Table]:
    """:func:`summary_table` over every metric score, ``per_table`` scores a table (speed in the first), so that a
    run with many metrics, a plugin's among them, stays legible in a terminal."""
    scores = metric_columns(columns)
    chunks = [scores[start : start + per_table] for start in range(0, len(scores), per_table)] or [[]]
    speed = [name for name in TABLE_SPEED if name in columns]
    return [
        summary_table(entries, columns, chunk + (speed if index == 0 else [])) for index, chunk in enumerate(chunks)
    ]


def summary_table(entries: list[dict], columns: dict[str, dict], shown: list[str] | None = None) -> Table:
    """One line per norm and then per baseline, training styles first: each column's mean over seeds with its 95%
    interval over seeds where there is one.

    :param entries: the ``summary`` of :func:`normbench.report.summaries.run_summary` (``norm``, ``kind``,
        ``style_split``, ``seeds`` and per column ``{mean, low, high}``): the numbers the report and the API show.
    """
    if shown is None:
        shown = metric_columns(columns) + [name for name in TABLE_SPEED if name in columns]
    table = Table(
        title="normbench summary: mean over seeds [95% interval over seeds] (↓ lower is better, ↑ higher is "
        "better; every row and column is in results.csv and report.html)"
    )
    # NOTE: labels never wrap, so a crowded table folds the score headers instead of cutting a norm's name
    for header in ("norm", "kind", "styles", "seeds"):
        table.add_column(header, justify="left", no_wrap=True)
    for name in shown:
        table.add_column(f"{name}{_direction(columns[name])}", justify="right", overflow="fold")
    order = sorted(entries, key=lambda entry: (entry["style_split"] != "train", entry["kind"] != "norm"))
    for entry in order:
        seeds = entry.get("seeds") if entry["kind"] == "norm" else "-"
        cells = [format_interval(*((entry.get(name) or {}).get(k) for k in ("mean", "low", "high"))) for name in shown]
        head = [entry["norm"], entry["kind"], entry["style_split"], format_number(seeds)]
        table.add_row(*(Text(value) for value in [*head, *cells]))
    return table
