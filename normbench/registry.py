"""What plugins register (norms, architectures, baselines) and the registries they add them to."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from torch import nn


class Conditioning(str, enum.Enum):
    """What a norm layer needs besides its input; see ``hookspecs.normbench_register_norms``. A plugin may give
    the member or its string (``"style_id"``); both compare equal and store as the string."""

    NONE = "none"
    STYLE_ID = "style_id"
    STYLE_FEAT = "style_feat"

    @classmethod
    def parse(cls, value: str | Conditioning) -> Conditioning:
        """:raises ValueError: naming the valid choices."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"unknown conditioning {value!r}; available: {', '.join(member.value for member in cls)}"
            ) from None

    @property
    def serves_many_styles(self) -> bool:
        """One model serves every style of a run (``style_id``, ``style_feat``); otherwise one model per style."""
        return self is not Conditioning.NONE

    @property
    def takes_arbitrary_styles(self) -> bool:
        """A model is given a style's features, so it also stylizes styles it never trained on (held out)."""
        return self is Conditioning.STYLE_FEAT

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return repr(self.value)


#: The conditionings' names, for listings.
CONDITIONINGS = tuple(member.value for member in Conditioning)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def check_names(kind: str, *labels: str) -> None:
    """:raises ValueError: for the first of a spec's name and aliases that is not letters, digits and ``_``."""
    for label in labels:
        if not NAME_PATTERN.match(normalize_name(label)):
            raise ValueError(f"invalid {kind} name {label!r}: use letters, digits and '_'")


def normalize_name(name: str) -> str:
    """Lower-case ``name`` and treat ``-`` like ``_``, so ``Batch-Norm`` finds ``batch_norm``."""
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class NormSpec:
    """A normalization layer as a plugin describes it.

    :param name: short unique name used on the command line (``--norms in,bn``).
    :param factory: ``factory(num_features, **kwargs) -> nn.Module``, channels first.
    :param conditioning: a :class:`Conditioning` (or its string).
    :param architecture: the registered architecture it is benchmarked in by default
        (``"transformer"``: Johnson et al., ``"adain"``: Huang & Belongie's VGG encoder /
        decoder, ``"msgnet"``: Zhang & Dana); ``--norms in@msgnet`` puts it in another.
    :param aliases: other names that resolve to this one.
    :param description: one line shown in listings and reports.
    :param params_per_channel: learned parameters per channel (per style for
        ``style_id`` norms), checked by the contract kit; ``None`` skips the check.
    """

    name: str
    factory: Callable[..., nn.Module]
    conditioning: Conditioning | str = Conditioning.NONE
    architecture: str = "transformer"
    aliases: tuple[str, ...] = ()
    description: str = ""
    params_per_channel: int | None = None

    def __post_init__(self) -> None:
        check_names("norm", self.name, *self.aliases)
        try:
            object.__setattr__(self, "conditioning", Conditioning.parse(self.conditioning))
        except ValueError as error:
            raise ValueError(f"norm {self.name!r}: {error}") from None
        if not callable(self.factory):
            raise ValueError(f"norm {self.name!r}: factory must be callable")


@dataclass
class _Entry:
    spec: Any  # NOTE: a NormSpec, BaselineSpec, ... as the registry's kind says
    plugin: str


