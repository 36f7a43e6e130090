"""Checks for values where they enter the package: each names the argument and the bad value.

Type errors (a string where a number belongs, a float where an integer belongs, a list where a
dict belongs) raise ``TypeError``; values of the right type outside their range raise
``ValueError``. Nothing is silently converted: ``1.5`` is not an integer, ``True`` is not a
number, ``"0.5"`` is not a report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

MAX_BYTES = int(os.environ.get("MDBF_ENVS_MAX_BYTES", 8 * 2**30))
"""The largest array a size argument may ask for (8 GiB; ``MDBF_ENVS_MAX_BYTES`` moves it):
a larger request is refused before anything is allocated (:func:`check_size`)."""


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int (Python or numpy integer, not bool), in [``minimum``, ``maximum``]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} = {value!r} must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} = {value} must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} = {value} must be <= {maximum}")
    return int(value)


def check_size(name: str, value: Any, bytes_each: float, minimum: int = 1) -> int:
    """A count (an integer >= ``minimum``) whose arrays take ``bytes_each`` bytes per unit,
    refused before any allocation when they would exceed :data:`MAX_BYTES`."""
    n = check_int(name, value, minimum)
    need = n * bytes_each
    if need > MAX_BYTES:
        raise ValueError(
            f"{name} = {n} would need {need / 2**30:.3g} GiB ({bytes_each:g} bytes each); the ceiling is "
            f"{MAX_BYTES / 2**30:g} GiB (MDBF_ENVS_MAX_BYTES)"
        )
    return n


def check_bounds(name: str, value: Any) -> tuple[float, float]:
    """``(low, high)``: two finite reals with low < high."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} = {value!r} must be (low, high)")
    low, high = (check_real(name, b) for b in value)
    if not low < high:
        raise ValueError(f"{name} = {tuple(value)} must have low < high")
    return low, high


def check_names(name: str, value: Any, choices: Sequence[str] | None = None) -> tuple[str, ...]:
    """A list or tuple of distinct names (not one string: ``"prices"`` is not ``("prices",)``),
    each one of ``choices`` if given."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} = {value!r} must be a list or tuple of names, e.g. ({value!r},)")
    names = tuple(value)
    bad = [v for v in names if not isinstance(v, str) or (choices is not None and v not in choices)]
    if bad:
        allowed = f"; use names from {list(choices)}" if choices is not None else ""
        raise ValueError(f"{name} = {list(names)}: {bad} unknown{allowed}")
    check_distinct(name, names)
    return names


def check_distinct(name: str, values: Sequence[Any]) -> None:
    """Refuse a repeated entry (a list option that names one thing twice)."""
    seen, repeated = set(), []
    for v in values:
        if v in seen and v not in repeated:
            repeated.append(v)
        seen.add(v)
    if repeated:
        raise ValueError(f"{name} = {list(values)} repeats {repeated}")


def check_horizon(horizon: Any, max_cycles: Any = None) -> int:
    """An env's episode length: ``horizon``, or PettingZoo's alias ``max_cycles`` when given
    (the error names whichever was used)."""
    return check_int("horizon", horizon, 1) if max_cycles is None else check_int("max_cycles", max_cycles, 1)


def check_real(
    name: str, value: Any, low: float | None = None, high: float | None = None, positive: bool = False
) -> float:
    """``value`` as a finite float (not bool), within [low, high] (and > 0 if ``positive``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{name} = {value!r} must be a real number")
    x = float(value)
    if not np.isfinite(x) or (low is not None and x < low) or (high is not None and x > high) or (positive and x <= 0):
        if low is not None and high is not None:
            bounds = f"in [{low}, {high}]"
        elif low is not None or high is not None:
            bounds = f">= {low:g}" if low is not None else f"<= {high:g}"
        else:
            bounds = "finite"
        raise ValueError(f"{name} = {value!r} must be {'positive and ' if positive else ''}{bounds}")
    return x


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a bool (``True``/``False`` only)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} = {value!r} must be True or False")
    return bool(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, (str, type(None))) or value not in choices:
        raise ValueError(f"{name} = {value!r}; use one of {list(choices)}")
    return value


def check_seed(seed: Any) -> int | None:
    """A seed: None or a non-negative integer (Python or numpy)."""
    return None if seed is None else check_int("seed", seed, 0)


def check_number_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array of real numbers (no bools, strings, complex numbers or
    objects), or a TypeError naming it."""
    arr = np.asarray(value) if not isinstance(value, (str, bytes, dict, type(None))) else None
    if arr is None or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} = {value!r} must be real numbers")
    return arr.astype(np.float64)


def check_action(name: str, action: Any) -> float:
    """One real number: a scalar or an array of shape (1,), as a Box(1,) action is."""
    arr = check_number_array(name, action)
    if arr.shape not in ((), (1,)):
        raise ValueError(
            f"{name} = {np.asarray(action).tolist()} must be one number, shape (1,); got shape {arr.shape}"
        )
    x = float(arr.reshape(-1)[0])
    if not np.isfinite(x):
        raise ValueError(f"{name} = {x} must be finite")
    return x
