"""The setup sequence run and bench share, before any work: plugins loaded (minus the disabled ones), norms looked up
in the catalog, the device and output folder checked; then, for a run, every option resolved into a
:class:`~normbench.config.RunConfig`. Bad input raises :class:`~normbench.errors.UserError` naming it."""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import NamedTuple

import torch

from normbench.catalog import Catalog, Placement
from normbench.config import RunConfig, make_profile, resolve_seeds
from normbench.errors import UserError
from normbench.lifecycle.options import RunOptions
from normbench.metrics.base import MetricRegistry
from normbench.plugins import LoadedPlugins, describe, load_plugins, problem_sentence, select_metrics, unique
from normbench.registry import BaselineRegistry
from normbench.runtime.precision import check_precision
from normbench.runtime.switches import parse_settings
from normbench.tracking import TrackerRegistry
from normbench.training.harness import required_feature_nets

#: The device types normbench trains on; ``meta`` has no data and ``mps`` lacks kernels the generators need.
DEVICE_TYPES = ("cpu", "cuda")


class Resolved(NamedTuple):
    """A run's configuration and the registries it was resolved against."""

    config: RunConfig
    catalog: Catalog
    metrics: MetricRegistry
    baselines: BaselineRegistry
    trackers: TrackerRegistry | None = None


