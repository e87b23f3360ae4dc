"""Argument checks that fail early with a message naming the parameter."""
import numbers

import numpy as np

__all__ = ["check_range", "check_int", "check_bool", "check_choice", "check_array", "to_si",
           "UnitError"]


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


def check_bool(name, value):
    """Return ``bool(value)`` for a bool (or NumPy bool), or raise TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


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


class UnitError(TypeError, ValueError):
    """A value in the wrong unit (both a TypeError and a ValueError for callers of either)."""


_BASE_DIMENSIONS = ("m", "kg", "s", "A", "K", "mol", "cd")
#: unit names accepted by :func:`to_si` -> (SI base-dimension exponents, what it measures)
_UNITS = {"second": ((0, 0, 1, 0, 0, 0, 0), "a time"),
          "volt": ((2, 1, -3, -1, 0, 0, 0), "a voltage"),
          "Hz": ((0, 0, -1, 0, 0, 0, 0), "a rate")}


def _exponents(value):
    """A Brian2 Quantity's base-dimension exponents, or None for a plain number.

    Duck-typed on ``.dim`` (Brian2's public ``Dimension.get_dimension``), so the
    layers below the models never import brian2.
    """
    dim = getattr(value, "dim", None)
    if dim is None:
        return None
    return tuple(int(dim.get_dimension(b)) for b in _BASE_DIMENSIONS)


def _leaves(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _strip(value):
    if isinstance(value, (list, tuple)):
        return [_strip(v) for v in value]
    return np.asarray(value)  # a Quantity holds its SI values


def to_si(name, value, unit):
    """``value`` in SI units as a float array, after checking its dimension.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : number, array, Brian2 Quantity, or (nested) list of these
        A Quantity must have the dimension of ``unit``; a plain number is taken
        as already in SI units of ``unit``. Quantities and plain numbers cannot be
        mixed in one list.
    unit : {"second", "volt", "Hz"}

    Raises
    ------
    UnitError
        When a Quantity has another dimension (e.g. ``input_rate=5*mV``) or the
        entries of a list mix dimensions, naming ``name`` and the expected unit;
        also when ``value`` is not numeric.
    """
    expected, what = _UNITS[unit]
    dims = {_exponents(v) for v in _leaves(value)}
    if len(dims) > 1:
        raise UnitError(f"{name}: entries must share one dimension ({what})")
    if dims and dims != {None}:
        if dims != {expected}:
            raise UnitError(f"{name}: expected {what} (e.g. in {unit}), got {value!r:.80}")
        value = _strip(value)
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise UnitError(f"{name}: expected a number or a Quantity in {unit}, got "
                        f"{value!r:.80}") from None
