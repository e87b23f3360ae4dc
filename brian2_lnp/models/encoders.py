"""Rate encoders: time series and images -> pre-generated Poisson spike trains.

Spikes are drawn in NumPy from the seed, on the simulation time grid, and fed
to a Brian2 ``SpikeGeneratorGroup`` (:meth:`SpikingNetwork.set_input`). Why
not a ``PoissonGroup``: pre-generated trains are identical on every device
(runtime, cpp_standalone, GeNN use different random number generators, and
Brian2GeNN does not support setting a seed), they survive ``compact()``
unchanged, and GeNN supports ``SpikeGeneratorGroup``.

Spike trains are returned as ``(indices, times)``: channel index (int) and
spike time in second (float, an exact multiple of ``dt``), sorted by time.
At most one spike per channel per time step (Bernoulli with p = rate * dt),
which is the discrete-time Poisson process a SpikeGeneratorGroup can
represent; rates must satisfy ``rate * dt <= 1``.

No Brian2 import unless a Brian2 Quantity is passed (then its dimension is
checked), so the encoders can be used from pure-NumPy code as well.
"""
from __future__ import annotations

import logging

import numpy as np

from ..random import as_generator
from ..validation import check_choice, check_int, check_range

__all__ = ["poisson_spike_trains", "encode_timeseries", "encode_images", "SpikeTrains"]

logger = logging.getLogger(__name__)


class SpikeTrains(tuple):
    """``(indices, times)`` plus the number of channels and the covered duration.

    A plain tuple subclass so ``i, t = encode_timeseries(...)`` works.

    Attributes
    ----------
    indices : ndarray of int
    times : ndarray of float (second)
    n_channels : int
    duration : float (second)
    """

    def __new__(cls, indices, times, n_channels, duration):
        obj = super().__new__(cls, (indices, times))
        obj.n_channels = int(n_channels)
        obj.duration = float(duration)
        return obj

    @property
    def indices(self):
        return self[0]

    @property
    def times(self):
        return self[1]

    def rates(self):
        """Mean rate of every channel over ``duration`` (Hz)."""
        if self.duration <= 0:
            return np.zeros(self.n_channels)
        return np.bincount(self.indices, minlength=self.n_channels) / self.duration


def _to_float(name, value, unit_name, low=None, low_inclusive=True):
    """A float in SI units from a float or a Brian2 Quantity with the right dimension."""
    if hasattr(value, "dim"):
        from brian2 import DimensionMismatchError, Hz, second  # lazy: Brian2 edge only
        from brian2.units.fundamentalunits import fail_for_dimension_mismatch
        unit = {"second": second, "Hz": Hz}[unit_name]
        try:
            fail_for_dimension_mismatch(value, unit, f"{name} must be in {unit_name}")
        except DimensionMismatchError as exc:
            raise ValueError(f"{name}: expected a quantity in {unit_name}, got {value!r}") from exc
        value = float(value / unit)
    return check_range(name, value, low, None, low_inclusive=low_inclusive)


def _to_array(name, value, unit_name):
    if hasattr(value, "dim"):
        from brian2 import Hz, second
        from brian2.units.fundamentalunits import fail_for_dimension_mismatch
        unit = {"second": second, "Hz": Hz}[unit_name]
        fail_for_dimension_mismatch(value, unit, f"{name} must be in {unit_name}")
        value = np.asarray(value / unit)
    return np.asarray(value, dtype=np.float64)


