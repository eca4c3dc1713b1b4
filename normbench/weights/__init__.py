"""Every pretrained file normbench can use: where it lives, where it comes from, and its hash.

Files follow torch.hub's convention: they live in ``$TORCH_HOME/hub/checkpoints/``
and their name ends in the first hex digits of their sha256, which is what
``check`` and ``download`` verify.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytorch_fid.inception
import torch
import torchvision

from normbench.errors import MissingWeightsError

_HASH_IN_NAME = re.compile(r"-([0-9a-f]{6,64})\.")


@dataclass(frozen=True)
class WeightsFile:
    """One downloadable weights file and what uses it."""

    name: str
    url: str
    used_by: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def hash_prefix(self) -> str:
        return _HASH_IN_NAME.search(self.filename).group(1)

    @property
    def path(self) -> Path:
        return Path(torch.hub.get_dir()) / "checkpoints" / self.filename


WEIGHT_FILES = {
    entry.name: entry
    for entry in (
        WeightsFile("vgg16", torchvision.models.VGG16_Weights.IMAGENET1K_V1.url, "transformer-net training loss"),
        WeightsFile("vgg19", torchvision.models.VGG19_Weights.IMAGENET1K_V1.url, "AdaIN encoder and its loss"),
        WeightsFile(
            "vgg13",
            torchvision.models.VGG13_Weights.IMAGENET1K_V1.url,
            "content and style distances of every row (evaluation only; no training uses it)",
        ),
        WeightsFile("alexnet", torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url, "LPIPS trunk (lpips v0.1)"),
        WeightsFile("inception_fid", pytorch_fid.inception.FID_WEIGHTS_URL, "FID and KID features (pytorch-fid)"),
    )
}

#: Files every run's metrics need, whatever norms it compares (with the evaluation VGG, vgg13 by default).
METRIC_WEIGHTS = ("vgg13", "alexnet", "inception_fid")
#: The metric networks beside the evaluation VGG.
METRIC_NETWORKS = ("alexnet", "inception_fid")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(entry: WeightsFile) -> str:
    """``"ok"``, ``"missing"`` or ``"corrupt (...)"`` for the file on disk."""
    if not entry.path.is_file():
        return "missing"
    actual = sha256(entry.path)
    return (
        "ok"
        if actual.startswith(entry.hash_prefix)
        else f"corrupt (sha256 {actual[:16]}..., expected {entry.hash_prefix}...)"
    )


def require(names: list[str]) -> None:
    """Stop before any work unless every named file is present and intact.

    :raises MissingWeightsError: naming the file, the folder and the URL.
    """
    for name in names:
        entry = WEIGHT_FILES[name]
        status = check(entry)
        if status != "ok":
            raise MissingWeightsError(
                f"pretrained {name} weights {status}: {entry.filename} in {entry.path.parent} (TORCH_HOME); "
                f"get it with `normbench weights download` or from {entry.url}, or pass --weights random"
            )


def download(entry: WeightsFile, progress: bool = True) -> None:
    """Fetch ``entry`` with a progress bar on stderr, to a temporary file beside its place, verify the sha256
    prefix its name carries, then move it in: torch.hub's ``download_url_to_file``, which does exactly this.

    :raises MissingWeightsError: when the hash does not match (nothing is saved).
    """
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(entry.url, str(entry.path), hash_prefix=entry.hash_prefix, progress=progress)
    except RuntimeError as error:  # NOTE: torch.hub's hash check; its temporary file is already removed
        raise MissingWeightsError(f"download of {entry.url}: {error}; nothing was saved") from None
