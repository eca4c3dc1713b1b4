"""A run's manifest as a typed value: read once (checked and migrated), written through :func:`manifest_bytes`.

``manifest.json`` says what a run was, with what, and the protocol that decides whether two runs compare. Its
top-level entries are :class:`Manifest`'s fields, in the order they are written; an entry this version does not
know (written by a newer normbench, or by hand) is kept in ``extra`` and written back unchanged. A stored manifest
goes through :data:`MIGRATIONS` when read, so every reader sees the current shape; a schema no migration reaches is
refused by name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from normbench.errors import UserError

#: The results schema: results.csv's columns and the manifest's shape. Part of the protocol, so a change here
#: separates runs; a change readers can make up for is a migration instead.
SCHEMA_VERSION = 4
MANIFEST = "manifest.json"
#: Entries a report reads, as dotted paths; a manifest without one is refused by name.
REQUIRED = (
    "schema_version",
    "columns",
    "config.profile",
    "environment.device",
    "environment.packages",
    "evaluation",
    "protocol",
)
#: Protocol entries whose value runs written before they were recorded cannot give: compared as such.
NOT_RECORDED = "not recorded: stored before normbench kept them"


class _Record:
    """Dataclass <-> JSON object: fields in declaration order, a ``None`` optional entry left out, unknown keys kept
    in ``extra``."""

    #: Fields written even when None (the rest are left out when None: they did not happen).
    ALWAYS: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict):
        known = {f.name for f in fields(cls)} - {"extra"}  # type: ignore[arg-type]
        values = {key: data[key] for key in known if key in data}
        return cls(**values, extra={key: value for key, value in data.items() if key not in known})  # type: ignore[call-arg]

    def to_dict(self) -> dict:
        data = {}
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if item.name == "extra":
                data.update(value)
            elif value is not None or item.name in self.ALWAYS:
                data[item.name] = value.to_dict() if isinstance(value, _Record) else value
        return data


@dataclass
class Protocol(_Record):
    """What must match for two runs' quality numbers to be compared or pooled (seeds and norms need not)."""

    schema_version: int = SCHEMA_VERSION
    normbench: str = ""
    profile: dict = field(default_factory=dict)
    features: str = ""
    eval_network: str | None = None
    #: ``{network: {kind, sha256, seed}}``: what made the numbers, not where the files lie
    networks: dict | str | None = None
    data: dict = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    stylization: str = ""
    #: In a run that sweeps the style weight: the weights, the baselines' blends and how curves are summarised.
    frontier: dict | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Manifest(_Record):
    """A run's ``manifest.json``. Entries from ``sessions`` on are added as the run goes (a resumed session, the
    executor, trackers, the wall time, how it ended, a later scoring, the runs a pooled report joins)."""

    ALWAYS = ("status",)

    schema_version: int = SCHEMA_VERSION
    run_id: str = ""
    status: str = "running"
    started_at: str | None = None
    command: list[str] | None = None
    normbench: str | None = None
    config: dict = field(default_factory=dict)
    protocol: Protocol = field(default_factory=Protocol)
    seeds: dict = field(default_factory=dict)
    features: str | None = None
    networks: dict = field(default_factory=dict)
    precision: str | None = None
    data: dict = field(default_factory=dict)
    norms: list[dict] = field(default_factory=list)
    baselines: list[dict] = field(default_factory=list)
    plugins: dict = field(default_factory=dict)
    evaluation: dict = field(default_factory=dict)
    columns: dict[str, dict] = field(default_factory=dict)
    #: Cell ids in plan order; empty for a run stored before runs were stored as cells.
    cells: list[str] = field(default_factory=list)
    metrics: dict[str, dict] = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    sessions: list[dict] | None = None
    wall_seconds_before: float | None = None
    executor: dict | None = None
    trackers: list[dict] | None = None
    wall_seconds: float | None = None
    error: str | None = None
    finished_at: str | None = None
    scored: list[dict] | None = None
    pooled_from: list[dict] | None = None
    repeated_cells: list[str] | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        manifest = super().from_dict(data)
        if isinstance(manifest.protocol, dict):
            manifest.protocol = Protocol.from_dict(manifest.protocol)
        return manifest

    def copy(self) -> Manifest:
        return copy.deepcopy(self)


