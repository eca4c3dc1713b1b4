import torch

from normbench.training import losses


def test_gram_matrix_closed_form():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # N=1, C=2, H=1, W=2
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / (2 * 1 * 2)
    assert torch.allclose(losses.gram_matrix(f), expected)


def test_relative_mse_is_scale_free_and_zero_at_target():
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    assert losses.relative_mse(b, b) == 0
    assert torch.allclose(losses.relative_mse(a * 100, b * 100), losses.relative_mse(a, b))


def test_total_variation_is_zero_for_a_flat_image_and_positive_otherwise():
    assert losses.total_variation(torch.ones(1, 3, 8, 8)) == 0
    assert losses.total_variation(torch.rand(1, 3, 8, 8)) > 0


def test_style_losses_vanish_when_statistics_match():
    features = {"a": torch.rand(2, 4, 6, 6), "b": torch.rand(2, 8, 3, 3)}
    grams = {k: losses.gram_matrix(f) for k, f in features.items()}
    assert losses.gram_style_loss(features, grams) == 0
    from normbench.norms.adaptive import channel_mean_std

    stats = {k: channel_mean_std(f, 1e-5) for k, f in features.items()}
    assert losses.mean_std_style_loss(features, stats) == 0
    shifted = {k: f + 1 for k, f in features.items()}
    assert losses.mean_std_style_loss(shifted, stats) > 0
