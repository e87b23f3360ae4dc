"""Lyapunov spectra of maps and ODEs by QR re-orthonormalisation.

The general entry point :func:`lyapunov_spectrum` takes any map
``x_{t+1} = step(x_t)`` with its Jacobian, so it can be checked on systems
with known spectra (Henon, Lorenz-63 via :func:`ode_map`, linear systems)
before it is trusted on the rate surrogate of a spiking network.

Method (Benettin et al. 1980; Vogt et al. 2020; Engelken et al. 2023): an
orthonormal N x k matrix Q is pushed through the Jacobian every step and
re-orthonormalised by a QR decomposition every ``qr_every`` steps; after the
transient, ``lambda_m = sum log|R_mm| / (n_steps * dt)``.

Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg.blas as sla_blas
import scipy.sparse.linalg as spla

from ..random import as_generator
from ..validation import check_int, check_range
from .threads import fixed_blas_threads, parallel_map, workers

__all__ = ["LyapunovResult", "lyapunov_spectrum", "ode_map", "kaplan_yorke_dimension",
           "positive_qr"]

logger = logging.getLogger(__name__)

_TINY = 1e-300  # floor for |R_mm| so a singular direction gives a finite, very negative log


def kaplan_yorke_dimension(exponents):
    """Kaplan-Yorke (Lyapunov) dimension of a descending spectrum.

    ``D_KY = j + sum_{m<=j} lambda_m / |lambda_{j+1}|`` with j the largest
    index (1-based) whose partial sum is >= 0. Returns 0.0 when
    ``lambda_1 < 0`` and NaN when all partial sums of the given (possibly
    truncated, k < N) spectrum are >= 0, because j+1 is then not known.
    """
    lam = np.sort(np.asarray(exponents, dtype=float))[::-1]
    if lam.size == 0 or lam[0] < 0:
        return 0.0
    csum = np.cumsum(lam)
    nonneg = np.flatnonzero(csum >= 0)
    j = int(nonneg[-1]) + 1  # number of exponents in the non-negative partial sum
    if j >= lam.size:
        return float("nan")
    return float(j + csum[j - 1] / abs(lam[j]))


class ExponentsArray:
    """Mixin: a result that behaves like its array ``self.exponents`` (descending)."""

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.exponents, dtype=dtype)

    def __len__(self):
        return len(self.exponents)

    def __getitem__(self, item):
        return self.exponents[item]

    def __iter__(self):
        return iter(self.exponents)

    @property
    def max(self):
        """The largest exponent."""
        return float(self.exponents[0])


@dataclass
class LyapunovResult(ExponentsArray):
    """Result of :func:`lyapunov_spectrum`.

    Behaves like the 1-D array of exponents (``np.asarray(res)``, ``res[0]``,
    ``len(res)``), and also carries the diagnostics.

    Attributes
    ----------
    exponents : ndarray (k,)
        Lyapunov exponents per unit time (divided by ``dt``), descending.
    q2_mean : ndarray (N, k)
        Time average (after the transient, at re-orthonormalisation times) of
        the squared components ``Q_im^2`` of the Lyapunov vectors, columns
        ordered like ``exponents``. Used for per-node exponents.
    history : ndarray (n_qr, k)
        Running estimate of the exponents after each re-orthonormalisation
        (convergence indicator), same column order.
    times : ndarray (n_qr,)
        Time (``steps * dt`` after the transient) of each row of ``history``.
    kaplan_yorke : float
        Kaplan-Yorke dimension (NaN if a truncated spectrum never turns negative).
    n_steps, dt, qr_every, transient : int, float, int, int
    """

    exponents: np.ndarray
    q2_mean: np.ndarray
    history: np.ndarray
    times: np.ndarray
    kaplan_yorke: float
    n_steps: int
    dt: float
    qr_every: int
    transient: int
    info: dict = field(default_factory=dict)

    @property
    def stderr(self):
        """Rough standard error of each exponent from the spread of the running
        estimate over the second half of the run (std of history there / sqrt 2)."""
        if self.history.shape[0] < 4:
            return np.full(self.exponents.shape, np.nan)
        half = self.history[self.history.shape[0] // 2:]
        return half.std(axis=0) / np.sqrt(2)


def _apply(J, Q):
    """J @ Q for a dense array, sparse matrix or LinearOperator J."""
    if isinstance(J, spla.LinearOperator):
        return J.matmat(Q)
    return J @ Q


#: Cholesky QR is used while the block's condition number (estimated from the
#: first pass's R diagonal) stays below this; Householder QR otherwise
_CHOLQR_MAX_COND = 1e6


def _cholesky_qr(M):
    R = np.linalg.cholesky(M.T @ M).T  # upper, positive diagonal
    return sla_blas.dtrsm(1.0, R, M, side=1, lower=0), R


def positive_qr(M):
    """Thin QR with a positive R diagonal: returns (Q, |diag R|).

    CholeskyQR2 (two Cholesky-QR passes: two BLAS-3 products and triangular
    solves, 2-3x faster than Householder for tall blocks) when the block is
    well conditioned, Householder (LAPACK) otherwise. Both give the unique QR
    with positive diag R, so Q is continuous in time.
    """
    M = np.asarray(M, dtype=float)
    if M.ndim == 2 and M.shape[0] >= M.shape[1] > 1:
        try:
            Q1, R1 = _cholesky_qr(M)
            d1 = np.diag(R1)
            if d1.min() > 0 and d1.max() / d1.min() < _CHOLQR_MAX_COND:
                Q, R2 = _cholesky_qr(Q1)
                return np.ascontiguousarray(Q), np.diag(R2) * d1
        except np.linalg.LinAlgError:
            pass
    Q, R = np.linalg.qr(M)
    d = np.diag(R)
    # fix signs so Q is continuous in time (QR is unique only up to column signs)
    sgn = np.where(d < 0, -1.0, 1.0)
    return Q * sgn, np.abs(d)


#: the tangent block (N x B*k elements) is cut into worker pieces only from this size
#: on (below it a thread dispatch per QR interval costs more than it saves: on the idle
#: 2-core machine one LNP iteration at N = 1000, k = 100 (1e5 elements) took 6.5 s with
#: one worker and 7.3 s with two; at N = 5000 (5e5) 32.4 s and 25.1 s;
#: benchmarks/RESULTS_lnp.md)
PARALLEL_MIN_ELEMENTS = 200_000


def _pieces(B, k, n_pieces):
    """Cut the tangent block (N, B*k) into column pieces: (member slice, column slice).

    A batch is cut between members (each piece holds whole members, so one
    Jacobian of the piece's states applies to it); a single trajectory is cut
    between columns. The columns of Q evolve independently between two QRs and
    each column's arithmetic is the same in any piece, so the cut changes only
    the wall time, never the result.
    """
    if B > 1:
        bounds = np.linspace(0, B, min(n_pieces, B) + 1).round().astype(int)
        return [(slice(a, b), slice(a * k, b * k)) for a, b in zip(bounds[:-1], bounds[1:])]
    bounds = np.linspace(0, k, min(n_pieces, k) + 1).round().astype(int)
    return [(slice(0, 1), slice(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]


@fixed_blas_threads()
def lyapunov_spectrum(step, jacobian, x0, *, n_steps, dt=1.0, k=None, transient=0,
                      qr_every=1, seed=None, Q0=None):
    """Lyapunov exponents of the map ``x -> step(x)`` by QR re-orthonormalisation.

    Parameters
    ----------
    step : callable
        ``step(x) -> x_next`` (1-D arrays of length N; (N, B) arrays for a batch).
    jacobian : callable
        ``jacobian(x)`` -> N x N dense array, scipy sparse matrix or
        :class:`scipy.sparse.linalg.LinearOperator`: the derivative of
        ``step`` at ``x``. Applied to an N x k block each step, so a sparse
        matrix or operator costs O(nnz k), not O(N^2 k). For a batch,
        ``jacobian(X)`` with X of shape (N, m) (m members' states) must apply
        the m members' Jacobians to an (N, m*j) block whose columns
        ``[b*j, (b+1)*j)`` belong to member b (as
        :meth:`~brian2_lnp.dynamics.RateNetwork.jacobian` does).
    x0 : array (N,) or (N, B)
        Initial state; a 2-D array is a batch of B independent trajectories of
        the same map, run as one (N, B) state block and one (N, B*k) tangent
        block (one product per step instead of B), with one QR per member.
    n_steps : int >= 1
        Number of steps averaged over (after the transient).
    dt : float > 0
        Time per step; exponents are per unit time (``log`` growth / ``dt``).
    k : int in [1, N], optional
        Number of leading exponents; default the full spectrum (k = N).
    transient : int >= 0
        Steps run first (state and Q both evolve, with QR) and not averaged.
    qr_every : int >= 1
        Re-orthonormalisation interval in steps. Larger is cheaper; too large
        loses precision when exponents differ by more than ~700/qr_every per step.
    seed : None, int or Generator
        For the random orthonormal start Q0.
    Q0 : array (N, k) (or (N, B*k) for a batch), optional
        Start of the tangent block (orthonormalised per member); random if not given.

    Returns
    -------
    LyapunovResult, or a list of B LyapunovResult for a batch
        Exponents sorted descending, with ``q2_mean``, ``history``, ``times``
        and ``kaplan_yorke``. ``info["order"]`` is the column of Q0 behind each
        sorted exponent.

    Notes
    -----
    Between two QRs the states are computed first, then column pieces of Q are
    pushed through their Jacobians on :func:`~brian2_lnp.dynamics.threads.workers`
    threads (the result is bit-identical for any worker count).
    """
    x = np.array(x0, dtype=float)
    batched = x.ndim == 2
    if x.ndim not in (1, 2):
        raise ValueError(f"x0: must be a 1-D state or an (N, B) batch, got shape {x.shape}")
    X = x if batched else x[:, None]
    N, B = X.shape
    if N == 0 or B == 0:
        raise ValueError("x0: state must have at least one component")
    n_steps = check_int("n_steps", n_steps, 1)
    dt = check_range("dt", dt, 0, None, low_inclusive=False)
    k = N if k is None else check_int("k", k, 1, N)
    transient = check_int("transient", transient, 0)
    qr_every = check_int("qr_every", qr_every, 1)
    if Q0 is None:
        Q0 = as_generator(seed).standard_normal((N, B * k))
    Q0 = np.asarray(Q0, dtype=float)
    if Q0.shape != (N, B * k):
        raise ValueError(f"Q0: must have shape ({N}, {B * k}), got {Q0.shape}")
    members = [slice(b * k, (b + 1) * k) for b in range(B)]
    # threads only when a piece is worth a dispatch (the cut never changes the result)
    pieces = _pieces(B, k, workers() if N * B * k >= PARALLEL_MIN_ELEMENTS else 1)
    qr_map = (parallel_map if B > 1 and N * k * k >= PARALLEL_MIN_ELEMENTS
              else (lambda f, xs: [f(x) for x in xs]))
    state = {"X": X}

    def qr_all(Q):
        out = qr_map(lambda m: positive_qr(Q[:, m]), members)
        return np.hstack([q for q, _ in out]) if B > 1 else out[0][0], [r for _, r in out]

    def advance(Q, n_sub, t0, phase):
        """n_sub steps of state and tangent block (states first, then the pieces)."""
        states = []
        Xc = state["X"]
        for j in range(n_sub):
            states.append(Xc)
            Xc = step(Xc if batched else Xc[:, 0])
            Xc = np.asarray(Xc, dtype=float)
            Xc = Xc if batched else Xc[:, None]
        state["X"] = Xc
        # one member: every piece goes through the same Jacobians, so build each once
        # (a batch's pieces are groups of members, each with its own Jacobians)
        shared = None if batched else [jacobian(Xs[:, 0]) for Xs in states]

        def push(piece):
            ms, cs = piece
            V = Q[:, cs]
            for i, Xs in enumerate(states):
                V = _apply(shared[i] if shared is not None else jacobian(Xs[:, ms]), V)
            return V

        out = parallel_map(push, pieces)
        if not np.isfinite(Xc).all():
            raise FloatingPointError(f"state became non-finite {phase} (step {t0 + n_sub - 1})")
        return out[0] if len(out) == 1 else np.hstack(out)

    def intervals(Q, total, phase):
        """QR intervals over ``total`` steps: yields (Q, R diagonals, steps done)."""
        t = 0
        while t < total:
            n_sub = min(qr_every, total - t)
            Q, rs = qr_all(advance(Q, n_sub, t, phase))
            t += n_sub
            yield Q, rs, t

    Q, _ = qr_all(Q0)
    for Q, _, _ in intervals(Q, transient, "during the transient"):
        pass

    log_sum = np.zeros((B, k))
    q2_sum = np.zeros((B, N, k))
    n_qr = 0
    history, times = [], []
    for Q, rs, t in intervals(Q, n_steps, "at"):
        for b in range(B):
            log_sum[b] += np.log(np.maximum(rs[b], _TINY))
            Qb = Q[:, members[b]]
            q2_sum[b] += Qb * Qb
        n_qr += 1
        history.append(log_sum / (t * dt))
        times.append(t * dt)
    history = np.array(history)  # (n_qr, B, k)
    times = np.array(times)
    results = []
    for b in range(B):
        lam = log_sum[b] / (n_steps * dt)
        order = np.argsort(-lam, kind="stable")
        lam = lam[order]
        results.append(LyapunovResult(
            exponents=lam, q2_mean=(q2_sum[b] / n_qr)[:, order],
            history=history[:, b, order], times=times,
            kaplan_yorke=kaplan_yorke_dimension(lam), n_steps=n_steps, dt=dt,
            qr_every=qr_every, transient=transient,
            info=dict(final_state=state["X"][:, b].copy(), final_Q=Q[:, members[b]], k=k, N=N,
                      order=order)))
    return results if batched else results[0]


def ode_map(f, jac, dt):
    """The RK4 step of ``dx/dt = f(x)`` and the exact Jacobian of that step.

    Parameters
    ----------
    f : callable
        ``f(x) -> dx/dt``.
    jac : callable
        ``jac(x)`` -> N x N Jacobian of ``f`` (dense, sparse or LinearOperator).
    dt : float > 0
        Step size.

    Returns
    -------
    step, jacobian : callable, callable
        ``step(x)`` is one classical RK4 step; ``jacobian(x)`` returns a
        :class:`~scipy.sparse.linalg.LinearOperator` applying the derivative
        of that RK4 step at x (the tangent-linear RK4: the chain rule through
        the four stages), for use in :func:`lyapunov_spectrum` with the same ``dt``.
    """
    dt = check_range("dt", dt, 0, None, low_inclusive=False)

    def step(x):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        return x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    def jacobian(x):
        x = np.asarray(x, dtype=float)
        k1 = f(x)
        x2 = x + 0.5 * dt * k1
        k2 = f(x2)
        x3 = x + 0.5 * dt * k2
        k3 = f(x3)
        x4 = x + dt * k3
        J1, J2, J3, J4 = jac(x), jac(x2), jac(x3), jac(x4)

        def matmat(V):
            V = np.asarray(V, dtype=float)
            K1 = _apply(J1, V)
            K2 = _apply(J2, V + 0.5 * dt * K1)
            K3 = _apply(J3, V + 0.5 * dt * K2)
            K4 = _apply(J4, V + dt * K3)
            return V + dt / 6.0 * (K1 + 2 * K2 + 2 * K3 + K4)

        n = x.size
        return spla.LinearOperator((n, n), matvec=lambda v: matmat(v.reshape(n, 1)).ravel(),
                                   matmat=matmat, dtype=float)

    return step, jacobian
