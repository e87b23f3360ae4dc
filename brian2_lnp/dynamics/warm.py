"""Warm starts: dynamical state carried from one Step I to the next.

Between two LNP iterations the network changes little (a fraction of the
synapses, a few neurons), so the tangent vectors of the node-exponent run and
the covariance chains of the last iteration are already close to where the new
run would take them after its transient / burn-in. :class:`WarmStart` holds
them with the Connectivity index of each row; :func:`map_rows` places them on
the rows of the new network's active neurons (rows of neurons no longer active
are dropped, new rows keep their cold-start draw). The runs then shorten their
transient / burn-in (docs/performance.md).

Pure NumPy; no Brian2.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["WarmStart", "map_rows", "running_exponents"]

logger = logging.getLogger(__name__)

_ARRAYS = ("surrogate_index", "surrogate_h", "surrogate_Q", "chain_index", "chains",
           "exponent_index", "exponent_sum", "exponent_count")


def map_rows(old_index, old_rows, new_index, cold_rows, what):
    """``cold_rows`` with the rows of neurons also in ``old_index`` taken from ``old_rows``.

    Parameters
    ----------
    old_index, new_index : array of int
        Connectivity index of each row of ``old_rows`` / ``cold_rows``.
    old_rows : array (len(old_index), m)
    cold_rows : array (len(new_index), m)
        The cold start (fresh draws); rows of new neurons keep them.
    what : str
        Name for the log message when the shapes do not fit.

    Returns
    -------
    ndarray (len(new_index), m)
        A new array; ``cold_rows`` itself when the column counts differ (the
        warm state belongs to other settings, so the run starts cold).
    """
    old_rows = np.asarray(old_rows, dtype=float)
    if old_rows.ndim != 2 or old_rows.shape[1] != cold_rows.shape[1] or \
            old_rows.shape[0] != len(old_index):
        logger.warning("warm start of the %s ignored: carried shape %s does not fit %s "
                       "(settings changed); starting cold", what, old_rows.shape,
                       cold_rows.shape)
        return cold_rows
    out = np.array(cold_rows, dtype=float, copy=True)
    _, i_new, i_old = np.intersect1d(np.asarray(new_index), np.asarray(old_index),
                                     assume_unique=True, return_indices=True)
    out[i_new] = old_rows[i_old]
    return out


@dataclass(frozen=True)
class WarmStart:
    """State of the last Step I, by Connectivity neuron index.

    Attributes
    ----------
    surrogate_index : ndarray of int (n,) or None
        Neuron of each row of the surrogate arrays.
    surrogate_h : ndarray (n, batch) or None
        Final rate-surrogate states of the node-exponent run.
    surrogate_Q : ndarray (n, batch * k) or None
        Final orthonormal tangent block of that run.
    chain_index : ndarray of int (m,) or None
        Neuron of each row of ``chains``.
    chains : ndarray (m, n_chains) or None
        Final states of the sampled-covariance chains.
    exponent_index : ndarray of int (r,) or None
        Neuron of each entry of ``exponent_sum`` / ``exponent_count``.
    exponent_sum : ndarray (r,) or None
        Sum of the node-exponent estimates of each neuron over the calls that
        averaged them (:func:`running_exponents`).
    exponent_count : ndarray of int (r,) or None
        Number of estimates in ``exponent_sum``.
    """

    surrogate_index: Optional[np.ndarray] = None
    surrogate_h: Optional[np.ndarray] = None
    surrogate_Q: Optional[np.ndarray] = None
    chain_index: Optional[np.ndarray] = None
    chains: Optional[np.ndarray] = None
    exponent_index: Optional[np.ndarray] = None
    exponent_sum: Optional[np.ndarray] = None
    exponent_count: Optional[np.ndarray] = None

    @property
    def has_surrogate(self):
        return self.surrogate_Q is not None

    @property
    def has_chains(self):
        return self.chains is not None

    def arrays(self, prefix="warm_"):
        """The arrays present, as ``{prefix + name: array}`` (for ``np.savez``)."""
        return {prefix + name: getattr(self, name) for name in _ARRAYS
                if getattr(self, name) is not None}

    @classmethod
    def from_arrays(cls, data, prefix="warm_"):
        """Inverse of :meth:`arrays`; None when ``data`` holds no warm array."""
        keys = getattr(data, "files", None) or list(data)
        found = {name: np.asarray(data[prefix + name]) for name in _ARRAYS
                 if prefix + name in keys}
        return cls(**found) if found else None


def running_exponents(warm, index, fresh):
    """Running mean of each neuron's node-exponent estimates over successive calls.

    Parameters
    ----------
    warm : WarmStart or None
        Carries the sums and counts of the earlier estimates (its
        ``exponent_*`` fields); None or without them: the first estimate.
    index : array of int (n,)
        Connectivity index of the neurons estimated now (the active ones).
    fresh : array (n,)
        This call's estimates, in the order of ``index``.

    Returns
    -------
    mean : ndarray (n,)
        ``(sum of earlier estimates + fresh) / (count + 1)`` per neuron; a
        neuron without earlier estimates gets ``fresh``.
    state : dict
        ``exponent_index``, ``exponent_sum``, ``exponent_count`` for the next
        :class:`WarmStart` (neurons no longer estimated are dropped).
    """
    index = np.asarray(index, dtype=np.int64)
    total = np.asarray(fresh, dtype=float).copy()
    count = np.ones(index.size, dtype=np.int64)
    if warm is not None and warm.exponent_sum is not None:
        # earlier (sum, count) per neuron; (0, 0) for neurons without an estimate
        earlier = map_rows(warm.exponent_index,
                           np.column_stack([warm.exponent_sum, warm.exponent_count]),
                           index, np.zeros((index.size, 2)), "node-exponent sums")
        total += earlier[:, 0]
        count += earlier[:, 1].astype(np.int64)
    return total / count, {"exponent_index": index, "exponent_sum": total,
                           "exponent_count": count}
