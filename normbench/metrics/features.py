"""Content and style distances, measured with feature networks that no model trained against.

Training uses VGG16 (transformer nets) and VGG19 (AdaIN); evaluation uses VGG13 by
default, a network of the same family trained separately, so no model is judged by the
instrument it was optimised for. ``--eval-network`` picks another VGG (where no trained
VGG13 can be had); if it is a training network too, the provenance and the report say so.
With random features the evaluation network is drawn several times, with seeds
disjoint from the training networks' seed, and every distance is the mean over the draws with its spread beside it.

Both style distances use the same four layers, so neither the transformer
nets' Gram loss nor AdaIN's mean/std loss is favoured, and both are means over
layers of a relative error: 0 is the style's own statistics, about 1 is none of
them (a blank image).
"""

from __future__ import annotations

import numpy as np
import torch

from normbench.columns import Column
from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.metrics.networks import weights_provenance
from normbench.models.vgg import RANDOM_FEATURES_SEED, VGGFeatures, block_relus, load_vgg
from normbench.ops import EPS, channel_mean_std, gram_matrix

EVAL_NETWORK = "vgg13"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
CONTENT_LAYER = "relu4_1"
#: Two norms whose relative feature errors differ by less than this are equal on them (an equivalence test decides):
#: one percent of the reference features' norm. In the quick profile with trained features the sd over seeds of a
#: norm's style distances is 0.02-0.06 (in, bn, none; 2026-12-07), so showing equality within it takes many seeds.
RELATIVE_ERROR_MARGIN = 0.01
#: Random evaluation draws use seeds FIRST_EVAL_SEED, FIRST_EVAL_SEED + 1, ...
FIRST_EVAL_SEED = 2001


def relative_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per image: the mean squared error divided by the target's mean square, ``(N,)`` in float32."""
    value, target = value.float(), target.float().expand_as(value)
    dims = tuple(range(1, value.dim()))
    return (value - target).pow(2).mean(dims) / (target.pow(2).mean(dims) + EPS)


def content_distance(features: dict, content_features: dict, layer: str = CONTENT_LAYER) -> torch.Tensor:
    """Per image: relative error of the output's features against its content image's, at ``layer``."""
    return relative_error(features[layer], content_features[layer])


def gram_distance(features: dict, style_features: dict, layers=STYLE_LAYERS) -> torch.Tensor:
    """Per image: mean over ``layers`` of the relative error between Gram matrices (Johnson et al.'s statistic)."""
    errors = [relative_error(gram_matrix(features[k]), gram_matrix(style_features[k])) for k in layers]
    return torch.stack(errors).mean(0)


def mean_std_distance(features: dict, style_features: dict, layers=STYLE_LAYERS) -> torch.Tensor:
    """Per image: mean over ``layers`` of the relative errors of channel means and stds (Huang & Belongie's)."""
    errors = []
    for k in layers:
        mean, std = channel_mean_std(features[k].float(), 1e-5)
        target_mean, target_std = channel_mean_std(style_features[k].float(), 1e-5)
        errors.append((relative_error(mean, target_mean) + relative_error(std, target_std)) / 2)
    return torch.stack(errors).mean(0)


def evaluation_seeds(features: str, draws: int) -> list[int | None]:
    """The draws to measure with: the one pretrained network, or ``draws`` seeded random ones."""
    if features == "pretrained":
        return [None]
    if draws < 1:
        raise ValueError(f"need at least one evaluation draw, got {draws}")
    seeds = [FIRST_EVAL_SEED + index for index in range(draws)]
    if RANDOM_FEATURES_SEED in seeds:
        raise ValueError(f"evaluation seeds {seeds} include the training networks' seed {RANDOM_FEATURES_SEED}")
    return seeds


_MEASURES = ("content_distance", "style_gram", "style_meanstd")
#: Content features are the same for every row of a run; they are kept while they take less than this.
CONTENT_CACHE_BYTES = 512 * 2**20


