"""Training numerics: part of a run's protocol, never a speed switch.

Precision changes the numbers a run produces (bf16 moved one norm's content
loss by as much as the seed-to-seed spread), so it is a named field of the
profile, chosen by ``--precision``, recorded on every row and compared by
``compare``; it never depends on the machine. Speed switches are what is left:
they change how fast the same numbers are computed.
"""

from __future__ import annotations

import contextlib

import torch

#: ``fp32``: IEEE float32 everywhere (TF32 off on CUDA). ``tf32``: float32 with TF32 matmuls and
#: convolutions (CUDA only). ``bf16``/``fp16``: autocast of the forward pass, loss arithmetic in float32;
#: fp16 gets a gradient scaler and is CUDA only.
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
CUDA_ONLY = ("tf32", "fp16")


def check_precision(precision: str, device: torch.device) -> str:
    """``precision`` if the device can train in it.

    :raises ValueError: naming the valid choices, or the device that cannot.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; available: {', '.join(PRECISIONS)}")
    if precision in CUDA_ONLY and device.type != "cuda":
        raise ValueError(f"precision {precision} needs a CUDA device; on a {device.type} use fp32 or bf16")
    return precision


def autocast_of(precision: str) -> str:
    """The autocast a precision trains under: ``"off"``, ``"bf16"`` or ``"fp16"``."""
    return precision if precision in ("bf16", "fp16") else "off"


def _set_tf32(enabled: bool) -> None:
    mode = "tf32" if enabled else "ieee"
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        torch.backends.cuda.matmul.fp32_precision = mode
        torch.backends.cudnn.conv.fp32_precision = mode
    else:  # NOTE: torch before the fp32_precision API
        torch.backends.cuda.matmul.allow_tf32 = enabled
        torch.backends.cudnn.allow_tf32 = enabled


@contextlib.contextmanager
def precision_phase(precision: str, device: torch.device):
    """TF32 on for ``tf32`` and off otherwise while training on CUDA (torch enables it for cuDNN by default)."""
    if device.type != "cuda":
        yield
        return
    saved = _tf32_state()
    _set_tf32(precision == "tf32")
    try:
        yield
    finally:
        _restore_tf32(saved)


def _tf32_state() -> tuple:
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        return "fp32_precision", torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision
    return "allow_tf32", torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32


def _restore_tf32(state: tuple) -> None:
    api, matmul, conv = state
    if api == "fp32_precision":
        torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision = matmul, conv
    else:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, conv
