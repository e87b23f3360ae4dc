"""LNP Step III: delocalise eigenvectors by adding edges (seed 000, Eq. 5).

After Steps I-II the pruned graph can fall apart into weakly linked pieces,
which localises the Laplacian eigenvectors. Step III adds M new synapses that
maximise the variance of the degree distribution, each between a neuron and a
neuron of its 2-hop neighbourhood, none of them in the original edge set.

Definitions used here (the paper leaves them open; see docs/pruning.md):

* degree d_i = in-degree + out-degree of neuron i over effective synapses
  (parallel synapses count separately, a self-loop counts twice), over active
  neurons only;
* degree variance = population variance ``np.var(d)`` over active neurons;
* 2-hop neighbourhood of u = active neurons at undirected distance 1 or 2 from
  u in the effective graph (distance 1 is allowed: v -> u existing does not
  forbid the new u -> v);
* forbidden pairs = every ordered (pre, post) stored in ``conn`` (active or
  not, so pruned synapses are never re-created) and in ``original``, plus
  self-loops and pairs already added by this call.

Greedy on the exact variance change. Adding u -> v raises d_u and d_v by one:
``n * dVar = 2 (d_u + d_v) + 2 - n ((m + 2/n)^2 - m^2)`` with m the mean
degree, so the change depends on the pair only through ``d_u + d_v`` and the
best edge is the candidate of largest degree sum (ties broken at random with
``seed``). Candidates are generated from the rows of the H highest-degree
neurons; a pair with neither end in H scores at most twice the largest degree
outside H, so when the best candidate reaches that bound the choice is exact,
and otherwise H is doubled. This keeps the step to seconds at N = 5000 with
~100k synapses.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp

from ..graph.connectivity import INHIBITORY
from ..random import as_generator
from ..validation import check_int, check_range
from .report import DelocalizeReport

__all__ = ["delocalize", "degree", "laplacian_ipr", "added_max_share",
           "DEFAULT_MAX_SHARE"]

logger = logging.getLogger(__name__)

#: default number of new edges, as a fraction of the effective synapses (our choice)
DEFAULT_FRACTION = 0.02


#: spread limit of the driver's Step III (our choice): no neuron touches more
#: than 5 % of the synapses Step III adds over a run
DEFAULT_MAX_SHARE = 0.05


def added_max_share(touches):
    """Largest fraction of the added synapses that touch one neuron.

    ``touches[i]`` counts the added synapses with neuron i as pre or post, so
    ``touches.sum() / 2`` synapses were added (no self-loops). NaN when none was.
    """
    touches = np.asarray(touches)
    total = touches.sum() / 2
    return float(touches.max() / total) if total > 0 else float("nan")


def degree(conn):
    """Total degree (in + out, effective synapses) of every neuron; 0 for inactive ones."""
    eff = conn.effective
    return (np.bincount(conn.pre[eff], minlength=conn.N)
            + np.bincount(conn.post[eff], minlength=conn.N)).astype(np.int64)


def laplacian_ipr(conn):
    """Mean inverse participation ratio of the Laplacian eigenvectors.

    The Laplacian ``L = D - B`` of the symmetrised, unweighted effective graph
    over active neurons (B_ij = 1 if a synapse i -> j or j -> i is effective).
    IPR of a unit eigenvector v is ``sum_i v_i^4``: 1/n when fully spread,
    1 when on a single node. Dense ``numpy.linalg.eigh``: O(n^3).
    """
    sub, _, _ = conn.compacted()
    n = sub.N
    if n == 0:
        return float("nan")
    B = np.zeros((n, n))
    B[sub.pre, sub.post] = 1.0
    B = np.maximum(B, B.T)
    np.fill_diagonal(B, 0.0)
    L = np.diag(B.sum(axis=1)) - B
    _, V = np.linalg.eigh(L)
    return float(np.mean(np.sum(V ** 4, axis=0)))


def _pair_codes(pre, post, N):
    return np.asarray(pre, dtype=np.int64) * N + np.asarray(post, dtype=np.int64)


def _new_weights(conn, pre_new):
    """Dale's-law sign of the presynaptic neuron, magnitude = its mean |w|."""
    eff = conn.effective
    absw = np.abs(conn.w[eff])
    pre_eff = conn.pre[eff]
    counts = np.bincount(pre_eff, minlength=conn.N)
    sums = np.bincount(pre_eff, weights=absw, minlength=conn.N)
    mean_by_pre = np.divide(sums, counts, out=np.full(conn.N, np.nan), where=counts > 0)
    # Fallbacks for a neuron with no effective outgoing synapse (our choice):
    # mean |w| of its population (E or I), then of the whole network.
    fallback = {}
    for t in (0, 1):
        sel = conn.types[pre_eff] == t
        fallback[t] = float(absw[sel].mean()) if sel.any() else (
            float(absw.mean()) if absw.size else 0.0)
    mag = mean_by_pre[pre_new]
    bad = ~np.isfinite(mag)
    if bad.any():
        mag[bad] = [fallback[int(conn.types[p])] for p in pre_new[bad]]
    sign = np.where(conn.types[pre_new] == INHIBITORY, -1.0, 1.0)
    return sign * mag


