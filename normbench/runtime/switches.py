"""Speed switches: each one on its own, recorded with every number it produced.

``plain`` (fp32, NCHW, eager, no autotuning, no loader workers) is the baseline
every speed-up is measured against, in the same process. ``fast`` is the set a
device gains from without changing what is computed: channels_last, cudnn
autotuning and loader workers with pinned memory on CUDA; nothing on a CPU,
where none of them pays off. Autocast (``bf16``/``fp16``) changes the numbers,
so a run takes it only as its precision (``normbench.runtime.precision``); ``bench``,
which measures speed alone, also takes it as a mode.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
#: Backends ``compile=`` accepts; aot_eager exercises the compile path without code generation (tests).
COMPILE_BACKENDS = ("inductor", "aot_eager", "eager")
#: Single-switch names ``parse_settings`` takes, besides the presets ``plain`` and ``fast``.
SWITCH_NAMES = ("channels_last", "bf16", "fp16", "compile", "cudnn_benchmark", "workers")


@dataclass(frozen=True)
class SpeedSettings:
    """Which speed switches are on. Every field lands in the results beside the numbers."""

    channels_last: bool = False
    autocast: str = "off"  # "off", "bf16" or "fp16"
    compile: str = "off"  # "off" or a torch.compile backend
    cudnn_benchmark: bool = False
    workers: int = 0  # DataLoader worker processes for training crops
    pin_memory: bool = False

    @property
    def label(self) -> str:
        """``plain`` or the switches joined with ``+``, e.g. ``bf16+channels_last``."""
        parts = [self.autocast] if self.autocast != "off" else []
        parts += ["channels_last"] if self.channels_last else []
        parts += (
            [f"compile={self.compile}" if self.compile != "inductor" else "compile"] if self.compile != "off" else []
        )
        parts += ["cudnn_benchmark"] if self.cudnn_benchmark else []
        parts += [f"workers={self.workers}"] if self.workers else []
        return "+".join(parts) or "plain"

    def to_dict(self) -> dict:
        return {"speed": self.label, **{f"speed_{key}": value for key, value in asdict(self).items()}}


PLAIN = SpeedSettings()


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX), read from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            flags = next((line.split(":", 1)[1].split() for line in stream if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def default_workers() -> int:
    from normbench.runtime.threads import available_cpus

    return min(4, max(1, available_cpus() // 2))


def default_settings(device: torch.device) -> SpeedSettings:
    """The ``fast`` preset for ``device``: the switches that pay off there without compile time or new numerics."""
    if device.type == "cuda":
        return SpeedSettings(channels_last=True, cudnn_benchmark=True, workers=default_workers(), pin_memory=True)
    return PLAIN


def _switch(name: str, value: str | None, device: torch.device, numerics: bool) -> dict:
    if name == "channels_last":
        return {"channels_last": True}
    if name in AUTOCAST_DTYPES:
        if not numerics:
            raise ValueError(
                f"{name} changes the numbers a run produces, so it is part of the protocol, not a "
                f"speed switch: use --precision {name}"
            )
        if name == "fp16" and device.type != "cuda":
            raise ValueError("fp16 autocast needs a CUDA device; use bf16 on a CPU")
        return {"autocast": name}
    if name == "compile":
        backend = value or "inductor"
        if backend not in COMPILE_BACKENDS:
            raise ValueError(f"unknown compile backend {backend!r}; available: {', '.join(COMPILE_BACKENDS)}")
        return {"compile": backend}
    if name == "cudnn_benchmark":
        if device.type != "cuda":
            raise ValueError("cudnn_benchmark has no effect on a CPU; it needs a CUDA device")
        return {"cudnn_benchmark": True}
    if name == "workers":
        count = int(value) if value and value.isdigit() else default_workers()
        return {"workers": count, "pin_memory": device.type == "cuda"}
    raise ValueError(f"unknown speed switch {name!r}; available: plain, fast, {', '.join(SWITCH_NAMES)}")


def parse_settings(text: str, device: torch.device, *, numerics: bool = True) -> SpeedSettings:
    """``plain``, ``fast`` or switches joined with ``+`` (``fast+compile``, ``bf16+channels_last``, ``workers=2``).

    :param numerics: accept autocast switches (``bench``, which measures speed alone);
        a run passes ``False`` and takes them as ``--precision``.
    :raises ValueError: naming an unknown switch, one the device cannot use, or autocast where refused.
    """
    settings = PLAIN
    for token in filter(None, (part.strip() for part in text.split("+"))):
        name, _, value = token.partition("=")
        if name == "plain":
            continue
        if name == "fast":
            settings = replace(
                default_settings(device), **{k: v for k, v in asdict(settings).items() if v != getattr(PLAIN, k)}
            )
            continue
        settings = replace(settings, **_switch(name, value or None, device, numerics))
    return settings


def prepare_module(module: nn.Module, settings: SpeedSettings) -> nn.Module:
    """``module`` in the memory format ``settings`` ask for, compiled if asked; parameters stay shared.

    The memory format is set either way, so a module trained channels_last is
    timed NCHW again for the plain baseline.
    """
    module = original_module(module)
    module.to(memory_format=torch.channels_last if settings.channels_last else torch.contiguous_format)
    if settings.compile != "off":
        # NOTE: on a machine without CUDA, inductor's C++ toolchain lookup logs a warning on every compile.
        logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
        module = torch.compile(module, backend=settings.compile)
    return module


def original_module(module: nn.Module) -> nn.Module:
    """The module a ``torch.compile`` wrapper stands for (``module`` itself when not compiled)."""
    return getattr(module, "_orig_mod", module)


def prepare_input(images: torch.Tensor, settings: SpeedSettings) -> torch.Tensor:
    if settings.channels_last and images.dim() == 4:
        return images.contiguous(memory_format=torch.channels_last)
    return images


def inference_call(model: nn.Module, settings: SpeedSettings, device: torch.device):
    """``call(images, cond)``: ``model`` prepared as ``settings`` ask, run under inference mode and autocast."""
    runnable = prepare_module(model, settings)

    def call(images: torch.Tensor, cond: torch.Tensor | None):
        with torch.inference_mode(), autocast(settings, device):
            return runnable(prepare_input(images, settings), cond)

    return call


def autocast(settings: SpeedSettings, device: torch.device):
    """The autocast context ``settings`` ask for (a disabled one for ``off``)."""
    dtype = AUTOCAST_DTYPES.get(settings.autocast, torch.bfloat16)
    return torch.autocast(device.type, dtype=dtype, enabled=settings.autocast != "off")


@contextlib.contextmanager
def speed_phase(settings: SpeedSettings, deterministic: bool = False):
    """cudnn autotuning on for training and timing only, never under ``--deterministic``."""
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = settings.cudnn_benchmark and not deterministic
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def make_optimizer(params: list[nn.Parameter], lr: float) -> tuple[torch.optim.Optimizer, str]:
    """Adam, fused where the parameters' device has the fused kernel, else multi-tensor (foreach)."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True), "adam-fused"
    except RuntimeError:
        return torch.optim.Adam(params, lr=lr, foreach=True), "adam-foreach"
