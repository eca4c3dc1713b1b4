"""A normbench tracker plugin: every run also writes TensorBoard event files.

- Scalars: each trained model's loss terms against its Adam step (``loss/total``, ``loss/content``, ...), one
  TensorBoard run per model and seed, ``train/<model>/seed<seed>``.
- HParams: each finished row (a norm or baseline on one style, one seed) as one TensorBoard run
  ``rows/<norm>/<style>/seed<seed>``, with the row's identity as hyperparameters and every score its metrics
  declared (those with a ``higher_is_better``) as metrics, so the HParams dashboard sorts and filters rows.
- Text: the run's protocol, features and precision, so that a number seen in TensorBoard keeps its provenance.

Files go to ``<run dir>/tensorboard``, or to ``$NORMBENCH_TENSORBOARD_DIR/<run id>`` when that is set (one
``tensorboard --logdir`` over many runs). View them with ``tensorboard --logdir <run dir>/tensorboard``.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from torch.utils.tensorboard import SummaryWriter

import normbench

#: Where every run's event files go, one folder per run id, instead of the run's own directory.
LOGDIR_ENV = "NORMBENCH_TENSORBOARD_DIR"
#: Training-log fields that are not loss terms.
LOG_IDENTITY = ("norm", "model", "seed", "step")
#: Row fields shown as hyperparameters in the HParams dashboard.
ROW_IDENTITY = ("norm", "kind", "style", "style_split", "seed", "architecture", "conditioning", "precision", "features")


def logdir_for(context: normbench.TrackerContext) -> Path:
    shared = os.environ.get(LOGDIR_ENV)
    return Path(shared) / context.run_id if shared else context.run_dir / "tensorboard"


def run_name(*parts) -> str:
    """A TensorBoard run name (a folder path) from row or model identities; ``/`` separates levels (a model's
    label ``in/waves`` is two)."""
    levels = [level for part in parts for level in str(part).split("/")]
    return "/".join(re.sub(r"[^A-Za-z0-9_.@=-]+", "_", level) or "_" for level in levels)


def seed_label(seed) -> str:
    """``seed3`` for a trained row; ``noseed`` for a baseline (it does not train, its seed is NaN)."""
    return "noseed" if seed is None or (isinstance(seed, float) and math.isnan(seed)) else f"seed{int(seed)}"


def finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class TensorBoardTracker(normbench.Tracker):
    """Writes what a run records as TensorBoard summaries (see the module's docstring)."""

    def __init__(self, context: normbench.TrackerContext):
        super().__init__(context)
        self.logdir = logdir_for(context)
        self.scores = [name for name, column in context.columns.items() if column.get("higher_is_better") is not None]
        self.writers: dict[str, SummaryWriter] = {}
        manifest = context.manifest
        about = {key: manifest.get(key) for key in ("run_id", "normbench", "features", "precision", "protocol")}
        self.writer("run").add_text("normbench/manifest", "```\n" + json.dumps(about, indent=2, default=str) + "\n```")
        self.writer("run").flush()

    def writer(self, name: str) -> SummaryWriter:
        if name not in self.writers:
            self.writers[name] = SummaryWriter(log_dir=str(self.logdir / name))
        return self.writers[name]

    def log_training(self, entries: list[dict]) -> None:
        first = entries[0]
        model = re.sub(r" seed \d+$", "", str(first["model"]))  # NOTE: the seed gets its own level
        writer = self.writer(run_name("train", model, seed_label(first["seed"])))
        for entry in entries:
            for term, value in entry.items():
                if term not in LOG_IDENTITY and finite(value):
                    writer.add_scalar(f"loss/{term}", value, int(entry["step"]))
        writer.flush()

    def log_rows(self, rows: list[dict]) -> None:
        for row in rows:
            if row.get("status") != "ok":
                continue
            hparams = {key: row[key] if finite(row.get(key)) else str(row.get(key, "")) for key in ROW_IDENTITY}
            hparams["seed"] = seed_label(row.get("seed"))
            metrics = {f"score/{name}": float(row[name]) for name in self.scores if finite(row.get(name))}
            # NOTE: add_hparams makes the run folder itself (logdir/run_name); the "rows" writer only anchors it.
            self.writer("rows").add_hparams(
                hparams, metrics, run_name=run_name(row["norm"], row["style"], seed_label(row.get("seed")))
            )

    def finish(self, status: str) -> None:
        self.writer("run").add_text("normbench/status", status)
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()


@normbench.hookimpl
def normbench_register_trackers(registry):
    registry.add(
        normbench.TrackerSpec(
            "tensorboard",
            TensorBoardTracker,
            description="TensorBoard event files: training losses per model, every row's scores (HParams)",
        )
    )
