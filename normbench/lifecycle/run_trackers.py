"""Handing a run's records to the trackers plugins registered (``normbench_register_trackers``), one broken
tracker never stopping the run or the other trackers."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

from normbench.tracking import Tracker, TrackerContext, TrackerRegistry


class RunTrackers:
    """The trackers following one run session. Every call goes to each tracker in turn; one that raises is
    reported through ``log_error(where, error)`` and dropped, so it is not called again in this session."""

    def __init__(self, registry: TrackerRegistry | None, log_error: Callable[[str, BaseException], None]):
        self.registry = registry if registry is not None else TrackerRegistry()
        self.log_error = log_error
        self.active: dict[str, Tracker] = {}
        self.failed: dict[str, str] = {}  # tracker name -> "where: error", for the manifest

    def describe(self) -> list[dict]:
        """Each registered tracker with its plugin and, where it failed, why: what the manifest records."""
        return [
            {
                "name": spec.name,
                "plugin": self.registry.plugin_of(spec.name),
                **({"error": self.failed[spec.name]} if spec.name in self.failed else {}),
            }
            for spec in self.registry
        ]

    def start(self, context: TrackerContext) -> None:
        """Each tracker's factory, given its own copy of the manifest (a tracker cannot change the run's)."""
        for spec in self.registry:
            mine = TrackerContext(context.run_dir, context.run_id, copy.deepcopy(context.manifest), context.resumed)
            made, tracker = self._call(spec.name, "factory", _made, spec.factory, mine)
            if made:
                self.active[spec.name] = tracker

    def training(self, entries: list[dict]) -> None:
        if entries:
            self._each("log_training", entries)

    def rows(self, rows: list[dict]) -> None:
        if rows:
            self._each("log_rows", rows)

    def finish(self, status: str) -> None:
        """``finish(status)`` on every tracker still active; none is called after this."""
        self._each("finish", status)
        self.active.clear()

    def _each(self, method: str, payload) -> None:
        """``method(payload)`` on every active tracker, each given its own copy (none sees another's changes)."""
        for name, tracker in list(self.active.items()):
            done, _ = self._call(name, method, getattr(tracker, method), copy.deepcopy(payload))
            if not done:
                self.active.pop(name)

    def _call(self, name: str, where: str, function: Callable, *args) -> tuple[bool, Any]:
        """``(True, function(*args))``; or ``(False, None)`` when it raised (not Ctrl-C): logged, and tracker
        ``name`` marked failed."""
        try:
            return True, function(*args)
        except Exception as error:  # NOTE: a tracker observes the run; its failure must not end it
            self.failed[name] = f"{where}: {type(error).__name__}: {error}"
            self.log_error(f"tracker {name} ({where})", error)
            warnings.warn(
                f"tracker {name!r} failed in {where} and is dropped for this run: {type(error).__name__}: "
                f"{error} (traceback in errors.log)",
                stacklevel=2,
            )
            return False, None


def _made(factory: Callable, context: TrackerContext) -> Tracker:
    """``factory(context)``, refused unless it has the three methods a tracker is called with."""
    tracker = factory(context)
    missing = [name for name in ("log_training", "log_rows", "finish") if not callable(getattr(tracker, name, None))]
    if missing:
        raise TypeError(
            f"the factory returned {type(tracker).__name__}, which has no {', '.join(missing)}; "
            "return a normbench.Tracker"
        )
    return tracker
