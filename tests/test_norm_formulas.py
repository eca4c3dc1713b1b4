"""The 2017-2022 strategies against closed forms written here independently (numpy, scipy, torch.nn.functional):
efdm, wct, adalin, switchable and thumbnail_in. Each docstring of normbench/norms/ cites the paper's section."""

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F

from normbench.norms.adalin import AdaptiveLayerInstanceNorm2d
from normbench.norms.efdm import ExactFeatureDistributionMatching
from normbench.norms.switchable import SwitchableNorm2d
from normbench.norms.thumbnail import ThumbnailInstanceNorm2d
from normbench.norms.whitening import CovarianceError, WhiteningColouringTransform
from normbench.thumbnail import ThumbnailStatistics


def features(*shape, seed=0, scale=2.0, shift=0.5):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64) * scale + shift


# --- efdm: Zhang et al. 2022, Sort-Matching ----------------------------------------------------------------------


def test_efdm_gives_each_content_rank_the_style_value_of_that_rank():
    content, style = features(2, 3, 6, 5), features(2, 3, 6, 5, seed=1).exp()  # a skewed style distribution
    out = ExactFeatureDistributionMatching(3)(content, style).numpy()
    for n in range(2):
        for c in range(3):
            x, y = content[n, c].numpy().ravel(), style[n, c].numpy().ravel()
            expected = np.empty_like(x)
            expected[np.argsort(x)] = np.sort(y)  # the k-th smallest content value becomes the k-th smallest style
            np.testing.assert_allclose(out[n, c].ravel(), expected, rtol=0, atol=1e-12)


def test_efdm_resamples_the_style_quantiles_when_the_sizes_differ():
    content, style = features(1, 2, 4, 5), features(1, 2, 3, 3, seed=1)
    out = ExactFeatureDistributionMatching(2)(content, style)
    for c in range(2):
        y = np.sort(style[0, c].numpy().ravel())
        expected = np.interp(np.linspace(0, len(y) - 1, 20), np.arange(len(y)), y)  # the quantile function
        np.testing.assert_allclose(np.sort(out[0, c].numpy().ravel()), expected, atol=1e-12)
        assert (np.argsort(out[0, c].numpy().ravel(), kind="stable") == np.argsort(content[0, c].numpy().ravel())).all()


def test_efdm_passes_the_gradient_to_the_content_unchanged():
    content = features(1, 2, 4, 4).requires_grad_(True)
    weights = torch.randn(1, 2, 4, 4, dtype=torch.float64)
    (ExactFeatureDistributionMatching(2)(content, features(1, 2, 4, 4, seed=3)) * weights).sum().backward()
    assert torch.equal(content.grad, weights)


# --- wct: Li et al. 2017, Sec. 3.1 ------------------------------------------------------------------------------


def covariance(x):
    flat = x.reshape(x.shape[0], -1)
    return np.cov(flat)  # unbiased, as the layer


def test_wct_matches_the_closed_form_with_scipy_matrix_square_roots():
    content, style = features(1, 4, 9, 8), features(1, 4, 7, 10, seed=1, scale=3.0, shift=-1.0)
    style[:, 1] += 0.7 * style[:, 0]  # correlated style channels
    x, y = content[0].numpy().reshape(4, -1), style[0].numpy().reshape(4, -1)
    whiten = np.real(scipy.linalg.sqrtm(np.linalg.inv(covariance(x))))
    colour = np.real(scipy.linalg.sqrtm(covariance(y)))
    expected = colour @ whiten @ (x - x.mean(1, keepdims=True)) + y.mean(1, keepdims=True)
    out = WhiteningColouringTransform(4)(content, style)[0].numpy().reshape(4, -1)
    np.testing.assert_allclose(out, expected, atol=1e-9)
    np.testing.assert_allclose(covariance(out), covariance(y), atol=1e-9)  # the style's covariance


def test_wct_of_features_with_themselves_is_the_identity():
    content = features(2, 5, 8, 8)
    np.testing.assert_allclose(WhiteningColouringTransform(5)(content, content).numpy(), content.numpy(), atol=1e-9)


def test_wct_decomposes_in_float64_whatever_the_input(monkeypatch):
    seen = []
    eigh = torch.linalg.eigh
    monkeypatch.setattr(torch.linalg, "eigh", lambda matrix: seen.append(matrix.dtype) or eigh(matrix))
    out = WhiteningColouringTransform(4)(features(1, 4, 6, 6).float(), features(1, 4, 6, 6, seed=1).float())
    assert seen == [torch.float64, torch.float64] and out.dtype == torch.float32


