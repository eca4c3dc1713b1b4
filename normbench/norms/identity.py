"""``none``: no normalization at all, the baseline every norm is compared with."""

from torch import nn

from normbench.markers import hookimpl
from normbench.registry import NormSpec


def identity_norm(num_features: int) -> nn.Module:
    # NOTE: num_features is accepted (and ignored) so every factory has one signature.
    return nn.Identity()


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="none",
            factory=identity_norm,
            aliases=("no_norm",),
            description="no normalization (nn.Identity)",
            params_per_channel=0,
        )
    )
