"""The metric contract: what a metric is given for each row, and the columns it declares.

Metrics follow torchmetrics' shape: ``update`` accumulates, ``compute`` returns
the values, ``reset`` clears them. Each metric class declares its columns once
(``name``, ``higher_is_better`` and ``axis`` for a one-column metric, or a
``columns`` tuple); the run stores the declarations in its manifest and reports
read directions from there. A :class:`DerivedMetric` computes its columns from
other metrics' values (ArtFID from LPIPS and FID).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import torch

from normbench.columns import Column
from normbench.errors import PluginDeprecationWarning
from normbench.fileio import cache_dir as default_cache_dir
from normbench.registry import Registry, check_names


@dataclass(frozen=True)
class StylizedSample:
    """A chunk of one row's evaluation images; every tensor is RGB in [0, 1] on the run's device.

    A row (one trained model, or one baseline, on one style) is measured on
    every evaluation image; a large evaluation set arrives in several chunks,
    each passed to ``update``.

    :param stylized: ``(N, 3, H, W)``, the outputs for ``content``.
    :param content: ``(N, 3, H, W)``, held-out content images (``H = W`` = the eval size).
    :param style: ``(1, 3, h, w)``, the style image at the training resolution, the
        scale at which the model learned the style.
    :param stylize: ``stylize(images, statistics="eval")`` runs the same model on other
        images. ``statistics="batch"`` computes normalization statistics from the
        batch given, as in training (a copy of the model, so nothing it learned changes).
    :param first_index: the position of ``content[0]`` in the row's evaluation set, for
        sampling that must not depend on how the set was chunked.
    """

    stylized: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    stylize: Callable[..., torch.Tensor]
    first_index: int = 0


@dataclass(frozen=True)
class MetricContext:
    """What a metric factory may build on, fixed for the whole run.

    :param device: where the images will be.
    :param features: ``"pretrained"`` or ``"random"`` (every network a metric loads must follow it).
    :param seed: the run's seed, for any sampling a metric does.
    :param fid_samples: how many patches distribution metrics compare per row.
    :param cache_dir: a folder for statistics worth keeping between runs (``$NORMBENCH_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/normbench``, else ``~/.cache/normbench``).
    :param num_images: how many evaluation images each row has.
    :param batch_size: the training batch size (batch-dependence metrics use it).
    :param eval_draws: how many independently seeded feature networks to measure
        with when ``features`` is ``"random"``.
    :param training_networks: the feature networks training used (``"vgg16"``, ...);
        an evaluation network must differ from them.
    :param networks: where each network of the run comes from (``normbench.weights.sources.NetworkSource`` by
        name: ``vgg13``, ``alexnet``, ``inception_fid``, ...); :meth:`features_of` reads it.
    :param eval_network: the VGG that content and style distances are measured with (``--eval-network``).
    """

    device: torch.device
    features: str
    seed: int = 0
    fid_samples: int = 96
    cache_dir: Path = field(default_factory=default_cache_dir)
    num_images: int = 1
    batch_size: int = 4
    eval_draws: int = 3
    training_networks: tuple[str, ...] = ()
    networks: dict = field(default_factory=dict)
    eval_network: str = "vgg13"

    def features_of(self, network: str) -> str:
        """``"pretrained"`` or ``"random"`` for one network: its resolved source, else the run's ``features``."""
        source = self.networks.get(network)
        if source is None:
            return "random" if self.features == "random" else "pretrained"
        return "pretrained" if source.trained else "random"


class Metric:
    """Base class: declare the columns, implement ``update``, ``compute`` and ``reset``.

    A one-column metric sets ``name``, ``higher_is_better`` and ``axis`` (one of
    :data:`normbench.columns.AXES`); a metric with several columns sets
    ``columns`` instead. ``compute`` returns a value for each declared column.
    """

    name: ClassVar[str] = "metric"
    higher_is_better: ClassVar[bool | None] = False
    axis: ClassVar[str] = "other"
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    #: The weights networks it loads beside the evaluation VGG (``alexnet``, ``inception_fid``), so that a run
    #: resolves and downloads only those; None (normbench 0.2's metrics) gives it all of them.
    feature_networks: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def declared_columns(cls) -> tuple[Column, ...]:
        """``columns``, or the one column that ``name``, ``higher_is_better`` and ``axis`` describe."""
        return cls.columns or (Column(cls.name, cls.higher_is_better, cls.label, cls.axis, cls.description),)

    def update(self, sample: StylizedSample) -> None:
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        """One value per declared column."""
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def provenance(self) -> dict:
        """What produced the numbers: implementation and version, network, weights, resize, input range."""
        return {}


class DerivedMetric(Metric):
    """A score computed from other metrics' columns of the same row, never from images.

    :cvar requires: the columns it is computed from; the run measures them first.
    """

    requires: ClassVar[tuple[str, ...]] = ()

    def update(self, sample: StylizedSample) -> None:  # NOTE: derived metrics see values, not images
        pass

    def reset(self) -> None:
        pass

    def compute(self) -> dict[str, float]:
        raise TypeError(f"{type(self).__name__} is derived; the run calls derive(values)")

    def derive(self, values: dict) -> dict:
        """Columns from ``values``, the row's other columns (a missing one means it was not measured)."""
        raise NotImplementedError


