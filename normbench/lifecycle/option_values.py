"""Option values from text: the parsers ``normbench run``'s flags and a study file's ``[run]`` strings go through
(``"0-2,7"`` seeds, ``"adain=3e-5"`` rates). They raise ``argparse.ArgumentTypeError``, which argparse reports as a
usage error and the study-file reader names with its key."""

from __future__ import annotations

import argparse


def csv_list(text: str) -> list[str]:
    """``"in, bn"`` -> ``["in", "bn"]``; an empty list is refused."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list, e.g. in,bn")
    return items


def learning_rates(text: str) -> dict[str, float]:
    """``"2e-3"`` -> ``{"*": 0.002}`` (every architecture of the run), ``"adain=3e-5,msgnet=2e-3"`` -> per
    architecture. Ranges are checked once the run's architectures are known."""
    rates = {}
    for item in csv_list(text):
        arch, equals, value = item.rpartition("=")
        try:
            rates[arch.strip() if equals else "*"] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a learning rate, or ARCHITECTURE=RATE pairs like adain=1e-4,transformer=1e-3, got {item!r}"
            ) from None
    return rates


def positive_ints(text: str) -> list[int]:
    """``"256,512"`` -> ``[256, 512]``; anything not a positive whole number is refused."""
    try:
        values = [int(item) for item in csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if any(value <= 0 for value in values):
        raise argparse.ArgumentTypeError(f"values must be positive, got {text!r}")
    return values


def float_list(text: str) -> list[float]:
    """``"0.25,1,4"`` -> ``[0.25, 1.0, 4.0]``; ranges are checked where the values are used."""
    try:
        return [float(item) for item in csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like 0.25,1,4, got {text!r}") from None


def seed_list(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-2"`` (inclusive ranges, mixable: ``"0-2,7"``) -> ``[0, 1, 2]``."""
    seeds = []
    for item in csv_list(text):
        first, dash, last = item.partition("-")
        try:
            low, high = int(first), int(last if dash else first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected seeds like 0,1,2 or 0-4, got {item!r}") from None
        if high < low:
            raise argparse.ArgumentTypeError(f"empty seed range {item!r}: write it low-high, e.g. 0-4")
        seeds.extend(range(low, high + 1))
    return seeds


def run_id(text: str) -> str:
    """A run directory's name: one path component, no separator, not ``.`` or ``..``, at most 200 characters."""
    if (
        not text
        or text in (".", "..")
        or "/" in text
        or "\\" in text
        or "\0" in text
        or len(text) > 200
        or text != text.strip()
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a directory name: a run id is one path component "
            "(no / or \\, not . or .., at most 200 characters, no surrounding spaces)"
        )
    return text
