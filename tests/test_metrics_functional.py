"""The metric math against closed forms and against pytorch-fid's reference implementation."""

import warnings

import numpy as np
import pytest

from normbench.metrics import functional as F


def random_cov(rng, dims, scale=1.0):
    a = rng.normal(size=(dims, dims * 2))
    return scale * a @ a.T / dims


def test_fid_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(200, 16))
    mu, sigma = F.gaussian_stats(features)
    result = F.frechet_distance(mu, sigma, mu, sigma)
    assert abs(result.value) < 1e-8 and result.finite


def test_equal_covariances_give_the_squared_mean_distance():
    rng = np.random.default_rng(1)
    sigma = random_cov(rng, 8)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    assert F.frechet_distance(mu1, sigma, mu2, sigma).value == pytest.approx(((mu1 - mu2) ** 2).sum(), abs=1e-8)


@pytest.mark.parametrize("dims", [2, 16, 64])
def test_agrees_with_pytorch_fid_to_1e_6(dims):
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(dims)
    mu1, mu2 = rng.normal(size=dims), rng.normal(size=dims)
    sigma1, sigma2 = random_cov(rng, dims), random_cov(rng, dims, scale=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's sqrtm(disp=...) deprecation inside pytorch-fid
        reference = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    assert F.frechet_distance(mu1, sigma1, mu2, sigma2).value == pytest.approx(reference, abs=1e-6)


def test_a_matrix_that_is_not_a_covariance_is_reported_not_hidden():
    sigma = np.diag([1.0, 2.0, -1.0])
    result = F.frechet_distance(np.zeros(3), sigma, np.zeros(3), np.eye(3))
    assert not result.finite and "positive semi-definite" in result.note


def test_non_finite_statistics_give_nan_and_say_so():
    result = F.frechet_distance(np.array([np.nan]), np.eye(1), np.zeros(1), np.eye(1))
    assert np.isnan(result.value) and not result.finite and result.note


def test_kid_of_identical_sets_is_near_zero_and_of_shifted_sets_positive():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 32))
    same_mean, same_std = F.kid(x, x.copy(), subsets=5, subset_size=400)
    far, _ = F.kid(x, x + 1.0, subsets=5, subset_size=400)
    # NOTE: the unbiased estimator of a set against itself is slightly negative (O(1/N)).
    assert abs(same_mean) < 0.02 * far and same_std >= 0


def test_kid_is_unbiased_for_two_samples_of_one_distribution():
    rng = np.random.default_rng(3)
    estimates = [
        F.kid(rng.normal(size=(40, 8)), rng.normal(size=(40, 8)), subsets=5, subset_size=40)[0] for _ in range(40)
    ]
    assert abs(np.mean(estimates)) < 3 * np.std(estimates) / np.sqrt(len(estimates))


def test_artfid_closed_form():
    assert F.artfid(0.5, 9.0) == pytest.approx(15.0)


def test_feature_dims_follow_the_sample_count():
    assert F.feature_dims_for(40) is None
    assert F.feature_dims_for(65) == 64
    assert F.feature_dims_for(800) == 768
    assert F.feature_dims_for(5000) == 2048
