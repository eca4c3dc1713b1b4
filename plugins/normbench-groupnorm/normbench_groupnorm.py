"""GroupNorm (Wu & He 2018) for normbench: channels normalized in groups of up to 8."""

import math

from torch import nn

from normbench import NormSpec, hookimpl

GROUPS = 8


def group_norm(num_features: int) -> nn.Module:
    # NOTE: the group count must divide the channels; use the largest divisor up to GROUPS.
    groups = math.gcd(GROUPS, num_features)
    return nn.GroupNorm(groups, num_features, affine=True)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="gn",
            factory=group_norm,
            aliases=("groupnorm",),
            description=f"GroupNorm, {GROUPS} groups, per-channel affine",
            params_per_channel=2,
        )
    )
