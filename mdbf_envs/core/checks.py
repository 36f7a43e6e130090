"""Checks for values where they enter the package: each names the argument and the bad value.

Type errors (a string where a number belongs, a float where an integer belongs, a list where a
dict belongs) raise ``TypeError``; values of the right type outside their range raise
``ValueError``. Nothing is silently converted: ``1.5`` is not an integer, ``True`` is not a
number, ``"0.5"`` is not a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int (Python or numpy integer, not bool), at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} = {value!r} must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} = {value} must be >= {minimum}")
    return int(value)


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
        bounds = f"in [{low}, {high}]" if low is not None or high is not None else "finite"
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
