"""``bn``: batch normalization, the layer Johnson et al.'s transformer net shipped with."""

from torch import nn

from normbench.markers import hookimpl
from normbench.registry import NormSpec


def batch_norm(num_features: int) -> nn.Module:
    # Batch statistics while training, running statistics in eval (PyTorch's defaults).
    return nn.BatchNorm2d(num_features, affine=True, track_running_stats=True)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="bn",
            factory=batch_norm,
            aliases=("batchnorm", "batch_norm"),
            description="BatchNorm: batch statistics in training, running statistics in eval",
            params_per_channel=2,
        )
    )
