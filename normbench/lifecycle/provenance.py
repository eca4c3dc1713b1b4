"""A run's manifest: what was run, with what, and the protocol that decides whether two runs compare.

The protocol is everything that changes a quality number besides the seed and
the norm: the profile (budget, sizes, precision, evaluation draws), the feature
weights, the data (names and a digest of the pixels), the metrics and
baselines. ``compare`` refuses runs whose protocols differ.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import asdict, replace

from PIL import Image

from normbench import __version__, data
from normbench.columns import FRONTIER_SUMMARY, RUN_COLUMNS, table_of
from normbench.config import NON_PROTOCOL_FIELDS, RunConfig
from normbench.data import ImageSet
from normbench.errors import UserError
from normbench.imageio import ImageFile
from normbench.lifecycle.evaluation import EVALUATION_SEED
from normbench.metrics.base import MetricRegistry
from normbench.models.vgg import RANDOM_FEATURES_SEED
from normbench.registry import BLEND_ALPHAS
from normbench.runtime import allocator
from normbench.runtime.environment import environment, now
from normbench.runtime.timing import MIN_REPS, WARMUP_REPS, WARMUP_SECONDS
from normbench.store.manifest import SCHEMA_VERSION, Manifest, Protocol


def images_digest(*groups: list[tuple[str, Image.Image | ImageFile]]) -> str:
    """sha256 (first 16 hex digits) of every image's name, size and pixels, in order; of an image left on disk
    (a content folder's training part), its name and size in bytes, so a folder of any size is not read for it."""
    digest = hashlib.sha256()
    for group in groups:
        for name, image in group:
            if isinstance(image, ImageFile):
                digest.update(f"{name}\0{image.identity()}\0".encode())
                continue
            digest.update(f"{name}\0{image.size}\0".encode())
            digest.update(image.tobytes())
    return digest.hexdigest()[:16]


def data_section(images: ImageSet, heldout_styles: bool) -> dict:
    """Which images trained, which were evaluated, and their digest."""
    held_styles = images.heldout_styles if heldout_styles else []
    return {
        "source": images.source,
        "heldout_source": images.heldout_source,
        "train_content": [name for name, _ in images.train],
        "heldout_content": [name for name, _ in images.heldout],
        "styles": [name for name, _ in images.styles],
        "heldout_styles": [name for name, _ in held_styles],
        "digest": images_digest(images.train, images.heldout, images.styles, held_styles),
    }


def version_series(version: str) -> str:
    """``"0.1.3"`` -> ``"0.1"``: the releases whose numbers compare (a patch release changes no number)."""
    return ".".join(version.split(".")[:2])


def protocol(config: RunConfig, data_info: dict, metrics: list[str], baselines: list[str]) -> Protocol:
    """What must match for two runs' quality numbers to be compared or pooled (seeds and norms need not)."""
    profile = {key: value for key, value in asdict(config.profile).items() if key not in NON_PROTOCOL_FIELDS}
    # NOTE: a run without a sweep keeps the protocol it had before sweeps existed, so it still pools with old runs
    if profile["style_weights"]:
        profile["style_weights"] = list(profile["style_weights"])
    else:
        del profile["style_weights"]
    return Protocol(
        schema_version=SCHEMA_VERSION,
        normbench=version_series(__version__),
        profile=profile,
        features=config.features,
        eval_network=config.eval_network,
        # NOTE: what made the numbers, not where the files lie: kind, and sha256 or seed
        networks={name: source.identity() for name, source in config.networks.items()},
        data={
            key: data_info[key] for key in ("train_content", "heldout_content", "styles", "heldout_styles", "digest")
        },
        metrics=sorted(metrics),
        baselines=sorted(baselines),
        stylization="fp32, eager, test-time statistics",
        frontier=(
            {
                "style_weights": list(config.profile.style_weights),
                "baseline_alphas": list(BLEND_ALPHAS),
                **FRONTIER_SUMMARY,
            }
            if config.profile.style_weights
            else None
        ),
    )


def norm_entry(run, spec) -> dict:
    """A trained norm: its plugin and distribution, and the architecture and training settings it ran with (which
    the architecture's plugin declares and the run may change)."""

    def origin(kind: str, name: str) -> dict:
        entry = next((item for item in run.config.plugins.get(kind) or [] if item["name"] == name), {})
        return {key: entry[key] for key in ("distribution", "builtin") if key in entry}

    architecture = {f"architecture_{key}": value for key, value in origin("architectures", spec.architecture).items()}
    return {**run.registry.describe(spec, run.config.profile), **origin("norms", spec.norm.name), **architecture}


def run_manifest(run) -> Manifest:
    """The manifest a run starts with; metric provenance and columns are added once metrics are built."""
    config, profile = run.config, run.config.profile
    data_info = data_section(run.images, run.uses_heldout_styles)
    norms = [norm_entry(run, spec) for spec in run.specs]
    return Manifest(
        schema_version=SCHEMA_VERSION,
        run_id=run.run_dir.path.name,
        status="running",
        started_at=now(),
        command=list(sys.argv),
        normbench=__version__,
        config=config.to_dict(),
        protocol=protocol(
            config, data_info, [spec.name for spec in run.metric_registry], [spec.name for spec in run.baselines]
        ),
        seeds={
            "training": config.seeds,
            "reference": config.reference or config.norms[0],
            "evaluation_seed": EVALUATION_SEED,
            "random_features_seed": RANDOM_FEATURES_SEED,
            "heldout_split_seed": data.SPLIT_SEED,
        },
        features=config.features,
        networks={name: source.to_json() for name, source in config.networks.items()},
        precision=profile.precision,
        data=data_info,
        norms=norms,
        baselines=[
            {
                "name": b.name,
                "plugin": run.baseline_registry.plugin_of(b.name),
                "description": b.description,
                "wins_by_construction": list(b.wins_by_construction),
            }
            for b in run.baselines
        ],
        plugins={key: config.plugins.get(key) for key in ("broken", "broken_plugins", "disabled")},
        evaluation={
            "eval_images": len(run.images.heldout),
            "style_target": f"the style image at the training resolution, {profile.image_size} px",
            "heldout_styles": "evaluated for style_feat norms and baselines"
            if run.uses_heldout_styles
            else "not evaluated: no norm of this run takes arbitrary styles",
            "stylization": "fp32, eager, test-time statistics (quality is measured without speed switches)",
            "seeds": "every norm trains once per training seed; baselines do not train and are measured once; "
            "images and grids show the first seed",
            "timing": f"median of >= {max(MIN_REPS, profile.timing_reps)} reps after >= {WARMUP_REPS} "
            f"warm-up calls lasting >= {WARMUP_SECONDS} s, under the run's switches and precision",
            "allocator": allocator.status(),
        },
        columns=table_of(RUN_COLUMNS),
        cells=[cell.id for cell in run.cells],
        metrics={},
        environment=environment(run.device),
    )


def metric_sections(
    config: RunConfig, registry: MetricRegistry, instances: list, failed: dict[str, str] | None = None
) -> tuple[dict, dict]:
    """``(metrics, columns)`` of ``instances`` (``(spec, metric)`` pairs of ``registry``, as ``config`` loaded its
    plugins): each metric's plugin, columns and
    provenance; every column's declaration. A metric of ``failed`` (``{name: why}``: its factory failed) is recorded
    with its ``error``, its columns declared all the same."""
    origins = {entry["name"]: entry["distribution"] for entry in config.plugins.get("metrics", [])}
    failed = failed or {}
    built = dict(instances)
    metrics, columns = {}, {}
    for spec in registry:
        if spec not in built and spec.name not in failed:
            continue
        metrics[spec.name] = {
            "plugin": registry.plugin_of(spec.name),
            "description": spec.description,
            "columns": [column.name for column in spec.columns],
            **(provenance_of(spec, built[spec]) if spec in built else {"error": failed[spec.name]}),
        }
        if spec.name in origins:
            metrics[spec.name]["distribution"] = origins[spec.name]
        columns.update({column.name: {**column.to_dict(), "metric": spec.name} for column in spec.columns})
    return metrics, {**columns, **table_of(RUN_COLUMNS)}


def provenance_of(spec, metric) -> dict:
    """``metric.provenance()``; a plugin's that raises is recorded as such, not the end of the run."""
    try:
        return metric.provenance()
    except Exception as error:  # NOTE: provenance describes a metric; failing to must not stop it measuring
        return {"provenance_error": f"{type(error).__name__}: {error}"}


def differences(old, new, path: str = "") -> list[str]:
    """Dotted paths where ``new`` differs from ``old``, each with both values: ``profile.steps: 160 -> 80``."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            line
            for key in dict.fromkeys([*old, *new])
            for line in differences(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        ]
    return [] if old == new else [f"{path}: {_short(old)} -> {_short(new)}"]


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def resumed_manifest(stored: Manifest, fresh: Manifest) -> Manifest:
    """The manifest of a resumed run: ``fresh`` (this session's environment and command) keeping the stored run's
    identity and start, with this session added to ``sessions``.

    :raises UserError: when the protocol or the plan of cells differs from the stored run's.
    """
    changed = differences(stored.protocol.to_dict(), fresh.protocol.to_dict())
    if changed:
        raise UserError(
            f"cannot resume {stored.run_id}: its protocol changed, so new cells would not "
            f"compare with the stored ones: {'; '.join(changed[:8])}"
            + (f" (and {len(changed) - 8} more)" if len(changed) > 8 else "")
        )
    if not stored.cells:
        raise UserError(f"cannot resume {stored.run_id}: it was written before runs were stored as cells")
    if stored.cells != fresh.cells:
        raise UserError(
            f"cannot resume {stored.run_id}: it plans other cells than it did "
            f"({', '.join(differences(stored.cells, fresh.cells)[:4]) or 'another order'})"
        )
    earlier = stored.sessions or [
        {key: getattr(stored, key) for key in ("started_at", "finished_at", "status", "wall_seconds", "command")}
    ]
    session = {"started_at": fresh.started_at, "command": fresh.command, "device": fresh.environment["device"]["name"]}
    return replace(
        fresh,
        run_id=stored.run_id or fresh.run_id,
        started_at=stored.started_at,
        sessions=[*earlier, session],
        wall_seconds_before=sum(s.get("wall_seconds") or 0 for s in earlier),
    )
