"""The CoMatch layer against closed forms: a hand-computed product, Gram-weighted mixing at W = I, the Gram
normalisation, and gradients that reach W."""

from __future__ import annotations

import pytest
import torch

from normbench.norms.comatch import CoMatch, comatch, gram_matrix


def test_the_output_for_a_known_w_and_gram_is_the_hand_computed_product():
    content = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 1, 2)  # Phi(F) = [[1, 2], [3, 4]]
    weight = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    gram = torch.tensor([[[2.0, 1.0], [1.0, 3.0]]])
    # NOTE: W G = [[2, 1], [2, 6]]; (W G)^T Phi(F) = [[2, 2], [1, 6]] @ [[1, 2], [3, 4]] = [[8, 12], [19, 26]]
    expected = torch.tensor([[8.0, 12.0], [19.0, 26.0]]).reshape(1, 2, 1, 2)
    assert torch.equal(comatch(content, gram, weight), expected)


def test_it_is_the_papers_formula():
    """Y = Phi^-1[Phi(F)^T W G]^T, written as the paper writes it, for random tensors."""
    generator = torch.Generator().manual_seed(0)
    content = torch.randn(3, 5, 4, 6, generator=generator, dtype=torch.float64)
    gram = torch.randn(3, 5, 5, generator=generator, dtype=torch.float64)
    weight = torch.randn(5, 5, generator=generator, dtype=torch.float64)
    for n in range(3):
        phi = content[n].reshape(5, -1)
        paper = (phi.T @ weight @ gram[n]).T.reshape(5, 4, 6)
        torch.testing.assert_close(comatch(content, gram, weight)[n], paper)


def test_with_w_the_identity_it_mixes_channels_by_the_style_gram():
    generator = torch.Generator().manual_seed(1)
    content = torch.randn(2, 4, 3, 3, generator=generator, dtype=torch.float64)
    style = torch.randn(2, 4, 5, 7, generator=generator, dtype=torch.float64)
    gram = gram_matrix(style)
    mixed = torch.einsum("nck,nkhw->nchw", gram, content)  # output channel c = sum_k G[c, k] F[k]
    torch.testing.assert_close(comatch(content, gram, torch.eye(4, dtype=torch.float64)), mixed)


def test_the_gram_matrix_is_normalised_by_channels_and_pixels():
    features = torch.arange(12.0).reshape(1, 2, 2, 3)
    flat = features.reshape(2, 6)
    assert torch.equal(gram_matrix(features)[0], flat @ flat.T / 12)


def test_gradients_reach_w_as_the_closed_form_says():
    """d sum(Y) / dW[k, j] = sum_c sum_p F[k, p] G[j, c]."""
    generator = torch.Generator().manual_seed(2)
    layer = CoMatch(3).double()
    content = torch.randn(1, 3, 4, 4, generator=generator, dtype=torch.float64)
    style = torch.randn(1, 3, 6, 2, generator=generator, dtype=torch.float64)
    layer(content, style).sum().backward()
    flat, gram = content.reshape(3, -1), gram_matrix(style)[0]
    expected = flat.sum(1)[:, None] * gram.sum(1)[None, :]
    torch.testing.assert_close(layer.weight.grad, expected)


def test_the_layer_keeps_the_shape_and_refuses_style_features_of_other_channels():
    layer = CoMatch(8)
    weight = layer.weight.detach()
    assert weight.shape == (8, 8) and 0 <= float(weight.min()) <= float(weight.max()) <= 0.02
    assert layer(torch.rand(2, 8, 16, 16), torch.rand(2, 8, 5, 9)).shape == (2, 8, 16, 16)
    with pytest.raises(ValueError, match="must have the batch and channels of the input"):
        layer(torch.rand(2, 8, 16, 16), torch.rand(2, 4, 5, 9))
