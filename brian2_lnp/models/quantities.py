"""Dimension checks at the Brian2 boundary: Quantities in, SI floats out."""
from __future__ import annotations

import numpy as np

__all__ = ["to_si"]

#: unit names accepted by :func:`to_si` -> (Brian2 unit attribute, what it measures)
_UNITS = {"second": ("second", "a time"), "volt": ("volt", "a voltage"),
          "Hz": ("Hz", "a rate")}


def to_si(name, value, unit):
    """``value`` in SI units as a float array, after checking its dimension.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : number, array or Brian2 Quantity
        A Quantity must have the dimension of ``unit``; a plain number is taken
        as already in SI units of ``unit``.
    unit : {"second", "volt", "Hz"}

    Raises
    ------
    ValueError
        When a Quantity has another dimension (e.g. ``input_rate=5*mV``), naming
        ``name`` and the expected unit.
    """
    attr, what = _UNITS[unit]
    if isinstance(value, (list, tuple)) and any(hasattr(v, "dim") for v in np.ravel(
            np.asarray(value, dtype=object))):
        import brian2 as b2

        try:  # a list of Quantities: one array with one dimension
            value = b2.Quantity(value)
        except Exception as exc:  # DimensionMismatchError, mixed entries
            raise ValueError(f"{name}: entries must share one dimension ({what}): {exc}") from None
    if hasattr(value, "dim"):
        import brian2 as b2

        expected = getattr(b2, attr)
        if value.dim != expected.dim:
            raise ValueError(f"{name}: expected {what} (e.g. in {unit}), got {value!r} with "
                             f"dimension {value.dim}")
        return np.asarray(value / expected, dtype=float)
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a number or a Quantity in {unit}, got "
                        f"{value!r}") from None
