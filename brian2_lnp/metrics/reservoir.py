"""Reservoir and efficiency metrics: memory capacity, spike efficiency, effective
rank, activity, SOP ratio, accuracy (pure NumPy + scikit-learn's ridge).

Memory capacity and spike efficiency follow 002 (section III, Eq. 9-10, after
Jaeger 2001); effective rank follows 002 section III-B; the SOP ratio follows
000 section 4 ("Energy Efficiency").
"""
from __future__ import annotations

import numpy as np

from ..validation import check_int, check_range

__all__ = ["memory_capacity", "spike_efficiency", "effective_rank", "spike_counts",
           "mean_activation", "sop_ratio", "accuracy"]


def memory_capacity(states, inputs, max_delay=None, delays=None, washout=0, alpha=1e-6,
                    test_fraction=0.5, per_delay=False):
    """Memory capacity: summed squared correlation of delayed-input reconstructions.

    For each delay k a ridge readout is fitted from the state x(t) to the
    input u(t - k) on the first part of the record and evaluated on the rest
    (held out, so chance correlations of an over-fitted readout do not inflate
    the sum)::

        MC = sum_k  cov(u(t-k), y_k(t))^2 / (var(u(t-k)) var(y_k(t)))

    Parameters
    ----------
    states : array, shape (T, n)
        Reservoir state (e.g. filtered spike trains) at each input step.
    inputs : array, shape (T,)
        The scalar input fed at each step (i.i.d. for the textbook measure).
    max_delay : int, optional
        Delays 1..max_delay (default ``min(2 n, T // 4)``). Ignored if ``delays`` is given.
    delays : sequence of int, optional
        Explicit delays (>= 0).
    washout : int
        Leading steps dropped (reservoir transient).
    alpha : float
        Ridge penalty (scikit-learn ``Ridge(alpha)``; intercept fitted).
    test_fraction : float
        Fraction of usable steps held out for the correlation (0 < f < 1).
    per_delay : bool
        Also return the squared correlation of each delay.

    Returns
    -------
    float, or (float, ndarray of delays, ndarray of r^2) when ``per_delay``.
    """
    from sklearn.linear_model import Ridge

    X = np.asarray(states, dtype=float)
    u = np.asarray(inputs, dtype=float).ravel()
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] != u.size:
        raise ValueError(f"states, inputs: expected states (T, n) and inputs (T,) with the same "
                         f"T, got {np.shape(states)} and {np.shape(inputs)}")
    T, n = X.shape
    washout = check_int("washout", washout, low=0, high=T - 1)
    if delays is None:
        max_delay = (max(1, min(2 * n, T // 4)) if max_delay is None
                     else check_int("max_delay", max_delay, low=1, high=T - 1))
        delays = np.arange(1, max_delay + 1)
    else:
        delays = np.asarray([check_int("delays", int(k), low=0, high=T - 1) for k in delays])
        if delays.size == 0:
            raise ValueError("delays: must name at least one delay")
    alpha = check_range("alpha", alpha, low=0)
    test_fraction = check_range("test_fraction", test_fraction, low=0, high=1,
                                low_inclusive=False, high_inclusive=False)
    t0 = washout + int(delays.max())
    rows = np.arange(t0, T)
    if rows.size < 4:
        raise ValueError(f"states: only {rows.size} steps remain after washout + max delay "
                         f"({t0}); need more data")
    n_test = max(2, int(round(rows.size * test_fraction)))
    n_train = rows.size - n_test
    if n_train < 2:
        raise ValueError("test_fraction: leaves fewer than 2 training steps")
    targets = u[rows[:, None] - delays[None, :]]  # (rows, n_delays)
    model = Ridge(alpha=alpha).fit(X[rows[:n_train]], targets[:n_train])
    pred = model.predict(X[rows[n_train:]]).reshape(n_test, delays.size)
    tgt = targets[n_train:]
    pc = pred - pred.mean(axis=0)
    tc = tgt - tgt.mean(axis=0)
    den = (pc ** 2).sum(axis=0) * (tc ** 2).sum(axis=0)
    # a constant reconstruction carries no memory: r^2 = 0 rather than 0/0
    r2 = np.where(den > 0, (pc * tc).sum(axis=0) ** 2 / np.where(den > 0, den, 1.0), 0.0)
    total = float(r2.sum())
    return (total, delays, r2) if per_delay else total


def spike_counts(indices, N):
    """Spikes per neuron from a spike monitor's index array -> int array (N,)."""
    N = check_int("N", N, low=1)
    idx = np.asarray(indices).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= N or not np.issubdtype(idx.dtype, np.integer)):
        raise ValueError(f"indices: must be integers in [0, {N - 1}]")
    return np.bincount(idx.astype(np.int64), minlength=N)


def mean_activation(counts, duration=None, neuron_active=None):
    """Average neuronal activation: mean spike count per neuron, or mean rate.

    Parameters
    ----------
    counts : array (N,)
        Spikes per neuron (see :func:`spike_counts`).
    duration : float, optional
        Recording length in second: the result is then a rate in Hz.
    neuron_active : bool array (N,), optional
        Average only over these neurons (pruned neurons never spike and would
        otherwise dilute the mean).
    """
    c = np.asarray(counts, dtype=float).ravel()
    if neuron_active is not None:
        mask = np.asarray(neuron_active, dtype=bool).ravel()
        if mask.size != c.size:
            raise ValueError(f"neuron_active: must have length {c.size}, got {mask.size}")
        c = c[mask]
    if c.size == 0:
        raise ValueError("counts: no (active) neurons to average over")
    m = float(c.mean())
    if duration is not None:
        m /= check_range("duration", duration, low=0, low_inclusive=False)
    return m


def spike_efficiency(mc, counts, neuron_active=None):
    """Spike efficiency (002 Eq. 10): memory capacity / mean spike count per neuron.

    Parameters
    ----------
    mc : float
        Memory capacity (:func:`memory_capacity`).
    counts : array (N,) or float
        Spikes per neuron over the run, or their mean.
    neuron_active : bool array (N,), optional
        As in :func:`mean_activation`.
    """
    mc = check_range("mc", mc, low=0)
    mean = (mean_activation(counts, neuron_active=neuron_active) if np.ndim(counts)
            else check_range("counts", counts, low=0))
    if mean <= 0:
        raise ValueError("counts: the mean spike count is 0, spike efficiency is undefined")
    return mc / mean


def effective_rank(states, threshold=0.99):
    """Number of singular values holding ``threshold`` of the singular-value mass.

    002 section III-B: SVD of the final-state matrix, then the smallest k with
    ``sum_{i<=k} s_i >= threshold * sum_i s_i`` (singular values sorted down).

    Parameters
    ----------
    states : array, shape (n, m)
        Final-state matrix (e.g. neurons x stimuli).
    threshold : float
        In (0, 1]; 0.99 by default.

    Returns
    -------
    int (0 for an all-zero matrix)
    """
    S = np.asarray(states, dtype=float)
    if S.ndim != 2 or S.size == 0:
        raise ValueError(f"states: expected a non-empty 2-D matrix, got shape {S.shape}")
    threshold = check_range("threshold", threshold, low=0, high=1, low_inclusive=False)
    s = np.linalg.svd(S, compute_uv=False)
    total = s.sum()
    if total <= 0:
        return 0
    frac = np.cumsum(s) / total
    # tolerance: floating round-off must not push an exact 99 % over to the next value
    return int(np.searchsorted(frac, threshold - 1e-12) + 1)


def sop_ratio(sops_unpruned, sops_pruned):
    """SOP ratio (000 section 4): SOPs of the unpruned network / SOPs of the pruned one.

    Greater than 1 when pruning saves synaptic operations.
    """
    a = check_range("sops_unpruned", sops_unpruned, low=0)
    b = check_range("sops_pruned", sops_pruned, low=0, low_inclusive=False)
    return a / b


def accuracy(y_true, y_pred):
    """Fraction of equal labels."""
    yt, yp = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if yt.shape != yp.shape or yt.size == 0:
        raise ValueError(f"y_true, y_pred: expected equal non-empty shapes, got "
                         f"{np.shape(y_true)} and {np.shape(y_pred)}")
    return float(np.mean(yt == yp))
