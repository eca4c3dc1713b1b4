"""Where each feature network of a run comes from, resolved one network at a time.

``--weights`` is a default (``auto``, ``pretrained`` or ``random``) and any number of ``NETWORK=SOURCE`` items,
comma-separated: ``--weights vgg16=import``, ``--weights random,vgg16=/data/vgg16.pth``. A source is

- ``pretrained``: the torchvision / pytorch-fid file under ``$TORCH_HOME`` (hash-checked), downloaded first when it
  is missing; one that cannot be had is exit 4;
- ``import``: what ``normbench weights import NETWORK FILE`` stored (missing or damaged is exit 4);
- a path: a torchvision-layout state dict of that network (a VGG), checked and hashed at the start of the run;
- ``random``: the seeded random network, the same in every run;
- ``auto``: ``pretrained`` where the file is there, else ``import`` where there is one, else the published file
  downloaded, else (no network, ``--offline``) ``random``, with one warning line per reason naming the networks.

Downloads happen here, before any work, for the networks the run uses and only those (:mod:`normbench.weights.fetch`).

Every resolved source says what it is (kind, file, sha256 or seed, note): rows, the manifest and its protocol,
the report and the terminal all show it, so a number always says which network made it.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from normbench.errors import MissingWeightsError, UserError
from normbench.weights import WEIGHT_FILES, require, sha256
from normbench.weights.fetch import Downloads
from normbench.weights.imports import check_imported, load_imported, read_state_dict

MODES = ("auto", "pretrained", "random")
#: The seed of every random network but the evaluation draws (models/vgg.py and metrics/networks.py use it).
RANDOM_SEED = 1234


@dataclass(frozen=True)
class NetworkSource:
    """One network's weights: ``kind`` is ``pretrained``, ``import``, ``file`` or ``random``.

    :param path: the weights file (None when random).
    :param sha256: the file's sha256 (None when random).
    :param seed: the random draw (None unless random).
    :param note: where the weights came from, in words.
    """

    network: str
    kind: str
    path: Path | None = None
    sha256: str | None = None
    seed: int | None = None
    note: str = ""

    @property
    def trained(self) -> bool:
        return self.kind != "random"

    def label(self) -> str:
        """``vgg16: import 372c4f13 (HED ...)``, ``vgg13: random (seed 1234)``: one line for people."""
        if not self.trained:
            return f"{self.network}: random ({self.note or f'seed {self.seed}'})"
        return f"{self.network}: {self.kind} {self.sha256[:8] if self.sha256 else ''} ({self.note})"

    def to_json(self) -> dict:
        return {**asdict(self), "path": str(self.path) if self.path else None}

    @classmethod
    def from_json(cls, data: dict) -> NetworkSource:
        return cls(**{**data, "path": Path(data["path"]) if data.get("path") else None})

    def identity(self) -> dict:
        """What decides the numbers (the protocol): the kind, and the file's sha256 or the seed; not its place."""
        return {"kind": self.kind, "sha256": self.sha256, "seed": self.seed}


def parse_weights(text: str) -> tuple[str, dict[str, str]]:
    """``"random,vgg16=import"`` -> ``("random", {"vgg16": "import"})``.

    :raises UserError: an unknown network or mode, two defaults, or a network named twice.
    """
    default, chosen = None, {}
    for item in (part.strip() for part in text.split(",")):
        name, equals, choice = item.partition("=")
        if not equals:
            if item not in MODES:
                raise UserError(f"--weights: unknown mode {item!r}; available: {', '.join(MODES)}, or NETWORK=SOURCE")
            if default is not None:
                raise UserError(f"--weights: two defaults ({default!r} and {item!r}); give one")
            default = item
            continue
        if name not in WEIGHT_FILES:
            raise UserError(f"--weights: unknown network {name!r}; available: {', '.join(WEIGHT_FILES)}")
        if name in chosen:
            raise UserError(f"--weights: {name} is given twice")
        if not choice:
            raise UserError(f"--weights {item}: give a source: pretrained, import, random, auto or a file")
        chosen[name] = choice
    return default or "auto", chosen


