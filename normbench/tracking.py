"""What tracker plugins register: an experiment tracker (TensorBoard, MLflow, W&B) that is handed a run's
training-log entries and finished rows as the run records them; see ``hookspecs.normbench_register_trackers``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from normbench.registry import Registry, check_names


@dataclass(frozen=True)
class TrackerContext:
    """What a tracker is told when a run (or a resumed session of one) starts.

    :param run_dir: the run's directory; a tracker may write under it (``run_dir / "tensorboard"``).
    :param run_id: the directory's name.
    :param manifest: a copy of the run's manifest as it starts: configuration, protocol, plugins, and
        ``columns`` (every metric column's declaration: ``higher_is_better``, ``axis``, ``label``, ``metric``).
    :param resumed: True when the run was started earlier and this session continues it; cells finished
        by earlier sessions were delivered to the trackers of those sessions and are not delivered again.
    """

    run_dir: Path
    run_id: str
    manifest: dict
    resumed: bool = False

    @property
    def columns(self) -> dict[str, dict]:
        """Every metric column's declaration, by name (the manifest's ``columns``)."""
        return self.manifest.get("columns", {})


class Tracker:
    """Receives one run's records as they are made. Subclass it and override what you need; every method
    defaults to doing nothing. A tracker that raises is reported in the run's ``errors.log`` and dropped for
    the rest of the run; the run itself goes on. The class itself can be the spec's factory: it keeps the
    context as ``self.context``."""

    def __init__(self, context: TrackerContext | None = None):
        self.context = context

    def log_training(self, entries: list[dict]) -> None:
        """One model's training log, once it has finished training and been measured: the rows it adds to
        ``train_log.csv``, in step order. Each entry has ``norm`` (the row name, ``in@msgnet`` for a norm in
        another architecture), ``model`` (its label: ``in/waves`` for a model of one style, the norm's name for
        one that serves every style, then `` seed N`` when the run has several seeds), ``seed``, ``step`` (Adam
        steps so far) and the mean of each loss term since the previous entry (``total``, ``content``, ...)."""

    def log_rows(self, rows: list[dict]) -> None:
        """One cell's finished rows of ``results.csv``, one per style it was measured on: a trained model's or
        a baseline's (``kind`` is ``norm`` or ``baseline``); ``status`` other than ``ok`` comes with ``error``.
        Metric values are under their columns' names (see :attr:`TrackerContext.columns`)."""

    def finish(self, status: str) -> None:
        """The session ended: ``status`` is ``complete``, ``interrupted``, ``terminated`` or ``failed``. Close
        files here; it is called however the session ended."""


@dataclass(frozen=True)
class TrackerSpec:
    """An experiment tracker as a plugin describes it.

    :param name: its name in listings; ``--disable-plugin`` takes the plugin's name, as for any plugin.
    :param factory: ``factory(context: TrackerContext) -> Tracker``, called once per run session, after
        the run is planned and before its first cell.
    :param description: one line shown in listings.
    :param aliases: other names for it.
    """

    name: str
    factory: Callable[[TrackerContext], Tracker]
    description: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_names("tracker", self.name, *self.aliases)
        if not callable(self.factory):
            raise ValueError(f"tracker {self.name!r}: factory must be callable")


class TrackerRegistry(Registry):
    """Every experiment tracker the loaded plugins registered; every one of them follows every run."""

    kind = "tracker"
