"""Stand-in VGG weights files, written by the tests in each layout a user may have: Keras 3, legacy Keras."""

from __future__ import annotations

import h5py
import numpy as np

from normbench.weights import imports


def vgg_convolutions(network: str, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random (kh, kw, in, out) kernels and biases of ``network``'s convolutions, as Keras stores them."""
    rng = np.random.default_rng(seed)
    layout = list(imports.vgg_layout(network).values())
    return [
        (rng.standard_normal((3, 3, shape[1], shape[0]), dtype=np.float32) * 0.05, rng.standard_normal(shape[0:1]))
        for shape in layout[::2]
    ]


def write_keras3(path, convs, pad_names=False):
    """Keras 3's ``.weights.h5``: ``<group>/layers/conv2d[_N]/vars/{0,1}``, plus a 1×1 side output, as in HED.
    ``pad_names`` puts all 13 in one group, where ``conv2d_10`` sorts before ``conv2d_2`` as text."""
    with h5py.File(path, "w") as file:
        for index, (kernel, bias) in enumerate(convs):
            name = f"trunk/layers/conv2d{'' if index == 0 else f'_{index}'}" if pad_names else f"block{index}/conv2d"
            file[f"{name}/vars/0"], file[f"{name}/vars/1"] = kernel, bias
        file["dsn1/vars/0"], file["dsn1/vars/1"] = np.zeros((1, 1, 64, 1), np.float32), np.zeros(1, np.float32)


def write_legacy(path, convs):
    """Keras applications' ``vgg16_weights_tf_dim_ordering_tf_kernels.h5``: ``block1_conv1/block1_conv1_W_1:0``
    (and ``_b_1:0``), with the dense classifier after the convolutions."""
    blocks = [2, 2, 3, 3, 3] if len(convs) == 13 else [2, 2, 4, 4, 4]
    names = [f"block{block}_conv{i}" for block, count in enumerate(blocks, 1) for i in range(1, count + 1)]
    with h5py.File(path, "w") as file:
        for name, (kernel, bias) in zip(names, convs):
            file[f"{name}/{name}_W_1:0"], file[f"{name}/{name}_b_1:0"] = kernel, bias
        file["fc1/fc1_W_1:0"], file["fc1/fc1_b_1:0"] = np.zeros((8, 4), np.float32), np.zeros(4, np.float32)
