"""``in``: instance normalization (Ulyanov et al. 2016), applied identically at test time."""

from torch import nn

from normbench.markers import hookimpl
from normbench.registry import NormSpec


def instance_norm(num_features: int) -> nn.Module:
    # NOTE: no running statistics, so train and eval normalize each image by its own H x W stats.
    return nn.InstanceNorm2d(num_features, affine=True, track_running_stats=False)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="in",
            factory=instance_norm,
            aliases=("instancenorm", "instance_norm"),
            description="InstanceNorm: per-sample, per-channel statistics over H x W, with affine",
            params_per_channel=2,
        )
    )
