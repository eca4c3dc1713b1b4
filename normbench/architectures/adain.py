"""``adain``: Huang & Belongie's arbitrary-style encoder / decoder, trained with their mean / std loss; ``adain16``:
the same network on a VGG16 encoder, for the machines where a trained VGG16 is the only trained VGG."""

from __future__ import annotations

from functools import partial

from normbench.markers import hookimpl
from normbench.models.adain_net import AdaINNet
from normbench.registry import ArchitectureSpec, Conditioning, TrainingSettings
from normbench.training.criteria import MeanStdCriterion, adain_encoder, per_image_features

# NOTE: Huang & Belongie train the decoder with Adam at 1e-4; at the transformer nets' 1e-3 its ReLUs died within
# 90 steps on the quick profile (constant output, style loss stuck at 4.69).
TRAINING = TrainingSettings(lr=1e-4, content_weight=1.0, style_weight=1.0, tv_weight=0.0)


def _spec(name: str, network: str, aliases: tuple[str, ...], description: str) -> ArchitectureSpec:
    def build(norm_layer, conditioning, nets):
        return AdaINNet(adain_encoder(nets[network]), norm_layer, conditioning is not Conditioning.NONE)

    def encode_styles(nets, styles):
        """Each style's relu4_1 features, computed alone: what the norm at relu4_1 is given."""
        return per_image_features(adain_encoder(nets[network]), styles)["relu4_1"]

    return ArchitectureSpec(
        name=name,
        build=build,
        criterion=partial(MeanStdCriterion, network=network),
        supports=(Conditioning.NONE, Conditioning.STYLE_ID, Conditioning.STYLE_FEAT),
        feature_nets=(network,),
        training=TRAINING,
        encode_styles=encode_styles,
        aliases=aliases,
        description=description,
    )


@hookimpl
def normbench_register_architectures(registry):
    registry.add(
        _spec(
            "adain",
            "vgg19",
            ("huang",),
            "Huang & Belongie: frozen VGG19 encoder to relu4_1, the norm there, a trained mirrored decoder; "
            "mean/std style loss",
        )
    )
    registry.add(
        _spec(
            "adain16",
            "vgg16",
            ("adain_vgg16",),
            "Huang & Belongie's network on a frozen VGG16 encoder to relu4_1 (one 256-channel decoder conv fewer); "
            "mean/std style loss at VGG16's relu1_1..relu4_1",
        )
    )
