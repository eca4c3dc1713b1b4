"""Closed-form metric math in float64: Gaussian statistics, the Fréchet distance, unbiased KID.

The Fréchet distance avoids ``scipy.linalg.sqrtm`` (whose ``disp`` argument is
deprecated and whose fallback hides trouble): with ``S = sqrt(Σ1)`` from a
symmetric eigendecomposition, ``tr(sqrt(Σ1 Σ2)) = Σ sqrt(eig(S Σ2 S))`` and
``S Σ2 S`` is symmetric positive semi-definite, so only real symmetric
eigenproblems are solved. Negative eigenvalues beyond round-off are reported,
not silently clipped away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Eigenvalues below ``-NEGATIVE_TOLERANCE * largest`` mean the input was not a covariance.
NEGATIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class FrechetResult:
    """The distance and what a reviewer needs to trust it."""

    value: float
    finite: bool
    min_eigenvalue: float  # most negative eigenvalue seen, relative to the largest
    note: str = ""


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of ``(N, D)`` features, in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need (N >= 2, D) features, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    relative_min = float(values.min() / max(values.max(), 1e-300))
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T, relative_min


def frechet_distance(mu1, sigma1, mu2, sigma2) -> FrechetResult:
    """``||mu1 - mu2||^2 + tr(Σ1) + tr(Σ2) - 2 tr(sqrt(Σ1 Σ2))`` between two Gaussians."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu {mu1.shape}/{mu2.shape}, sigma {sigma1.shape}/{sigma2.shape}")
    if not all(np.isfinite(a).all() for a in (mu1, mu2, sigma1, sigma2)):
        return FrechetResult(math.nan, False, math.nan, "non-finite statistics")
    root1, min1 = _psd_sqrt(sigma1)
    product = root1 @ sigma2 @ root1
    values = np.linalg.eigvalsh((product + product.T) / 2)
    min2 = float(values.min() / max(values.max(), 1e-300))
    trace_sqrt = float(np.sqrt(np.clip(values, 0, None)).sum())
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)
    worst = min(min1, min2)
    note = "covariance not positive semi-definite" if worst < -NEGATIVE_TOLERANCE else ""
    return FrechetResult(value, math.isfinite(value) and not note, worst, note)


def kid(
    features_x: np.ndarray, features_y: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD² with ``k(a, b) = (a·b / D + 1)^3``, mean and std over subsets."""
    x, y = np.asarray(features_x, np.float64), np.asarray(features_y, np.float64)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples in each set, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    estimates = [
        _mmd2_unbiased(x[rng.choice(len(x), size, replace=False)], y[rng.choice(len(y), size, replace=False)])
        for _ in range(subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    dims, n = x.shape[1], x.shape[0]
    k_xx = (x @ x.T / dims + 1) ** 3
    k_yy = (y @ y.T / dims + 1) ** 3
    k_xy = (x @ y.T / dims + 1) ** 3
    off_diagonal = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(off_diagonal - 2 * k_xy.mean())


def artfid(lpips_value: float, fid_value: float) -> float:
    """ArtFID (Wright & Ommer 2022): ``(1 + LPIPS) * (1 + FID)``; lower is better."""
    return (1 + lpips_value) * (1 + fid_value)


def feature_dims_for(samples: int, choices=(2048, 768, 192, 64)) -> int | None:
    """The largest Inception feature size whose covariance ``samples`` can make full rank, or None."""
    usable = [dims for dims in choices if samples > dims]
    return max(usable) if usable else None
