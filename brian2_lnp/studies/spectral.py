"""Study: does noise pruning keep the spectrum better than random or magnitude sampling?

Noise pruning on a symmetric, diagonally dominant (Laplacian-like) ``A`` is
spectral sparsification by effective resistances (Spielman & Srivastava 2011);
this module measures that claim against two baselines at the same expected
kept fraction:

* ``random``: uniform ``p = density`` (reweighted by ``1/p``);
* ``magnitude``: ``p`` proportional to ``|L_ij|`` (reweighted).

Regimes: a clustered graph Laplacian (the theory's regime) and the HRSNN's
linearised E/I network (built with the Brian2-free model generator, which is
why this study lives above the models layer and not in
:mod:`brian2_lnp.pruning.spectral`).
"""
from __future__ import annotations

import logging

import numpy as np

from ..pruning.spectral import (SAMPLERS, edge_scores, keep_probabilities,
                                sample_keep, slowest_eigenvalues, sparsify_linear,
                                spectral_error, stationary_covariance)
from ..random import as_generator, child_seed
from ..validation import check_choice, check_int

__all__ = ["clustered_laplacian", "compare_samplers", "spectral_study", "format_study"]

logger = logging.getLogger(__name__)


def clustered_laplacian(n_clusters=8, cluster_size=25, p_in=0.8, bridges=1, leak=0.01,
                        rate=50.0, seed=None):
    """A symmetric, diagonally dominant, Laplacian-like linear network with bridges.

    ``n_clusters`` dense Erdos-Renyi clusters (edge probability ``p_in``, unit
    weight) on a ring, neighbouring clusters joined by ``bridges`` unit-weight
    edges. ``A = -rate * (Lap(W) + leak * I)``: the rows sum to ``-rate * leak``,
    the slowest modes are set by the few bridges.

    Returns
    -------
    dict with D (n,), rows, cols, L_edge (both directions of every undirected
    edge), pairs (index of the reverse edge), cluster (n,), A (dense n x n).
    """
    rng = as_generator(seed)
    n = n_clusters * cluster_size
    cluster = np.repeat(np.arange(n_clusters), cluster_size)
    iu, ju = np.triu_indices(cluster_size, 1)
    und = []
    for c in range(n_clusters):
        sel = rng.random(iu.size) < p_in
        und.append(np.column_stack([iu[sel], ju[sel]]) + c * cluster_size)
    if n_clusters > 1:
        for c in range(n_clusters if n_clusters > 2 else 1):
            d = (c + 1) % n_clusters
            a = rng.choice(cluster_size, bridges, replace=False) + c * cluster_size
            b = rng.choice(cluster_size, bridges, replace=False) + d * cluster_size
            und.append(np.column_stack([a, b]))
    und = np.unique(np.sort(np.concatenate(und), axis=1), axis=0)
    m = und.shape[0]
    rows = np.concatenate([und[:, 0], und[:, 1]])
    cols = np.concatenate([und[:, 1], und[:, 0]])
    pairs = np.concatenate([np.arange(m, 2 * m), np.arange(m)])
    L_edge = np.full(2 * m, float(rate))
    D = rate * (np.bincount(rows, minlength=n) + leak)
    A = np.zeros((n, n))
    A[rows, cols] = L_edge
    A[np.diag_indices(n)] -= D
    return dict(D=D, rows=rows, cols=cols, L_edge=L_edge, pairs=pairs, cluster=cluster, A=A)


