"""The catalog of what a run can train: every registered norm in every architecture that can feed it
(``in``, ``in@msgnet``), looked up by name, beside the registries it reads. Runs, benches and stored runs look norms
up here; nothing here builds a network."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from normbench.config import Profile
from normbench.registry import (
    ArchitectureRegistry,
    ArchitectureSpec,
    Conditioning,
    NormRegistry,
    NormSpec,
    TrainingSettings,
)

#: Separates a norm from the architecture it is put in: ``in@msgnet``.
PLACEMENT_SEPARATOR = "@"


def training_settings(arch: ArchitectureSpec, profile: Profile, style_factor: float | None = None) -> TrainingSettings:
    """``arch``'s training settings with the run's overrides for it (``profile.training[arch.name]``), and its style
    weight times ``style_factor`` for one point of a style-weight sweep."""
    settings = replace(arch.training, **profile.training.get(arch.name, {}))
    if style_factor is None:
        return settings
    return replace(settings, style_weight=settings.style_weight * style_factor)


@dataclass(frozen=True)
class Placement:
    """A norm in an architecture: what one row of a run trains. ``name`` is the norm's, or ``norm@architecture``
    when the architecture is not the norm's own; the rest of a :class:`NormSpec`'s fields read through."""

    norm: NormSpec
    arch: ArchitectureSpec

    @property
    def name(self) -> str:
        if self.arch.name == self.norm.architecture:
            return self.norm.name
        return f"{self.norm.name}{PLACEMENT_SEPARATOR}{self.arch.name}"

    @property
    def architecture(self) -> str:
        return self.arch.name

    @property
    def conditioning(self) -> Conditioning:
        return self.norm.conditioning

    @property
    def factory(self):
        return self.norm.factory

    @property
    def description(self) -> str:
        return (
            self.norm.description
            if self.arch.name == self.norm.architecture
            else f"{self.norm.description} (in {self.arch.name})"
        )


class Catalog:
    """Every norm in every architecture it fits: ``get("in")`` is IN in its own generator, ``get("in@msgnet")``
    IN in MSG-Net. What runs, benches and stored runs look norms up in."""

    def __init__(self, norms: NormRegistry, architectures: ArchitectureRegistry):
        self.norms, self.architectures = norms, architectures

    def get(self, name: str) -> Placement:
        """:raises ValueError: for an unknown norm or architecture (listing the available ones), or an architecture
        that cannot feed the norm's conditioning (listing the conditionings it takes)."""
        norm_name, _, arch_name = name.partition(PLACEMENT_SEPARATOR)
        norm = self.norms.get(norm_name)
        try:
            arch = self.architectures.get(arch_name or norm.architecture)
        except ValueError as error:
            raise ValueError(f"norm {norm.name!r}: {error}") from None
        if norm.conditioning not in arch.supports:
            raise ValueError(
                f"norm {norm.name!r} needs {norm.conditioning} conditioning, which architecture "
                f"{arch.name!r} cannot give; it takes {', '.join(map(str, arch.supports))}"
            )
        return Placement(norm, arch)

    def names(self) -> list[str]:
        """Every norm in its own architecture (what a run without ``--norms`` compares)."""
        return self.norms.names()

    def plugin_of(self, name: str) -> str:
        """The plugin of the norm ``name`` (the norm's, for ``norm@architecture``)."""
        return self.norms.plugin_of(self.get(name).norm.name)

    def describe(self, placement: Placement, profile: Profile) -> dict:
        """What a manifest says of a trained norm: its plugin, architecture and the training settings it used."""
        return {
            "name": placement.name,
            "norm": placement.norm.name,
            "plugin": self.norms.plugin_of(placement.norm.name),
            "conditioning": placement.conditioning,
            "architecture": placement.architecture,
            "architecture_plugin": self.architectures.plugin_of(placement.architecture),
            "training": asdict(training_settings(placement.arch, profile)),
            "description": placement.description,
        }
