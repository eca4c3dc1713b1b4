"""Frozen VGG feature networks for the losses and the AdaIN encoder, pretrained or seeded-random."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torchvision
import torchvision.models.vgg as vgg_models
from torch import nn

from normbench.weights import WEIGHT_FILES, require
from normbench.weights.imports import VGG_CONFIGS
from normbench.weights.sources import RANDOM_SEED, NetworkSource

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: Seed for ``--weights random``: fixed, so random features are the same network in every run.
RANDOM_FEATURES_SEED = RANDOM_SEED


@dataclass(frozen=True)
class VGGSpec:
    """A torchvision VGG cut after the deepest layer normbench taps.

    :param config: torchvision's layer configuration (``torchvision.models.vgg.cfgs``).
    """

    name: str
    config: str
    weights: torchvision.models.WeightsEnum
    depth: int
    taps: dict[str, int]


VGG_SPECS = {
    "vgg16": VGGSpec(
        "vgg16",
        VGG_CONFIGS["vgg16"],
        torchvision.models.VGG16_Weights.IMAGENET1K_V1,
        depth=23,
        taps={"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22},
    ),
    "vgg19": VGGSpec(
        "vgg19",
        VGG_CONFIGS["vgg19"],
        torchvision.models.VGG19_Weights.IMAGENET1K_V1,
        depth=21,
        taps={"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20},
    ),
    # NOTE: the evaluation network: no architecture trains against it, so quality is not measured
    # with the instrument a model was optimised for.
    "vgg13": VGGSpec(
        "vgg13",
        VGG_CONFIGS["vgg13"],
        torchvision.models.VGG13_Weights.IMAGENET1K_V1,
        depth=17,
        taps={"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 16},
    ),
}


def block_relus(name: str) -> dict[str, int]:
    """``relu1_1`` .. ``relu4_1`` of ``name``: the index of the ReLU after each block's first convolution."""
    taps, index, block, first = {}, 0, 1, True
    for entry in vgg_models.cfgs[VGG_SPECS[name].config]:
        if entry == "M":
            index, block, first = index + 1, block + 1, True
            continue
        if first and block <= 4:
            taps[f"relu{block}_1"] = index + 1
        index, first = index + 2, False
    return taps


def retapped(net: VGGFeatures, taps: dict[str, int]) -> VGGFeatures:
    """``net``'s trunk returning ``taps`` instead of its own, cut after the deepest: the same modules, not a copy,
    so one loaded network serves two losses (VGG16's relu*_2 Gram layers and the AdaIN layers relu*_1)."""
    spec = replace(net.spec, taps=taps, depth=max(taps.values()) + 1)
    return VGGFeatures(spec, nn.Sequential(*list(net.trunk)[: spec.depth])).to(net.mean.device)


def weights_path(name: str) -> Path:
    """Where torchvision's weights API caches ``name``'s ImageNet weights (under TORCH_HOME)."""
    return WEIGHT_FILES[name].path


def resolve_features(mode: str, names: list[str]) -> str:
    """Turn ``--weights auto|pretrained|random`` into ``"pretrained"`` or ``"random"``.

    :param names: every weights file the run needs (feature nets and metric nets).
    :raises MissingWeightsError: ``pretrained`` with a file missing or corrupt.
    """
    if mode not in ("auto", "pretrained", "random"):
        raise ValueError(f"unknown weights mode {mode!r}; available: auto, pretrained, random")
    if mode == "random":
        return "random"
    if mode == "pretrained":
        require(names)
        return "pretrained"
    missing = [WEIGHT_FILES[name] for name in names if not WEIGHT_FILES[name].path.is_file()]
    if not missing:
        return "pretrained"
    warnings.warn(
        f"pretrained weights missing ({', '.join(entry.filename for entry in missing)} not in "
        f"{missing[0].path.parent}); using seeded random features: losses and metrics are not comparable "
        "with papers",
        stacklevel=2,
    )
    return "random"


class VGGFeatures(nn.Module):
    """A frozen VGG trunk taking RGB in [0, 1] and returning the tapped activations by name."""

    def __init__(self, spec: VGGSpec, trunk: nn.Sequential):
        super().__init__()
        self.spec = spec
        self.trunk = trunk.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self._names_by_index = {index: name for name, index in spec.taps.items()}

    def train(self, mode: bool = True) -> VGGFeatures:
        # NOTE: the trunk stays in eval mode; it is a fixed measuring instrument.
        return super().train(False)

    def forward(self, image: torch.Tensor, upto: str | None = None) -> dict[str, torch.Tensor]:
        x = (image - self.mean) / self.std
        out: dict[str, torch.Tensor] = {}
        last = self.spec.taps[upto] if upto else len(self.trunk) - 1
        for index, layer in enumerate(self.trunk):
            x = layer(x)
            if index in self._names_by_index:
                out[self._names_by_index[index]] = x
            if index == last:
                break
        return out


def load_vgg(
    name: str, features: str | NetworkSource, seed: int = RANDOM_FEATURES_SEED, taps: dict[str, int] | None = None
) -> VGGFeatures:
    """Build ``name``'s frozen trunk from ``features``: a resolved :class:`NetworkSource`, or ``"pretrained"`` (the
    published file) or ``"random"``.

    :param seed: the draw of a random trunk given as ``"random"`` (a random source carries its own).
    :param taps: the layers to return, by name and index (default: the spec's, those its losses use).
    """
    if isinstance(features, NetworkSource):
        path = features.path if features.trained else None
        seed = features.seed if features.seed is not None else seed
    else:
        path = weights_path(name) if features == "pretrained" else None
    spec = VGG_SPECS[name] if taps is None else replace(VGG_SPECS[name], taps=taps, depth=max(taps.values()) + 1)
    # NOTE: the convolutional part only: drawing the 120M classifier weights that are cut off anyway
    # took most of a second per network. Convs are initialised as torchvision's VGG does.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = vgg_models.make_layers(vgg_models.cfgs[spec.config])
        for module in layers.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
    if path is not None:
        state = torch.load(path, map_location="cpu", weights_only=True)
        layers.load_state_dict(
            {key.removeprefix("features."): value for key, value in state.items() if key.startswith("features.")}
        )
    trunk = nn.Sequential(*list(layers.children())[: spec.depth])
    for module in trunk:
        if isinstance(module, nn.ReLU):
            module.inplace = False  # tapped activations must not be overwritten
    return VGGFeatures(spec, trunk)