# ------------------------------------------------------------------ the study
def compare_samplers(D, rows, cols, L_edge, density, seeds, *, pairs=None, k=10, sigma=1.0,
                     samplers=SAMPLERS, compensate=True, covariance=True):
    """Prune one linear network with each sampler over seeds; measure spectral errors.

    Parameters
    ----------
    D, rows, cols, L_edge : arrays
        ``A = -diag(D) + L`` with ``L[rows, cols] = L_edge`` (receiver-row).
    density : float in (0, 1]
        Expected kept fraction, the same for every sampler.
    seeds : iterable of int
    pairs : array of int, optional
        Reverse-edge index per edge (symmetric networks: both directions share
        one Bernoulli draw, so A~ stays symmetric).
    k : int
        Slowest eigenvalues compared.
    compensate : bool
        Row-sum diagonal compensation (as the theory assumes).
    covariance : bool
        Also the relative Frobenius error of the exact covariance (O(n^3)).

    Returns
    -------
    pandas.DataFrame
        One row per (sampler, seed): kept, rel_err_eig (mean over k),
        max_rel_err_eig, rel_err_cov, stable.
    """
    import pandas as pd

    D = np.asarray(D, float)
    n = D.size
    A = np.zeros((n, n))
    np.add.at(A, (rows, cols), L_edge)
    A[np.diag_indices(n)] -= D
    C = stationary_covariance(A, sigma)
    eb, _ = slowest_eigenvalues(A, k)
    sgn = np.sign(L_edge)
    terms = C[rows, rows] + C[cols, cols] - 2 * sgn * C[rows, cols]
    out = []
    for name in samplers:
        score = edge_scores(name, L_edge, terms)
        if pairs is not None:  # one probability per undirected pair
            score = 0.5 * (score + score[pairs])
        p, _ = keep_probabilities(score, density=density)
        for s in seeds:
            keep = sample_keep(p, child_seed(s, "spectral_study", name), pairs)
            Ap, _, _ = sparsify_linear(D, rows, cols, L_edge, keep, p, compensate=compensate)
            rep = spectral_error(A, Ap, k=k, C_before=C if covariance else None, sigma=sigma,
                                 eig_before=eb)
            out.append(dict(sampler=name, seed=int(s), kept=int(keep.sum()), edges=int(p.size),
                            rel_err_eig=rep.mean_rel_err_eig, max_rel_err_eig=rep.max_rel_err_eig,
                            rel_err_cov=rep.rel_err_cov, stable=rep.stable_after))
    return pd.DataFrame(out)


def spectral_study(regime="laplacian", *, density=0.5, n_seeds=10, k=10, N=None, seed=0,
                   coupling="weights", compensate=True, **kwargs):
    """Noise vs random vs magnitude pruning in one regime, over seeds.

    Parameters
    ----------
    regime : {"laplacian", "hrsnn"}
        "laplacian": :func:`clustered_laplacian` (symmetric, diagonally
        dominant, compensated; the regime the theory covers; ``kwargs`` go to
        it). "hrsnn": an HRSNN E/I network from models/hrsnn.yaml (N neurons,
        default 200) linearised with ``coupling`` (brian2_lnp.dynamics.linearize,
        stabilised), directed edges pruned independently.
    density : float in (0, 1]
    n_seeds : int
    k : int
    seed : int
        Network seed (the pruning seeds are 0 .. n_seeds-1).
    compensate : bool
        Row-sum (homeostatic) diagonal compensation after pruning.

    Returns
    -------
    pandas.DataFrame
        As :func:`compare_samplers`, plus a ``regime`` column.
    """
    check_choice("regime", regime, ("laplacian", "hrsnn"))
    n_seeds = check_int("n_seeds", n_seeds, 1)
    if regime == "laplacian":
        net = clustered_laplacian(seed=seed, **kwargs)
        df = compare_samplers(net["D"], net["rows"], net["cols"], net["L_edge"], density,
                              range(n_seeds), pairs=net["pairs"], k=k, compensate=compensate)
        n = net["D"].size
    else:
        from ..dynamics import linearize
        from ..models.config import load_model
        from ..models.generate import generate_network

        N = 200 if N is None else check_int("N", N, 3)
        spec = generate_network(load_model("hrsnn"), N=N, seed=seed)
        lin = linearize(spec.conn, coupling=coupling, **kwargs)
        df = compare_samplers(lin.D, lin.rows, lin.cols, lin.L_edge, density, range(n_seeds),
                              k=k, compensate=compensate)
        n = lin.n
    df.insert(0, "regime", regime + ("" if compensate else "/nocomp"))
    df["N"] = n
    return df


def format_study(df):
    """Text table: mean +- std over seeds of each error, per regime and sampler."""
    g = df.groupby(["regime", "sampler"], sort=False)
    lines = [f"{'regime':<15} {'sampler':<10} {'N':>5} {'edges':>6} {'kept':>7} "
             f"{'eig rel err (mean of k)':>23} {'cov rel err (stable runs)':>26} "
             f"{'stable':>7}"]
    for (reg, name), d in g:
        cov = d["rel_err_cov"].replace(np.inf, np.nan).dropna()
        sd = d["rel_err_eig"].std(ddof=1) if len(d) > 1 else 0.0
        if cov.size:
            csd = cov.std(ddof=1) if cov.size > 1 else 0.0
            ctext = f"{cov.mean():>10.4f} +- {csd:<8.4f}"
        else:
            ctext = f"{'n/a (unstable)':>22}"
        lines.append(
            f"{reg:<15} {name:<10} {int(d['N'].iloc[0]):>5} {int(d['edges'].iloc[0]):>6} "
            f"{d['kept'].mean():>7.1f} {d['rel_err_eig'].mean():>12.4f} +- {sd:<8.4f}"
            f"{ctext:>26} {d['stable'].mean():>7.2f}")
    return "\n".join(lines)
