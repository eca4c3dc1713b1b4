"""Built-in metrics, registered through the same hook as third-party metrics."""

from normbench.markers import hookimpl
from normbench.metrics.base import MetricSpec
from normbench.metrics.consistency import IdentityError, PatchConsistency
from normbench.metrics.derived import ArtFID
from normbench.metrics.distribution import InceptionDistance
from normbench.metrics.features import FeatureDistances
from normbench.metrics.invariance import BatchDependence, ContrastSensitivity
from normbench.metrics.perceptual import LPIPS


@hookimpl
def normbench_register_metrics(registry):
    registry.add(
        MetricSpec(
            "distances",
            FeatureDistances,
            aliases=("content_distance", "style_distance"),
            description="content and style (Gram, mean/std) distances on VGG13, which no model trains against",
        )
    )
    registry.add(MetricSpec("lpips", LPIPS, description="LPIPS (AlexNet, v0.1) between content and stylization"))
    registry.add(
        MetricSpec(
            "fid",
            InceptionDistance,
            aliases=("kid",),
            description="FID and KID of stylized patches against style-image patches",
        )
    )
    registry.add(
        MetricSpec("artfid", ArtFID, description="(1 + LPIPS)(1 + FID), with a note where its definition does not hold")
    )
    registry.add(
        MetricSpec(
            "contrast",
            ContrastSensitivity,
            aliases=("contrast_sensitivity",),
            description="how much the output changes with the input's contrast, with test-time "
            "and per-image statistics",
        )
    )
    registry.add(
        MetricSpec(
            "batch_dependence",
            BatchDependence,
            description="how much an image's output changes with the rest of its batch, in training and test mode",
        )
    )
    registry.add(
        MetricSpec(
            "identity_check",
            IdentityError,
            aliases=("identity_error",),
            description="how far G(s) is from s when the style image s is given as content",
        )
    )
    registry.add(
        MetricSpec(
            "patches",
            PatchConsistency,
            aliases=("patch_difference", "seam_step"),
            description="an image stylized whole against a 2 x 2 tiling of it (thumbnail statistics where the "
            "layers take them): difference and seam step",
        )
    )
