"""Betweenness centrality of a Connectivity, with interchangeable backends.

Used by LNP Step II (node pruning, :mod:`brian2_lnp.pruning.centrality`) and by
the readout of the tasks layer (top 10 % of neurons by betweenness).

Conventions (the same for every backend, whatever the library's own default):

* The graph is the **directed effective graph**: active neurons, effective
  synapses (:attr:`Connectivity.effective`). Parallel synapses between the same
  ordered pair are merged into one edge; self-loops are dropped (they never lie
  on a shortest path between two other nodes).
* ``weighted=False``: hop counts. ``weighted=True``: edge length ``1 / |w|``
  where ``|w|`` is the summed magnitude of the merged synapses, so strong
  connections are short.
* Raw betweenness of v: ``sum_{s != v != t} sigma_st(v) / sigma_st`` over
  ordered pairs (directed, endpoints excluded). ``normalized=True`` divides it
  by ``(n - 1)(n - 2)`` with n = number of active neurons, as networkx does
  for directed graphs, so values lie in [0, 1].
* ``pivots=k``: k source nodes drawn uniformly without replacement from the
  active neurons with ``seed``; the betweenness is the source-restricted sum
  (Brandes & Pich 2007) scaled by ``n / k``, an unbiased estimate of the exact
  value. networkx and igraph use the same pivot set, so they agree exactly;
  networkit uses its own estimator (``EstimateBetweenness``, Sanders et al.)
  with its own sampling, so it agrees only statistically.
* Inactive neurons get NaN (they are not in the graph; NaN keeps them from
  being picked by "lowest q" or "top 10 %" rules by accident).
"""
from __future__ import annotations

import importlib
import logging

import numpy as np
import scipy.sparse as sp

from ..random import as_generator
from ..validation import check_choice, check_int

__all__ = ["betweenness", "available_backends", "resolve_backend", "BACKENDS"]

logger = logging.getLogger(__name__)

#: backend names accepted by :func:`betweenness` (besides "auto")
BACKENDS = ("networkx", "networkit", "igraph")


def _has(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def available_backends():
    """Backends importable in this environment, in "auto" preference order."""
    order = [("igraph", "igraph"), ("networkit", "networkit"), ("networkx", "networkx")]
    return [name for name, mod in order if _has(mod)]


def resolve_backend(backend, pivots):
    """The backend ``betweenness`` would use for ``backend`` ("auto" or a name) and ``pivots``."""
    check_choice("backend", backend, set(BACKENDS) | {"auto"})
    if backend != "auto":
        module = backend
        if not _has(module):
            raise ImportError(
                f"backend={backend!r}: the package '{module}' is not installed "
                f"(pip install {module}, or the brian2_lnp[fast] extra); available: "
                f"{available_backends()}")
        return backend
    # With pivots, prefer backends that take an explicit pivot set (identical
    # results for the same seed); networkit's estimator samples on its own.
    # Exact: igraph first (single-threaded C, imports in 0.1 s); networkit is
    # parallel but its import took 13 s and its betweenness 1.3 s vs igraph's
    # 0.5 s at N = 1000 on the shared 2-core machine (benchmarks/RESULTS_pruning_steps.md).
    order = (["igraph", "networkx"] if pivots is not None
             else ["igraph", "networkit", "networkx"])
    for name in order:
        if _has(name):
            return name
    raise ImportError("betweenness: no graph backend installed (networkx is required)")


def _edge_list(conn, weighted):
    """Compacted simple digraph: (n, src, dst, length) and the active-neuron index."""
    sub, neuron_index, _ = conn.compacted()
    n = sub.N
    keep = sub.pre != sub.post
    pre, post, w = sub.pre[keep], sub.post[keep], np.abs(sub.w[keep])
    if w.size and not np.isfinite(w).all():
        raise ValueError("conn.w: weights must be finite (found NaN or inf)")
    M = sp.coo_matrix((w, (pre, post)), shape=(n, n)).tocsr()
    M.sum_duplicates()
    M = M.tocoo()
    src, dst, mag = M.row.astype(np.int64), M.col.astype(np.int64), M.data
    if weighted:
        # Merged synapses whose magnitudes sum to zero would get infinite
        # length: such an edge is effectively absent; drop it explicitly.
        ok = mag > 0
        if not ok.all():
            logger.debug("betweenness: dropping %d zero-weight edges", int((~ok).sum()))
        src, dst, mag = src[ok], dst[ok], mag[ok]
        length = 1.0 / mag
    else:
        length = None
    if not weighted:
        # Unweighted: an edge with zero weight still counts as a connection
        # (an effective synapse), so pattern = stored entries, including zeros.
        pattern = sp.coo_matrix((np.ones(pre.size), (pre, post)), shape=(n, n)).tocsr()
        pattern.sum_duplicates()
        pattern = pattern.tocoo()
        src, dst = pattern.row.astype(np.int64), pattern.col.astype(np.int64)
    return n, src, dst, length, neuron_index


# ---------------------------------------------------------------- backends (raw values)
def _raw_networkx(n, src, dst, length, sources):
    import networkx as nx
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    if length is None:
        G.add_edges_from(zip(src.tolist(), dst.tolist()))
        weight = None
    else:
        G.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), length.tolist()),
                                  weight="length")
        weight = "length"
    if sources is None:
        bc = nx.betweenness_centrality(G, normalized=False, weight=weight)
    else:
        # Directed, normalized=False: networkx applies no rescaling here
        # (checked against exact sums in tests/test_centrality.py).
        bc = nx.betweenness_centrality_subset(G, sources=sources.tolist(),
                                              targets=list(range(n)),
                                              normalized=False, weight=weight)
    return np.array([bc[i] for i in range(n)], dtype=float)


