"""Helpers every task module shares (public, so no module reaches into another's
private names): array and unit checks, seeds, the network clock, and silencing
Brian2's warning about input spikes in the past."""
from __future__ import annotations

import contextlib
import logging

import numpy as np

from ..random import as_generator

__all__ = ["as_2d", "seconds", "base_seed", "now", "snap", "quiet_past_spikes"]


def as_2d(name, X):
    """``X`` as a finite float (T, d) array (a (T,) array becomes (T, 1))."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty (T,) or (T, d) array, got {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name}: must be finite")
    return X


def seconds(name, value):
    """A float in second from a number (already in second) or a Brian2 time Quantity."""
    if hasattr(value, "dim"):
        import brian2 as b2
        b2.units.fundamentalunits.fail_for_dimension_mismatch(value, b2.second,
                                                              f"{name} must be in second")
        return float(value / b2.second)
    return float(value)


def base_seed(seed):
    """An int seed: ``seed`` itself if it is an int, else one drawn from it."""
    if isinstance(seed, (int, np.integer)):
        return int(seed)
    return int(as_generator(seed).integers(2**63 - 1))


def now(model):
    """The model's network time (second, float)."""
    import brian2 as b2

    return float(model.network.t / b2.second)


def snap(t, dt):
    """``t`` rounded to the ``dt`` grid (network times carry rounding from earlier runs)."""
    return round(float(t) / dt) * dt


@contextlib.contextmanager
def quiet_past_spikes():
    """Silence Brian2's warning that input spikes before the current time are ignored.

    On runtime the whole input history is handed to the SpikeGeneratorGroup (so
    ``compact()`` and ``export`` keep it); Brian2 warns that the past part is
    ignored, which is exactly what is wanted.
    """
    log = logging.getLogger("brian2.input.spikegeneratorgroup")
    old = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(old)
