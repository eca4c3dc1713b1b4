"""Model FLOPs from torch's FLOP counter, and the device peak they are compared with."""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from normbench.runtime.timing import time_calls

#: Dense tensor-core peaks from the vendors' data sheets, TFLOP/s, by a substring of the device name.
#: fp32 convolutions run as TF32 on these GPUs by default (cudnn.allow_tf32), so fp32 maps to TF32.
DATASHEET_TFLOPS = {
    "H200": {"bf16": 989.0, "fp16": 989.0, "fp32": 494.7},
    "H100 PCIe": {"bf16": 756.0, "fp16": 756.0, "fp32": 378.0},
    "H100": {"bf16": 989.0, "fp16": 989.0, "fp32": 494.7},
    "A100": {"bf16": 312.0, "fp16": 312.0, "fp32": 156.0},
}
MATMUL_SIZE = 2048
#: 3x3 convolutions of the shapes the generators and VGG run: (batch, channels, height, width).
CONV_SHAPES = ((8, 128, 64, 64), (2, 64, 256, 256), (4, 256, 64, 64), (4, 512, 32, 32))


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of ``fn`` (matmuls and convolutions, forward and any backward inside it)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def device_peak_tflops(device: torch.device, precision: str) -> tuple[float, str]:
    """``(TFLOP/s, source)``: the data sheet for known GPUs, else a measured dense matmul in ``precision``.

    :param precision: ``fp32``, ``bf16`` or ``fp16``.
    """
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, peaks in DATASHEET_TFLOPS.items():
            if key in name:
                return peaks[precision], f"data sheet ({key}, dense {precision})"
    return measured_peak_tflops(str(device), precision), f"measured best of a dense matmul and 3x3 convs, {precision}"


@functools.cache
def measured_peak_tflops(device: str, precision: str) -> float:
    """The best this device does on a large matmul or a 3x3 convolution of a few shapes: a practical
    ceiling where no data sheet applies (a CPU's BLAS can fall far below its vector units' paper
    peak, so convolutions are tried too). A model can still beat it slightly on a shape not tried."""
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    where = torch.device(device)
    a = torch.randn(MATMUL_SIZE, MATMUL_SIZE, device=where, dtype=dtype)
    rates = [2 * MATMUL_SIZE**3 / _settled_seconds(lambda: a @ a, where)]
    with torch.inference_mode():
        for shape in CONV_SHAPES:
            conv = torch.nn.Conv2d(shape[1], shape[1], 3, padding=1).to(where, dtype)
            x = torch.randn(*shape, device=where, dtype=dtype)
            step = functools.partial(conv, x)
            rates.append(count_flops(step) / _settled_seconds(step, where))
    return max(rates) / 1e12


def _settled_seconds(fn: Callable[[], object], device: torch.device) -> float:
    # NOTE: oneDNN and the clock take a few calls to settle; the peak is the settled speed.
    for _ in range(5):
        fn()
    return time_calls(fn, reps=7, device=device).median_s
