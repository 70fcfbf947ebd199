"""Input checks shared by every public function.

Each check raises ``ValueError`` naming the parameter and the offending value, in the
style of ``torch.distributions`` ("Expected parameter scale ... to satisfy GreaterThan(0)").
"""

from __future__ import annotations

import numbers

import numpy as np


def _show(value) -> str:
    """A short, readable rendering of a bad value for error messages."""
    arr = np.asarray(value)
    text = np.array2string(arr, threshold=6) if arr.ndim else repr(arr.item() if arr.dtype != object else value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_float_array(name: str, value, *, allow_nan: bool = False) -> np.ndarray:
    """Convert ``value`` to a float64 array; reject non-real dtypes and (by default) NaN."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a real number or array of real numbers, got {value!r}") from exc
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must have a real (integer or float) dtype, got dtype {arr.dtype}: {_show(value)}")
    arr = arr.astype(np.float64, copy=False)
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN, got {_show(arr)}")
    return arr


def positive(name: str, value) -> np.ndarray:
    """A finite, strictly positive float array (for ``scale``, ``temperature``)."""
    arr = as_float_array(name, value)
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"{name} must be finite and > 0, got {_show(value)}")
    return arr


def finite(name: str, value) -> np.ndarray:
    """A finite float array (for ``loc``)."""
    arr = as_float_array(name, value)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    return arr


def vector(name: str, value) -> np.ndarray:
    """A finite float array of shape ``(D,)``, ``D >= 1`` (a vector of logits, one per independent variable)."""
    arr = finite(name, value)
    if arr.ndim != 1 or arr.size < 1:
        raise ValueError(f"{name} must have shape (D,) with D >= 1, got shape {arr.shape}")
    return arr


def in_range(name: str, value, lo: float, hi: float) -> float:
    """A finite real number in the closed interval ``[lo, hi]`` (slider-backed demo parameters)."""
    value = float(finite(name, value))
    if not lo <= value <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {value!r}")
    return value


def generator(rng) -> np.random.Generator:
    """Randomness is always passed in, so that the same seed gives the same result."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}: {rng!r}"
        )
    return rng


def shape(name: str, size) -> tuple[int, ...]:
    """``size`` as a shape tuple: ``None`` or ``()`` is a scalar, an int n is ``(n,)``."""
    if size is None:
        return ()
    dims = (size,) if isinstance(size, numbers.Integral) else size
    try:
        dims = tuple(dims)
    except TypeError as exc:
        raise ValueError(f"{name} must be None, a non-negative int or a tuple of them, got {size!r}") from exc
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"{name} must be None, a non-negative int or a tuple of them, got {size!r}")
    return tuple(int(d) for d in dims)


def integer(name: str, value, *, minimum: int) -> int:
    """A Python int ``>= minimum`` (booleans and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