def manifest_bytes(manifest: Manifest | dict) -> bytes:
    """How every manifest (a run's, or a bench's plain dict) is written: indented JSON ending in a newline."""
    data = manifest.to_dict() if isinstance(manifest, Manifest) else manifest
    return (json.dumps(data, indent=2, default=str) + "\n").encode("utf-8")


def _networks_recorded(data: dict) -> dict:
    """Runs stored before each network's source was recorded (normbench 0.1.0 before 2026-12-06) measured with
    VGG13 and said only ``features``; which files made their numbers is not known, and is said so."""
    protocol = data["protocol"]
    protocol.setdefault("eval_network", "vgg13")
    protocol.setdefault("networks", NOT_RECORDED)
    data.setdefault("networks", {})
    return data


#: What the built-in metrics' columns declare about testing them, frozen as normbench 0.1 declared it on 2026-12-07
#: (a migration restates a past version, it does not follow the metrics): the VGG distances' equivalence margin, and
#: the sample count FID, KID and ArtFID are defined on, with the column that holds each row's count.
_BUILTIN_METRICS = "normbench.metrics.builtin"
_SAMPLE_FLOOR: dict[str, object] = {"min_samples": 2048, "samples_column": "fid_n"}
_BUILTIN_DECLARATIONS: dict[str, dict[str, object]] = {
    **{name: {"equivalence_margin": 0.01} for name in ("content_distance", "style_gram", "style_meanstd")},
    **{name: _SAMPLE_FLOOR for name in ("fid", "kid", "artfid")},
}


def _undeclared_builtin_columns(data: dict) -> list[str]:
    """Built-in columns of ``data`` stored before they declared how reports test them."""
    columns, metrics = data.get("columns") or {}, data.get("metrics") or {}
    return [
        name
        for name, declared in _BUILTIN_DECLARATIONS.items()
        if isinstance(columns.get(name), dict)
        and (metrics.get(columns[name].get("metric")) or {}).get("plugin") == _BUILTIN_METRICS
        and not set(declared) <= set(columns[name])
    ]


def _testing_declared(data: dict) -> dict:
    """Runs stored before columns declared an equivalence margin or a sample floor get the built-in metrics' ones,
    so that their reports test them as a run made today is tested."""
    for name in _undeclared_builtin_columns(data):
        data["columns"][name] = {**_BUILTIN_DECLARATIONS[name], **data["columns"][name]}
    return data


#: ``(what it makes up for, applies to this stored manifest, migration)``, applied in order when a manifest is read.
MIGRATIONS: tuple[tuple[str, Callable[[dict], bool], Callable[[dict], dict]], ...] = (
    (
        "protocol without its networks",
        lambda data: isinstance(data.get("protocol"), dict) and "networks" not in data["protocol"],
        _networks_recorded,
    ),
    (
        "built-in columns without how they are tested",
        lambda data: bool(_undeclared_builtin_columns(data)),
        _testing_declared,
    ),
)


def migrated(data: dict) -> tuple[dict, list[str]]:
    """``data`` brought to the current shape, and the migrations that changed it."""
    applied = []
    for name, applies, migration in MIGRATIONS:
        if applies(data):
            data = migration(copy.deepcopy(data))
            applied.append(name)
    return data, applied


def read_manifest_data(path: Path) -> dict:
    """A JSON object from ``path``, or UserError naming the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not valid JSON ({error}); the file is cut short or was edited") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a normbench manifest (a JSON object)")
    return data


def read_manifest(path: Path) -> Manifest:
    """``manifest.json`` at ``path``, checked for the schema and the entries a report reads, and migrated.

    :raises UserError: naming the file, when it is unreadable, not normbench's, of another schema, or cut.
    """
    data = read_manifest_data(path)
    schema = data.get("schema_version")
    if schema != SCHEMA_VERSION:
        raise UserError(
            f"{path}: written with results schema {schema}; this normbench reads schema "
            f"{SCHEMA_VERSION} (its columns, baselines and protocol changed): run it again"
        )
    for key in REQUIRED:
        entry: object = data
        for part in key.split("."):
            entry = entry.get(part) if isinstance(entry, dict) else None
        if entry is None:
            raise UserError(f"{path}: has no {key!r}; it was cut or edited (normbench writes it whole)")
    data, _ = migrated(data)
    return Manifest.from_dict(data)
