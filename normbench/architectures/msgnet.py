"""``msgnet``: Zhang & Dana's MSG-Net, trained with Johnson et al.'s perceptual loss as in the paper."""

from normbench.markers import hookimpl
from normbench.models.msgnet import MSGNet
from normbench.registry import ArchitectureSpec, Conditioning, TrainingSettings
from normbench.training.criteria import GramCriterion


def encode_styles(nets, styles):
    """The style images themselves: MSG-Net encodes them with its own (trained, shared) encoder at every call."""
    return styles


@hookimpl
def normbench_register_architectures(registry):
    registry.add(
        ArchitectureSpec(
            name="msgnet",
            build=lambda norm_layer, conditioning, nets: MSGNet(norm_layer, conditioning),
            criterion=GramCriterion,
            supports=(Conditioning.NONE, Conditioning.STYLE_ID, Conditioning.STYLE_FEAT),
            feature_nets=("vgg16",),
            # NOTE: the paper trains with Johnson et al.'s loss; the transformer net's settings (same values), so that
            # a norm in both generators differs by the generator alone (the paper's 1 : 5 weights are for unscaled
            # terms).
            training=TrainingSettings(lr=1e-3, content_weight=2.0, style_weight=1.0, tv_weight=1.0),
            encode_styles=encode_styles,
            aliases=("msg_net",),
            description="Zhang & Dana: siamese encoder, inspiration slot for style_feat norms (CoMatch), "
            "6 bottlenecks, 2 upsampling bottlenecks; IN in the other slots unless the norm fills them; "
            "VGG16 Gram loss",
        )
    )