@pytest.mark.parametrize(
    "case",
    ["fewer pixels than channels", "two equal channels", "a flat content"],
)
def test_wct_of_a_singular_covariance_is_finite_and_keeps_the_style_mean(case):
    content, style = features(1, 6, 8, 8), features(1, 6, 8, 8, seed=1)
    if case == "fewer pixels than channels":
        content = features(1, 6, 2, 2)  # 4 pixels: rank at most 3 of 6
    elif case == "two equal channels":
        content[:, 1] = content[:, 0]
    else:
        content = torch.full_like(content, 0.3)
    out = WhiteningColouringTransform(6)(content, style)
    assert torch.isfinite(out).all()
    np.testing.assert_allclose(out.mean(dim=(2, 3)).numpy(), style.mean(dim=(2, 3)).numpy(), atol=1e-9)


def test_wct_of_a_singular_covariance_whitens_on_its_range():
    """Two equal channels: the whitened content spans one direction, and the colouring maps it into the style."""
    content, style = features(1, 3, 8, 8), features(1, 3, 8, 8, seed=1)
    content[:, 1] = content[:, 0]
    out = WhiteningColouringTransform(3)(content, style)[0].numpy().reshape(3, -1)
    assert np.linalg.matrix_rank(out - out.mean(1, keepdims=True), tol=1e-8) == 2  # rank of the content's 2 channels


def test_wct_names_features_that_are_not_finite():
    content = features(1, 3, 4, 4)
    content[0, 0, 0, 0] = float("nan")
    with pytest.raises(CovarianceError, match="content features are not finite"):
        WhiteningColouringTransform(3)(content, features(1, 3, 4, 4, seed=1))
    assert issubclass(CovarianceError, ValueError)


# --- adalin: Kim et al. 2020, the generator's AdaLIN -------------------------------------------------------------


def numpy_mix(x, rho, eps=1e-5):
    """rho * a_I + (1 - rho) * a_L, from the definitions."""
    mu_i, var_i = x.mean(axis=(2, 3), keepdims=True), x.var(axis=(2, 3), keepdims=True)
    mu_l, var_l = x.mean(axis=(1, 2, 3), keepdims=True), x.var(axis=(1, 2, 3), keepdims=True)
    a_i, a_l = (x - mu_i) / np.sqrt(var_i + eps), (x - mu_l) / np.sqrt(var_l + eps)
    rho = np.clip(rho, 0, 1).reshape(1, -1, 1, 1)
    return rho * a_i + (1 - rho) * a_l


def test_adalin_is_the_papers_formula_with_gamma_and_beta_from_the_channel_means():
    layer = AdaptiveLayerInstanceNorm2d(3).double()
    with torch.no_grad():
        layer.rho.copy_(torch.tensor([1.4, 0.25, -0.3]))  # the clip puts these at 1, 0.25 and 0
        layer.affine.weight.copy_(torch.randn(6, 3, dtype=torch.float64))
        layer.affine.bias.copy_(torch.randn(6, dtype=torch.float64))
    x = features(2, 3, 5, 4)
    xn = x.numpy()
    w, b = layer.affine.weight.detach().numpy(), layer.affine.bias.detach().numpy()
    gamma_beta = xn.mean(axis=(2, 3)) @ w.T + b
    gamma, beta = gamma_beta[:, :3, None, None], gamma_beta[:, 3:, None, None]
    expected = gamma * numpy_mix(xn, np.array([1.4, 0.25, -0.3])) + beta
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, atol=1e-10)


def test_adalin_starts_as_lin_with_the_authors_rho():
    layer = AdaptiveLayerInstanceNorm2d(4).double()
    x = features(2, 4, 6, 6)
    rho = layer.rho.detach().numpy()
    np.testing.assert_allclose(rho, 0.9, rtol=1e-6)
    np.testing.assert_allclose(layer(x).detach().numpy(), numpy_mix(x.numpy(), rho), atol=1e-10)


# --- switchable: Luo et al. 2019, Sec. 3 ------------------------------------------------------------------------


def one_hot_switch(layer, kind):
    index = ("in", "ln", "bn").index(kind)
    with torch.no_grad():
        for weights in (layer.mean_weight, layer.var_weight):
            weights.copy_(torch.tensor([60.0 if i == index else 0.0 for i in range(3)]))


