"""What a run's cells share, made once per process before any cell: the feature networks and style banks
(:class:`StyleSetup`), the evaluation set and metrics (:class:`EvaluationSetup`), the training crops; together with
the plan, a :class:`~normbench.lifecycle.prepared.PreparedRun`. The process that starts a run prepares it, and so does
every Ray worker, from the same :class:`~normbench.lifecycle.plan.RunPlan`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from normbench import data
from normbench.catalog import Catalog, Placement
from normbench.data import ImageSet
from normbench.lifecycle.evaluation import EVALUATION_SEED, EvaluationSet, Evaluator, build_metrics
from normbench.lifecycle.plan import RunPlan
from normbench.lifecycle.prepared import PreparedRun
from normbench.metrics.base import Metric, MetricContext, MetricRegistry, MetricSpec
from normbench.models.vgg import load_vgg
from normbench.registry import BaselineRegistry
from normbench.runtime.switches import prepare_module
from normbench.store.cells import CellStore
from normbench.training import harness
from normbench.training.harness import StyleBank

#: ``log_error(label, error)``: where a failure's traceback is kept (the run's errors.log).
ErrorLog = Callable[[str, BaseException], None]


@dataclass(frozen=True)
class StyleSetup:
    """What a generator's training and conditioning need: the frozen VGG trunks (``nets``), their prepared copies the
    loss uses (``loss_nets``, channels_last or compiled by the speed switches), each architecture's style bank and the
    ``(S, 3, size, size)`` style targets at the training resolution."""

    nets: dict[str, nn.Module]
    loss_nets: dict[str, nn.Module]
    banks: dict[str, StyleBank]
    targets: torch.Tensor

    def conditioning(self, spec: Placement, style_index: int) -> Callable[[int], torch.Tensor | None]:
        """``conditioning(count)``: what ``spec``'s layers are given beside ``count`` images of one style."""
        bank, device = self.banks[spec.architecture], self.targets.device

        def conditioning(count: int) -> torch.Tensor | None:
            return bank.conditioning(spec.conditioning, torch.full((count,), style_index, device=device))

        return conditioning


@dataclass(frozen=True)
class EvaluationSetup:
    """The held-out content every row is measured on, the metrics (spec and instance) and the evaluator."""

    eval_set: EvaluationSet
    metrics: list[tuple[MetricSpec, Metric]]
    evaluator: Evaluator
    #: ``{metric: why}`` for the metrics whose factory failed (left out; their columns stay empty)
    failed: dict[str, str]


def prepare_styles(plan: RunPlan, specs: list[Placement], style_images: list) -> StyleSetup:
    """The VGG trunks the run's architectures (``specs``) need and each architecture's style bank of
    ``style_images`` (``(name, image)`` in the order of ``plan.style_names``)."""
    config, device = plan.config, plan.device
    nets = {
        name: load_vgg(name, config.networks.get(name, config.features)).to(device)
        for name in harness.required_feature_nets(specs)
    }
    # NOTE: one prepared (channels_last/compiled) loss net per trunk, shared by every model, compiles once.
    loss_nets = {name: prepare_module(copy.deepcopy(net), config.speed) for name, net in nets.items()}
    # NOTE: styles everywhere at the training resolution: the scale at which a model learns a style.
    styles = torch.stack([data.center_square(image, plan.profile.image_size) for _, image in style_images]).to(device)
    banks = {spec.architecture: harness.style_bank(spec.arch, nets, styles) for spec in specs}
    return StyleSetup(nets, loss_nets, banks, styles)


def prepare_evaluation(
    plan: RunPlan, styles: StyleSetup, heldout: list, metric_registry: MetricRegistry, log_error: ErrorLog
) -> EvaluationSetup:
    """The evaluation set (``heldout`` content), the metrics built once, and the evaluator."""
    profile, device = plan.profile, plan.device
    eval_set = EvaluationSet(heldout, profile.eval_size, device)
    # NOTE: the evaluation seed is the run's, not the training seed's: every seed is measured by one instrument.
    context = MetricContext(
        device,
        plan.config.features,
        EVALUATION_SEED,
        profile.fid_samples,
        num_images=len(eval_set),
        batch_size=profile.batch_size,
        eval_draws=profile.eval_draws,
        training_networks=tuple(styles.nets),
        networks=dict(plan.config.networks),
        eval_network=plan.config.eval_network,
    )
    plugins = {spec.name: metric_registry.plugin_of(spec.name) for spec in metric_registry}
    metrics, failed = build_metrics(metric_registry, context, plugins, log_error)
    return EvaluationSetup(eval_set, metrics, Evaluator(metrics, eval_set, log_error, plugins), failed)


def prepare(
    plan: RunPlan,
    catalog: Catalog,
    metric_registry: MetricRegistry,
    baselines: BaselineRegistry,
    images: ImageSet,
    log_error: ErrorLog,
) -> PreparedRun:
    """What ``plan``'s cells share, made in this process from its plugins (``catalog``, ``metric_registry``,
    ``baselines``) and ``images``: feature networks, style banks, the evaluation set, the training crops and the
    metrics, each made once. ``log_error(label, error)`` keeps a failure's traceback."""
    specs = [catalog.get(name) for name in plan.config.norms]
    styles = prepare_styles(plan, specs, plan.style_images(images))
    profile = plan.profile
    crops = data.CropBatches(images.train, profile.image_size, profile.batch_size, plan.config.seeds[0])
    evaluation = prepare_evaluation(plan, styles, images.heldout, metric_registry, log_error)
    return PreparedRun(plan, catalog, baselines, CellStore(plan.path), log_error, styles, crops, evaluation)
