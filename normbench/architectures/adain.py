"""``adain``: Huang & Belongie's arbitrary-style encoder / decoder, trained with their mean / std loss."""

from normbench.markers import hookimpl
from normbench.models.adain_net import AdaINNet
from normbench.registry import ArchitectureSpec, Conditioning, TrainingSettings
from normbench.training.criteria import MeanStdCriterion, per_image_features

# NOTE: Huang & Belongie train the decoder with Adam at 1e-4; at the transformer nets' 1e-3 its ReLUs died within
# 90 steps on the quick profile (constant output, style loss stuck at 4.69).
TRAINING = TrainingSettings(lr=1e-4, content_weight=1.0, style_weight=1.0, tv_weight=0.0)


def encode_styles(nets, styles):
    """Each style's VGG19 relu4_1 features, computed alone: what the norm at relu4_1 is given."""
    return per_image_features(nets["vgg19"], styles)["relu4_1"]


@hookimpl
def normbench_register_architectures(registry):
    registry.add(
        ArchitectureSpec(
            name="adain",
            build=lambda norm_layer, conditioning, nets: AdaINNet(
                nets["vgg19"], norm_layer, conditioning is not Conditioning.NONE
            ),
            criterion=MeanStdCriterion,
            supports=(Conditioning.NONE, Conditioning.STYLE_ID, Conditioning.STYLE_FEAT),
            feature_nets=("vgg19",),
            training=TRAINING,
            encode_styles=encode_styles,
            aliases=("huang",),
            description="Huang & Belongie: frozen VGG19 encoder to relu4_1, the norm there, a trained mirrored "
            "decoder; mean/std style loss",
        )
    )
