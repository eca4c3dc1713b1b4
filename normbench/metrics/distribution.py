"""FID and KID between stylized patches and a reference set of style-image patches."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from normbench.columns import Column
from normbench.fileio import atomic_write_bytes
from normbench.metrics import functional
from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.metrics.networks import inception_provenance, load_inception

KID_SUBSETS = 100
#: Samples a distribution distance needs before reports test it: the 2048 pool features of the Inception FID and KID
#: are defined on (Heusel et al. 2017; Bińkowski et al. 2018), the fewest that make their covariance full rank.
DISTRIBUTION_MIN_SAMPLES = 2048


def random_patches(images: torch.Tensor, count: int, size: int, seed: int) -> torch.Tensor:
    """``count`` seeded random ``size x size`` crops, taken from the images in turn."""
    generator = torch.Generator().manual_seed(seed)
    _, _, height, width = images.shape
    tops = torch.randint(height - size + 1, (count,), generator=generator).tolist()
    lefts = torch.randint(width - size + 1, (count,), generator=generator).tolist()
    return torch.stack(
        [
            images[i % len(images), :, top : top + size, left : left + size]
            for i, (top, left) in enumerate(zip(tops, lefts))
        ]
    )


#: Patches per Inception forward pass: bounds the metric's memory whatever fid_samples and the chunking are.
FEATURE_BATCH = 32


class InceptionDistance(Metric):
    """FID and KID of a row's stylized patches against patches of its style image.

    Every row of a run compares the same number of patches (``fid_samples``),
    spread evenly over its evaluation images, at half the training resolution
    from both sides, so the output's texture is compared at the scale the model
    learned it. The feature size is the largest whose covariance that number
    can make full rank; without enough samples for even 64-d features, FID is
    NaN and only KID (unbiased at any N) is reported. ``fid_note`` says on what.
    """

    feature_networks = ("inception_fid",)

    columns = (
        Column(
            "fid",
            False,
            "FID",
            "style",
            "Fréchet distance of stylized patches to style-image patches",
            min_samples=DISTRIBUTION_MIN_SAMPLES,
            samples_column="fid_n",
        ),
        Column(
            "kid",
            False,
            "KID",
            "style",
            "kernel (MMD^2) distance of stylized patches to style-image patches",
            min_samples=DISTRIBUTION_MIN_SAMPLES,
            samples_column="fid_n",
        ),
        Column("kid_std", None, "KID std over subsets", "info"),
        Column("fid_n", None, "FID/KID samples", "info"),
        Column("fid_dims", None, "Inception feature size", "info"),
        Column("fid_note", None, "FID note", "info", "what FID and KID were computed on, or why FID is missing"),
    )

    def __init__(self, context: MetricContext):
        self.context = context
        self.dims = functional.feature_dims_for(context.fid_samples) or 64
        self.features_kind = context.features_of("inception_fid")
        self.model = load_inception(self.features_kind, self.dims).to(context.device)
        self._reference: dict[str, np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        self._fake: list[np.ndarray] = []
        self._count, self._images = 0, 0
        self._real: np.ndarray | None = None
        self._size = 0

    @torch.inference_mode()
    def features(self, images: torch.Tensor) -> np.ndarray:
        """Pooled Inception features, FEATURE_BATCH patches at a time: Inception resizes every patch to 299²,
        so 96 patches at once held 1.4 GB of activations, more than the rest of a quick run."""
        pooled = [
            torch.nn.functional.adaptive_avg_pool2d(self.model(batch)[0], 1).flatten(1)
            for batch in images.split(FEATURE_BATCH)
        ]
        return torch.cat(pooled).double().cpu().numpy()

    def update(self, sample: StylizedSample) -> None:
        self._size = max(8, min(sample.style.shape[-1], sample.stylized.shape[-1]) // 2)
        if self._real is None:
            self._real = self.reference_features(sample.style, self._size)
        patches = []
        for offset, image in enumerate(sample.stylized):
            index = sample.first_index + offset
            count = self.patches_for(index)
            if count <= 0:
                continue
            # NOTE: seeded by the image's place in the set, so chunking changes no patch
            patches.append(random_patches(image[None], count, self._size, self.context.seed * 1_000_003 + index))
            self._count += count
            self._images += 1
        if patches:
            self._fake.append(self.features(torch.cat(patches)))

    def patches_for(self, index: int) -> int:
        """Patches from evaluation image ``index``: ``fid_samples`` in all, spread as evenly as whole numbers allow."""
        total, images = self.context.fid_samples, max(1, self.context.num_images)
        if index >= images:  # NOTE: a set larger than declared adds nothing beyond fid_samples
            return 0
        return (index + 1) * total // images - index * total // images

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
        shape = "x".join(map(str, style.shape))
        identity = f"{self.features_kind}-{self.dims}-{size}-{self.context.fid_samples}-{shape}".encode()
        return hashlib.sha256(pixels + identity).hexdigest()[:24]

    def compute(self) -> dict[str, float]:
        fake = np.concatenate(self._fake)
        kid_mean, kid_std = functional.kid(
            fake, self._real, subsets=KID_SUBSETS, subset_size=max(2, len(fake) // 2), seed=self.context.seed
        )
        on_what = (
            f"{len(fake)} patches ({self._size} px) of {self._images} outputs against {len(self._real)} "
            f"patches of the style image; {self.dims}-d {self.features_kind} Inception features"
        )
        fid, note = (
            float("nan"),
            f"no FID: too few samples ({len(fake)}) for a {self.dims}-d covariance; KID on {on_what}",
        )
        if functional.feature_dims_for(len(fake)) is not None:
            result = functional.frechet_distance(
                *functional.gaussian_stats(fake), *functional.gaussian_stats(self._real)
            )
            fid, note = (result.value, on_what) if result.finite else (float("nan"), f"{result.note}; {on_what}")
        return {
            "fid": fid,
            "fid_n": len(fake),
            "fid_dims": self.dims,
            "fid_note": note,
            "kid": kid_mean,
            "kid_std": kid_std,
        }

    def provenance(self) -> dict:
        return {
            **inception_provenance(self.features_kind, self.dims),
            "fid_samples": self.context.fid_samples,
            "patches": "random crops of half the training resolution, spread evenly over the evaluation "
            "outputs, and from the style image at the training resolution",
            "kid": f"unbiased MMD^2, cubic polynomial kernel, {KID_SUBSETS} subsets of N/2",
        }


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
