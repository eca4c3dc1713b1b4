"""Trained generators as files: each model cell keeps its weights in safetensors, which ``score``, ``stylize`` and
``export`` build back into the module that produced the run's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from normbench.registry import NormSpec
from normbench.training import harness

#: safetensors metadata key holding what is needed to rebuild the module (metadata values are strings).
META_KEY = "normbench"


def generator_bytes(model: nn.Module, spec: NormSpec, styles: list[str]) -> bytes:
    """``model``'s state (parameters and buffers, such as BN's running statistics) as safetensors bytes, with the
    norm, its architecture and conditioning and the run's training styles (the order style ids index)."""
    from safetensors.torch import save

    # NOTE: clone() parts tensors that share storage (safetensors refuses shared tensors) and moves them to CPU.
    state = {name: tensor.detach().to("cpu", copy=True).contiguous() for name, tensor in model.state_dict().items()}
    meta = {"norm": spec.name, "architecture": spec.architecture, "conditioning": spec.conditioning, "styles": styles}
    return save(state, metadata={META_KEY: json.dumps(meta)})


def read_generator(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """``(state, meta)`` of a stored generator."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as stored:
        meta = json.loads((stored.metadata() or {}).get(META_KEY, "{}"))
        state = {name: stored.get_tensor(name) for name in stored.keys()}
    return state, meta


def load_generator(path: Path, spec: NormSpec, nets: dict) -> tuple[nn.Module, dict]:
    """The module stored at ``path``, built by ``spec``'s factory and loaded strictly, in eval mode; and its meta.

    :raises ValueError: when the file was written for another norm or its tensors do not fit the module.
    """
    state, meta = read_generator(path)
    if meta.get("norm") != spec.name:
        raise ValueError(f"{path} holds a generator of norm {meta.get('norm')!r}, not {spec.name!r}")
    model = harness.build_generator(spec, len(meta.get("styles", [])), nets)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ValueError(f"{path} does not fit norm {spec.name!r} as this version builds it: {error}") from None
    return model.eval(), meta
