"""Spectral preservation of noise pruning: error report, comparison samplers, study.

Noise pruning (Moore & Chaudhuri 2020; 000 Eq. 4) keeps edge (i, j) of the
linear network ``A = -D + L`` with probability
``p_ij = min(1, rho |L_ij| (C_ii + C_jj - 2 sign(L_ij) C_ij))`` and reweights
kept edges by ``1/p_ij``. For symmetric, diagonally dominant (Laplacian-like)
A with the diagonal compensated by row sums, ``C = sigma^2/2 (-A)^-1`` and the
score is ``w_ij`` times the effective resistance of the edge: noise pruning is
then spectral sparsification by effective resistances (Spielman & Srivastava
2011), which keeps the spectrum to relative error eps with
O(N log N / eps^2) edges. This module measures that claim against two
baselines at the same expected kept fraction:

* ``random``: uniform ``p = density`` (reweighted by ``1/p``);
* ``magnitude``: ``p`` proportional to ``|L_ij|`` (reweighted).

Pure NumPy/SciPy (the HRSNN regime uses the Brian2-free model generator).
"""
from __future__ import annotations

import logging
import time

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..dynamics.linear import arpack_eigs
from ..dynamics.threads import fixed_blas_threads
from ..random import as_generator, child_seed
from ..validation import check_choice, check_int, check_range
from .report import SpectralErrorReport

__all__ = ["solve_rho", "stationary_covariance", "keep_probabilities", "edge_scores", "sample_keep",
           "sparsify_linear", "slowest_eigenvalues", "spectral_error",
           "clustered_laplacian", "compare_samplers", "spectral_study", "format_study",
           "SAMPLERS", "DENSE_EIG_MAX"]

logger = logging.getLogger(__name__)

SAMPLERS = ("noise", "random", "magnitude")

#: largest n for which all eigenvalues are computed densely; above it ARPACK
#: (measured here at n = 1000: dense eigvals 30 s on the loaded 2-core machine,
#: eigs(k=10, which="LR") 0.25 s, same values)
DENSE_EIG_MAX = 300


# ------------------------------------------------------------------ probabilities
def solve_rho(score, target):
    """The rho with ``sum(min(1, rho * score)) == target`` (exact, piecewise linear).

    Parameters
    ----------
    score : array of float >= 0
    target : float in (0, count_nonzero(score)]

    Returns
    -------
    rho : float
        ``1 / min(positive score)`` when target equals the number of positive
        scores (keep them all).

    Notes
    -----
    With scores sorted in decreasing order s_1 >= s_2 >= ..., if the top k
    edges are saturated (p = 1) the expected count is
    ``k + rho * sum_{i>k} s_i``; the right k is the one whose rho keeps
    ``rho s_k >= 1 > rho s_{k+1}``.
    """
    s = np.sort(np.asarray(score, dtype=float))[::-1]
    pos = s[s > 0]
    m = pos.size
    if not (0 < target <= m):
        raise ValueError(f"target: expected kept count must lie in (0, {m}] (number of edges "
                         f"with a positive score), got {target}")
    if target == m:
        return float(1.0 / pos[-1])  # the smallest rho that keeps every positive edge
    tail = np.concatenate([np.cumsum(pos[::-1])[::-1], [0.0]])  # tail[k] = sum_{i>=k} pos_i
    ks = np.arange(0, int(np.floor(target)) + 1)
    rhos = (target - ks) / tail[ks]
    prev = np.concatenate([[np.inf], pos])[ks]  # s_{k-1}; +inf for k = 0
    valid = (rhos * pos[ks] <= 1.0) & (rhos * prev >= 1.0)
    if valid.any():
        return float(rhos[np.argmax(valid)])
    # numerical corner (ties): fall back to bisection on the monotone count
    lo, hi = 0.0, 1.0 / pos[-1]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.minimum(1.0, mid * pos).sum() < target:
            lo = mid
        else:
            hi = mid
    return float(hi)