def _candidates(rows, B, forbid_codes, N, nidx):
    """Directed candidate pairs (compact ids) touching ``rows``, not forbidden."""
    Br = B[rows]
    R = (Br + Br @ B).tocoo()  # within 2 undirected hops of each row node
    u = rows[R.row]
    v = R.col.astype(np.int64)
    keep = u != v
    u, v = u[keep], v[keep]
    cu = np.concatenate([u, v])
    cv = np.concatenate([v, u])
    codes = _pair_codes(nidx[cu], nidx[cv], N)
    codes, first = np.unique(codes, return_index=True)
    ok = ~np.isin(codes, forbid_codes, assume_unique=False)
    return cu[first][ok], cv[first][ok]


def delocalize(conn, M=None, *, fraction=None, original=None, seed=None, ipr_max_n=500,
               max_share=None, prior=None):
    """Add M synapses that maximise the degree variance (LNP Step III).

    Parameters
    ----------
    conn : Connectivity
        The pruned network.
    M : int >= 0, optional
        Number of synapses to add.
    fraction : float in [0, 1], optional
        Instead of ``M``: ``M = round(fraction * n_effective_synapses)``. When
        neither is given, ``fraction = 0.02`` (our choice; the paper calls M
        "predetermined" without a value).
    original : Connectivity, optional
        The network before pruning (same N); none of its (pre, post) pairs is
        added back.
    seed : None, int or numpy.random.Generator
        Breaks ties between candidates of equal score.
    ipr_max_n : int
        The mean Laplacian IPR is computed (dense eigh, O(n^3)) only when the
        number of active neurons is at most this; NaN in the report otherwise.
        Default 500: at n = 1000 one eigh took 17 s on the loaded test machine,
        while the edge selection itself takes 0.1 s.
    max_share : float in (0, 1], optional
        Spread limit (no hubs): no neuron may touch (as pre or post) more than
        ``cap = max(1, floor(max_share * T))`` of the synapses added so far,
        where ``T`` is the number of earlier additions (``prior``) plus ``M``.
        None: no limit (the pure greedy, which puts every new synapse on the
        highest-degree neuron).
    prior : array of int (conn.N,), optional
        Number of synapses added by earlier calls that touch each neuron (a
        run's running total; each added synapse counts once at its pre and
        once at its post neuron, so ``prior.sum() / 2`` synapses were added
        before). Used only with ``max_share``.

    Returns
    -------
    conn : Connectivity
        A copy with the new synapses appended (active), weights following the
        presynaptic neuron's sign (Dale's law) and mean |w|.
    report : DelocalizeReport

    Raises
    ------
    ValueError
        Both or bad ``M`` / ``fraction``; no active neuron; ``original`` of
        another size.

    Notes
    -----
    If fewer than M admissible candidate pairs exist, all of them are added
    and the report says so (``n_added < M_requested``), with a warning in the log.
    """
    t0 = time.perf_counter()
    if M is not None and fraction is not None:
        raise ValueError("delocalize: give M or fraction, not both")
    n_eff = conn.n_active_synapses
    if M is None:
        fraction = DEFAULT_FRACTION if fraction is None else check_range(
            "fraction", fraction, 0.0, 1.0)
        M = int(round(fraction * n_eff))
    else:
        M = check_int("M", M, 0)
    ipr_max_n = check_int("ipr_max_n", ipr_max_n, 0)
    if conn.n_active_neurons == 0:
        raise ValueError("conn: the network has no active neuron (fully pruned)")
    if original is not None and original.N != conn.N:
        raise ValueError(f"original: must have the same N as conn ({conn.N}), got {original.N}")
    if max_share is not None:
        max_share = check_range("max_share", max_share, 0.0, 1.0, low_inclusive=False)
    if prior is None:
        prior = np.zeros(conn.N, dtype=np.int64)
    else:
        prior = np.asarray(prior, dtype=np.int64).ravel()
        if prior.shape != (conn.N,) or (prior < 0).any():
            raise ValueError(f"prior: must be {conn.N} non-negative counts (one per neuron)")
    rng = as_generator(seed)
    N = conn.N
    sub, nidx, _ = conn.compacted()
    n = sub.N
    deg = degree(conn)[nidx].astype(np.float64)
    var_before = float(np.var(deg))
    do_ipr = n <= ipr_max_n
    ipr_before = laplacian_ipr(conn) if do_ipr else float("nan")

    forbid = [_pair_codes(conn.pre, conn.post, N)]
    if original is not None:
        forbid.append(_pair_codes(original.pre, original.post, N))
    forbid = np.unique(np.concatenate(forbid))

    B = sp.coo_matrix((np.ones(sub.pre.size), (sub.pre, sub.post)), shape=(n, n)).tocsr()
    B = ((B + B.T) > 0).astype(np.float64).tocsr()
    B.setdiag(0)
    B.eliminate_zeros()

    added_u, added_v = [], []
    n_cand = 0
    # spread limit: touches per neuron over the run (prior + this call) <= cap
    touches = prior[nidx].copy()
    cap = (np.inf if max_share is None
           else max(1, int(np.floor(max_share * (prior.sum() // 2 + M)))))
    if M > 0 and sub.n_synapses == 0:
        logger.warning("delocalize: no effective synapse, so no 2-hop neighbourhood; "
                       "nothing added")
    elif M > 0:
        order = np.lexsort((rng.random(n), -deg))
        T = min(n, 64)
        while len(added_u) < M:
            H = order[:T]
            inside = np.zeros(n, dtype=bool)
            inside[H] = True
            codes_added = _pair_codes(nidx[np.asarray(added_u, dtype=np.int64)],
                                      nidx[np.asarray(added_v, dtype=np.int64)], N)
            cu, cv = _candidates(H, B, np.concatenate([forbid, codes_added]), N, nidx)
            n_cand = cu.size
            tie = rng.random(cu.size) * 0.5  # < 1: never overrides an integer score gap
            score = deg[cu] + deg[cv] + tie
            score[(touches[cu] >= cap) | (touches[cv] >= cap)] = -np.inf
            # candidate indices touching each node, for O(degree) score updates
            touch_node = np.concatenate([cu, cv])
            touch_cand = np.concatenate([np.arange(cu.size), np.arange(cu.size)])
            srt = np.argsort(touch_node, kind="stable")
            touch_node, touch_cand = touch_node[srt], touch_cand[srt]
            starts = np.searchsorted(touch_node, np.arange(n + 1))
            need_more = False
            while len(added_u) < M:
                if cu.size == 0 or not np.isfinite(score.max()):
                    need_more = True
                    break
                k = int(np.argmax(score))
                out_max = deg[~inside].max() if T < n else -np.inf
                if np.floor(score[k]) < 2 * out_max:
                    need_more = True  # a pair outside H might beat this one
                    break
                u, v = int(cu[k]), int(cv[k])
                added_u.append(u)
                added_v.append(v)
                score[k] = -np.inf
                for node in (u, v):
                    deg[node] += 1
                    touches[node] += 1
                    idx = touch_cand[starts[node]:starts[node + 1]]
                    if touches[node] >= cap:
                        score[idx] = -np.inf  # this neuron has its share
                    else:
                        score[idx] += 1.0  # -inf stays -inf
            if need_more:
                if T >= n:
                    break  # every node already in H: candidates are exhausted
                T = min(n, 2 * T)
        if len(added_u) < M:
            logger.warning("delocalize: only %d admissible new edges exist; asked for %d",
                           len(added_u), M)

    au = nidx[np.asarray(added_u, dtype=np.int64)]
    av = nidx[np.asarray(added_v, dtype=np.int64)]
    w_new = _new_weights(conn, au)
    out = conn.add_synapses(au, av, w_new) if au.size else conn.copy()
    var_after = float(np.var(degree(out)[nidx]))
    ipr_after = laplacian_ipr(out) if do_ipr else float("nan")
    this_call = np.bincount(np.concatenate([au, av]), minlength=N)
    run_total = prior + this_call
    report = DelocalizeReport(
        step="delocalize", M_requested=int(M), n_added=int(au.size), n_candidates=int(n_cand),
        added_pre=au.tolist(), added_post=av.tolist(), degree_var_before=var_before,
        degree_var_after=var_after, ipr_before=ipr_before, ipr_after=ipr_after,
        mean_new_abs_w=float(np.abs(w_new).mean()) if w_new.size else float("nan"),
        max_share=max_share, cap=None if max_share is None else int(cap),
        max_touches=int(this_call.max()) if au.size else 0,
        run_max_share=added_max_share(run_total),
        wall_time=time.perf_counter() - t0)
    logger.info("delocalize: added %d edges; degree variance %.3g -> %.3g",
                au.size, var_before, var_after)
    return out, report
