"""The metric networks, pretrained (the files under TORCH_HOME, which the run resolved and fetched before any work)
or seeded-random, with provenance."""

from __future__ import annotations

import warnings
from importlib import metadata
from unittest import mock

import lpips
import pytorch_fid.inception as fid_inception
import torch
import torchvision

from normbench.models.vgg import RANDOM_FEATURES_SEED
from normbench.weights import WEIGHT_FILES, sha256


def weights_provenance(name: str, features: str) -> dict:
    """The weights entry of a metric's provenance: file name and sha256, or ``random``."""
    if features != "pretrained":
        return {"weights": "random", "sha256": None, "random_seed": RANDOM_FEATURES_SEED}
    entry = WEIGHT_FILES[name]
    return {"weights": entry.filename, "sha256": sha256(entry.path)}


def load_lpips(features: str) -> lpips.LPIPS:
    """lpips v0.1 with AlexNet: the authors' linear layers (shipped in the package) on a pretrained or random trunk."""
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(RANDOM_FEATURES_SEED)
        warnings.simplefilter("ignore")  # lpips passes torchvision's deprecated `pretrained=False`
        model = lpips.LPIPS(net="alex", version="0.1", pretrained=True, pnet_rand=True, verbose=False)
    if features == "pretrained":
        alexnet = torchvision.models.alexnet(weights=None)
        alexnet.load_state_dict(torch.load(WEIGHT_FILES["alexnet"].path, map_location="cpu", weights_only=True))
        for block in model.net.children():
            for index, layer in block.named_children():
                layer.load_state_dict(alexnet.features[int(index)].state_dict())
    return model.eval().requires_grad_(False)


def lpips_provenance(features: str) -> dict:
    return {
        "implementation": "lpips",
        "version": metadata.version("lpips"),
        "network": "alexnet, lpips v0.1 linear layers",
        "resize": "none (same-size pairs)",
        "input_range": "[0, 1] scaled once to [-1, 1]",
        **weights_provenance("alexnet", features),
    }


def _random_fid_inception() -> torch.nn.Module:
    """pytorch-fid's FID Inception architecture without its weights download (it has no switch for that)."""
    inception = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None, init_weights=True)
    inception.Mixed_5b = fid_inception.FIDInceptionA(192, pool_features=32)
    inception.Mixed_5c = fid_inception.FIDInceptionA(256, pool_features=64)
    inception.Mixed_5d = fid_inception.FIDInceptionA(288, pool_features=64)
    inception.Mixed_6b = fid_inception.FIDInceptionC(768, channels_7x7=128)
    inception.Mixed_6c = fid_inception.FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6d = fid_inception.FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6e = fid_inception.FIDInceptionC(768, channels_7x7=192)
    inception.Mixed_7b = fid_inception.FIDInceptionE_1(1280)
    inception.Mixed_7c = fid_inception.FIDInceptionE_2(2048)
    return inception


def load_inception(features: str, dims: int) -> fid_inception.InceptionV3:
    """pytorch-fid's InceptionV3 cut at the block giving ``dims`` features (64, 192, 768 or 2048)."""
    block = fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[dims]
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(RANDOM_FEATURES_SEED)
        warnings.simplefilter("ignore")
        if features == "pretrained":
            # NOTE: the file was checked up front, so pytorch-fid loads it from TORCH_HOME without a download.
            model = fid_inception.InceptionV3([block])
        else:
            with mock.patch.object(fid_inception, "fid_inception_v3", _random_fid_inception):
                model = fid_inception.InceptionV3([block])
    return model.eval().requires_grad_(False)


def inception_provenance(features: str, dims: int) -> dict:
    return {
        "implementation": "pytorch-fid InceptionV3 + normbench float64 Fréchet distance",
        "version": metadata.version("pytorch-fid"),
        "network": f"FID Inception v3, {dims}-d features",
        "resize": "bilinear to 299x299 (pytorch-fid resize_input)",
        "input_range": "[0, 1]",
        **weights_provenance("inception_fid", features),
    }
