"""Run profiles and the resolved configuration of one run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from normbench.registry import TrainingSettings
from normbench.runtime.precision import PRECISIONS
from normbench.runtime.switches import PLAIN, SpeedSettings


@dataclass(frozen=True)
class Profile:
    """A training and measuring budget, identical for every norm in a run.

    ``steps`` counts optimizer steps *per style*: a single-style model trains
    ``steps`` steps, a model serving ``S`` styles trains ``steps * S``, so each
    style gets the same number of training images whatever the norm.
    """

    name: str
    image_size: int
    eval_size: int
    steps: int
    batch_size: int
    log_every: int
    timing_reps: int
    # NOTE: learning rates and loss weights are each architecture's (ArchitectureSpec.training); a profile holds only
    # a run's changes to them, {architecture: {field: value}}, so they are part of the protocol.
    training: dict = field(default_factory=dict)
    content_layer: str = "relu2_2"
    # Patches per row (and per reference set) for FID/KID; decides the feature size (functional.feature_dims_for).
    fid_samples: int = 96
    # Training numerics (normbench.runtime.precision): part of the protocol, the same on every machine.
    precision: str = "fp32"
    # Independently seeded evaluation networks with random features (one pretrained network otherwise).
    eval_draws: int = 3
    # Training seeds when none are given: the first ``seeds`` (0, 1, ...). One seed is an anecdote.
    seeds: int = 1
    # Multipliers of each architecture's own style weight, one model per value (a trade-off curve per norm); empty:
    # the architectures' own weights only. A sweep includes 1, the operating point the point verdicts compare.
    style_weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        # NOTE: a study file or a stored manifest gives a list; the profile stays hashable and compares equal
        object.__setattr__(self, "style_weights", tuple(float(weight) for weight in self.style_weights))


MIN_IMAGE_SIZE = 32
#: Largest training or evaluation size: a 4096² batch of 8 already needs tens of GiB of generator activations,
#: and larger squares are bigger than the photographs normbench crops them from.
MAX_IMAGE_SIZE = 4096

PROFILES = {
    "quick": Profile("quick", image_size=64, eval_size=128, steps=160, batch_size=4, log_every=10, timing_reps=5),
    "standard": Profile(
        "standard",
        image_size=256,
        eval_size=256,
        steps=4000,
        batch_size=8,
        log_every=50,
        timing_reps=10,
        fid_samples=1000,
        precision="bf16",
    ),
}
# NOTE: the quick budget with three paired seeds: the smallest study whose paired t-intervals can exclude zero.
PROFILES["study"] = replace(PROFILES["quick"], name="study", seeds=3)
# NOTE: a trade-off curve per norm, three seeds, on a 2-core CPU within 30 minutes for in, bn and none (81 models at
# half quick's steps; measured in docs/protocol.md); a quarter and four times the architectures' style weight span
# content-heavy to style-heavy.
PROFILES["frontier"] = replace(
    PROFILES["study"], name="frontier", steps=80, timing_reps=3, style_weights=(0.25, 1.0, 4.0)
)

#: Profile fields that do not change a quality number, left out of the protocol (runs that differ only in
#: them pool into one analysis: three seeds of ``study`` and seeds 0, 1, 2 run one by one with ``quick``).
NON_PROTOCOL_FIELDS = ("name", "seeds", "log_every", "timing_reps")
MAX_SEED = 2**32 - 1


@dataclass
class RunConfig:
    """Everything that decides what a run computes; stored whole in the manifest."""

    norms: list[str]
    profile: Profile
    device: str
    seeds: list[int] = field(default_factory=lambda: [0])
    reference: str | None = None  # the norm others are tested against (default: the first norm)
    weights: str = "auto"
    eval_network: str = "vgg13"  # the VGG content and style distances are measured with
    styles: list[str] | None = None
    baselines: list[str] = field(default_factory=list)
    content_dir: Path | None = None
    style_dir: Path | None = None
    eval_content_dir: Path | None = None
    eval_style_dir: Path | None = None
    out_dir: Path = Path("reports/runs")
    speed: SpeedSettings = PLAIN
    deterministic: bool = False
    features: str = field(default="unresolved")  # pretrained, random or mixed: the summary of ``networks``
    networks: dict = field(default_factory=dict)  # network -> weights.sources.NetworkSource, resolved from ``weights``
    metrics: list[str] | None = None  # the quality metrics, resolved (None: every registered one)
    study_file: dict | None = None  # {"path", "sha256"} of the --config file the run was resolved from
    plugins: dict = field(default_factory=dict)  # what `normbench plugins --json` shows, for the manifest

    def to_dict(self) -> dict:
        data = asdict(self)
        data["speed"] = self.speed.to_dict()
        data["networks"] = {name: source.to_json() for name, source in self.networks.items()}
        for key in ("content_dir", "style_dir", "eval_content_dir", "eval_style_dir", "out_dir"):
            data[key] = str(data[key]) if data[key] is not None else None
        return data


def resolve_seeds(profile: Profile, seeds: list[int] | None = None, num_seeds: int | None = None) -> list[int]:
    """The training seeds: ``seeds`` as given, else the first ``num_seeds``, else the profile's first ``seeds``.

    :raises ValueError: for a seed outside 0..2**32-1, a repeated seed, or a count below 1.
    """
    if seeds is None:
        count = profile.seeds if num_seeds is None else num_seeds
        if count < 1:
            raise ValueError(f"--num-seeds must be at least 1, got {count}")
        seeds = list(range(count))
    for seed in seeds:
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed {seed} is out of range; seeds are integers from 0 to {MAX_SEED}")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ValueError(f"seed {repeated[0]} is given twice; each seed trains every norm once")
    return list(seeds)


def check_training(overrides: dict, label: str = "training.{arch}") -> dict:
    """``{architecture: {field: value}}`` with every field a :class:`TrainingSettings` field and a valid value.

    :param label: how errors name one architecture's table, with ``{arch}`` in it.
    :raises ValueError: naming the table and the field.
    """
    checked = {}
    for arch, values in overrides.items():
        where = label.format(arch=arch)
        if not isinstance(values, dict):
            raise ValueError(f"{where} must be a table of {', '.join(TrainingSettings.names())}")
        unknown = sorted(set(values) - set(TrainingSettings.names()))
        if unknown:
            raise ValueError(
                f"{where} has unknown field {unknown[0]!r}; available: {', '.join(TrainingSettings.names())}"
            )
        try:
            TrainingSettings(**values)
        except ValueError as error:
            raise ValueError(f"{where} {error}") from None
        checked[arch] = {key: float(value) for key, value in values.items()}
    return checked


def check_style_weights(weights, label: str | None = None) -> tuple[float, ...]:
    """A style-weight sweep, checked: positive finite multipliers, none repeated, 1 among them (the operating point
    that point verdicts, flags and ranks compare), in increasing order; empty means no sweep.

    :raises ValueError: naming ``label`` (default ``--style-weights``) and the value.
    """
    flag = label or "--style-weights"
    values = []
    for weight in weights:
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not (weight > 0 and math.isfinite(weight))
        ):
            raise ValueError(f"{flag} must be positive finite numbers, got {weight!r}")
        values.append(float(weight))
    if len(set(values)) < len(values):
        raise ValueError(f"{flag} repeats a weight: {', '.join(f'{w:g}' for w in values)}")
    if values and 1.0 not in values:
        raise ValueError(
            f"{flag} must include 1, the architectures' own style weight, which the point verdicts compare; "
            f"got {', '.join(f'{w:g}' for w in values)}"
        )
    return tuple(sorted(values))


def make_profile(name: str, precision: str | None = None, labels: dict[str, str] | None = None, **overrides) -> Profile:
    """``PROFILES[name]`` with the given fields replaced (``None`` values are ignored).

    :param labels: how errors name a field (default its flag, ``--image-size``), e.g. a study file's key.
    :raises ValueError: naming the flag of a value out of range, or the valid choices.
    """
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; available: {', '.join(PROFILES)}")
    changes = {key: value for key, value in overrides.items() if value is not None}
    if "style_weights" in changes:
        changes["style_weights"] = check_style_weights(changes["style_weights"], (labels or {}).get("style_weights"))
    if "training" in changes:
        changes["training"] = check_training(changes["training"], (labels or {}).get("training", "training.{arch}"))
    for key, value in changes.items():
        flag = (labels or {}).get(key, f"--{key.replace('_', '-')}")
        if isinstance(value, (str, dict, tuple)):
            continue
        if not (value > 0 and math.isfinite(value)):  # NOTE: also refuses NaN and infinity
            raise ValueError(f"{flag} must be a positive finite number, got {value}")
        # NOTE: the generators halve the size twice and VGG pools three times before relu4_x.
        if key in ("image_size", "eval_size") and (value % 8 or not MIN_IMAGE_SIZE <= value <= MAX_IMAGE_SIZE):
            raise ValueError(
                f"{flag} must be a multiple of 8 from {MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE} (above that, "
                f"activations outgrow memory and the crops outgrow the photos), got {value}"
            )
    if precision is not None:
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; available: {', '.join(PRECISIONS)}")
        changes["precision"] = precision
    return replace(PROFILES[name], **changes)
