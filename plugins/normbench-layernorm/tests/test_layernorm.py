import torch
from normbench_layernorm import layer_norm

from normbench.testing import NormContract


class TestLayerNorm(NormContract):
    norm = "ln"  # found through this distribution's entry point


def test_each_sample_is_normalized_over_channels_and_pixels():
    y = layer_norm(4)(torch.randn(3, 4, 6, 6) * 5 + 2)
    assert torch.allclose(y.mean(dim=(1, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(y.var(dim=(1, 2, 3), correction=0), torch.ones(3), atol=1e-3)
