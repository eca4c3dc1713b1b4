"""The one way normbench writes a number for people (terminal tables, reports, Markdown); CSV and JSON keep the
full value."""

from __future__ import annotations

import math

#: What a missing value (None, NaN) is shown as.
MISSING = "–"


def format_number(value, digits: int = 4, signed: bool = False) -> str:
    """``value`` to ``digits`` significant digits (``+`` in front of a positive one when ``signed``), thousands
    and more as whole numbers with separators (``1,234,567``: an img/s or a parameter count, where more
    digits say nothing); :data:`MISSING` for None and NaN, ``str(value)`` for anything not a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    sign = "+" if signed else ""
    if abs(value) >= 1000 and math.isfinite(value):
        return f"{value:{sign},.0f}"
    return f"{value:{sign}.{digits}g}"


def format_interval(mean, low, high) -> str:
    """``mean [low, high]``, or the mean alone where there is no interval (one seed, a baseline, no spread: a
    parameter count): how every table shows a mean with its interval over seeds."""
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)) or low == high:
        return format_number(mean)
    return f"{format_number(mean)} [{format_number(low)}, {format_number(high)}]"