def keep_probabilities(score, density=None, rho=None):
    """``p = min(1, rho * score)`` with rho given or solved for a kept fraction.

    Parameters
    ----------
    score : array of float >= 0
        Per-edge score (NaN is an error; negatives are clipped to 0 by the caller).
    density : float in (0, 1], optional
        Expected kept fraction of all edges: ``sum(p) = density * len(score)``.
        If more than the positive-score edges are asked for, all of those are
        kept (p = 1) and zero-score edges stay at p = 0 (logged).
    rho : float > 0, optional
        Given directly instead of ``density``.

    Returns
    -------
    p : array of float in [0, 1]
    rho : float
    """
    score = np.asarray(score, dtype=float)
    if np.isnan(score).any():
        raise ValueError("score: contains NaN (check the weights and the covariance)")
    if (density is None) == (rho is None):
        raise ValueError("give exactly one of density (kept fraction in (0, 1]) or rho (> 0)")
    if rho is None:
        density = check_range("density", density, 0.0, 1.0, low_inclusive=False)
        n_pos = int(np.count_nonzero(score > 0))
        if n_pos == 0:
            raise ValueError("score: every edge has score 0; nothing can be kept")
        target = density * score.size
        if target > n_pos:
            logger.warning("density=%.3g asks for %.1f edges but only %d have a positive "
                           "score; keeping those", density, target, n_pos)
            target = n_pos
        rho = solve_rho(score, target)
    else:
        rho = check_range("rho", rho, 0.0, None, low_inclusive=False)
    with np.errstate(invalid="ignore"):
        p = np.minimum(1.0, rho * score)
    p[score <= 0] = 0.0
    return p, float(rho)


def edge_scores(method, L_edge, terms=None):
    """Per-edge score of a sampler: noise ``|L| * terms``, magnitude ``|L|``, random 1."""
    check_choice("method", method, SAMPLERS)
    L_edge = np.asarray(L_edge, dtype=float)
    if method == "noise":
        if terms is None:
            raise ValueError("terms: the noise sampler needs C_ii + C_jj - 2 sign C_ij per edge")
        return np.abs(L_edge) * np.clip(np.asarray(terms, dtype=float), 0.0, None)
    if method == "magnitude":
        return np.abs(L_edge)
    return np.ones(L_edge.size)


def sample_keep(p, rng, pairs=None):
    """Bernoulli(p) per edge; ``pairs`` (array of partner index, -1 if none) ties
    the two directions of a symmetric edge to one draw (the lower index's)."""
    u = rng.random(p.size)
    if pairs is not None:
        pairs = np.asarray(pairs)
        has = pairs >= 0
        lead = np.where(has, np.minimum(np.arange(p.size), pairs), np.arange(p.size))
        u = u[lead]
    return u < p


def sparsify_linear(D, rows, cols, L_edge, keep, p, compensate=True):
    """The pruned A~ = -D~ + L~ (dense n x n) from kept edges reweighted by 1/p.

    ``compensate``: D~_i = D_i + sum_j (L~_ij - L_ij) (row-sum compensation:
    the homeostatic diagonal of 000 Eq. 4).
    """
    n = D.size
    L_new = np.where(keep, L_edge / np.where(p > 0, p, 1.0), 0.0)
    D_new = D + np.bincount(rows, weights=L_new - L_edge, minlength=n) if compensate else D
    A = np.zeros((n, n))
    np.add.at(A, (rows, cols), L_new)
    A[np.diag_indices(n)] -= D_new
    return A, D_new, L_new


