"""Decoding spike trains into readout features (pure NumPy; no Brian2 import).

Input is what a Brian2 ``SpikeMonitor`` records: ``indices`` (neuron of each
spike) and ``times`` (second). Brian2 Quantities are accepted: ``np.asarray``
turns them into SI floats, so times are always taken in second.

Two documented decoders (000 A.6 names "a decoder" without defining it; our choice):

* ``method="exp"``: an exponential (first-order low-pass) filter,
  ``f_i(t) = sum_{t_k <= t} exp(-(t - t_k) / tau)`` over neuron i's spikes
  t_k, sampled at each ``sample_times`` entry. A spike at exactly t counts 1.
  This is the synaptic trace a downstream neuron would see.
* ``method="count"``: the number of spikes in the half-open bin
  ``(t - bin_width, t]`` ending at each sample time.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_choice, check_range

__all__ = ["spike_features"]


def _seconds(name, value):
    """Float seconds from a float or a Brian2 time Quantity (checked by duck typing:
    this module must not import brian2)."""
    dim = getattr(value, "dim", None)
    if dim is not None and str(dim) not in ("s", "1"):
        raise ValueError(f"{name}: must be a time (second), got dimension {dim}")
    return np.asarray(value, dtype=float)


def spike_features(indices, times, neurons, sample_times, method="exp", tau=20e-3,
                   bin_width=None):
    """Features of selected neurons' spike trains at given sample times.

    Parameters
    ----------
    indices : int array (S,)
        Neuron index of each spike.
    times : float array (S,)
        Spike times in second (or Brian2 Quantity).
    neurons : int array (n,)
        The neurons to decode, in the column order wanted; spikes of other
        neurons are ignored.
    sample_times : float array (M,)
        Times at which the features are read (second, or Quantity).
    method : {"exp", "count"}
    tau : float
        Filter time constant in second (``method="exp"``), > 0.
    bin_width : float
        Bin length in second (``method="count"``), > 0; default ``tau``.

    Returns
    -------
    ndarray, shape (M, n)
    """
    check_choice("method", method, {"exp", "count"})
    idx = np.asarray(indices).ravel()
    t = _seconds("times", times).ravel()
    if idx.shape != t.shape:
        raise ValueError(f"indices, times: must have the same length, got {idx.size} and {t.size}")
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise TypeError("indices: must be integers (neuron indices)")
    neurons = np.asarray(neurons).ravel()
    if neurons.size and not np.issubdtype(neurons.dtype, np.integer):
        raise TypeError("neurons: must be integers (neuron indices)")
    ts = _seconds("sample_times", sample_times).ravel()
    if not np.all(np.isfinite(t)) or not np.all(np.isfinite(ts)):
        raise ValueError("times, sample_times: must be finite")
    if method == "exp":
        tau = check_range("tau", float(_seconds("tau", tau)), low=0, low_inclusive=False)
    else:
        bin_width = check_range("bin_width", float(_seconds(
            "bin_width", tau if bin_width is None else bin_width)), low=0, low_inclusive=False)
    if method == "exp":
        return _exp_traces(idx, t, neurons, ts, tau)
    out = np.zeros((ts.size, neurons.size))
    # sort once by (neuron, time) so each neuron's train is a contiguous slice
    order = np.lexsort((t, idx))
    idx, t = idx[order], t[order]
    starts = np.searchsorted(idx, neurons, side="left")
    stops = np.searchsorted(idx, neurons, side="right")
    for col in range(neurons.size):
        st = t[starts[col]:stops[col]]
        if st.size == 0:
            continue
        hi = np.searchsorted(st, ts, side="right")
        lo = np.searchsorted(st, ts - bin_width, side="right")
        out[:, col] = hi - lo
    return out


def _exp_traces(idx, t, neurons, ts, tau):
    """Exponential traces of ``neurons`` at ``ts``, vectorised over spikes and neurons.

    Each spike contributes ``exp(-(s_n - t_k) / tau)`` to the first sample time
    ``s_n >= t_k``; between samples the trace decays by ``exp(-(s_n - s_{n-1}) / tau)``.
    Only differences of nearby times enter an exponential (no overflow at large t).
    """
    out = np.zeros((ts.size, neurons.size))
    if ts.size == 0 or neurons.size == 0:
        return out
    order_s = np.argsort(ts, kind="stable")
    s = ts[order_s]
    # column of each spike's neuron (first column if a neuron is listed twice; -1: not read)
    top = int(max(neurons.max(), idx.max() if idx.size else 0)) + 1
    lut = np.full(top, -1, dtype=np.int64)
    lut[neurons[::-1]] = np.arange(neurons.size)[::-1]
    cols = lut[idx] if idx.size else np.zeros(0, dtype=np.int64)
    keep = cols >= 0
    cols, st = cols[keep], t[keep]
    n_of = np.searchsorted(s, st, side="left")  # first sample at or after the spike
    keep = n_of < s.size
    n_of, cols, st = n_of[keep], cols[keep], st[keep]
    G = np.bincount(n_of * neurons.size + cols, weights=np.exp(-(s[n_of] - st) / tau),
                    minlength=s.size * neurons.size).reshape(s.size, neurons.size)
    decay = np.exp(-np.diff(s) / tau)
    acc = G[0].copy()
    F = np.empty_like(G)
    F[0] = acc
    for n in range(1, s.size):
        acc *= decay[n - 1]
        acc += G[n]
        F[n] = acc
    F = F[:, lut[neurons]]  # a neuron listed twice: its first column's trace in both
    out[order_s] = F
    return out
