"""What a metric must give back, checked where the run calls it: its factory's result, and ``compute()`` (or a
derived metric's ``derive()``) returning exactly the declared columns, each a number.

A mistake is a :class:`MetricContractError` naming the metric, its plugin, the column and the fix, so that a plugin
author sees what to change and the run records it as that metric's failure, never as a silent blank or a string
like ``tensor(0.1331)`` in results.csv.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from normbench.columns import Column

#: What every metric instance is called with.
METRIC_METHODS = ("reset", "update", "compute")


class MetricContractError(ValueError):
    """A metric broke the contract of ``hookspecs.normbench_register_metrics``: ``who`` (:func:`metric_label`) and
    ``detail``, what is wrong and the fix; the message is both."""

    def __init__(self, who: str, detail: str):
        super().__init__(f"{who}: {detail}")
        self.who, self.detail = who, detail


def metric_label(name: str, plugin: str | None = None) -> str:
    """``metric 'name' (plugin 'p')``, how every message names a metric."""
    return f"metric {name!r}" + (f" (plugin {plugin!r})" if plugin else "")


def built_metric(name: str, factory: Callable, context, plugin: str | None = None):
    """``factory(context)``, refused unless it gives an object with reset, update and compute.

    :raises MetricContractError: naming the metric and what the factory is called with, when the factory raises a
        TypeError (a constructor that takes no context is the usual one) or gives something else.
    """
    who = metric_label(name, plugin)
    try:
        metric = factory(context)
    except TypeError as error:
        raise MetricContractError(
            who,
            f"its factory raised TypeError: {error}; the factory is called once per run as "
            "factory(context) with a normbench.MetricContext (a Metric subclass takes it in __init__)",
        ) from error
    missing = [method for method in METRIC_METHODS if not callable(getattr(metric, method, None))]
    if missing:
        raise MetricContractError(
            who,
            f"its factory returned {type(metric).__name__}, which has no {', '.join(missing)}; "
            "return a normbench.Metric",
        )
    return metric


def checked_values(columns: tuple[Column, ...], returned: Any, who: str, method: str = "compute") -> dict:
    """``returned`` (what ``method`` gave) as ``{column: value}`` for exactly ``columns``: each ranked column a float,
    an int or NaN (a one-element tensor or numpy scalar is converted), an unranked one (``higher_is_better`` None)
    also a string or None.

    :raises MetricContractError: naming ``who`` (:func:`metric_label`), the column and the fix.
    """
    declared = [column.name for column in columns]
    if not isinstance(returned, Mapping):
        raise MetricContractError(
            who, f"{method}() returned {type(returned).__name__}, not a dict of its columns ({', '.join(declared)})"
        )
    unknown = [str(key) for key in returned if key not in declared]
    missing = [name for name in declared if name not in returned]
    if unknown or missing:
        wrong = [f"{', '.join(map(repr, unknown))}, not declared" if unknown else ""]
        wrong += [f"no {', '.join(map(repr, missing))}" if missing else ""]
        raise MetricContractError(
            who,
            f"{method}() returned {'; '.join(filter(None, wrong))}; it must return exactly its declared "
            f"columns ({', '.join(declared)}), or declare the others (Metric.columns)",
        )
    return {column.name: _value(column, returned[column.name], who, method) for column in columns}


def _value(column: Column, value: Any, who: str, method: str):
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
        if value.size == 1 if isinstance(value, (np.ndarray, np.generic)) else value.numel() == 1:
            value = value.item()
        else:
            raise MetricContractError(
                who,
                f"{method}() gave column {column.name!r} a {type(value).__name__} of shape "
                f"{tuple(value.shape)}; give one number per column (a float, an int or float('nan'))",
            )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if column.higher_is_better is None and (value is None or isinstance(value, str)):
            return value
        raise MetricContractError(
            who,
            f"{method}() gave column {column.name!r} {value!r} ({type(value).__name__}); a ranked column "
            "takes a float, an int or float('nan')",
        )
    return value if isinstance(value, int) else float(value)
