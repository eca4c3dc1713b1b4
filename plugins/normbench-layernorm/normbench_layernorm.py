"""LayerNorm over (C, H, W) for normbench: the smallest complete plugin; copy it to start your own."""

from torch import nn

from normbench import NormSpec, hookimpl


def layer_norm(num_features: int) -> nn.Module:
    # GroupNorm with one group normalizes each sample over all of C, H and W: LayerNorm, channels first.
    return nn.GroupNorm(1, num_features, affine=True)


@hookimpl
def normbench_register_norms(registry):
    registry.add(
        NormSpec(
            name="ln",
            factory=layer_norm,
            aliases=("layernorm",),
            description="LayerNorm over C x H x W, per-channel affine",
            params_per_channel=2,
        )
    )
