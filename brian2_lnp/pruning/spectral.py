"""Spectral preservation of noise pruning: keep probabilities, sampling, error report.

Noise pruning (Moore & Chaudhuri 2020; 000 Eq. 4) keeps edge (i, j) of the
linear network ``A = -D + L`` with probability
``p_ij = min(1, rho |L_ij| (C_ii + C_jj - 2 sign(L_ij) C_ij))`` and reweights
kept edges by ``1/p_ij``. For symmetric, diagonally dominant (Laplacian-like)
A with the diagonal compensated by row sums, ``C = sigma^2/2 (-A)^-1`` and the
score is ``w_ij`` times the effective resistance of the edge: noise pruning is
then spectral sparsification by effective resistances (Spielman & Srivastava
2011), which keeps the spectrum to relative error eps with
O(N log N / eps^2) edges. The study measuring that claim against random and
magnitude sampling is :mod:`brian2_lnp.studies.spectral` (it builds model
networks, so it sits above the models layer).

Pure NumPy/SciPy.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..dynamics.linear import arpack_eigs
from ..dynamics.lyapunov_equation import solve_continuous_lyapunov
from ..dynamics.threads import fixed_blas_threads
from ..validation import check_choice, check_int, check_range
from .report import SpectralErrorReport

__all__ = ["solve_rho", "stationary_covariance", "keep_probabilities", "edge_scores", "sample_keep",
           "sparsify_linear", "slowest_eigenvalues", "spectral_error",
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
    O(n^3/3) solve; otherwise the blocked Bartels-Stewart solve of
    :func:`brian2_lnp.dynamics.lyapunov_equation.solve_continuous_lyapunov`.
    """
    A = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    n = A.shape[0]
    if np.array_equal(A, A.T):
        C = -0.5 * sigma ** 2 * sla.solve(A, np.eye(n), assume_a="sym")
    else:
        C = solve_continuous_lyapunov(A, -sigma ** 2 * np.eye(n))
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