class FeatureDistances(Metric):
    """Content distance and two style distances on the evaluation VGG's features (VGG13 unless
    ``--eval-network``), averaged over the evaluation draws."""

    feature_networks = ()  # NOTE: the evaluation VGG, which every run resolves

    columns = (
        Column(
            "content_distance",
            False,
            "content distance",
            "content",
            f"relative feature error against the content image at {CONTENT_LAYER} of the evaluation VGG",
            equivalence_margin=RELATIVE_ERROR_MARGIN,
        ),
        Column(
            "style_gram",
            False,
            "style distance (Gram)",
            "style",
            "relative Gram-matrix error against the style image, mean over relu1_1..relu4_1 of the evaluation VGG",
            equivalence_margin=RELATIVE_ERROR_MARGIN,
        ),
        Column(
            "style_meanstd",
            False,
            "style distance (mean/std)",
            "style",
            "relative error of channel means and stds against the style image, relu1_1..relu4_1 of the evaluation VGG",
            equivalence_margin=RELATIVE_ERROR_MARGIN,
        ),
        Column("content_distance_sd", None, "content distance, sd over draws", "info"),
        Column("style_gram_sd", None, "style distance (Gram), sd over draws", "info"),
        Column("style_meanstd_sd", None, "style distance (mean/std), sd over draws", "info"),
        Column("eval_draws", None, "evaluation networks", "info", "feature networks each distance is averaged over"),
    )

    def __init__(self, context: MetricContext):
        self.network = context.eval_network
        features = context.features_of(self.network)
        self.context, self.source = context, context.networks.get(self.network)
        self.seeds = evaluation_seeds(features, context.eval_draws)
        trained, taps = self.source or "pretrained", block_relus(self.network)  # NOTE: no source: the published file
        self.networks: list[VGGFeatures] = [
            load_vgg(self.network, trained if seed is None else "random", seed or RANDOM_FEATURES_SEED, taps).to(
                context.device
            )
            for seed in self.seeds
        ]
        self._content_cache: dict[tuple, dict] = {}
        self._cached_bytes = 0
        self.reset()

    def reset(self) -> None:
        self._sums = np.zeros((len(self.networks), len(_MEASURES)))
        self._count = 0
        self._style_features: list[dict] | None = None

    @torch.inference_mode()
    def update(self, sample: StylizedSample) -> None:
        if self._style_features is None:  # NOTE: one style per row; its features are computed once
            self._style_features = [net(sample.style) for net in self.networks]
        # NOTE: every row sees the same content chunks; the sum tells a chunk from another image set.
        chunk = (sample.first_index, tuple(sample.content.shape), float(sample.content.double().sum()))
        for index, (net, style_features) in enumerate(zip(self.networks, self._style_features)):
            features, content = net(sample.stylized), self._content_features((index, *chunk), net, sample.content)
            values = (
                content_distance(features, content),
                gram_distance(features, style_features),
                mean_std_distance(features, style_features),
            )
            self._sums[index] += [float(value.double().sum()) for value in values]
        self._count += sample.stylized.shape[0]

    def _content_features(self, key: tuple, net: VGGFeatures, content: torch.Tensor) -> dict:
        """The content's features, computed once per run for each chunk of the evaluation set that fits the cache."""
        if key in self._content_cache:
            return self._content_cache[key]
        features = {CONTENT_LAYER: net(content, upto=CONTENT_LAYER)[CONTENT_LAYER]}
        size = features[CONTENT_LAYER].numel() * features[CONTENT_LAYER].element_size()
        if self._cached_bytes + size <= CONTENT_CACHE_BYTES:
            self._content_cache[key], self._cached_bytes = features, self._cached_bytes + size
        return features

    def compute(self) -> dict[str, float]:
        per_draw = self._sums / self._count if self._count else np.full_like(self._sums, np.nan)
        spread = per_draw.std(axis=0, ddof=1) if len(per_draw) > 1 else np.full(len(_MEASURES), np.nan)
        values = {name: float(per_draw[:, i].mean()) for i, name in enumerate(_MEASURES)}
        return (
            values
            | {f"{name}_sd": float(spread[i]) for i, name in enumerate(_MEASURES)}
            | {"eval_draws": len(self.networks)}
        )

    def independence(self) -> str:
        """Whether a model of this run trained against the instrument: the report's banner quotes it."""
        if self.network not in self.context.training_networks:
            return f"no model of this run trains against {self.network}"
        if self.seeds != [None]:
            return f"{self.network} draws seeded apart from the training network's"
        return (
            f"the instrument is the objective network: {self.network} is also a training loss network of this run, "
            "measured here at relu1_1..relu4_1; its distances favour what training optimised"
        )

    def provenance(self) -> dict:
        draws = [
            (self.source.to_json() if self.source else weights_provenance(self.network, "pretrained"))
            if seed is None
            else {"weights": "random", "sha256": None, "random_seed": seed}
            for seed in self.seeds
        ]
        return {
            "implementation": "normbench.metrics.features",
            "network": f"torchvision {self.network} to relu4_1",
            "independent_of_training": self.independence(),
            "content_layer": CONTENT_LAYER,
            "style_layers": list(STYLE_LAYERS),
            "draws": draws,
            "style_target": "the style image at the training resolution",
            "resize": "none: outputs and content at the eval size",
            "input_range": "[0, 1], ImageNet mean/std",
        }
