import torch
from normbench_groupnorm import group_norm

from normbench.testing import NormContract


class TestGroupNorm(NormContract):
    norm = "gn"


def test_each_group_of_channels_is_normalized():
    y = group_norm(16)(torch.randn(2, 16, 5, 5) * 3 + 1).view(2, 8, -1)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 8), atol=1e-5)


def test_group_count_divides_the_channels():
    assert group_norm(12).num_groups == 4 and group_norm(3).num_groups == 1