def _raw_igraph(n, src, dst, length, sources):
    import igraph
    G = igraph.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=True)
    kwargs = {}
    if sources is not None:
        kwargs["sources"] = sources.tolist()
        kwargs["targets"] = list(range(n))
    bc = G.betweenness(directed=True, weights=None if length is None else length.tolist(),
                       **kwargs)
    return np.asarray(bc, dtype=float)


def _raw_networkit(n, src, dst, length, pivots, rng):
    import networkit as nk
    data = np.ones(src.size) if length is None else length
    G = nk.GraphFromCoo((data.astype(float), (src.astype(np.uint64), dst.astype(np.uint64))),
                        n=n, weighted=length is not None, directed=True)
    if pivots is None:
        algo = nk.centrality.Betweenness(G, normalized=False)
    else:
        nk.setSeed(int(rng.integers(2**31 - 1)), False)
        algo = nk.centrality.EstimateBetweenness(G, int(pivots), normalized=False,
                                                 parallel=False)
    # networkit's parallel Brandes adds the per-thread dependencies in thread order,
    # so the last bits (and near-ties in the Step II ranking) depend on the thread
    # count (measured: 1 vs 2 threads differ at 1e-17 on N = 600). One thread makes
    # the result reproducible; "auto" prefers igraph (single-threaded) anyway.
    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(1)
    try:
        algo.run()
    finally:
        nk.setNumberOfThreads(threads)
    return np.asarray(algo.scores(), dtype=float)


def betweenness(conn, *, weighted=False, pivots=None, backend="auto", seed=None,
                normalized=True):
    """Directed betweenness centrality of every neuron.

    Parameters
    ----------
    conn : Connectivity
        The network; only its effective graph is used.
    weighted : bool
        False: shortest paths by hop count. True: edge length ``1 / |w|``.
    pivots : int or None
        None for the exact value (Brandes, O(n m)); an int k >= 1 for the pivot
        estimate from k random sources (O(k m)). k >= n gives the exact value.
    backend : {"auto", "networkx", "networkit", "igraph"}
        "auto" picks igraph, then networkit, then networkx for exact values, and
        igraph, then networkx with pivots (same pivot set for a given seed).
    seed : None, int or numpy.random.Generator
        Chooses the pivots.
    normalized : bool
        Divide by ``(n - 1)(n - 2)`` (n = active neurons), giving values in [0, 1].

    Returns
    -------
    bc : array of float, shape (conn.N,)
        Betweenness of each neuron; NaN for inactive neurons. All zeros when
        fewer than 3 neurons are active.

    Raises
    ------
    ValueError
        Bad ``pivots`` or ``backend``.
    ImportError
        ``backend`` names a library that is not installed.

    Notes
    -----
    See the module docstring for the conventions that make the backends agree.
    """
    if pivots is not None:
        pivots = check_int("pivots", pivots, 1)
    name = resolve_backend(backend, pivots)
    n, src, dst, length, neuron_index = _edge_list(conn, bool(weighted))
    out = np.full(conn.N, np.nan)
    if n == 0:
        return out
    if n < 3:
        out[neuron_index] = 0.0
        return out
    rng = as_generator(seed)
    if pivots is not None and pivots >= n:
        pivots = None  # every node is a source: the estimate is the exact value
    sources = None
    if pivots is not None and name != "networkit":
        sources = np.sort(rng.choice(n, size=pivots, replace=False))
    if name == "networkx":
        raw = _raw_networkx(n, src, dst, length, sources)
    elif name == "igraph":
        raw = _raw_igraph(n, src, dst, length, sources)
    else:
        raw = _raw_networkit(n, src, dst, length, pivots, rng)
    if sources is not None:
        raw = raw * (n / pivots)
    if normalized:
        raw = raw / ((n - 1) * (n - 2))
    out[neuron_index] = raw
    logger.debug("betweenness: backend=%s n=%d m=%d pivots=%s", name, n, src.size, pivots)
    return out