def resolve_device(requested: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``, checked against this machine.

    :raises UserError: naming --device for anything else, CUDA without a GPU, or a GPU index past the count.
    """
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(requested)
    except RuntimeError as error:
        raise UserError(f"--device {requested!r} is not a device torch knows ({error})") from None
    if device.type not in DEVICE_TYPES:
        raise UserError(f"--device {requested}: normbench runs on {' or '.join(DEVICE_TYPES)} (or auto)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"--device {requested}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(
                f"--device {requested}: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0"
            )
    return requested


def check_out_dir(folder: Path) -> None:
    """Refuse an --out-dir that is a file or that this process cannot create or write, before any work."""
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out-dir {folder}: is a file, not a folder")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"--out-dir {folder}: {existing} is not writable")


def load_catalog(disabled=()) -> LoadedPlugins:
    """Every plugin but ``disabled``; a broken one is skipped with a warning naming it."""
    loaded = load_plugins(blocked=tuple(disabled))
    for problem in loaded.report.problems():
        warnings.warn(problem_sentence(problem), stacklevel=2)
    return loaded


@contextlib.contextmanager
def naming_broken_plugins(loaded: LoadedPlugins) -> Iterator[None]:
    """An unknown name (a ValueError from a registry) becomes a UserError that also says which plugins failed to
    load: a norm may be missing because its plugin broke."""
    try:
        yield
    except ValueError as error:
        hint = loaded.report.hint()
        raise UserError(f"{error}" + (f" ({hint})" if hint else "")) from None


def resolve_run(options: RunOptions, progress: bool = False) -> Resolved:
    """``options`` resolved into a run config, checking norms, sizes and weights before any work.

    :param progress: show the downloads of missing published weights files on stderr (their total size first, a
        progress bar each); without it they download quietly, announced to the ``normbench`` logger.
    """
    from normbench.weights import METRIC_NETWORKS
    from normbench.weights.fetch import Downloads
    from normbench.weights.imports import IMPORTABLE as EVAL_NETWORKS
    from normbench.weights.sources import resolve_sources, summary

    loaded = load_catalog(options.disable_plugin)
    catalog = loaded.catalog()
    with naming_broken_plugins(loaded):
        metric_registry = select_metrics(loaded.metrics, options.metrics)
        metric_networks = metric_registry.feature_networks(METRIC_NETWORKS)
        # NOTE: aliases and repeats (in,in or bn,batchnorm) name one norm; it is trained once.
        specs = unique(map(catalog.get, options.norms or catalog.names()))
        baselines = unique(map(loaded.baselines.get, options.baselines or loaded.baselines.names()))
    check_names(baselines, catalog)
    device = resolve_device(options.device)
    check_out_dir(options.out_dir)
    speed = parse_settings(options.speed, torch.device(device), numerics=False)
    profile = resolve_profile(options, specs, device)
    try:
        seeds = resolve_seeds(profile, [options.seed] if options.seed is not None else options.seeds, options.num_seeds)
        reference = catalog.get(options.reference).name if options.reference else None
    except ValueError as error:
        raise UserError(str(error)) from None
    if reference is not None and reference not in [spec.name for spec in specs]:
        raise UserError(
            f"--reference {options.reference}: not one of the norms of this run "
            f"({', '.join(spec.name for spec in specs)})"
        )
    config = RunConfig(
        norms=[spec.name for spec in specs],
        profile=profile,
        device=device,
        seeds=seeds,
        reference=reference,
        weights=options.weights,
        eval_network=options.eval_network,
        speed=speed,
        deterministic=options.deterministic,
        styles=options.styles,
        baselines=[b.name for b in baselines],
        content_dir=options.content_dir,
        style_dir=options.style_dir,
        eval_content_dir=options.eval_content_dir,
        eval_style_dir=options.eval_style_dir,
        out_dir=options.out_dir,
    )
    if options.eval_network not in EVAL_NETWORKS:
        raise UserError(f"unknown evaluation network {options.eval_network!r}; available: {', '.join(EVAL_NETWORKS)}")
    training = required_feature_nets(specs)
    downloads = Downloads.for_run(options.offline, progress)
    needed = [*training, options.eval_network, *metric_networks]
    config.networks = resolve_sources(options.weights, needed, downloads)
    evaluation = config.networks[options.eval_network]
    config.networks[options.eval_network] = evaluation_source(evaluation, profile, options.eval_network in training)
    config.features = summary(config.networks)
    config.plugins = describe(
        loaded.norms, metric_registry, loaded.report, loaded.baselines, loaded.architectures, loaded.trackers
    )
    config.metrics = [spec.name for spec in metric_registry]
    config.study_file = options.study_file
    return Resolved(config, catalog, metric_registry, loaded.baselines, loaded.trackers)


def resolve_profile(options: RunOptions, specs: list[Placement], device: str):
    """The budget profile: the named preset (quick on a CPU, standard on CUDA), the study file's fields over it,
    then the options given here."""
    from_file = dict(options.profile_fields)
    flags = {
        "steps": options.steps,
        "image_size": options.image_size,
        "eval_size": options.eval_size,
        "batch_size": options.batch_size,
        "style_weights": tuple(options.style_weights) if options.style_weights is not None else None,
    }
    overrides = {**from_file, **{key: value for key, value in flags.items() if value is not None}}
    overrides["training"] = training_overrides(from_file.get("training", {}), options.lr, specs, options.study_file)
    precision = options.precision or overrides.pop("precision", None)
    overrides.pop("precision", None)
    path = (options.study_file or {}).get("path")
    labels = {key: f"{path}: [profile] {key}" for key in from_file if flags.get(key) is None}
    labels["training"] = f"{path}: [profile.training.{{arch}}]"
    profile = make_profile(
        options.profile or ("standard" if device.startswith("cuda") else "quick"),
        precision=precision,
        labels=labels,
        **overrides,
    )
    check_precision(profile.precision, torch.device(device))
    return profile


def training_overrides(from_file: dict, rates: dict | None, specs, study: dict | None) -> dict:
    """The study file's ``[profile.training.ARCH]`` tables with ``--lr`` over them, for architectures of this run.

    :raises UserError: for an architecture no norm of the run trains in (it would change the protocol for
        nothing), or a rate that is not a positive finite number.
    """
    used = list(dict.fromkeys(spec.architecture for spec in specs))
    training = {arch: dict(values) if isinstance(values, dict) else values for arch, values in from_file.items()}
    for arch, rate in (rates or {}).items():
        if not (rate > 0 and math.isfinite(rate)):
            raise UserError(f"--lr must be a positive finite number, got {rate}")
        for name in used if arch == "*" else [arch]:
            training.setdefault(name, {})["lr"] = rate
    for arch in training:
        if arch not in used:
            where = "--lr" if arch in (rates or {}) else f"{(study or {}).get('path')}: [profile.training.{arch}]"
            raise UserError(
                f"{where}: no norm of this run trains in architecture {arch!r}; this run's "
                f"architectures: {', '.join(used)}"
            )
    # NOTE: a value equal to the architecture's default is dropped, so that the protocol does not depend on whether
    # a default was spelled out (runs that train alike pool alike)
    defaults = {spec.architecture: asdict(spec.arch.training) for spec in specs}
    changed = {
        arch: {key: value for key, value in values.items() if defaults[arch].get(key, object()) != value}
        if isinstance(values, dict)
        else values
        for arch, values in training.items()
    }
    return {arch: values for arch, values in changed.items() if values != {}}


def check_names(baselines, catalog: Catalog) -> None:
    """A baseline's rows are told apart from a norm's by name; refuse a baseline named like a norm."""
    for baseline in baselines:
        for label in (baseline.name, *baseline.aliases):
            try:
                norm = catalog.get(label)
            except ValueError:
                continue
            raise UserError(
                f"baseline {baseline.name!r} has the name of norm {norm.name!r}; "
                f"leave it out with --baselines or disable one of the plugins"
            )


@contextlib.contextmanager
def torch_state(threads: int | None = None, deterministic: bool = False) -> Iterator[int]:
    """torch's thread count matched to this process's CPUs (:func:`~normbench.runtime.threads.match_torch_threads`)
    and, with ``deterministic``, deterministic algorithms, for the duration only: a caller's settings come back
    afterwards, so that calling normbench from a notebook changes nothing around it. Yields the thread count."""
    from normbench.runtime.threads import match_torch_threads

    saved = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )
    try:
        threads = match_torch_threads(threads)
        if deterministic:
            # NOTE: cuBLAS is deterministic only with a fixed workspace, set before its first use.
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            # NOTE: warn_only, because some kernels (reflection padding's CUDA backward) have no deterministic one.
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.deterministic = True
        yield threads
    finally:
        torch.set_num_threads(saved[0])
        torch.use_deterministic_algorithms(saved[1], warn_only=saved[2])
        torch.backends.cudnn.deterministic = saved[3]
        if saved[4] is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def evaluation_source(source, profile, training: bool):
    """The evaluation network's source, saying how a random one is drawn (not the training networks' seed)."""
    from normbench.metrics.features import evaluation_seeds

    if source.trained:
        return source
    seeds = evaluation_seeds("random", profile.eval_draws)
    draws = f"{len(seeds)} evaluation draws, seeds {seeds[0]}-{seeds[-1]}"
    return replace(source, note=f"seed {source.seed} in training; {draws}" if training else draws)
