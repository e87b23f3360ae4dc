"""Synaptic operations (SOPs), seed 000 Eq. 10.

Pure NumPy: works on a :class:`~brian2_lnp.graph.Connectivity` and an array
of spike counts, so it can be used on counts from any simulator. The Brian2
model (:meth:`brian2_lnp.models.network.SpikingNetwork.sops`) passes the
counts of its real ``SpikeMonitor``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["sops", "effective_out_degree"]


def effective_out_degree(conn):
    """Number of effective synapses leaving each neuron.

    A synapse is effective when it is active and its pre- and postsynaptic
    neurons are active (:attr:`Connectivity.effective`); parallel synapses
    between one pair count once each.

    Parameters
    ----------
    conn : Connectivity

    Returns
    -------
    degree : ndarray of int, shape (N,)
    """
    eff = conn.effective
    return np.bincount(conn.pre[eff], minlength=conn.N).astype(np.int64)


def sops(spike_counts, conn):
    """Synaptic operations: sum over presynaptic neurons of spikes x effective out-degree.

    ``SOPs = sum_i n_i * #{k : pre_k = i, synapse k, neuron pre_k and neuron
    post_k all active}`` (seed 000 Eq. 10). Every spike of neuron i costs one
    operation per effective outgoing synapse.

    Parameters
    ----------
    spike_counts : array_like of int, shape (N,)
        Spike count of every recurrent neuron (pruned neurons included; their
        counts are ignored since they have no effective synapses).
    conn : Connectivity
        The network whose synapses the spikes travel on.

    Returns
    -------
    int
        Total number of synaptic operations.

    Raises
    ------
    ValueError
        If ``spike_counts`` does not have length ``conn.N`` or has negative
        or non-integer entries.
    """
    counts = np.asarray(spike_counts)
    if counts.ndim != 1 or counts.size != conn.N:
        raise ValueError(f"spike_counts: must be a 1-D array of length N={conn.N}, "
                         f"got shape {counts.shape}")
    if counts.size and (counts.dtype.kind not in "iuf" or (counts < 0).any()
                        or not np.array_equal(counts, np.round(counts))):
        raise ValueError("spike_counts: entries must be non-negative integers")
    counts = counts.astype(np.int64)
    return int(np.dot(counts, effective_out_degree(conn)))