def poisson_spike_trains(rates, dt, step=None, t_start=0.0, seed=None):
    """Discrete-time Poisson spike trains from a (piecewise constant) rate array.

    Parameters
    ----------
    rates : array_like, shape (n_channels,) or (T, n_channels), Hz
        Rate of each channel; with 2-D input, row ``k`` holds during
        ``[t_start + k*step, t_start + (k+1)*step)``.
    dt : float or Quantity
        Simulation time step (second); spikes fall on multiples of ``dt``.
    step : float or Quantity, optional
        Duration of one row of ``rates`` (second), a multiple of ``dt``.
        Required for 2-D ``rates``; for 1-D ``rates`` it is the total duration.
    t_start : float or Quantity
        Start time (second), a multiple of ``dt``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SpikeTrains
        ``(indices, times)`` sorted by time, then by channel.
    """
    dt = _to_float("dt", dt, "second", low=0.0, low_inclusive=False)
    t_start = _to_float("t_start", t_start, "second", low=0.0)
    rates = _to_array("rates", rates, "Hz")
    if rates.ndim == 1:
        rates = rates[None, :]
    if rates.ndim != 2:
        raise ValueError("rates: must be 1-D (channels) or 2-D (T x channels), "
                         f"got shape {rates.shape}")
    if step is None:
        raise ValueError("step: the duration of one row of rates (second) is required")
    step = _to_float("step", step, "second", low=0.0, low_inclusive=False)
    if not np.isfinite(rates).all() or (rates < 0).any():
        raise ValueError("rates: must be finite and >= 0 (Hz)")
    if rates.size and rates.max() * dt > 1.0:
        raise ValueError(f"rates: must be <= 1/dt = {1.0 / dt:g} Hz so that at most one spike "
                         f"falls in a time step, got max {rates.max():g} Hz")
    steps_per_row = int(round(step / dt))
    if steps_per_row < 1 or abs(steps_per_row * dt - step) > 1e-9 * max(step, 1.0):
        raise ValueError(f"step: must be a positive multiple of dt={dt:g} s, got {step:g} s")
    k0 = int(round(t_start / dt))
    if abs(k0 * dt - t_start) > 1e-9 * max(t_start, 1.0):
        raise ValueError(f"t_start: must be a multiple of dt={dt:g} s, got {t_start:g} s")
    rng = as_generator(seed)
    T, n = rates.shape
    # Chunks of rows keep memory bounded; the uniforms are consumed in the same
    # order whatever the chunk size, so the trains do not depend on it.
    rows_per_chunk = max(1, int(4_000_000 // max(1, steps_per_row * n)))
    all_idx, all_k = [], []
    for r0 in range(0, T, rows_per_chunk):
        p = np.repeat(rates[r0:r0 + rows_per_chunk] * dt, steps_per_row, axis=0)
        k, idx = np.nonzero(rng.random(p.shape) < p)  # sorted by step, then channel
        all_k.append(k + r0 * steps_per_row)
        all_idx.append(idx)
    k = np.concatenate(all_k) if all_k else np.zeros(0, dtype=np.int64)
    idx = np.concatenate(all_idx) if all_idx else np.zeros(0, dtype=np.int64)
    times = (k0 + k) * dt
    return SpikeTrains(idx.astype(np.int64), times.astype(np.float64), n,
                       T * steps_per_row * dt)


def encode_timeseries(X, step, dt, r_min=0.0, r_max=100.0, mode="minmax", n_per_dim=1,
                      bounds=None, t_start=0.0, seed=None):
    """Rate-code a multivariate time series into Poisson spike trains.

    Each sample ``X[k]`` is held for ``step`` (a multiple of ``dt``).

    ``mode="minmax"``: each dimension is scaled to ``[r_min, r_max]``:
    ``rate = r_min + (r_max - r_min) * (x - lo) / (hi - lo)`` with ``lo, hi``
    the dimension's minimum and maximum over ``X`` (or ``bounds``), clipped to
    that range. Channels: ``d * n_per_dim``; channel ``c`` encodes dimension
    ``c // n_per_dim`` (a population of ``n_per_dim`` independent neurons).

    ``mode="posneg"``: two channel groups per dimension, for signed inputs:
    ``rate+ = r_min + (r_max - r_min) * max(x, 0) / s`` and
    ``rate- = r_min + (r_max - r_min) * max(-x, 0) / s``, ``s`` the dimension's
    largest ``|x|`` (or ``bounds``). Channels: ``2 * d * n_per_dim``, ordered
    dimension-major: [dim0 +, dim0 -, dim1 +, ...], each a population of
    ``n_per_dim``. Gain ``(r_max - r_min) / s`` per unit of x, baseline ``r_min``.

    Parameters
    ----------
    X : array_like, shape (T,) or (T, d)
    step, dt : float or Quantity (second)
    r_min, r_max : float or Quantity (Hz)
        Baseline and maximal rate.
    mode : {"minmax", "posneg"}
    n_per_dim : int >= 1
    bounds : tuple of arrays, optional
        ``(lo, hi)`` per dimension for "minmax" (e.g. from the training split,
        so that test data use the same scaling), or ``s`` per dimension for
        "posneg". Default: from ``X`` itself.
    t_start : float or Quantity (second)
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SpikeTrains
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X: must be a non-empty (T,) or (T, d) array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X: must be finite")
    check_choice("mode", mode, {"minmax", "posneg"})
    n_per_dim = check_int("n_per_dim", n_per_dim, 1)
    r_min = _to_float("r_min", r_min, "Hz", low=0.0)
    r_max = _to_float("r_max", r_max, "Hz", low=0.0)
    if r_max < r_min:
        raise ValueError(f"r_max: must be >= r_min={r_min:g} Hz, got {r_max:g} Hz")
    if mode == "minmax":
        if bounds is None:
            lo, hi = X.min(axis=0), X.max(axis=0)
        else:
            lo, hi = (np.broadcast_to(np.asarray(b, dtype=float), (X.shape[1],)) for b in bounds)
        span = np.where(hi > lo, hi - lo, 1.0)  # a constant dimension sits at r_min
        u = np.clip((X - lo) / span, 0.0, 1.0)
        rates = r_min + (r_max - r_min) * u
    else:
        s = (np.abs(X).max(axis=0) if bounds is None
             else np.broadcast_to(np.asarray(bounds, dtype=float), (X.shape[1],)))
        s = np.where(s > 0, s, 1.0)
        pos = np.clip(np.maximum(X, 0.0) / s, 0.0, 1.0)
        neg = np.clip(np.maximum(-X, 0.0) / s, 0.0, 1.0)
        both = np.stack([pos, neg], axis=2).reshape(X.shape[0], -1)  # dim-major (+, -)
        rates = r_min + (r_max - r_min) * both
    rates = np.repeat(rates, n_per_dim, axis=1)
    return poisson_spike_trains(rates, dt, step=step, t_start=t_start, seed=seed)


def encode_images(images, dt, max_rate=100.0, duration=0.1, silence=0.1, max_intensity=None,
                  t_start=0.0, seed=None):
    """Poisson trains with rate proportional to pixel intensity, then silence.

    Image ``n`` is presented during ``[t_start + n*(duration+silence),
    t_start + n*(duration+silence) + duration)`` with
    ``rate = max_rate * intensity / max_intensity`` for every pixel (channel),
    followed by ``silence`` with no spikes (100 ms and 100 ms by default;
    docs/tasks.md).

    Parameters
    ----------
    images : array_like, shape (n_images, ...) or a single image (H, W)
        Non-negative intensities; every image is flattened (C-order) to channels.
    dt : float or Quantity (second)
    max_rate : float or Quantity (Hz)
    duration, silence : float or Quantity (second), multiples of ``dt``
    max_intensity : float, optional
        Intensity that maps to ``max_rate``. Default: 255 for integer images,
        otherwise the largest value in ``images`` (1 if all zero).
    t_start : float or Quantity (second)
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SpikeTrains
        Channels = pixels per image; ``duration`` = n_images * (duration + silence).
    """
    arr = np.asarray(images)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"images: must be (n_images, ...) or one 2-D image, got shape {arr.shape}")
    X = arr.reshape(arr.shape[0], -1).astype(np.float64)
    if not np.isfinite(X).all() or (X < 0).any():
        raise ValueError("images: intensities must be finite and >= 0")
    if max_intensity is None:
        max_intensity = 255.0 if arr.dtype.kind in "iu" else float(X.max()) or 1.0
    max_intensity = check_range("max_intensity", max_intensity, 0.0, low_inclusive=False)
    max_rate = _to_float("max_rate", max_rate, "Hz", low=0.0)
    duration = _to_float("duration", duration, "second", low=0.0, low_inclusive=False)
    silence = _to_float("silence", silence, "second", low=0.0)
    dt_f = _to_float("dt", dt, "second", low=0.0, low_inclusive=False)
    rates = max_rate * np.clip(X / max_intensity, 0.0, 1.0)
    if silence > 0:
        # rows alternate: image, silence; both must be multiples of one row step
        n_on, n_off = int(round(duration / dt_f)), int(round(silence / dt_f))
        g = np.gcd(n_on, n_off)
        rows = np.zeros((X.shape[0] * (n_on + n_off) // g, X.shape[1]))
        per = (n_on + n_off) // g
        for k in range(X.shape[0]):
            rows[k * per: k * per + n_on // g] = rates[k]
        return poisson_spike_trains(rows, dt_f, step=g * dt_f, t_start=t_start, seed=seed)
    return poisson_spike_trains(rates, dt_f, step=duration, t_start=t_start, seed=seed)