#: Says that a keyword of normbench 0.1 was not given.
_NOT_GIVEN = object()


@dataclass(frozen=True, init=False)
class MetricSpec:
    """A metric as a plugin registers it.

    :param name: the name ``--metrics`` takes (lower case, ``_``).
    :param factory: ``factory(context: MetricContext) -> Metric``, called once per run;
        usually the :class:`Metric` subclass itself.
    :param description: one line shown in listings and reports.
    :param aliases: other names that resolve to this one.
    :param columns: the columns it fills; by default the factory's own declaration
        (:meth:`Metric.declared_columns`), which is where they should be declared.
    :param higher_is_better: deprecated (normbench 0.1's form; to be removed in 0.3): the metric fills one column
        named ``name`` with this direction and axis ``other``; a ``DeprecationWarning`` says what to write instead.
    """

    name: str
    factory: Callable[[MetricContext], Metric]
    description: str = ""
    aliases: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()

    def __init__(
        self,
        name: str,
        factory: Callable[[MetricContext], Metric],
        description: str = "",
        aliases: tuple[str, ...] = (),
        columns: tuple[Column, ...] = (),
        *,
        higher_is_better: bool | None | object = _NOT_GIVEN,
    ):
        if isinstance(description, bool):  # NOTE: 0.1's positional order: (name, factory, higher_is_better, ...)
            higher_is_better, description, aliases, columns = description, aliases or "", columns or (), ()
        values = dict(name=name, factory=factory, description=description, aliases=tuple(aliases))
        for key, value in {**values, "columns": tuple(columns)}.items():
            object.__setattr__(self, key, value)
        if higher_is_better is not _NOT_GIVEN:
            object.__setattr__(self, "columns", self._deprecated_column(higher_is_better))
        self.__post_init__()

    def _deprecated_column(self, higher_is_better) -> tuple[Column, ...]:
        """0.1's ``higher_is_better=`` as the one column it meant, with a warning saying what to write instead."""
        if self.columns:
            raise ValueError(f"metric {self.name!r}: give columns or (deprecated) higher_is_better, not both")
        column = f"Column({self.name!r}, higher_is_better={higher_is_better!r}, axis='other')"
        warnings.warn(
            f"metric {self.name!r}: MetricSpec(higher_is_better=...) is normbench 0.1's form, deprecated and to be "
            f"removed in 0.3; declare the column instead: MetricSpec({self.name!r}, factory, columns=({column},)), "
            "or set name, higher_is_better and axis on the Metric subclass",
            PluginDeprecationWarning,
            stacklevel=3,
        )
        return (Column(self.name, higher_is_better, axis="other", description=self.description),)

    def __post_init__(self) -> None:
        check_names("metric", self.name)
        if not callable(self.factory):
            raise ValueError(f"metric {self.name!r}: factory must be callable")
        if not self.columns:
            declared = getattr(self.factory, "declared_columns", None)
            if declared is None:
                raise ValueError(
                    f"metric {self.name!r}: its factory declares no columns; subclass "
                    "normbench.Metric or pass columns=(Column(...), ...)"
                )
            object.__setattr__(self, "columns", tuple(declared()))

    @property
    def requires(self) -> tuple[str, ...]:
        """Columns of other metrics this one is computed from (empty unless derived)."""
        return tuple(getattr(self.factory, "requires", ()))

    @property
    def feature_networks(self) -> tuple[str, ...] | None:
        """The weights networks the factory declares it loads (:attr:`Metric.feature_networks`); None: unsaid."""
        declared = getattr(self.factory, "feature_networks", None)
        return None if declared is None else tuple(declared)


class MetricRegistry(Registry):
    """Every metric the loaded plugins registered."""

    kind = "metric"

    def feature_networks(self, known: tuple[str, ...]) -> list[str]:
        """The weights networks these metrics load, in ``known``'s order: all of ``known`` when one metric does not
        say which (normbench 0.2's metrics).

        :raises ValueError: a metric naming a network not in ``known``.
        """
        declared = {spec.name: spec.feature_networks for spec in self}
        for name, networks in declared.items():
            unknown = [network for network in networks or () if network not in known]
            if unknown:
                raise ValueError(
                    f"metric {name!r} declares feature network {unknown[0]!r}; available: {', '.join(known)}"
                )
        if any(networks is None for networks in declared.values()):
            return list(known)
        return [network for network in known if any(network in networks for networks in declared.values())]

    def column_owner(self) -> dict[str, str]:
        """``{column: metric name}`` for every declared column."""
        return {column.name: spec.name for spec in self for column in spec.columns}

    def add(self, spec) -> None:
        owners = self.column_owner()
        for column in spec.columns:
            if column.name in owners:
                raise ValueError(
                    f"column {column.name!r} of metric {spec.name!r} (plugin {self._current_plugin!r}) "
                    f"is already declared by metric {owners[column.name]!r}"
                )
        super().add(spec)
