"""Argument checks that fail early with a message naming the parameter."""
import numbers

import numpy as np

__all__ = ["check_range", "check_int", "check_choice", "check_array"]


def check_range(name, value, low=None, high=None, low_inclusive=True, high_inclusive=True):
    """Return ``float(value)`` or raise ValueError naming ``name`` and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    v = float(value)
    lo_ok = low is None or (v >= low if low_inclusive else v > low)
    hi_ok = high is None or (v <= high if high_inclusive else v < high)
    if not np.isfinite(v) or not (lo_ok and hi_ok):
        lb = "-inf" if low is None else f"{low}"
        hb = "inf" if high is None else f"{high}"
        interval = (("[" if low_inclusive and low is not None else "(") + f"{lb}, {hb}"
                    + ("]" if high_inclusive and high is not None else ")"))
        raise ValueError(f"{name}: must lie in {interval}, got {value!r}")
    return v


def check_int(name, value, low=None, high=None):
    """Return ``int(value)`` or raise naming ``name`` and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    check_range(name, value, low, high)
    return int(value)


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}: must be one of {sorted(choices)}, got {value!r}")
    return value


def check_array(name, values, shape=None, low=None, high=None):
    """Return ``values`` as a float array, or raise naming ``name`` and what is allowed.

    Every entry must be finite and within ``[low, high]`` (None: unbounded);
    ``shape`` (a tuple) is checked when given.
    """
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an array of numbers, got {values!r:.80}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name}: must have shape {tuple(shape)}, got {arr.shape}")
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= arr < low
    if high is not None:
        bad |= arr > high
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        lb = "-inf" if low is None else f"{low}"
        hb = "inf" if high is None else f"{high}"
        raise ValueError(f"{name}: entries must be finite and lie in [{lb}, {hb}]; "
                         f"{int(bad.sum())} do not (e.g. entry {k} = {arr.ravel()[k]!r})")
    return arr
