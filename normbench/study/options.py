"""Every option of a run, as one frozen value that ``normbench run`` (argparse), a study file and the Python API
(keywords) all produce; :mod:`normbench.study.setup` resolves it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass(frozen=True)
class RunOptions:
    """Every option of a run, as ``normbench run`` takes them (``--image-size`` is ``image_size``); None means the
    profile's or the built-in default. ``normbench.run(**options)`` and the command line both resolve these."""

    norms: list[str] | None = None
    profile: str | None = None
    steps: int | None = None
    image_size: int | None = None
    eval_size: int | None = None
    batch_size: int | None = None
    #: One Adam rate for every architecture of the run (``{"*": rate}``), or rates by architecture.
    lr: dict[str, float] | None = None
    device: str = "auto"
    seeds: list[int] | None = None
    num_seeds: int | None = None
    seed: int | None = None
    reference: str | None = None
    precision: str | None = None
    speed: str = "fast"
    deterministic: bool = False
    metrics: list[str] | None = None
    baselines: list[str] | None = None
    styles: list[str] | None = None
    content_dir: Path | None = None
    style_dir: Path | None = None
    eval_content_dir: Path | None = None
    eval_style_dir: Path | None = None
    weights: str = "auto"
    eval_network: str = "vgg13"
    #: Never download a published weights file (``NORMBENCH_OFFLINE=1`` says the same for every run).
    offline: bool = False
    out_dir: Path = Path("reports/runs")
    run_id: str | None = None
    disable_plugin: list[str] = field(default_factory=list)
    executor: str = "local"
    ray_address: str | None = None
    cpus_per_task: int | None = None
    #: A study file's ``[profile]`` fields and its path and sha256 (set by ``--config``).
    profile_fields: dict = field(default_factory=dict)
    study_file: dict | None = None

    @classmethod
    def of(cls, values) -> RunOptions:
        """The options among ``values``' attributes (an ``argparse.Namespace``); others are ignored."""
        return cls(**{f.name: getattr(values, f.name) for f in fields(cls) if hasattr(values, f.name)})

    @classmethod
    def from_keywords(cls, **values) -> RunOptions:
        """``RunOptions`` from Python keywords, where ``lr`` may be one float and paths may be strings.

        :raises ValueError: naming an unknown option and listing the known ones.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown run option {unknown[0]!r}; available: {', '.join(sorted(known))}")
        if isinstance(values.get("lr"), (int, float)):
            values["lr"] = {"*": float(values["lr"])}
        for name in ("content_dir", "style_dir", "eval_content_dir", "eval_style_dir", "out_dir"):
            if isinstance(values.get(name), str):
                values[name] = Path(values[name])
        return cls(**values)
