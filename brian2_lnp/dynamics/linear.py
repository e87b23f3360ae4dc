"""The linearised network of LNP (000 Eq. 2): dr/dt = -D r + L r + b + sigma xi.

``A = -D + L`` is built on the *effective* graph of a :class:`Connectivity`
(active neurons, effective synapses), as a sparse matrix in the
receiver-row convention used by every dynamics module: ``A[post, pre]``
holds the coupling of synapse ``pre -> post`` (so ``dr_post/dt`` receives
``L[post, pre] * r_pre``). Note that :meth:`Connectivity.to_matrix` uses the
opposite (sender-row) orientation.

Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.optimize as sopt
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..validation import check_choice, check_range
from .threads import fixed_blas_threads

__all__ = ["LinearNetwork", "linearize", "spectral_abscissa", "UnstableNetworkError",
           "DENSE_EIG_MAX", "arpack_start", "arpack_eigs"]

logger = logging.getLogger(__name__)

#: largest n for which the spectral abscissa is computed with dense ``eigvals``;
#: above it ARPACK (``eigs(which='LR')``) is used.
DENSE_EIG_MAX = 300

COUPLINGS = ("lyapunov", "weights", "modulated")


def arpack_start(n):
    """Deterministic ARPACK start vector of length ``n`` (unit norm).

    Without ``v0`` ARPACK starts from a random vector of its own (LAPACK's
    ``dlarnv`` with a seed kept in process-global state), so the converged
    eigenvalues differ in the last bits from call to call and from process to
    process, and LNP decisions that depend on them (the stability scale of
    :func:`linearize`, the Jacobi step of the sampled covariance) are not
    reproducible. This vector depends on ``n`` only: a fixed pseudo-random
    direction, so (unlike a constant vector) it is not orthogonal to the
    wanted eigenvectors of structured matrices.
    """
    n = int(n)
    v = np.random.default_rng(np.random.SeedSequence([0x4C4E50, n])).standard_normal(n)
    return v / np.linalg.norm(v) if n else v


#: scipy >= 1.15 lets the caller give the generator ARPACK restarts draw from
_EIGS_TAKES_RNG = "rng" in inspect.signature(spla.eigs).parameters


def arpack_eigs(A, k, **kwargs):
    """:func:`scipy.sparse.linalg.eigs` made reproducible.

    Three sources of run-to-run differences are removed: the start vector
    (:func:`arpack_start` unless ``v0`` is given), the random vectors ARPACK
    asks for when it restarts (scipy >= 1.15 draws them from a fresh
    ``default_rng()`` unless ``rng`` is given; here a generator seeded from n),
    and the BLAS thread count (:func:`~brian2_lnp.dynamics.threads.fixed_blas_threads`).
    Measured on an n = 1100 HRSNN matrix: without a fixed ``rng`` four
    identical calls gave four different abscissas (differences ~1e-13); with
    it, identical bits. Older scipy (Fortran ARPACK) restarts from its own
    internal generator, so there the guarantee needs the same call sequence.
    """
    n = A.shape[0]
    kwargs.setdefault("v0", arpack_start(n))
    if _EIGS_TAKES_RNG:
        kwargs.setdefault("rng", np.random.default_rng(np.random.SeedSequence([0x4C4E50, n, 1])))
    with fixed_blas_threads():
        return spla.eigs(A, k=k, **kwargs)


class UnstableNetworkError(ValueError):
    """A = -D + L has an eigenvalue with non-negative real part and may not be rescaled."""


@fixed_blas_threads()
def spectral_abscissa(A):
    """Largest real part of the eigenvalues of ``A`` (dense or sparse, square).

    Dense ``scipy.linalg.eigvals`` up to :data:`DENSE_EIG_MAX` rows (exact);
    above that ARPACK's ``eigs(which='LR')`` with a generous Krylov space, and
    a dense fallback if ARPACK does not converge.
    """
    n = A.shape[0]
    if n == 0:
        return -np.inf
    if n <= DENSE_EIG_MAX:
        dense = A.toarray() if sp.issparse(A) else np.asarray(A)
        return float(np.max(sla.eigvals(dense).real))
    try:
        vals = arpack_eigs(sp.csr_matrix(A), k=4, which="LR", ncv=min(n - 1, 80),
                           tol=1e-8, maxiter=20 * n, return_eigenvectors=False)
        return float(np.max(vals.real))
    except spla.ArpackNoConvergence:  # rare for our matrices; exact but slow fallback
        logger.warning("ARPACK did not converge for the spectral abscissa (n=%d); "
                       "using dense eigvals", n)
        return float(np.max(sla.eigvals(A.toarray()).real))


@dataclass
class LinearNetwork:
    """A = -D + L on the effective graph of a Connectivity.

    Attributes
    ----------
    A : scipy.sparse.csr_matrix, shape (n_active, n_active)
        ``-diag(D) + scale * L`` in receiver-row orientation (``A[post, pre]``), 1/s.
    D : ndarray (n_active,)
        Leak rates 1/tau_m, 1/s.
    L_edge : ndarray (n_edges,)
        Coupling of each effective synapse *after* the stability scaling, 1/s
        (parallel synapses between the same pair are summed in ``A``).
    synapse_index : ndarray of int (n_edges,)
        Index into the Connectivity's synapse arrays of each effective synapse,
        in the order of ``L_edge``.
    neuron_index : ndarray of int (n_active,)
        Connectivity index of each row/column of ``A``.
    rows, cols : ndarray of int (n_edges,)
        Row (post) and column (pre) of each edge in ``A``'s compact numbering.
    scale : float
        Factor applied to L so that A is stable (1.0 when no scaling was needed).
    coupling : str
        "lyapunov", "weights" or "modulated".
    abscissa : float
        Largest real part of the eigenvalues of ``A`` (1/s); < 0 when stable.
    """

    A: sp.csr_matrix
    D: np.ndarray
    L_edge: np.ndarray
    synapse_index: np.ndarray
    neuron_index: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    scale: float
    coupling: str
    abscissa: float
    info: dict = field(default_factory=dict)

    @property
    def n(self):
        """Number of active neurons (rows of A)."""
        return int(self.D.size)

    @property
    def stable(self):
        return bool(self.abscissa < 0)


def _assemble(D, rows, cols, L_edge, n):
    L = sp.coo_matrix((L_edge, (rows, cols)), shape=(n, n)).tocsr()
    L.sum_duplicates()
    return (L - sp.diags(D)).tocsr()


def linearize(conn, *, coupling="lyapunov", node_exponents=None, lyap_matrix=None,
              eps=1e-3, stabilize=True, margin=0.05, w_scale=1e-3, gain=1.0,
              scale_tol=1e-3, **lyapunov_kwargs):
    """The linearised network A = -D + L of a Connectivity (000 Eq. 2).

    Parameters
    ----------
    conn : Connectivity
        Only its effective graph is used (active neurons, effective synapses).
    coupling : {"lyapunov", "weights", "modulated"}
        ``"lyapunov"`` (paper, default): ``L_ij = sign(w_ij) * Lambda_ij`` on
        existing edges, Lambda the Lyapunov matrix (000 Eq. 1).
        ``"weights"`` (Moore & Chaudhuri 2020): ``L[post, pre] = gain *
        (w / w_scale) / tau_post``, i.e. the Jacobian at h = 0 of the rate
        surrogate written in continuous time (phi'(0) = 1 for tanh).
        ``"modulated"``: the "weights" coupling times ``Lambda_ij / mean(Lambda)``.
    node_exponents : array (conn.N,), optional
        Per-node Lyapunov exponents (1/s); computed with
        :func:`~brian2_lnp.dynamics.node_exponents` (extra keyword arguments
        are passed on) when needed and not given.
    lyap_matrix : array (conn.n_synapses,), optional
        Lambda per synapse (from :func:`~brian2_lnp.dynamics.lyapunov_matrix`);
        takes precedence over ``node_exponents``.
    eps : float > 0
        Guard of the Lyapunov matrix (see :func:`lyapunov_matrix`).
    stabilize : bool
        If A is not stable, scale L by the largest factor s in (0, 1) with
        ``abscissa(-D + s L) <= -margin * min(D)`` (found by root finding on
        the abscissa) and report it as ``scale``. If False an unstable A is
        returned as it is (``stable`` False); :func:`covariance` refuses it.
    margin : float in [0, 1)
        Required distance of the abscissa from 0, as a fraction of the
        smallest leak rate min(D). A positive margin keeps the slowest mode
        finite, so covariances stay bounded and the sampled route converges.
    w_scale : float > 0
        Volt per unit dimensionless coupling ("weights"/"modulated").
    gain : float > 0
        Gain multiplying the dimensionless couplings.
    scale_tol : float > 0
        Absolute tolerance on the stability scale factor.

    Returns
    -------
    LinearNetwork
    """
    from .nodes import lyapunov_matrix as _lyap_matrix
    from .nodes import node_exponents as _node_exponents

    check_choice("coupling", coupling, COUPLINGS)
    eps = check_range("eps", eps, 0, None, low_inclusive=False)
    margin = check_range("margin", margin, 0, 1, high_inclusive=False)
    w_scale = check_range("w_scale", w_scale, 0, None, low_inclusive=False)
    gain = check_range("gain", gain, 0, None, low_inclusive=False)
    scale_tol = check_range("scale_tol", scale_tol, 0, 1, low_inclusive=False)
    if conn.n_active_neurons == 0:
        raise ValueError("conn: has no active neurons; nothing to linearise")

    sub, neuron_index, synapse_index = conn.compacted()
    n = sub.N
    D = 1.0 / sub.tau_m
    rows, cols = sub.post.copy(), sub.pre.copy()

    needs_exponents = (coupling in ("lyapunov", "modulated") and lyap_matrix is None
                       and node_exponents is None)
    if lyapunov_kwargs and not needs_exponents:
        raise TypeError(f"linearize: unexpected keyword(s) {sorted(lyapunov_kwargs)} (they are "
                        "only passed to node_exponents, which is not called here)")
    Lam = None
    if coupling in ("lyapunov", "modulated"):
        if lyap_matrix is None:
            if node_exponents is None:
                node_exponents = _node_exponents(conn, **lyapunov_kwargs)
            lyap_matrix = _lyap_matrix(conn, node_exponents, eps=eps)
        lyap_matrix = np.asarray(lyap_matrix, dtype=float)
        if lyap_matrix.shape != (conn.n_synapses,):
            raise ValueError(f"lyap_matrix: must have length conn.n_synapses="
                             f"{conn.n_synapses}, got shape {lyap_matrix.shape}")
        Lam = lyap_matrix[synapse_index]
        if not (np.isfinite(Lam).all() and (Lam > 0).all()):
            raise ValueError("lyap_matrix: must be finite and > 0 on every effective synapse")
    w_dimless = gain * sub.w / w_scale / sub.tau_m[rows] if sub.n_synapses else sub.w
    if coupling == "lyapunov":
        L_edge = np.sign(sub.w) * Lam
    elif coupling == "weights":
        L_edge = w_dimless
    else:
        L_edge = w_dimless * Lam / Lam.mean() if Lam.size else w_dimless
    L_edge = np.asarray(L_edge, dtype=float)

    A = _assemble(D, rows, cols, L_edge, n)
    alpha = spectral_abscissa(A)
    scale = 1.0
    target = -margin * float(D.min())
    if alpha > target and stabilize:
        # abscissa(-D + s L) is continuous in s, equals -min(D) < target at s = 0
        # and exceeds target at s = 1: brentq brackets the crossing.
        def excess(s):
            return spectral_abscissa(_assemble(D, rows, cols, s * L_edge, n)) - target

        s_root = sopt.brentq(excess, 0.0, 1.0, xtol=scale_tol * 0.5)
        scale = max(s_root - scale_tol, 0.0)
        A = _assemble(D, rows, cols, scale * L_edge, n)
        alpha = spectral_abscissa(A)
        while alpha > target and scale > 0:  # the abscissa need not be monotone in s
            scale = max(scale - 10 * scale_tol, 0.0) if scale > 20 * scale_tol else scale / 2
            A = _assemble(D, rows, cols, scale * L_edge, n)
            alpha = spectral_abscissa(A)
        L_edge = scale * L_edge
        logger.info("linearize: A unstable at scale 1; scaled L by %.4g (abscissa %.4g 1/s)",
                    scale, alpha)
    elif alpha >= 0:
        logger.warning("linearize: A is unstable (abscissa %.4g 1/s) and stabilize=False", alpha)
    return LinearNetwork(A=A, D=D, L_edge=L_edge, synapse_index=synapse_index,
                         neuron_index=neuron_index, rows=rows, cols=cols, scale=float(scale),
                         coupling=coupling, abscissa=float(alpha),
                         info=dict(margin=margin, eps=eps, w_scale=w_scale, gain=gain))
