"""Every option of a run, declared once: a :class:`RunOptions` field carries its flag, help, type and whether a resumed
run may change it. ``normbench run``'s parser, the study-file reader and resuming are generated from or read through
these declarations, and the Python API takes the same names as keywords; :mod:`normbench.lifecycle.setup` resolves them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from normbench.config import PROFILES
from normbench.lifecycle.option_values import csv_list, float_list, learning_rates, run_id, seed_list
from normbench.runtime.precision import PRECISIONS
from normbench.weights.imports import IMPORTABLE

EXECUTORS = ("local", "ray")
RUNS_DIR = Path("reports/runs")


@dataclass(frozen=True)
class Flag:
    """How an option appears on the command line and in a study file's ``[run]`` table.

    :param help: the flag's help text.
    :param type: text to value (argparse's ``type``; a study file's strings go through it too).
    :param metavar: the value's name in the usage line.
    :param choices: the values it takes.
    :param group: options of one group exclude each other (``--seeds``, ``--num-seeds``, ``--seed``).
    :param resumable: whether ``--resume`` takes it: it changes where or how fast cells are computed, never a number.
    :param repeatable: given once per value (``--disable-plugin A --disable-plugin B``).
    """

    help: str
    type: Callable[[str], Any] | None = None
    metavar: str | None = None
    choices: tuple | None = None
    group: str | None = None
    resumable: bool = False
    repeatable: bool = False


def option(default: Any = None, *, factory: Callable[[], Any] | None = None, **flag: Any) -> Any:
    """A :class:`RunOptions` field with its :class:`Flag`; ``factory`` makes a mutable default."""
    metadata = {"flag": Flag(**flag)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RunOptions:
    """Every option of a run, as ``normbench run`` takes them (``--image-size`` is ``image_size``); None means the
    profile's or the built-in default. ``normbench.run(**options)`` and the command line both resolve these."""

    norms: list[str] | None = option(
        type=csv_list,
        metavar="LIST",
        help="comma-separated norms to compare (default: every registered norm, each in its own architecture), e.g. "
        "in,bn; NORM@ARCHITECTURE puts a norm into another generator, e.g. in@msgnet (`normbench plugins` lists "
        "architectures and the conditionings they take)",
    )
    profile: str | None = option(
        choices=tuple(sorted(PROFILES)),
        help="budget preset: quick (default without a GPU), standard (default with one), study (quick with seeds "
        "0,1,2, for conclusions) or frontier (study at 80 steps per style with --style-weights 0.25,1,4: a "
        "trade-off curve per norm; in,bn,none in under 30 minutes on 2 CPU cores)",
    )
    steps: int | None = option(type=int, help="optimizer steps per style (overrides the profile)")
    image_size: int | None = option(type=int, help="training crop size in pixels")
    eval_size: int | None = option(type=int, help="size of the held-out images that are stylized and measured")
    batch_size: int | None = option(type=int, help="training batch size, also the throughput batch")
    #: One Adam rate for every architecture of the run (``{"*": rate}``), or rates by architecture.
    lr: dict[str, float] | None = option(
        type=learning_rates,
        metavar="RATE|ARCH=RATE,...",
        help="Adam learning rate of every architecture in the run, or of the named ones, e.g. adain=3e-5 (default: "
        "each architecture's own: transformer and msgnet 1e-3, adain and adain16 1e-4)",
    )
    style_weights: list[float] | None = option(
        type=float_list,
        metavar="LIST",
        help="a trade-off curve per norm: multipliers of each architecture's own style weight, one model per value, "
        "seed and norm, e.g. 0.25,1,4 (must include 1, the operating point the verdicts compare; default: the "
        "profile's, none but frontier's 0.25,1,4)",
    )
    device: str = option("auto", resumable=True, help="auto (default: cuda when available), cpu, cuda or cuda:N")
    seeds: list[int] | None = option(
        type=seed_list,
        metavar="LIST",
        group="seeds",
        help="training seeds, e.g. 0,1,2 or 0-4: every norm trains once per seed, and seed s gives every norm the same "
        "initialisation, crops and order (default: the profile's, 0 for quick and standard, 0-2 for study)",
    )
    num_seeds: int | None = option(type=int, metavar="N", group="seeds", help="the first N seeds, 0 to N-1")
    seed: int | None = option(type=int, metavar="N", group="seeds", help="one training seed (the same as --seeds N)")
    reference: str | None = option(
        metavar="NORM",
        help="the norm every other norm is tested against in the verdicts (default: the first of --norms); "
        "`normbench report --reference` changes it afterwards",
    )
    precision: str | None = option(
        choices=PRECISIONS,
        help="training numerics, part of the protocol and recorded on every row: fp32, tf32 (CUDA), bf16 or fp16 "
        "(CUDA) (default: the profile's: quick fp32, standard bf16)",
    )
    speed: str = option(
        "fast",
        metavar="SWITCHES",
        resumable=True,
        help="speed switches, which change how fast and never what is computed: fast (default: what pays off on the "
        "device; nothing on a CPU), plain (NCHW, eager), or switches joined by + from channels_last, "
        "compile[=BACKEND], cudnn_benchmark, workers[=N], e.g. fast+compile",
    )
    deterministic: bool = option(False, help="deterministic algorithms where torch has them, and no cudnn autotuning")
    metrics: list[str] | None = option(
        type=csv_list,
        metavar="LIST",
        help="comma-separated quality metrics (default: every registered metric: lpips, fid, ...)",
    )
    baselines: list[str] | None = option(
        type=csv_list,
        metavar="LIST",
        help="reference baselines measured beside the norms (default: every registered one: identity, "
        "color_transfer, style_image)",
    )
    styles: list[str] | None = option(type=csv_list, help="comma-separated training style names (default: all)")
    content_dir: Path | None = option(
        type=Path,
        help="folder of content photos, searched recursively (PNG, JPEG, WebP); a quarter is held out for evaluation "
        "unless --eval-content-dir is given",
    )
    style_dir: Path | None = option(type=Path, help="folder of training style images, searched recursively")
    eval_content_dir: Path | None = option(
        type=Path,
        help="folder of evaluation photos (e.g. COCO val2017), all of them measured; the content (built-in or "
        "--content-dir) then all trains",
    )
    eval_style_dir: Path | None = option(
        type=Path,
        help="folder of held-out styles for norms that take arbitrary styles (default: the built-in held-out styles "
        "ash, ripples, mosaic)",
    )
    weights: str = option(
        "auto",
        metavar="auto|pretrained|random[,NETWORK=SOURCE...]",
        help="where each feature network's weights come from: pretrained (the published files under TORCH_HOME, "
        "downloaded when missing), random (seeded), or auto (the published file where present, else an import, else "
        "the download, else random, with a warning saying why); then NETWORK=SOURCE for one network (vgg16, vgg19, "
        "vgg13, alexnet, inception_fid), SOURCE being pretrained, import (`normbench weights import`), random, auto "
        "or a torchvision-layout file: vgg16=import,vgg13=random",
    )
    #: Never download a published weights file (``NORMBENCH_OFFLINE=1`` says the same for every run).
    offline: bool = option(
        False,
        help="never download a weights file: auto takes what this machine has, pretrained exits 4 for a missing file "
        "(NORMBENCH_OFFLINE=1 does the same for every run)",
    )
    eval_network: str = option(
        "vgg13",
        choices=IMPORTABLE,
        help="the VGG that measures content and style distances, at relu1_1-relu4_1 (default vgg13, which no "
        "architecture trains against); its weights follow --weights like any other network's",
    )
    out_dir: Path = option(RUNS_DIR, type=Path, help="where run directories go")
    run_id: str | None = option(
        type=run_id, help="name of the run directory, one path component (default: time stamp and norms)"
    )
    disable_plugin: list[str] = option(
        factory=list,
        metavar="NAME",
        repeatable=True,
        resumable=True,
        help="leave this plugin out (repeatable; NORMBENCH_DISABLE_PLUGINS works too): the entry-point name of a "
        "third-party plugin, the module of a built-in one (`normbench plugins` lists both)",
    )
    executor: str = option(
        "local",
        choices=EXECUTORS,
        resumable=True,
        help="where cells are computed: local (default: one after another in this process) or ray (Ray workers on "
        'this machine or a cluster; pip install "normbench[ray]")',
    )
    ray_address: str | None = option(
        metavar="ADDRESS",
        resumable=True,
        help="a running Ray cluster (e.g. ray://head:10001; default: start Ray on this machine); the run directory "
        "must be on a file system every node sees",
    )
    cpus_per_task: int | None = option(
        type=int,
        metavar="N",
        resumable=True,
        help="with --executor ray on CPUs: CPUs and torch threads per worker (default: every CPU this process may "
        "use, so one cell at a time with the threads of the local executor)",
    )
    #: A study file's ``[profile]`` fields and its path and sha256 (set by ``--config``); no flag.
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

    @classmethod
    def from_stored(cls, config: dict, run_dir: Path, **changes: Any) -> RunOptions:
        """The options a stored run's configuration (its manifest's ``config``) was made with, to plan it again in
        ``run_dir``; ``changes`` are options a resumed run may change (:func:`flags`, ``resumable``) and ``metrics``.
        The profile is named; :func:`normbench.reuse.reopen.reopen` puts back every field as stored."""

        def path(key: str) -> Path | None:
            return Path(config[key]) if config.get(key) else None

        return cls(
            content_dir=path("content_dir"),
            style_dir=path("style_dir"),
            eval_content_dir=path("eval_content_dir"),
            eval_style_dir=path("eval_style_dir"),
            norms=config["norms"],
            profile=config["profile"]["name"],
            precision=config["profile"]["precision"],
            seeds=config["seeds"],
            reference=config["reference"],
            metrics=changes.pop("metrics", None) or config.get("metrics"),
            baselines=config["baselines"] or None,
            styles=config["styles"],
            weights=config["weights"],
            eval_network=config.get("eval_network", "vgg13"),
            deterministic=config["deterministic"],
            out_dir=run_dir.parent,
            **changes,
        )


def flags() -> Iterator[tuple[Field, Flag]]:
    """Every option that has a flag, with its declaration, in the order ``normbench run --help`` lists them."""
    for item in fields(RunOptions):
        if "flag" in item.metadata:
            yield item, item.metadata["flag"]


def flag_name(item: Field) -> str:
    return "--" + item.name.replace("_", "-")


def default_of(item: Field) -> Any:
    factory: Any = item.default_factory
    return item.default if factory is MISSING else factory()


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """``normbench run``'s option flags, generated from :class:`RunOptions`."""
    groups: dict[str, Any] = {}
    for item, flag in flags():
        target = parser
        if flag.group is not None:
            if flag.group not in groups:
                groups[flag.group] = parser.add_mutually_exclusive_group()
            target = groups[flag.group]
        if isinstance(default_of(item), bool):
            target.add_argument(flag_name(item), action="store_true", help=flag.help)
            continue
        kwargs = {"default": default_of(item), "help": flag.help, "metavar": flag.metavar}
        if flag.repeatable:
            kwargs["action"] = "append"
        if flag.type is not None:
            kwargs["type"] = flag.type
        if flag.choices is not None:
            kwargs["choices"] = flag.choices
        target.add_argument(flag_name(item), **kwargs)
