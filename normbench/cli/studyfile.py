"""``normbench run --config study.toml``: a study in a file. ``[run]`` takes any option of ``normbench run`` (as
``image_size`` or ``image-size``), ``[profile]`` any field of the budget profile, ``[profile.training.ARCH]`` an
architecture's learning rate and loss weights; flags given on the command line override the file, and paths are
relative to the file."""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import Field, fields
from pathlib import Path

from normbench.config import Profile
from normbench.errors import UserError
from normbench.lifecycle.options import Flag, default_of, flag_name, flags

if sys.version_info >= (3, 11):
    import tomllib
else:  # NOTE: tomllib is stdlib from 3.11; tomli is the same parser for 3.10
    import tomli as tomllib

#: Profile fields a study file does not set: the name says which preset it started from.
PROFILE_FIXED = ("name",)


def read_study(path: Path) -> dict:
    """The file's tables, checked for unknown tables."""
    try:
        study = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"--config {path}: cannot be read ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"--config {path}: not valid TOML ({error})") from None
    unknown = sorted(set(study) - {"run", "profile", "weights"})
    if unknown:
        raise UserError(
            f"--config {path}: unknown table [{unknown[0]}]; a study file has [run], [profile] and [weights]"
        )
    return study


def apply_study(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with every option the command line left at its default taken from ``args.config``, and the file's
    profile fields in ``args.profile_fields``. The options and their types are :class:`RunOptions`' declarations."""
    path: Path = args.config
    study = read_study(path)
    values = dict(vars(args))
    declared = {item.name: (item, flag) for item, flag in flags()}
    command_line = getattr(args, "command_line", None)
    for key, value in study.get("run", {}).items():
        dest = key.replace("-", "_")
        if dest not in declared:
            raise UserError(
                f"--config {path}: [run] has unknown option {key!r}; it takes the options of "
                f"normbench run: {', '.join(sorted(declared))}"
            )
        item, flag = declared[dest]
        if not _given(item, command_line, values.get(dest)):
            values[dest] = _convert(path, key, value, item, flag)
    if "weights" in study and not _given(declared["weights"][0], command_line, args.weights):
        values["weights"] = _weights_table(path, study["weights"], values["weights"])
    values["profile_fields"] = _profile_fields(path, study.get("profile", {}))
    values["study_file"] = {"path": str(path.resolve()), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return argparse.Namespace(**values)


def _given(item: Field, command_line: list[str] | None, value) -> bool:
    """Whether the command line gave ``item``'s flag (then it wins over the file), also with its default value;
    without the command line, whether the value differs from the default."""
    if command_line is None:
        return value != default_of(item)
    flag = flag_name(item)
    return any(word == flag or word.startswith(f"{flag}=") for word in command_line)


def _convert(path: Path, key: str, value, item: Field, flag: Flag):
    """A TOML value as the flag's parser would give it: strings go through the flag's type, lists of names or
    seeds are taken as they are, paths are relative to the study file."""
    if isinstance(default_of(item), bool):
        if not isinstance(value, bool):
            raise UserError(f"--config {path}: [run] {key} must be true or false, got {value!r}")
        return value
    if flag.repeatable:  # NOTE: a flag given once per value takes a list, or one value
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(item, str) and item for item in items):
            raise UserError(f"--config {path}: [run] {key} must be a name or a list of names")
        return list(items)
    if isinstance(value, list):
        if not value or not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value):
            raise UserError(f"--config {path}: [run] {key} must be a non-empty list of names or numbers")
        value = ",".join(map(str, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise UserError(f"--config {path}: [run] {key} has a value of the wrong kind: {value!r}")
    try:
        converted = flag.type(value) if flag.type is not None else value
    except (argparse.ArgumentTypeError, ValueError) as error:
        raise UserError(f"--config {path}: [run] {key}: {error}") from None
    if flag.choices is not None and converted not in flag.choices:
        raise UserError(f"--config {path}: [run] {key} must be one of {', '.join(map(str, flag.choices))}")
    return path.parent / converted if isinstance(converted, Path) and not converted.is_absolute() else converted


def _weights_table(path: Path, table: dict, default: str) -> str:
    """``[weights]`` (``default = "random"``, ``vgg16 = "import"``, ``vgg13 = "vgg13.pth"``) as ``--weights`` text;
    a file is relative to the study file."""
    items = [str(table.get("default", default))]
    for network, source in table.items():
        if network == "default":
            continue
        if not isinstance(source, str) or not source:
            raise UserError(
                f"--config {path}: [weights] {network} must be a source: pretrained, import, random, auto or a file"
            )
        is_file = source not in ("pretrained", "import", "random", "auto") and not Path(source).is_absolute()
        items.append(f"{network}={path.parent / source if is_file else source}")
    return ",".join(items)


def _profile_fields(path: Path, table: dict) -> dict:
    """``[profile]`` checked against :class:`Profile`'s fields and their types."""
    types = {field.name: type(getattr(Profile("x", 1, 1, 1, 1, 1, 1), field.name)) for field in fields(Profile)}
    checked = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in types or name in PROFILE_FIXED:
            raise UserError(
                f"--config {path}: [profile] has unknown field {key!r}; available: "
                f"{', '.join(sorted(k for k in types if k not in PROFILE_FIXED))}"
            )
        wanted = types[name]
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if wanted is tuple and isinstance(value, list):  # NOTE: TOML has arrays, the profile tuples
            value = tuple(value)
        if type(value) is not wanted:
            raise UserError(f"--config {path}: [profile] {key} must be {wanted.__name__}, got {value!r}")
        checked[name] = value
    return checked
