"""Noise covariance of the linearised network (000 Eq. 2-4).

The stationary covariance C of ``dx = A x dt + sigma dW`` solves the
continuous Lyapunov equation ``A C + C A^T + sigma^2 I = 0``. LNP Step I only
needs, on each existing edge, ``C_ii + C_jj - 2 s_ij C_ij`` (with
``s_ij = sign(L_ij)``; for s = +1 this is ``Var(x_i - x_j)``). Two routes:

``exact``
    :func:`scipy.linalg.solve_continuous_lyapunov` on the dense A:
    O(n^3) time, O(n^2) memory (measured here: ~2 s at n = 1000, ~27 s at
    n = 2000, > 200 s at n = 4000).
``sampled`` ("noise probing")
    Drive the sparse linear network with white noise: m independent chains
    (columns of an n x m array, so each step is a sparse mat-mat product) and
    accumulate second moments only on the diagonal and on the edges:
    O(nnz m) per step, O(nnz G) memory (G independent chain groups).

Sampling scheme (why not plain Euler-Maruyama): EM's stationary covariance
C_h solves ``A C_h + C_h A^T + h A C_h A^T = -sigma^2 I``, biased O(h). We
use the explicit two-stage scheme::

    z  = x + (h/2) A x + (sqrt(h) sigma / 2) xi
    x' = x + h A z + sqrt(h) sigma xi

i.e. ``x' = M x + G xi`` with ``M = I + hA + (hA)^2/2`` and
``G = sqrt(h) sigma (I + hA/2)``. Expanding ``M C M^T + G G^T - C`` with
the continuous C, the O(h) and O(h^2) terms cancel, so the scheme's
stationary covariance is ``C + O(h^2)`` (relative bias O((h rho)^2), rho
the spectral-radius bound). The step is ``h = h_factor / rho`` with
``rho = max_i sum_j |A_ij|`` (Gershgorin), default h_factor = 0.1.

Error bound: the estimator averages ``n_samples`` recorded states per chain
over m chains; the chains are split into G independent groups and
:meth:`Covariance.stderr` is the standard error across groups. For a
quantity with integrated autocorrelation time tau_int (at most the slowest
timescale ``1/|abscissa|``) recorded over time T per chain, the relative
standard error of a variance is about ``sqrt(2 tau_int / (m T))``, so it
falls as ``1/sqrt(samples)``; the bias is ``<= c (h rho)^2`` (measured in
tests/test_dynamics_covariance.py and docs/dynamics.md).

Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ..random import as_generator
from ..validation import check_choice, check_int, check_range
from .linear import LinearNetwork, UnstableNetworkError, linearize

__all__ = ["Covariance", "covariance", "AUTO_EXACT_MAX", "scheme_stationary_covariance"]

logger = logging.getLogger(__name__)

#: ``method="auto"`` uses ``exact`` up to this many active neurons, ``sampled`` above
AUTO_EXACT_MAX = 1000

_SAMPLED_KEYS = ("n_chains", "n_groups", "h_factor", "burn_in", "record_every")


@dataclass
class Covariance:
    """Noise covariance of a :class:`LinearNetwork`.

    Attributes
    ----------
    method : str
        "exact" or "sampled".
    matrix : ndarray (n, n) or None
        The full covariance (exact route only).
    diag : ndarray (n,)
        Estimated C_ii.
    edge_cov : ndarray (n_edges,)
        Estimated C_ij for each edge, in the order of ``linear_network.synapse_index``.
    linear_network : LinearNetwork
    sigma : float
    info : dict
        Route details (step, steps, chains, seconds, ...).
    """

    method: str
    matrix: np.ndarray | None
    diag: np.ndarray
    edge_cov: np.ndarray
    linear_network: LinearNetwork
    sigma: float
    info: dict = field(default_factory=dict)
    _group_diag: np.ndarray | None = None   # (n, G) per-group estimates (sampled)
    _group_edge: np.ndarray | None = None   # (n_edges, G)

    def _signs(self, signs):
        lin = self.linear_network
        s = np.asarray(signs, dtype=float).ravel()
        if s.shape != lin.rows.shape:
            raise ValueError(f"signs: must have one value per effective synapse "
                             f"({lin.rows.size}), got {s.size}")
        if not np.isin(s, (-1.0, 0.0, 1.0)).all():
            raise ValueError("signs: entries must be -1, 0 or +1 (e.g. np.sign(L_edge))")
        return s

    def edge_terms(self, signs):
        """``C_ii + C_jj - 2 sign_ij C_ij`` per effective synapse (order of L_edge)."""
        s = self._signs(signs)
        lin = self.linear_network
        return self.diag[lin.rows] + self.diag[lin.cols] - 2.0 * s * self.edge_cov

    def stderr(self, signs):
        """Standard error of :meth:`edge_terms` (0 for the exact route)."""
        s = self._signs(signs)
        if self.method == "exact" or self._group_diag is None:
            return np.zeros(s.size)
        lin = self.linear_network
        g = (self._group_diag[lin.rows] + self._group_diag[lin.cols]
             - 2.0 * s[:, None] * self._group_edge)
        G = g.shape[1]
        return g.std(axis=1, ddof=1) / np.sqrt(G)


def scheme_stationary_covariance(A, sigma, h):
    """Exact stationary covariance of the sampling scheme (small n; for checks).

    Solves ``C_h = M C_h M^T + G G^T`` with M, G of the two-stage scheme
    used by ``method="sampled"``; ``C_h - C`` is the scheme's bias.
    """
    A = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    n = A.shape[0]
    hA = h * A
    M = np.eye(n) + hA + 0.5 * hA @ hA
    G = np.sqrt(h) * sigma * (np.eye(n) + 0.5 * hA)
    return sla.solve_discrete_lyapunov(M, G @ G.T)


def _exact(lin, sigma):
    n = lin.n
    t0 = time.perf_counter()
    C = sla.solve_continuous_lyapunov(lin.A.toarray(), -sigma ** 2 * np.eye(n))
    C = 0.5 * (C + C.T)
    if not np.isfinite(C).all():
        raise FloatingPointError("covariance: exact Lyapunov solve returned non-finite values "
                                 "(A ill-conditioned); try a larger margin in linearize")
    return Covariance(method="exact", matrix=C, diag=np.diag(C).copy(),
                      edge_cov=C[lin.rows, lin.cols], linear_network=lin, sigma=sigma,
                      info=dict(seconds=time.perf_counter() - t0))


def _sampled(lin, sigma, n_samples, seed, n_chains=32, n_groups=8, h_factor=0.1,
             burn_in=None, record_every=None):
    n_chains = check_int("n_chains", n_chains, 2)
    n_groups = check_int("n_groups", n_groups, 2, n_chains)
    if n_chains % n_groups:
        raise ValueError(f"n_chains: must be a multiple of n_groups={n_groups}, got {n_chains}")
    h_factor = check_range("h_factor", h_factor, 0, 0.5, low_inclusive=False)
    n_samples = 200 if n_samples is None else check_int("n_samples", n_samples, 2)
    A = lin.A.tocsr()
    n = lin.n
    rho = float(np.max(np.asarray(abs(A).sum(axis=1)).ravel()))
    h = h_factor / rho
    slow = 1.0 / abs(lin.abscissa)  # slowest relaxation time of the mean
    burn_in = 2.5 * slow if burn_in is None else check_range("burn_in", burn_in, 0)
    record_every = (0.5 / float(np.median(lin.D)) if record_every is None
                    else check_range("record_every", record_every, 0, None, low_inclusive=False))
    n_burn = int(np.ceil(burn_in / h))
    thin = max(1, int(round(record_every / h)))
    n_total = n_burn + thin * n_samples
    logger.info("covariance(sampled): n=%d nnz=%d h=%.3g s, %d burn-in + %d x %d steps, "
                "%d chains", n, A.nnz, h, n_burn, n_samples, thin, n_chains)
    rng = as_generator(seed)
    sq = np.sqrt(h) * sigma
    x = np.zeros((n, n_chains))
    rows, cols = lin.rows, lin.cols
    per = n_chains // n_groups
    gdiag = np.zeros((n, n_groups))
    gedge = np.zeros((rows.size, n_groups))
    # edges processed in chunks so the (edges x chains) product stays O(chunk * m)
    chunk = max(1, int(4e6 // n_chains))
    t0 = time.perf_counter()
    recorded = 0
    for t in range(n_total):
        xi = rng.standard_normal((n, n_chains))
        z = x + (0.5 * h) * (A @ x) + (0.5 * sq) * xi
        x = x + h * (A @ z) + sq * xi
        if t >= n_burn and (t - n_burn + 1) % thin == 0:
            if not np.isfinite(x).all():
                raise FloatingPointError(
                    "covariance(sampled): chains diverged; lower h_factor or increase margin")
            gdiag += (x * x).reshape(n, n_groups, per).sum(axis=2)
            for s0 in range(0, rows.size, chunk):
                r, c = rows[s0:s0 + chunk], cols[s0:s0 + chunk]
                gedge[s0:s0 + chunk] += (x[r] * x[c]).reshape(r.size, n_groups, per).sum(axis=2)
            recorded += 1
    norm = recorded * per
    gdiag /= norm
    gedge /= norm
    return Covariance(method="sampled", matrix=None, diag=gdiag.mean(axis=1),
                      edge_cov=gedge.mean(axis=1), linear_network=lin, sigma=sigma,
                      info=dict(seconds=time.perf_counter() - t0, h=h, rho=rho, n_burn=n_burn,
                                thin=thin, n_samples=n_samples, n_chains=n_chains,
                                n_groups=n_groups, n_steps=n_total, h_rho=h_factor),
                      _group_diag=gdiag, _group_edge=gedge)


def covariance(conn_or_lin, *, sigma=1.0, method="auto", n_samples=None, seed=None, **kwargs):
    """Stationary noise covariance of the linearised network.

    Parameters
    ----------
    conn_or_lin : Connectivity or LinearNetwork
        A Connectivity is first passed to :func:`linearize` with the keyword
        arguments that are not sampling options.
    sigma : float > 0
        Noise amplitude (the covariance scales with sigma^2).
    method : {"auto", "exact", "sampled"}
        "auto": exact for at most :data:`AUTO_EXACT_MAX` active neurons, sampled above.
    n_samples : int, optional
        Sampled route: recorded states per chain (default 200).
    seed : None, int or Generator
        Sampled route's noise.
    **kwargs
        Sampled-route options ``n_chains`` (32), ``n_groups`` (8),
        ``h_factor`` (0.1), ``burn_in`` (s, default 2.5/|abscissa|),
        ``record_every`` (s, default 0.5/median(D)); all others go to
        :func:`linearize`.

    Returns
    -------
    Covariance

    Raises
    ------
    UnstableNetworkError
        If A is not stable (e.g. ``stabilize=False`` on an unstable network).
    """
    check_choice("method", method, ("auto", "exact", "sampled"))
    sigma = check_range("sigma", sigma, 0, None, low_inclusive=False)
    sampled_kw = {key: kwargs.pop(key) for key in _SAMPLED_KEYS if key in kwargs}
    if isinstance(conn_or_lin, LinearNetwork):
        if kwargs:
            raise TypeError(f"covariance: linearize options {sorted(kwargs)} given with a "
                            "LinearNetwork (already linearised)")
        lin = conn_or_lin
    else:
        lin = linearize(conn_or_lin, **kwargs)
    if not lin.abscissa < 0:
        raise UnstableNetworkError(
            f"covariance: A = -D + L is not stable (largest eigenvalue real part "
            f"{lin.abscissa:.4g} 1/s >= 0); linearize with stabilize=True")
    if method == "auto":
        method = "exact" if lin.n <= AUTO_EXACT_MAX else "sampled"
    if method == "exact":
        if sampled_kw or n_samples is not None:
            logger.debug("covariance: sampling options ignored by the exact route")
        return _exact(lin, sigma)
    return _sampled(lin, sigma, n_samples, seed, **sampled_kw)