@pytest.mark.parametrize(
    ("kind", "reference"),
    [
        ("in", lambda x: F.instance_norm(x, eps=1e-5)),
        ("ln", lambda x: F.layer_norm(x, x.shape[1:], eps=1e-5)),
        ("bn", lambda x: F.batch_norm(x, None, None, training=True, eps=1e-5)),
    ],
)
def test_switchable_with_one_switch_on_is_that_norm(kind, reference):
    layer = SwitchableNorm2d(4).double().train()
    one_hot_switch(layer, kind)
    x = features(3, 4, 5, 6)
    torch.testing.assert_close(layer(x), reference(x), atol=1e-8, rtol=1e-8)


def test_switchable_weighs_means_and_variances_by_their_own_softmax():
    layer = SwitchableNorm2d(2).double().train()
    with torch.no_grad():
        layer.mean_weight.copy_(torch.tensor([0.3, -1.0, 1.2]))
        layer.var_weight.copy_(torch.tensor([-0.5, 0.8, 0.1]))
    x = features(3, 2, 4, 4)
    xn = x.numpy()
    means = [xn.mean(axis=(2, 3), keepdims=True), xn.mean(axis=(1, 2, 3), keepdims=True), xn.mean(axis=(0, 2, 3))]
    variances = [xn.var(axis=(2, 3), keepdims=True), xn.var(axis=(1, 2, 3), keepdims=True), xn.var(axis=(0, 2, 3))]
    means[2], variances[2] = means[2].reshape(1, -1, 1, 1), variances[2].reshape(1, -1, 1, 1)
    wm, wv = scipy.special.softmax([0.3, -1.0, 1.2]), scipy.special.softmax([-0.5, 0.8, 0.1])
    mean = sum(w * m for w, m in zip(wm, means))
    var = sum(w * v for w, v in zip(wv, variances))
    np.testing.assert_allclose(layer(x).detach().numpy(), (xn - mean) / np.sqrt(var + 1e-5), atol=1e-10)


def test_switchable_uses_the_running_batch_statistics_in_eval():
    layer = SwitchableNorm2d(3).double()
    one_hot_switch(layer, "bn")
    layer.running_mean.fill_(2.0)
    layer.running_var.fill_(4.0)
    x = features(2, 3, 4, 4)
    torch.testing.assert_close(layer.eval()(x), (x - 2.0) / np.sqrt(4.0 + 1e-5))


# --- thumbnail_in: Chen et al. 2022, TIN ------------------------------------------------------------------------


def test_thumbnail_in_is_in_outside_a_thumbnail():
    layer = ThumbnailInstanceNorm2d(3).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
        layer.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    x = features(2, 3, 6, 6)
    expected = F.instance_norm(x, weight=layer.weight, bias=layer.bias, eps=1e-5)
    torch.testing.assert_close(layer(x), expected)


def test_thumbnail_in_normalizes_a_patch_with_the_thumbnails_statistics():
    layer = ThumbnailInstanceNorm2d(2).double()
    thumbnail, patch = features(1, 2, 4, 4, seed=1, scale=3.0), features(1, 2, 6, 6)
    statistics = ThumbnailStatistics()
    with statistics.recording():
        layer(thumbnail)
    with statistics.replaying():
        out = layer(patch)
    t = thumbnail.numpy()
    expected = (patch.numpy() - t.mean(axis=(2, 3), keepdims=True)) / np.sqrt(t.var(axis=(2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-12)


def test_patches_with_the_whole_images_statistics_have_no_seams_and_in_patches_do():
    """A pointwise net of two TIN layers: patches replaying the whole image's statistics tile it exactly."""
    image = features(1, 2, 8, 8)
    quarters = [image[..., i : i + 4, j : j + 4] for i in (0, 4) for j in (0, 4)]

    def tile(pieces):
        return torch.cat([torch.cat(pieces[:2], dim=3), torch.cat(pieces[2:], dim=3)], dim=2)

    net = torch.nn.Sequential(ThumbnailInstanceNorm2d(2), torch.nn.Tanh(), ThumbnailInstanceNorm2d(2)).double()
    statistics = ThumbnailStatistics()
    with statistics.recording():
        whole = net(image)
    assert len(statistics) == 2
    with statistics.replaying():
        patched = tile([net(q) for q in quarters])
    torch.testing.assert_close(patched, whole)
    assert (tile([net(q) for q in quarters]) - whole).abs().max() > 0.05  # own statistics per patch: seams
