"""Built-in metrics, registered through the same hook as third-party metrics."""

from normbench import hookimpl
from normbench.metrics.base import MetricSpec
from normbench.metrics.distribution import InceptionDistance
from normbench.metrics.perceptual import LPIPS, ContrastLPIPS


@hookimpl
def normbench_register_metrics(registry):
    registry.add(MetricSpec("lpips", LPIPS, higher_is_better=False,
                            description="LPIPS (AlexNet, v0.1) between content and stylization"))
    registry.add(MetricSpec("fid", InceptionDistance, higher_is_better=False,
                            description="FID and KID of stylized patches against style-image patches"))
    registry.add(MetricSpec("contrast_lpips", ContrastLPIPS, higher_is_better=False,
                            description="LPIPS between stylizations of one image at contrast x0.5 / x1.5 and x1"))
