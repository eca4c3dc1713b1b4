"""The normbench plugin contract: every hook a plugin may implement.

A plugin is a module (or object) with functions named like the specs below and
marked with :data:`normbench.hookimpl`. Built-in norms are plugins of exactly
this kind (see ``normbench/norms/``); third-party plugins are found through the
``normbench`` entry-point group::

    [project.entry-points.normbench]
    groupnorm = "normbench_groupnorm"

Hooks are called by keyword, so an implementation may accept any subset of a
spec's parameters, in any order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from normbench.metrics.base import MetricRegistry
    from normbench.registry import NormRegistry

hookspec = pluggy.HookspecMarker("normbench")


@hookspec
def normbench_register_norms(registry: NormRegistry) -> None:
    """Register normalization layers that the generator harness can swap in.

    Call ``registry.add(NormSpec(...))`` once per layer. A :class:`~normbench.NormSpec`
    names the layer, gives its factory and declares what conditioning it needs:

    - ``factory(num_features)`` returns an ``nn.Module`` for channels-first
      input of shape ``(N, C, H, W)`` with ``C == num_features``; the output
      has the same shape.
    - ``conditioning="none"``: the module is called as ``layer(x)``.
    - ``conditioning="style_id"``: the factory also receives
      ``num_styles=<int>`` and the module is called as ``layer(x, style_id)``
      with a ``LongTensor`` of shape ``(N,)``; one model serves every style.
    - ``conditioning="style_feat"``: the module is called as
      ``layer(x, style)`` where ``style`` holds the style image's features,
      shape ``(N, C, H', W')``; one model serves arbitrary styles.

    :param registry: the registry to add to; adding a name or alias that
        another plugin already registered raises ``ValueError`` naming both
        plugins.
    :returns: nothing; registration happens through ``registry.add``.
    """


@hookspec
def normbench_register_metrics(registry: MetricRegistry) -> None:
    """Register quality metrics measured on every (norm, style) row of a run.

    Call ``registry.add(MetricSpec(name=..., factory=..., higher_is_better=...))``.
    ``factory(context)`` is called once per run with a
    :class:`~normbench.metrics.base.MetricContext` and returns a
    :class:`~normbench.metrics.base.Metric`. For each row the run calls
    ``reset()``, then ``update(sample)`` with a
    :class:`~normbench.metrics.base.StylizedSample` (stylized outputs, held-out
    content, style image, all RGB in [0, 1]), then ``compute()``, whose dict
    becomes result columns. ``provenance()`` is stored in the run's manifest.

    :param registry: the registry to add to; a name another plugin already
        registered raises ``ValueError`` naming both plugins.
    :returns: nothing; registration happens through ``registry.add``.
    """