# ------------------------------------------------------------------ spectra
@fixed_blas_threads()
def slowest_eigenvalues(A, k):
    """The k eigenvalues of A with the largest real part, sorted by decreasing real part.

    Dense ``scipy.linalg.eigvals`` for n <= :data:`DENSE_EIG_MAX`, else ARPACK
    ``eigs(which="LR")``. Returns (values, method).
    """
    n = A.shape[0]
    k = min(int(k), n)
    if n <= DENSE_EIG_MAX or k >= n - 1:
        dense = A.toarray() if sp.issparse(A) else np.asarray(A)
        if np.array_equal(dense, dense.T):  # symmetric: real spectrum, faster solver
            vals = sla.eigvalsh(dense).astype(complex)
        else:
            vals = sla.eigvals(dense)
        method = "dense"
    else:
        try:
            vals = arpack_eigs(sp.csr_matrix(A), k=k, which="LR",
                               ncv=min(n - 1, max(2 * k + 1, 40)), tol=1e-8, maxiter=50 * n,
                               return_eigenvectors=False)
            method = "sparse"
        except spla.ArpackNoConvergence:
            logger.warning("ARPACK did not converge (n=%d); using dense eigvals", n)
            dense = A.toarray() if sp.issparse(A) else np.asarray(A)
            vals = sla.eigvals(dense)
            method = "dense"
    # sort by real part, then imaginary part, so conjugate pairs pair up consistently
    order = np.lexsort((vals.imag, -vals.real))
    return vals[order][:k], method


@fixed_blas_threads()
def stationary_covariance(A, sigma=1.0):
    """C with ``A C + C A^T + sigma^2 I = 0`` (dense; A stable).

    For symmetric A the solution is ``-sigma^2/2 A^-1`` (A and A^-1 commute), an
    O(n^3/3) solve; otherwise :func:`scipy.linalg.solve_continuous_lyapunov`.
    """
    A = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    n = A.shape[0]
    if np.array_equal(A, A.T):
        C = -0.5 * sigma ** 2 * sla.solve(A, np.eye(n), assume_a="sym")
    else:
        C = sla.solve_continuous_lyapunov(A, -sigma ** 2 * np.eye(n))
    return 0.5 * (C + C.T)


def spectral_error(A_before, A_after, k=10, C_before=None, sigma=1.0, eig_before=None):
    """Relative error of the k slowest eigenvalues (and of the covariance).

    Parameters
    ----------
    A_before, A_after : array or sparse, shape (n, n)
    k : int
    C_before : array (n, n), optional
        Exact covariance of A_before; when given and A_after is stable, the
        covariance of A_after is solved too and ``rel_err_cov`` reported
        (Frobenius norm). O(n^3): only for small n.
    sigma : float
        Noise amplitude of the covariance.
    eig_before : array, optional
        ``slowest_eigenvalues(A_before, k)[0]`` if already known (saves a solve).

    Returns
    -------
    SpectralErrorReport
    """
    t0 = time.perf_counter()
    k = check_int("k", k, 1)
    if eig_before is None:
        eb, method = slowest_eigenvalues(A_before, k)
    else:
        eb = np.asarray(eig_before)
        method = "dense" if A_before.shape[0] <= DENSE_EIG_MAX else "sparse"
    ea, _ = slowest_eigenvalues(A_after, eb.size)
    rel = np.abs(ea - eb) / np.maximum(np.abs(eb), np.finfo(float).tiny)
    stable = bool(np.max(ea.real) < 0)
    rel_cov = float("nan")
    if C_before is not None:
        if stable:
            Ca = stationary_covariance(A_after, sigma)
            rel_cov = float(np.linalg.norm(Ca - C_before) / np.linalg.norm(C_before))
        else:
            rel_cov = float("inf")  # no stationary covariance: unbounded error
    return SpectralErrorReport(step="spectral_error", k=int(eb.size), eig_before=eb,
                               eig_after=ea, rel_err_eig=rel,
                               mean_rel_err_eig=float(rel.mean()),
                               max_rel_err_eig=float(rel.max()), rel_err_cov=rel_cov,
                               method=method, stable_after=stable,
                               wall_time=time.perf_counter() - t0)


# ------------------------------------------------------------------ test networks
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
