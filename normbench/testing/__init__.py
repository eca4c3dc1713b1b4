"""The norm, architecture and metric contracts as a pytest kit: what every plugin, built-in or third-party, must
satisfy.

Installed as a pytest plugin (``pytest11`` entry point), so in a plugin's own tests::

    from normbench.testing import ArchitectureContract, MetricContract, NormContract

    class TestGroupNorm(NormContract):
        norm = "gn"          # a registered name (found through installed plugins)

    class TestUNet(ArchitectureContract):
        architecture = "unet"

    class TestSharpness(MetricContract):
        metric = "sharpness"

Each check runs on small CPU tensors: a norm with the conditioning it declares, an architecture with every
conditioning it supports, a metric built through its factory with a :class:`~normbench.MetricContext` on a tiny
sample. Top-level imports stay light: pytest imports this package in every session.
"""

from __future__ import annotations

# NOTE: pytest finds the kit's fixtures among this plugin module's names, so they are imported here.
from normbench.testing.architectures import ArchitectureContract, normbench_architectures
from normbench.testing.metrics import MetricContract, normbench_metrics
from normbench.testing.norms import NormContract, build, normbench_registry

__all__ = [
    "ArchitectureContract",
    "MetricContract",
    "NormContract",
    "build",
    "normbench_architectures",
    "normbench_metrics",
    "normbench_registry",
]
