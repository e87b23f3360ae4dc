"""Connectivity health of a pruned network, recorded by the driver every iteration.

A pruned network is only useful if it is still one recurrent network: most
active neurons in one strongly connected component, no neuron cut off from
input or output, no hub created by Step III, and stable dynamics. This module
measures that, in plain SciPy:

* strongly connected components: :func:`scipy.sparse.csgraph.connected_components`
  (``connection="strong"``) on the directed effective graph;
* the spectral abscissa of the linearised network ``-D~ + L~`` that Step I
  returns (:func:`~brian2_lnp.pruning.noise_prune`'s ``abscissa_after``:
  with the stability factor ``scale`` that its linearisation needed before
  pruning, i.e. the system Step I pruned), the same in model units
  (``abscissa_model``, without the factor) and the factor (``lin_scale``);
* lambda_max of the rate surrogate averaged over several input sequences
  (:func:`brian2_lnp.dynamics.rate_lyapunov` with ``batch = n_seeds``), with
  its standard error over the sequences.

Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .delocalize import added_max_share

__all__ = ["graph_health", "lambda_max_stats", "HEALTH_COLUMNS",
           "DEFAULT_LAMBDA_SEEDS"]

#: input sequences averaged for lambda_max in the history (our choice: with 4
#: the standard error is about half the single-sequence spread)
DEFAULT_LAMBDA_SEEDS = 4

#: history columns written by the driver from this module
HEALTH_COLUMNS = ("scc_fraction", "isolated", "in_degree_0", "out_degree_0",
                  "added_max_share", "abscissa", "abscissa_model", "lin_scale", "lambda_max",
                  "lambda_max_se")


def graph_health(conn, added_touches=None):
    """Graph part of the health report.

    Parameters
    ----------
    conn : Connectivity
    added_touches : array of int (conn.N,), optional
        Synapses added by Step III over the run touching each neuron.

    Returns
    -------
    dict
        ``scc_fraction``: size of the largest strongly connected component over
        the number of active neurons (NaN for an empty network);
        ``isolated``: active neurons with no effective synapse (self-loops
        ignored); ``in_degree_0`` / ``out_degree_0``: active neurons with no
        effective input / output synapse (isolated ones included);
        ``added_max_share``: largest share of Step III's added synapses that
        touch one neuron (NaN if none was added).
    """
    sub, _, _ = conn.compacted()
    n = sub.N
    out = {"scc_fraction": float("nan"), "isolated": 0, "in_degree_0": 0, "out_degree_0": 0,
           "added_max_share": float("nan")}
    if added_touches is not None:
        out["added_max_share"] = added_max_share(added_touches)
    if n == 0:
        return out
    loop = sub.pre == sub.post
    pre, post = sub.pre[~loop], sub.post[~loop]
    n_in = np.bincount(post, minlength=n)
    n_out = np.bincount(pre, minlength=n)
    G = sp.coo_matrix((np.ones(pre.size), (pre, post)), shape=(n, n)).tocsr()
    _, labels = connected_components(G, directed=True, connection="strong")
    out.update(scc_fraction=float(np.bincount(labels).max() / n),
               isolated=int(((n_in == 0) & (n_out == 0)).sum()),
               in_degree_0=int((n_in == 0).sum()), out_degree_0=int((n_out == 0).sum()))
    return out


def lambda_max_stats(conn, *, n_seeds=DEFAULT_LAMBDA_SEEDS, seed=0, **lyap_kwargs):
    """lambda_max of the rate surrogate: mean and standard error over input sequences.

    The ``n_seeds`` sequences are the ``batch`` of one
    :func:`~brian2_lnp.dynamics.rate_lyapunov` call with a fixed ``seed``, so
    the same sequences are used for every network of a run (common random
    numbers). The standard error is ``std(ddof=1) / sqrt(n_seeds)`` (NaN for
    one sequence).

    Returns
    -------
    (float, float)
        Mean (1/s) and standard error (1/s).
    """
    from ..dynamics import rate_lyapunov
    from .timescales import surrogate_kwargs
    kw = dict(k=1)
    kw.update(lyap_kwargs)
    kw["batch"] = n_seeds
    res = rate_lyapunov(conn, seed=seed, **surrogate_kwargs(conn, kw))
    lam = np.asarray(res.batch_exponents, dtype=float)[:, 0]
    se = float(lam.std(ddof=1) / np.sqrt(lam.size)) if lam.size > 1 else float("nan")
    return float(lam.mean()), se
