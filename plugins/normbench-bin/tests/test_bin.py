import torch
import torch.nn.functional as F
from normbench_bin import BatchInstanceNorm2d

from normbench.testing import NormContract


class TestBatchInstanceNorm(NormContract):
    norm = "bin"


def test_rho_one_is_batch_norm_and_rho_zero_is_instance_norm():
    layer = BatchInstanceNorm2d(4).train()
    x = torch.randn(3, 4, 6, 6) * 2 + 1
    with torch.no_grad():
        layer.rho.fill_(1.0)
        assert torch.allclose(layer(x), F.batch_norm(x, None, None, training=True), atol=1e-5)
        layer.rho.fill_(0.0)
        assert torch.allclose(layer(x), F.instance_norm(x), atol=1e-5)


def test_rho_is_clipped_to_zero_one():
    layer = BatchInstanceNorm2d(2).train()
    x = torch.randn(2, 2, 4, 4)
    with torch.no_grad():
        layer.rho.fill_(5.0)
        high = layer(x)
        layer.rho.fill_(1.0)
        assert torch.allclose(high, layer(x))
