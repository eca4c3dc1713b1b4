"""argparse value types shared by the commands."""

from __future__ import annotations

import argparse

from normbench.errors import UserError


def csv_list(text: str) -> list[str]:
    """``"in, bn"`` -> ``["in", "bn"]``; an empty list is refused."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list, e.g. in,bn")
    return items


def positive_ints(text: str) -> list[int]:
    """``"256,512"`` -> ``[256, 512]``; anything not a positive whole number is refused."""
    try:
        values = [int(item) for item in csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if any(value <= 0 for value in values):
        raise argparse.ArgumentTypeError(f"values must be positive, got {text!r}")
    return values


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


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {requested}: CUDA is not available on this machine")
    try:
        torch.device(requested)
    except RuntimeError as error:
        raise UserError(f"--device {requested!r} is not a device torch knows ({error})") from None
    return requested