def resolve_sources(text: str, needed: list[str], downloads: Downloads | None = None) -> dict[str, NetworkSource]:
    """Each network in ``needed`` resolved as ``--weights text`` says, fetching the published files that ``auto`` or
    ``pretrained`` lack (``downloads``, default: quietly, none under ``NORMBENCH_OFFLINE``) and checking every file
    before any work.

    :raises MissingWeightsError: a ``pretrained`` or ``import`` source that is missing (and, for ``pretrained``, could
        not be downloaded) or damaged.
    :raises UserError: a bad ``--weights`` or a file that is not that network.
    """
    default, chosen = parse_weights(text)
    unused = [name for name in chosen if name not in needed]
    if unused:
        warnings.warn(
            f"--weights {unused[0]}={chosen[unused[0]]}: this run uses no {unused[0]} (it uses "
            f"{', '.join(dict.fromkeys(needed))}); the source is not used",
            stacklevel=2,
        )
    choices = {name: chosen.get(name, default) for name in dict.fromkeys(needed)}
    lacking = [name for name, choice in choices.items() if _wants_download(name, choice)]
    unavailable = (downloads or Downloads.for_run()).fetch(lacking)
    sources = {name: _resolve(name, choice, unavailable.get(name)) for name, choice in choices.items()}
    _warn_fallbacks({name: unavailable[name] for name in sources if not sources[name].trained and name in lacking})
    return sources


def _wants_download(name: str, choice: str) -> bool:
    """Whether ``choice`` for ``name`` needs the published file and it is not there (nor, for auto, an import)."""
    if choice not in ("pretrained", "auto") or WEIGHT_FILES[name].path.is_file():
        return False
    return choice == "pretrained" or load_imported(name) is None


def _warn_fallbacks(reasons: dict[str, str]) -> None:
    """One warning line per reason, naming the networks that fell back to random for it."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in reasons.items():
        by_reason.setdefault(reason, []).append(name)
    for reason, names in by_reason.items():
        warnings.warn(
            f"no pretrained {', '.join(names)} ({reason}); using seeded random networks there: their numbers are "
            "not comparable with papers (`normbench weights list`)",
            stacklevel=3,
        )


def _resolve(name: str, choice: str, unavailable: str | None = None) -> NetworkSource:
    """``name``'s source for ``choice``; ``unavailable`` says why its published file could not be downloaded."""
    if choice == "random":
        return NetworkSource(name, "random", seed=RANDOM_SEED)
    if choice == "pretrained":
        if unavailable is not None:
            entry = WEIGHT_FILES[name]
            raise MissingWeightsError(
                f"pretrained {name} weights missing: {entry.filename} is not in {entry.path.parent} (TORCH_HOME) "
                f"and {unavailable}; copy it there from {entry.url}, or use --weights {name}=random"
            )
        require([name])
        return _pretrained(name)
    if choice == "import":
        return _imported(name)
    if choice == "auto":
        if WEIGHT_FILES[name].path.is_file():
            return _resolve(name, "pretrained")
        return _imported(name) if load_imported(name) else _resolve(name, "random")
    return _file(name, Path(choice).expanduser())


def _pretrained(name: str) -> NetworkSource:
    entry = WEIGHT_FILES[name]
    note = f"the published file {entry.filename}"
    return NetworkSource(name, "pretrained", entry.path, sha256(entry.path), note=note)


def _imported(name: str) -> NetworkSource:
    record = load_imported(name)
    if record is None:
        raise MissingWeightsError(f"no imported {name}: run `normbench weights import {name} FILE` first")
    status = check_imported(record)
    if status != "ok":
        raise MissingWeightsError(f"the imported {name} is {status}: {record.path}; import it again")
    return NetworkSource(name, "import", record.path, record.sha256, note=record.note)


def _file(name: str, path: Path) -> NetworkSource:
    if not path.is_file():
        raise UserError(f"--weights {name}={path}: no such file (sources: pretrained, import, random, auto or a file)")
    if name not in ("vgg13", "vgg16", "vgg19"):
        raise UserError(f"--weights {name}={path}: only a VGG's weights can be given as a file; use pretrained")
    try:
        read_state_dict(name, path)
    except UserError as error:
        raise UserError(f"--weights {name}={error}") from None
    return NetworkSource(name, "file", path.resolve(), sha256(path), note=f"given as {path}")


def network_column(sources: dict[str, NetworkSource]) -> str:
    """A row's ``networks``: ``vgg16=import:372c4f13 vgg13=random:1234 ...``, each network's kind and its file's
    sha256 prefix or its seed."""
    identities = {name: source.sha256[:8] if source.sha256 else source.seed for name, source in sources.items()}
    return " ".join(f"{name}={sources[name].kind}:{identity}" for name, identity in identities.items())


def network_lines(stored: dict) -> list[str]:
    """The manifest's ``networks`` as one line each, for the terminal and the report (empty for older runs)."""
    return [NetworkSource.from_json(data).label() for data in stored.values()]


def summary(sources: dict[str, NetworkSource]) -> str:
    """``pretrained`` (every network trained), ``random`` (none) or ``mixed``: the run's one-word ``features``."""
    kinds = {source.trained for source in sources.values()}
    return "mixed" if len(kinds) > 1 else ("pretrained" if kinds == {True} else "random")
