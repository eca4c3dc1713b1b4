"""``transformer``: Johnson et al.'s image transformation network, trained with their perceptual loss."""

from normbench.markers import hookimpl
from normbench.models.transformer import TransformerNet
from normbench.registry import ArchitectureSpec, Conditioning, TrainingSettings
from normbench.training.criteria import GramCriterion

#: NOTE: normbench's loss terms are scale-free (losses.py), so these are not the paper's numbers; content 2 : style 1
#: with TV 1 gave visible style on the quick budget without washing out the content.
TRAINING = TrainingSettings(lr=1e-3, content_weight=2.0, style_weight=1.0, tv_weight=1.0)


@hookimpl
def normbench_register_architectures(registry):
    registry.add(
        ArchitectureSpec(
            name="transformer",
            build=lambda norm_layer, conditioning, nets: TransformerNet(
                norm_layer, conditioning is not Conditioning.NONE
            ),
            criterion=GramCriterion,
            supports=(Conditioning.NONE, Conditioning.STYLE_ID),
            feature_nets=("vgg16",),
            training=TRAINING,
            aliases=("johnson",),
            description="Johnson et al.: 3 convs down, 5 residual blocks, 2 upsample convs; a norm after every conv "
            "but the last; VGG16 Gram loss",
        )
    )
