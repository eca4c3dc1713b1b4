"""Result columns, each declared once with its direction and the axis of the question it answers.

A metric declares the columns it fills (``Metric.columns``); the run declares
the few it measures itself (speed, size) in :data:`RUN_COLUMNS`. The manifest
stores every declaration of a run, and reports read directions from there, so
a third-party metric's column gets exactly what a built-in one gets.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

#: What a column measures. Reports plot ``style`` against ``content``; a ``style`` or
#: ``composite`` column that a reference baseline wins is flagged as not separating
#: stylization from doing nothing. ``invariance`` columns describe a layer's behaviour
#: (not stylization quality); ``other`` is a ranked measurement that declares none of these;
#: ``info`` columns are bookkeeping with no better direction.
AXES = ("content", "style", "composite", "invariance", "speed", "cost", "other", "info")

#: Axes that claim to measure stylization; a baseline beating every norm on one is flagged.
STYLIZATION_AXES = ("style", "composite")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Column:
    """One results column.

    :param name: the ``results.csv`` column (lower case, ``_``).
    :param higher_is_better: ``True``/``False`` for a measured value; ``None`` for
        bookkeeping (counts, notes, spreads) that is never ranked.
    :param label: the header reports show (default: ``name``).
    :param axis: one of :data:`AXES`.
    :param description: one line for the report's legend and the manifest.
    :param equivalence_margin: the largest difference between two norms, in the column's units, that does not
        matter; reports call two norms ``equal`` on the column only where an equivalence test (TOST) over seeds puts
        their difference inside it. ``None`` (the default): never ``equal``, only ``tied`` when no difference is
        found.
    :param min_samples: for a distribution distance (FID, KID), the sample count its definition needs; on rows
        whose ``samples_column`` holds fewer, reports show the value but leave it out of verdicts and flags ("not a
        distribution test at this size").
    :param samples_column: the column holding each row's sample count; given with ``min_samples``.
    """

    name: str
    higher_is_better: bool | None = False
    label: str = ""
    axis: str = "info"
    description: str = ""
    equivalence_margin: float | None = None
    min_samples: int | None = None
    samples_column: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"invalid column name {self.name!r}: use lower-case letters, digits and '_'")
        if self.axis not in AXES:
            raise ValueError(f"column {self.name!r}: unknown axis {self.axis!r}; available: {', '.join(AXES)}")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        if self.equivalence_margin is not None and not self.equivalence_margin > 0:
            raise ValueError(
                f"column {self.name!r}: equivalence_margin must be a positive number or None; got "
                f"{self.equivalence_margin!r}"
            )
        if (self.min_samples is None) != (self.samples_column is None):
            raise ValueError(f"column {self.name!r}: give min_samples and samples_column together, or neither")

    @property
    def ranked(self) -> bool:
        """Whether reports compare norms on it (it has a better direction)."""
        return self.higher_is_better is not None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Column:
        return cls(**{key: data[key] for key in _FIELDS if key in data})


_FIELDS = (
    "name",
    "higher_is_better",
    "label",
    "axis",
    "description",
    "equivalence_margin",
    "min_samples",
    "samples_column",
)

#: Which row a number belongs to; written first in results.csv.
ID_COLUMNS = ("norm", "kind", "style", "style_split", "seed", "status")
#: Where a row lies on its curve, in a run that sweeps the style weight: the model's factor of its architecture's
#: style weight (NaN for a baseline) and a baseline's blend with the content (1 for every model).
CURVE_COLUMNS = ("style_weight", "alpha")


#: How reports summarise a sweep's curves (:mod:`normbench.report.frontier`), written into its protocol.
FRONTIER_SUMMARY = {
    "summary": "hypervolume of each curve (its means over the training styles per style weight), per seed",
    "space": "x = (content − content-winner's) / (style-winner's − content-winner's), y = (style − style-winner's) "
    "/ (content-winner's − style-winner's) on the first content and style columns that verdicts test, where the "
    "winners are the baselines that win each axis by construction; a norm's curve holds its style weights and, for "
    "norms that take style features, its test-time content-style blends",
    "reference": [1.0, 1.0],
}


def id_columns(sweep: bool) -> tuple[str, ...]:
    """results.csv's first columns: the identity, with the curve columns after the seed in a sweep."""
    return (*ID_COLUMNS[:5], *CURVE_COLUMNS, *ID_COLUMNS[5:]) if sweep else ID_COLUMNS


#: What the run measures itself, outside any metric.
RUN_COLUMNS = (
    Column("train_img_per_s", True, "training (img/s)", "speed", "training throughput, first step included"),
    Column(
        "infer_img_per_s",
        True,
        "inference (img/s)",
        "speed",
        "inference throughput at the batch size under the run's switches and precision (median)",
    ),
    Column(
        "infer_plain_img_per_s",
        True,
        "inference plain (img/s)",
        "speed",
        "the same throughput in fp32, NCHW, eager, timed in the same process",
    ),
    Column("infer_speedup", True, "inference × plain", "speed", "infer_img_per_s / infer_plain_img_per_s"),
    Column("latency_ms_p50", False, "latency (ms)", "speed", "batch-1 inference latency (median)"),
    Column("params", False, "parameters", "cost", "trainable parameters"),
)

#: How the row was made: written after the measured columns.
CONTEXT_COLUMNS = (
    "features",
    "networks",
    "precision",
    "eval_images",
    "params_frozen",
    "architecture",
    "conditioning",
    "train_steps",
    "train_seconds",
    "metrics_seconds",
    "image_size",
    "eval_size",
    "batch_size",
    "infer_batch",
    "infer_img_per_s_q1",
    "infer_img_per_s_q3",
    "timing_load",
    "timing_cpus",
    "peak_mem_mb",
    "device",
    "speed",
    "optimizer",
    "error",
)

#: Columns that time the machine and differ between any two runs; every other column of a row is a function of its
#: seed and the protocol (bit-identical on a CPU with the same threads), which resumed and distributed runs keep.
TIMING_COLUMNS = (
    *(column.name for column in RUN_COLUMNS if column.axis == "speed"),
    "train_seconds",
    "metrics_seconds",
    "infer_img_per_s_q1",
    "infer_img_per_s_q3",
    "timing_load",
    "timing_cpus",
    "peak_mem_mb",
)


def table_of(columns) -> dict[str, dict]:
    """``{name: declaration}`` as stored in a manifest's ``columns`` section."""
    return {column.name: column.to_dict() for column in columns}