class Registry:
    """Specs by name and alias, with the plugin that added each; ``kind`` names them in errors.

    Plugins see a registry through a ``normbench_register_*`` hook and call
    :meth:`add`; the harness calls :meth:`get` and :meth:`names`.
    """

    kind = "entry"

    def __init__(self):
        self._entries: dict[str, _Entry] = {}
        self._lookup: dict[str, str] = {}
        self._current_plugin = "<direct>"

    def add(self, spec) -> None:
        """Register ``spec`` (it has ``name`` and ``aliases``).

        :raises ValueError: when its name or an alias is already taken; the
            message names both plugins.
        """
        for label in (spec.name, *spec.aliases):
            key = normalize_name(label)
            if key in self._lookup:
                owner = self._entries[self._lookup[key]]
                raise ValueError(
                    f"{self.kind} name {key!r} is registered twice: by plugin {owner.plugin!r} "
                    f"({self.kind} {owner.spec.name!r}) and by plugin {self._current_plugin!r} "
                    f"({self.kind} {spec.name!r}); disable one of them"
                )
        canonical = normalize_name(spec.name)
        self._entries[canonical] = _Entry(spec, self._current_plugin)
        for label in (spec.name, *spec.aliases):
            self._lookup[normalize_name(label)] = canonical

    def get(self, name: str):
        """The spec registered under ``name`` or one of its aliases.

        :raises ValueError: for an unknown name, listing the available ones.
        """
        key = normalize_name(name)
        if key not in self._lookup:
            raise ValueError(f"unknown {self.kind} {name!r}; available: {', '.join(self.names())}")
        return self._entries[self._lookup[key]].spec

    def discard(self, names: set[str]) -> None:
        """Forget the canonical ``names`` and their aliases (a plugin that failed half-way)."""
        for name in names:
            self._entries.pop(name, None)
        self._lookup = {key: value for key, value in self._lookup.items() if value not in names}

    def plugin_of(self, name: str) -> str:
        """The name of the plugin that registered ``name``."""
        self.get(name)
        return self._entries[self._lookup[normalize_name(name)]].plugin

    def names(self) -> list[str]:
        """Canonical names in registration order (built-ins first)."""
        return list(self._entries)

    def __iter__(self) -> Iterator:
        return (entry.spec for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def registering(self, plugin: str):
        """Attribute the following :meth:`add` calls to ``plugin`` (for error messages)."""
        self._current_plugin = plugin
        return self


class NormRegistry(Registry):
    """Every norm the loaded plugins registered."""

    kind = "norm"


#: Where a baseline's trade-off curve is measured (``BaselineSpec.curve``): its output blended with the content, from
#: the content alone (0) to the output alone (1). Part of the protocol of a sweep.
BLEND_ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class BaselineSpec:
    """A reference method that needs no training, measured by the same metrics as every norm.

    :param name: the name its rows carry in the ``norm`` column (with ``kind=baseline``).
    :param stylize: ``stylize(content, style) -> images``: ``content`` is ``(N, 3, H, W)``,
        ``style`` is ``(1, 3, h, w)`` at the training resolution, both RGB in [0, 1] on
        the run's device; returns ``(N, 3, H, W)`` in [0, 1].
    :param description: one line shown in listings and reports.
    :param wins_by_construction: axes (``"content"``, ``"style"``) it wins by definition,
        such as the unchanged content on content distance. A metric of such an axis is
        not flagged when this baseline wins it; any other win by a baseline is.
    :param aliases: other names that resolve to this one.
    :param curve: in a run that sweeps the style weight (``--style-weights``), also measure it blended with the
        content, ``alpha * stylize(content, style) + (1 - alpha) * content`` at every alpha of
        ``normbench.BLEND_ALPHAS``: the baseline's own trade-off curve, which every norm's curve must beat somewhere.
    """

    name: str
    stylize: Callable
    description: str = ""
    wins_by_construction: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    curve: bool = False

    def __post_init__(self) -> None:
        check_names("baseline", self.name, *self.aliases)
        if not callable(self.stylize):
            raise ValueError(f"baseline {self.name!r}: stylize must be callable")


class BaselineRegistry(Registry):
    """Every reference baseline the loaded plugins registered."""

    kind = "baseline"


@dataclass(frozen=True)
class TrainingSettings:
    """An architecture's Adam learning rate and loss weights; every norm trained in it uses them.

    A run may change them per architecture (``--lr adain=3e-5``, a study file's ``[training.adain]``); the
    values a model trained with are stored with it.
    """

    lr: float = 1e-3
    content_weight: float = 1.0
    style_weight: float = 1.0
    tv_weight: float = 0.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
                or (item.name == "lr" and value == 0)
            ):
                raise ValueError(
                    f"{item.name} must be a {'positive' if item.name == 'lr' else 'non-negative'}"
                    f" finite number, got {value!r}"
                )

    @classmethod
    def names(cls) -> list[str]:
        return [item.name for item in fields(cls)]


@dataclass(frozen=True)
class ArchitectureSpec:
    """A generator family as a plugin describes it: how to build it around a norm, and how to train it.

    :param name: short unique name (``--norms in@NAME``).
    :param build: ``build(norm_layer, conditioning, nets) -> nn.Module``: the generator with its norm slots
        filled by ``norm_layer(num_features)``; ``conditioning`` is the norm's :class:`Conditioning`, ``nets`` the
        frozen VGG trunks of ``feature_nets`` by name. The module is called as ``model(content, cond)`` and
        returns images in [0, 1] of the content's size in eval mode (a training-mode output only feeds the loss);
        ``cond`` is None, style ids ``(N,)`` or the styles' encoding (``encode_styles``), as the conditioning says.
    :param criterion: ``criterion(nets, styles, training, profile)`` called once per model, with the trunks of
        ``feature_nets`` (possibly compiled), the run's style images ``(S, 3, H, W)``, the
        :class:`TrainingSettings` and the run's profile; returns ``loss(model, content, style_ids, cond)`` giving a
        dict of loss terms with ``"total"``, the one minimised.
    :param supports: the conditionings a norm in it may declare.
    :param feature_nets: VGG trunks (``vgg16``, ``vgg19``) its loss and encoder use.
    :param training: its default :class:`TrainingSettings`.
    :param encode_styles: ``(nets, styles) -> tensor``, what a ``style_feat`` norm's model is given per style,
        computed once per run; None where it supports no ``style_feat`` norm.
    :param aliases: other names that resolve to this one.
    :param description: one line shown in listings.
    """

    name: str
    build: Callable
    criterion: Callable
    supports: tuple[Conditioning | str, ...] = (Conditioning.NONE, Conditioning.STYLE_ID)
    feature_nets: tuple[str, ...] = ("vgg16",)
    training: TrainingSettings = TrainingSettings()
    encode_styles: Callable | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        check_names("architecture", self.name, *self.aliases)
        try:
            object.__setattr__(self, "supports", tuple(map(Conditioning.parse, self.supports)))
        except ValueError as error:
            raise ValueError(f"architecture {self.name!r}: {error}") from None
        if not (callable(self.build) and callable(self.criterion)):
            raise ValueError(f"architecture {self.name!r}: build and criterion must be callable")
        if Conditioning.STYLE_FEAT in self.supports and self.encode_styles is None:
            raise ValueError(f"architecture {self.name!r} supports style_feat norms but has no encode_styles")


class ArchitectureRegistry(Registry):
    """Every generator architecture the loaded plugins registered."""

    kind = "architecture"
