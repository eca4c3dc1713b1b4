"""FID and KID between stylized patches and a reference set of style-image patches."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from normbench.metrics import functional
from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.metrics.networks import inception_provenance, load_inception
from normbench.results import atomic_write_bytes

KID_SUBSETS = 100


def random_patches(images: torch.Tensor, count: int, size: int, seed: int) -> torch.Tensor:
    """``count`` seeded random ``size x size`` crops, taken from the images in turn."""
    generator = torch.Generator().manual_seed(seed)
    _, _, height, width = images.shape
    tops = torch.randint(height - size + 1, (count,), generator=generator).tolist()
    lefts = torch.randint(width - size + 1, (count,), generator=generator).tolist()
    return torch.stack([images[i % len(images), :, t:t + size, l:l + size] for i, (t, l) in enumerate(zip(tops, lefts))])


class InceptionDistance(Metric):
    """FID and KID of a row's stylized patches against patches of its style image.

    Every row of a run compares the same number of patches (``fid_samples``),
    and the feature size is the largest whose covariance that number can make
    full rank; both are stored as ``fid_n`` and ``fid_dims``. Without enough
    samples for even 64-d features, FID is NaN and only KID is reported.
    """

    name = "fid"
    higher_is_better = False

    def __init__(self, context: MetricContext):
        self.context = context
        self.dims = functional.feature_dims_for(context.fid_samples) or 64
        self.model = load_inception(context.features, self.dims).to(context.device)
        self._reference: dict[str, np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        self._fake: list[np.ndarray] = []
        self._real: np.ndarray | None = None

    @torch.inference_mode()
    def features(self, images: torch.Tensor) -> np.ndarray:
        activations = self.model(images)[0]
        pooled = torch.nn.functional.adaptive_avg_pool2d(activations, 1).flatten(1)
        return pooled.double().cpu().numpy()

    def update(self, sample: StylizedSample) -> None:
        size = sample.stylized.shape[-1] // 2
        self._fake.append(self.features(random_patches(sample.stylized, self.context.fid_samples, size, self.context.seed)))
        self._real = self.reference_features(sample.style, size)

    def reference_features(self, style: torch.Tensor, size: int) -> np.ndarray:
        """Features of the style's patches, computed once per (image, size, N, dims, weights) and kept on disk."""
        key = self._reference_key(style, size)
        if key not in self._reference:
            path = self.context.cache_dir / "fid_reference" / f"{key}.npy"
            if path.is_file():
                self._reference[key] = np.load(path)
            else:
                patches = random_patches(style, self.context.fid_samples, size, seed=0)
                self._reference[key] = self.features(patches)
                atomic_write_bytes(path, _npy_bytes(self._reference[key]))
        return self._reference[key]

    def _reference_key(self, style: torch.Tensor, size: int) -> str:
        pixels = (style.clamp(0, 1) * 255).round().byte().cpu().numpy().tobytes()
        identity = f"{self.context.features}-{self.dims}-{size}-{self.context.fid_samples}".encode()
        return hashlib.sha256(pixels + identity).hexdigest()[:24]

    def compute(self) -> dict[str, float]:
        fake = np.concatenate(self._fake)
        kid_mean, kid_std = functional.kid(fake, self._real, subsets=KID_SUBSETS, subset_size=max(2, len(fake) // 2),
                                           seed=self.context.seed)
        fid, note = float("nan"), f"too few samples ({len(fake)}) for a {self.dims}-d covariance"
        if functional.feature_dims_for(len(fake)) is not None:
            result = functional.frechet_distance(*functional.gaussian_stats(fake), *functional.gaussian_stats(self._real))
            fid, note = (result.value, "") if result.finite else (float("nan"), result.note)
        return {"fid": fid, "fid_n": len(fake), "fid_dims": self.dims, "fid_note": note,
                "kid": kid_mean, "kid_std": kid_std}

    def provenance(self) -> dict:
        return {**inception_provenance(self.context.features, self.dims), "fid_samples": self.context.fid_samples,
                "patches": "random crops of half the evaluation size, from the outputs and from the style image",
                "kid": f"unbiased MMD^2, cubic polynomial kernel, {KID_SUBSETS} subsets of N/2"}


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
