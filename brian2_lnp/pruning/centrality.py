"""LNP Step II: prune the neurons of lowest betweenness centrality (seed 000, Alg. 3).

Pure function on a :class:`~brian2_lnp.graph.Connectivity`: pruned neurons get
``neuron_active = False`` (nothing is deleted); their synapses stop being
effective automatically.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..graph.centrality import betweenness, resolve_backend
from ..random import as_generator
from ..validation import check_range
from .report import CentralityPruneReport

__all__ = ["centrality_prune", "dead_end_neurons"]

logger = logging.getLogger(__name__)


def dead_end_neurons(conn):
    """Active neurons with no effective input or no effective output synapse.

    Such a neuron lies on no directed path between two other neurons, so its
    betweenness centrality is exactly 0. Self-loops do not count as input or
    output (they lie on no path between two other neurons either).

    Returns
    -------
    ndarray of int
        Connectivity indices, sorted.
    """
    eff = conn.effective & (conn.pre != conn.post)
    n_in = np.bincount(conn.post[eff], minlength=conn.N)
    n_out = np.bincount(conn.pre[eff], minlength=conn.N)
    return np.flatnonzero(conn.neuron_active & ((n_in == 0) | (n_out == 0)))


def _prune_dead_ends(conn):
    """Deactivate dead-end neurons until none is left; (conn, indices pruned)."""
    active = conn.neuron_active.copy()
    pruned = []
    while True:
        dead = dead_end_neurons(conn.replace(neuron_active=active))
        if dead.size == 0 or dead.size == int(active.sum()):
            break  # nothing to do, or it would empty the network (left to the caller)
        active[dead] = False
        pruned.append(dead)
    out = conn.replace(neuron_active=active)
    return out, (np.sort(np.concatenate(pruned)) if pruned else np.zeros(0, dtype=np.int64))


def centrality_prune(conn, q=None, *, threshold=None, quantile=None, dead_ends=False,
                     weighted=False, pivots=None, backend="auto", seed=None):
    """Prune the active neurons of lowest betweenness centrality.

    Parameters
    ----------
    conn : Connectivity
    q : float in [0, 1), optional
        Prune the ``floor(q * n_active)`` active neurons of lowest centrality.
        Ties at the boundary are broken at random with ``seed``.
    threshold : float >= 0, optional
        Instead of ``q``: prune every active neuron whose (normalised)
        centrality is strictly below ``threshold``. If that would prune every
        neuron, a ValueError is raised.
    quantile : float in [0, 1), optional
        Instead of ``q`` or ``threshold``: the threshold is this quantile of
        the active neurons' centralities (``numpy.quantile``, linear
        interpolation), then the threshold rule applies. The report's
        ``threshold`` holds the value, so a caller can fix it for later calls
        (the iterative driver's convergent schedule does).
    dead_ends : bool
        After the centrality rule, also prune every neuron that has no
        effective input or no effective output synapse (its betweenness is
        exactly 0: it lies on no path between two other neurons), repeated
        until none is left, since pruning one can leave a neighbour without
        input or output. Counted in the report's ``n_dead_ends``.
    weighted, pivots, backend :
        Passed to :func:`brian2_lnp.graph.centrality.betweenness` (directed;
        hop counts or ``1/|w|`` lengths; exact or pivot-sampled).
    seed : None, int or numpy.random.Generator
        Pivots and tie-breaking.

    Returns
    -------
    conn : Connectivity
        A copy with the pruned neurons' ``neuron_active`` set to False.
    report : CentralityPruneReport

    Raises
    ------
    ValueError
        Neither or both of ``q`` and ``threshold``; ``q`` outside [0, 1);
        negative ``threshold``; a network with no active neuron or no effective
        synapse; a threshold that would prune every neuron.
    """
    t0 = time.perf_counter()
    if sum(x is not None for x in (q, threshold, quantile)) != 1:
        raise ValueError("centrality_prune: give exactly one of q (fraction in [0, 1)), "
                         "threshold (centrality >= 0) or quantile (in [0, 1))")
    if q is not None:
        q = check_range("q", q, 0.0, 1.0, high_inclusive=False)
    if quantile is not None:
        quantile = check_range("quantile", quantile, 0.0, 1.0, high_inclusive=False)
    if threshold is not None:
        threshold = check_range("threshold", threshold, 0.0)
    n_active = conn.n_active_neurons
    if n_active == 0:
        raise ValueError("conn: the network has no active neuron (fully pruned)")
    n_eff = conn.n_active_synapses
    if n_eff == 0:
        raise ValueError("conn: the network has no effective synapse; betweenness is "
                         "zero everywhere and gives no ranking")
    rng = as_generator(seed)
    name = resolve_backend(backend, pivots)
    bc = betweenness(conn, weighted=weighted, pivots=pivots, backend=name, seed=rng,
                     normalized=True)
    active = np.flatnonzero(conn.neuron_active)
    vals = bc[active]
    if quantile is not None:
        threshold = float(np.quantile(vals, quantile))
    if q is not None:
        n_prune = int(np.floor(q * active.size))
        # Random secondary key so equal centralities (often many zeros) are not
        # pruned by index order.
        order = np.lexsort((rng.random(active.size), vals))
        victims = active[order[:n_prune]]
        cutoff = float(vals[order[n_prune - 1]]) if n_prune else float("nan")
    else:
        mask = vals < threshold
        if mask.all():
            raise ValueError(
                f"threshold: {threshold} is above the centrality of every active neuron "
                f"(max {vals.max():.3g}); it would prune the whole network")
        victims = active[mask]
        cutoff = float(threshold)
    new_active = conn.neuron_active.copy()
    new_active[victims] = False
    out = conn.replace(neuron_active=new_active)
    dead = np.zeros(0, dtype=np.int64)
    if dead_ends:
        out, dead = _prune_dead_ends(out)
        victims = np.concatenate([victims, dead])
    report = CentralityPruneReport(
        step="centrality_prune", backend=name, weighted=bool(weighted), pivots=pivots,
        q=q, threshold=threshold, quantile=quantile, cutoff=cutoff,
        n_dead_ends=int(dead.size), n_active_before=int(active.size),
        n_pruned=int(victims.size), pruned=np.sort(victims).tolist(),
        n_effective_synapses_before=n_eff,
        n_effective_synapses_after=out.n_active_synapses,
        bc_min=float(vals.min()), bc_mean=float(vals.mean()), bc_max=float(vals.max()),
        wall_time=time.perf_counter() - t0)
    logger.info("centrality_prune: pruned %d of %d neurons (backend %s)",
                report.n_pruned, active.size, name)
    return out, report
