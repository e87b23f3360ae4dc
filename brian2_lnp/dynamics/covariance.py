"""Noise covariance of the linearised network (000 Eq. 2-4).

The stationary covariance C of ``dx = A x dt + sigma dW`` solves the
continuous Lyapunov equation ``A C + C A^T + sigma^2 I = 0``. LNP Step I only
needs, on each existing edge, ``C_ii + C_jj - 2 s_ij C_ij`` (with
``s_ij = sign(L_ij)``; for s = +1 this is ``Var(x_i - x_j)``). Two routes:

``exact``
    Bartels-Stewart on the dense A (SciPy's Schur form, then a blocked
    triangular solve: :mod:`brian2_lnp.dynamics.lyapunov_equation`): O(n^3)
    time, O(n^2) memory (timed against SciPy's own solver by
    ``benchmarks/bench_lyapunov_solve.py``).
``sampled`` ("noise probing")
    Drive the sparse linear network with white noise: m independent chains
    (columns of an n x m array, so each step is a sparse mat-mat product) and
    accumulate second moments only on the diagonal and on the edges:
    O(nnz m) per step, O(nnz G) memory (G independent chain groups).

Sampling scheme (why not plain Euler-Maruyama): EM's stationary covariance
C_h solves ``A C_h + C_h A^T + h A C_h A^T = -sigma^2 I``, biased O(h), and
HRSNN leak rates span 10-2000 1/s, so an explicit step must be tiny compared
with the slowest timescale (tens of thousands of steps). We use the implicit
midpoint (Cayley) step::

    (I - hA/2) x' = (I + hA/2) x + sqrt(h) sigma xi

whose stationary covariance C_h satisfies ``(I - hA/2) C_h (I - hA/2)^T =
(I + hA/2) C_h (I + hA/2)^T + h sigma^2 I``, i.e. exactly
``A C_h + C_h A^T + sigma^2 I = 0``: **no discretisation bias for any h**.
The linear solve is done with Jacobi sweeps on the splitting
``(I + hD/2) - hL/2`` (one sparse mat-mat product each); the leak D, which
holds the stiff fast modes, is treated implicitly. The step h is the largest
(by doubling, up to ``2 / sqrt(fast * slow)``) at which the spectral radius of
the sweep matrix ``(h/2)(I + hD/2)^-1 L`` is at most ``q`` (default 0.5,
ARPACK estimate). The guaranteed row-sum step (every row contracts by q) is
the starting point and the fallback: with mixed-sign E/I couplings the radius
is far below the row-sum bound, so h is typically 10-100x larger than that
step (measured in benchmarks/RESULTS_lnp.md). Sweeps run until the last
update is below ``SWEEP_TOL = 1e-6`` of max|y| (if they stall, the run restarts
at the row-sum step); ``sweeps=K`` instead runs exactly K sweeps at the
row-sum step, whose remaining bias :func:`scheme_stationary_covariance`
computes exactly (tests/test_dynamics_linear.py).

Error bound: the estimator averages ``n_samples`` recorded states per chain
over m chains; the chains are split into G independent groups and
:meth:`Covariance.stderr` is the standard error across groups. For a
quantity with integrated autocorrelation time tau_int (at most the slowest
timescale ``1/|abscissa|``) recorded over time T per chain, the relative
standard error of a variance is about ``sqrt(2 tau_int / (m T))``, so it
falls as ``1/sqrt(samples)`` (checked in tests/test_dynamics_linear.py).
By default (``rtol=0.02``) recording stops as soon as the median of that
standard error over the Step I edge terms is at most 2 % (tested every 25
samples, after at least 50), so the cost follows the requested precision;
``n_samples`` (400) is then the most recorded, and ``info`` reports the
samples used and the median relative standard error reached.

Parallel and warm: the chains run in :data:`CHAIN_BLOCKS` fixed blocks of
whole groups, each with its own random stream, on worker threads
(:func:`~brian2_lnp.dynamics.threads.parallel_map`; identical results for any
worker count); ``warm`` starts them from an earlier run's chains with a
shorter burn-in (docs/performance.md).

Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..random import as_generator
from ..validation import check_choice, check_int, check_range
from .linear import LinearNetwork, UnstableNetworkError, arpack_eigs, linearize
from .lyapunov_equation import solve_continuous_lyapunov
from .threads import fixed_blas_threads, parallel_map
from .warm import WarmStart, map_rows

__all__ = ["Covariance", "covariance", "AUTO_EXACT_MAX", "SAMPLED_OPTIONS", "SWEEP_TOL",
           "jacobi_radius", "scheme_stationary_covariance"]

logger = logging.getLogger(__name__)

#: ``method="auto"`` uses ``exact`` up to this many active neurons, ``sampled`` above
AUTO_EXACT_MAX = 1000

#: keyword options of the sampled route (besides n_samples)
SAMPLED_OPTIONS = ("n_chains", "n_groups", "q", "sweeps", "burn_in", "record_every",
                   "rtol", "warm_burn_in")

#: default burn-in of warm-started chains, as a fraction of the cold burn-in
WARM_BURN_IN = 0.5


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
        _, se = _group_edge_terms(self._group_diag, self._group_edge, lin.rows, lin.cols, s)
        return se


@fixed_blas_threads()
def scheme_stationary_covariance(A, sigma, h, sweeps=None, D=None):
    """Exact stationary covariance of the sampling scheme (small n; for checks).

    With ``sweeps=None`` the implicit-midpoint (Cayley) step is solved exactly
    and the result equals the continuous C for every h. With ``sweeps=K``
    (and the leak rates ``D``, A = -diag(D) + L) it is the scheme actually
    run by ``method="sampled"``: K Jacobi sweeps, ``x' = M_K x + G_K xi``;
    ``C_h - C`` is then its bias.
    """
    A = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    n = A.shape[0]
    I = np.eye(n)
    if sweeps is None:
        S = np.linalg.inv(I - 0.5 * h * A)
    else:
        D = np.asarray(D, dtype=float)
        dinv = np.diag(1.0 / (1.0 + 0.5 * h * D))
        P = dinv @ (0.5 * h * (A + np.diag(D)))
        S = dinv.copy()
        for _ in range(sweeps):
            S = dinv + P @ S
    M = S @ (I + 0.5 * h * A)
    G = np.sqrt(h) * sigma * S
    return sla.solve_discrete_lyapunov(M, G @ G.T)


@fixed_blas_threads()
def _exact(lin, sigma):
    n = lin.n
    t0 = time.perf_counter()
    C = solve_continuous_lyapunov(lin.A.toarray(), -sigma ** 2 * np.eye(n))
    C = 0.5 * (C + C.T)
    if not np.isfinite(C).all():
        raise FloatingPointError("covariance: exact Lyapunov solve returned non-finite values "
                                 "(A ill-conditioned); try a larger margin in linearize")
    return Covariance(method="exact", matrix=C, diag=np.diag(C).copy(),
                      edge_cov=C[lin.rows, lin.cols], linear_network=lin, sigma=sigma,
                      info=dict(seconds=time.perf_counter() - t0))


def _row_sum_step(L, D, q):
    """Largest h whose Jacobi sweep contracts every row by at most q (infinity norm)."""
    r = np.asarray(abs(L).sum(axis=1)).ravel()
    # contraction of row i: (h/2) r_i / (1 + h D_i / 2) <= q  <=>  h (r_i - q D_i) <= 2q
    excess = r - q * D
    return float(np.min(2 * q / excess[excess > 0])) if np.any(excess > 0) else np.inf, r


@fixed_blas_threads()
def jacobi_radius(L, D, h):
    """Spectral radius of the Jacobi sweep matrix ``(h/2) (I + hD/2)^-1 L``.

    The sweeps converge geometrically at this rate (after a transient when L is
    far from normal). ARPACK for large n, dense eigenvalues for small n;
    returns inf when ARPACK does not converge (the caller then keeps a smaller h).
    """
    n = L.shape[0]
    d = 0.5 * h / (1.0 + 0.5 * h * D)
    if L.nnz == 0:
        return 0.0
    if n <= 200:
        return float(np.abs(np.linalg.eigvals(d[:, None] * L.toarray())).max())
    op = spla.LinearOperator((n, n), matvec=lambda v: d * (L @ v), dtype=float)
    try:
        ev = arpack_eigs(op, k=1, which="LM", tol=1e-3, maxiter=50 * n,
                         return_eigenvectors=False)
    except spla.ArpackNoConvergence:
        return np.inf
    return float(np.abs(ev).max())


def _cayley_setup(lin, q):
    """Step h of the implicit-midpoint (Cayley) scheme and the sweep bound it meets.

    Start from the row-sum step (every row's Jacobi contraction <= q, a
    guarantee) and double h while the sweep matrix's spectral radius stays
    <= q: with mixed-sign (E/I) couplings the radius is far below the row-sum
    bound, so h can often be 10-100x larger (fewer steps for the same burn-in).
    h never exceeds ``2 / sqrt(fast * slow)``, which balances the fastest rate
    against the slowest relaxation ``|abscissa|``. Returns (A, L, h, h_safe),
    h_safe being the row-sum step (the fallback if sweeps fail to converge).
    """
    A = lin.A.tocsr()
    D = lin.D
    L = (A + sp.diags(D)).tocsr()
    h_safe, r = _row_sum_step(L, D, q)
    h_cap = 2.0 / np.sqrt(float(D.max() + r.max()) * abs(lin.abscissa))
    if h_safe >= h_cap:
        return A, L, h_cap, h_cap
    h = h_safe
    while h < h_cap:
        trial = min(2.0 * h, h_cap)
        if not jacobi_radius(L, D, trial) <= q:
            break
        h = trial
    return A, L, h, h_safe


#: adaptive sweeps stop when the last update is below this fraction of max|y|
#: (the truncation bias is then ~1e-6 relative, far below the sampling error ~1e-2)
SWEEP_TOL = 1e-6


class _NoConvergence(Exception):
    pass


def _group_edge_terms(gdiag, gedge, rows, cols, signs):
    """Edge terms ``C_ii + C_jj - 2 s C_ij`` from per-group estimates: (mean, stderr)."""
    g = gdiag[rows] + gdiag[cols] - 2.0 * signs[:, None] * gedge
    return g.mean(axis=1), g.std(axis=1, ddof=1) / np.sqrt(g.shape[1])


def _median_rel_stderr(gdiag, gedge, rows, cols, signs):
    """Median over edges of stderr / |estimate| of the edge terms (group arrays)."""
    est, se = _group_edge_terms(gdiag, gedge, rows, cols, signs)
    est = np.abs(est)
    ok = est > 0
    return float(np.median(se[ok] / est[ok])) if ok.any() else 0.0


#: the chains are cut into at most this many blocks of whole groups, each with its
#: own random stream; the blocks run on worker threads (a fixed cut: the result does
#: not depend on the number of workers)
CHAIN_BLOCKS = 2


def _chain_blocks(n_groups):
    """Number of chain blocks: the largest divisor of n_groups up to CHAIN_BLOCKS."""
    return max(b for b in range(1, CHAIN_BLOCKS + 1) if n_groups % b == 0)


class _ChainBlock:
    """A block of whole chain groups with its own generator, state and sweep count.

    Advanced in chunks of steps by :meth:`run`; its arithmetic depends only on
    its own stream, so blocks can run on any thread in any order.
    """

    def __init__(self, rng, n_chains, n_groups, sd0):
        self.rng = rng
        self.m = n_chains
        self.g = n_groups
        self.per = n_chains // n_groups
        # start from the uncoupled stationary law N(0, sigma^2 / 2D): closer than 0
        self.x = rng.standard_normal((sd0.size, n_chains)) * sd0[:, None]
        self.last_k = 0
        self.total_sweeps = 0
        self.worst = 0

    def start_recording(self, n, n_edges):
        self.gdiag = np.zeros((n, self.g))
        self.gedge = np.zeros((n_edges, self.g))

    def run(self, sc, n_steps, record, thin, phase_step):
        """``n_steps`` Cayley steps; accumulate moments every ``thin``-th if ``record``."""
        K, max_sweeps = sc["K"], sc["max_sweeps"]
        dinv, Ah, Lh, sq = sc["dinv"], sc["Ah"], sc["Lh"], sc["sq"]
        rows, cols, chunk = sc["rows"], sc["cols"], max(1, int(4e6 // self.m))
        n = dinv.shape[0]
        x = self.x
        for t in range(n_steps):
            rhs = Ah @ x
            rhs += x
            rhs += sq * self.rng.standard_normal((n, self.m))
            y = dinv * rhs
            # Jacobi sweeps for (I + hD/2 - hL/2) y = rhs: exactly K, or adaptive. The
            # sweep count barely changes between steps, so convergence is tested only
            # from two sweeps before the previous step's count on (each test costs ~1/4
            # sweep).
            k = 0
            for k in range(1, (K if K is not None else max_sweeps) + 1):
                y_new = Lh @ y
                y_new += rhs
                y_new *= dinv
                done = (K is None and k >= self.last_k - 2
                        and np.abs(y_new - y).max() <= SWEEP_TOL * np.abs(y_new).max())
                y = y_new
                if done:
                    break
            else:
                if K is None:
                    raise _NoConvergence(phase_step + t)
            self.last_k = k
            self.total_sweeps += k
            self.worst = max(self.worst, k)
            x = y
            if record and (t + 1) % thin == 0:
                if not np.isfinite(x).all():
                    raise FloatingPointError(
                        "covariance(sampled): chains diverged; lower q or increase margin")
                self.gdiag += (x * x).reshape(n, self.g, self.per).sum(axis=2)
                for s0 in range(0, rows.size, chunk):
                    r, c = rows[s0:s0 + chunk], cols[s0:s0 + chunk]
                    self.gedge[s0:s0 + chunk] += (x[r] * x[c]).reshape(
                        r.size, self.g, self.per).sum(axis=2)
        self.x = x


def _run_chains(lin, sigma, h, K, max_sweeps, n_chains, n_groups, n_burn, thin, n_samples,
                rngs, A, L, rtol=None, min_samples=50, check_every=25, warm=None):
    """Run the Cayley chains; K sweeps per step, or adaptive (K None) up to max_sweeps.

    The chains are cut into ``len(rngs)`` blocks of whole groups, each with its
    own generator; the blocks advance in lockstep chunks (the burn-in, then
    ``check_every`` samples at a time) on worker threads. With ``rtol``,
    recording stops early (after at least ``min_samples``, tested every
    ``check_every`` samples) once the median relative standard error of the
    Step I edge terms (signs of ``lin.L_edge``) is at most ``rtol``. ``warm``
    (a WarmStart with chains) replaces the start on the rows of shared neurons.
    """
    n = lin.n
    nb = len(rngs)
    rows, cols = lin.rows, lin.cols
    signs = np.sign(np.asarray(lin.L_edge, dtype=float))
    sc = dict(K=K, max_sweeps=max_sweeps, sq=np.sqrt(h) * sigma,
              dinv=(1.0 / (1.0 + 0.5 * h * lin.D))[:, None], Ah=(0.5 * h) * A,
              Lh=(0.5 * h) * L, rows=rows, cols=cols)
    sd0 = sigma / np.sqrt(2 * lin.D)
    blocks = [_ChainBlock(r, n_chains // nb, n_groups // nb, sd0) for r in rngs]
    if warm is not None:
        x0 = map_rows(warm.chain_index, warm.chains, lin.neuron_index,
                      np.hstack([b.x for b in blocks]), "covariance chains")
        for i, b in enumerate(blocks):
            b.x = np.ascontiguousarray(x0[:, i * b.m:(i + 1) * b.m])
    parallel_map(lambda b: b.run(sc, n_burn, False, thin, 0), blocks)
    for b in blocks:
        b.start_recording(n, rows.size)
    recorded = 0
    steps = n_burn
    rel = float("nan")
    while recorded < n_samples:
        if rtol is None:
            want = n_samples
        elif recorded < min_samples:
            want = min(min_samples, n_samples)
        else:
            want = min(recorded + check_every, n_samples)
        parallel_map(lambda b: b.run(sc, (want - recorded) * thin, True, thin, steps), blocks)
        steps += (want - recorded) * thin
        recorded = want
        if rtol is not None and recorded >= min_samples and rows.size:
            rel = _median_rel_stderr(np.hstack([b.gdiag for b in blocks]),
                                     np.hstack([b.gedge for b in blocks]), rows, cols, signs)
            if rel <= rtol:
                break
    norm = recorded * (n_chains // n_groups)
    gdiag = np.hstack([b.gdiag for b in blocks]) / norm
    gedge = np.hstack([b.gedge for b in blocks]) / norm
    total_sweeps = sum(b.total_sweeps for b in blocks) / nb
    worst = max(b.worst for b in blocks)
    return (gdiag, gedge, total_sweeps / max(steps, 1), worst, recorded, steps, rel,
            np.hstack([b.x for b in blocks]))


def _sampled(lin, sigma, n_samples, seed, n_chains=32, n_groups=8, q=0.5, sweeps=None,
             burn_in=None, record_every=None, rtol=0.02, warm_burn_in=WARM_BURN_IN,
             warm=None):
    n_chains = check_int("n_chains", n_chains, 2)
    n_groups = check_int("n_groups", n_groups, 2)
    if n_chains < n_groups or n_chains % n_groups:
        raise ValueError(f"n_chains: must be a multiple of n_groups={n_groups}, got {n_chains}")
    q = check_range("q", q, 0, 0.9, low_inclusive=False)
    K = None if sweeps is None else check_int("sweeps", sweeps, 0)
    n_samples = 400 if n_samples is None else check_int("n_samples", n_samples, 2)
    if rtol is not None:
        rtol = check_range("rtol", rtol, 0, None, low_inclusive=False)
    if burn_in is not None:
        burn_in = check_range("burn_in", burn_in, 0)
    if record_every is not None:
        record_every = check_range("record_every", record_every, 0, None, low_inclusive=False)
    A, L, h, h_safe = _cayley_setup(lin, q)
    if K is not None:
        h = h_safe  # a fixed sweep count is only guaranteed at the row-sum step
    # adaptive sweeps: the row-sum step needs log(tol)/log(q); allow 4x that at larger h
    max_sweeps = 4 * int(np.ceil(np.log(SWEEP_TOL) / np.log(q)))
    slow = 1.0 / abs(lin.abscissa)  # slowest relaxation time of the mean
    burn = 2.5 * slow if burn_in is None else burn_in
    if warm_burn_in is not None:
        warm_burn_in = check_range("warm_burn_in", warm_burn_in, 0, 1)
    if warm is None or warm_burn_in is None or not warm.has_chains:
        warm = None
    else:
        burn *= warm_burn_in
    rng = as_generator(seed)
    # one stream per chain block (Generator.spawn needs numpy >= 1.25)
    rngs = [np.random.default_rng(int(v))
            for v in rng.integers(2**63, size=_chain_blocks(n_groups))]
    t0 = time.perf_counter()
    while True:
        n_burn = int(np.ceil(burn / h))
        thin = max(1, int(round((h if record_every is None else record_every) / h)))
        logger.info("covariance(sampled): n=%d nnz=%d h=%.3g s (row-sum step %.3g s), %s "
                    "sweeps, %d burn-in + %d x %d steps, %d chains", lin.n, A.nnz, h, h_safe,
                    K if K is not None else "adaptive", n_burn, n_samples, thin, n_chains)
        try:
            gdiag, gedge, mean_sweeps, worst, recorded, steps, rel, x_end = _run_chains(
                lin, sigma, h, K, max_sweeps, n_chains, n_groups, n_burn, thin, n_samples,
                rngs, A, L, rtol=rtol, warm=warm)
            break
        except _NoConvergence as exc:
            if h <= h_safe:  # cannot happen: the row-sum step contracts every row by q
                raise FloatingPointError("covariance(sampled): Jacobi sweeps did not converge "
                                         "at the row-sum step; lower q") from None
            logger.warning("covariance(sampled): sweeps did not converge at h=%.3g s (step %s);"
                           " restarting at the row-sum step h=%.3g s", h, exc, h_safe)
            h = h_safe
    return Covariance(method="sampled", matrix=None, diag=gdiag.mean(axis=1),
                      edge_cov=gedge.mean(axis=1), linear_network=lin, sigma=sigma,
                      info=dict(seconds=time.perf_counter() - t0, h=h, h_row_sum=h_safe,
                                sweeps=K, mean_sweeps=mean_sweeps, max_sweeps=worst,
                                sweep_tol=None if K is not None else SWEEP_TOL, q=q,
                                n_burn=n_burn, thin=thin, n_samples=recorded,
                                max_samples=n_samples, rtol=rtol, median_rel_stderr=rel,
                                n_chains=n_chains, n_groups=n_groups, n_steps=steps,
                                warm=warm is not None,
                                state=WarmStart(chain_index=lin.neuron_index.copy(),
                                                chains=x_end)),
                      _group_diag=gdiag, _group_edge=gedge)


def covariance(conn_or_lin, *, sigma=1.0, method="auto", n_samples=None, seed=None, warm=None,
               **kwargs):
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
        Sampled route: the most states recorded per chain (default 400).
    seed : None, int or Generator
        Sampled route's noise.
    warm : WarmStart, optional
        Sampled route: chain states of an earlier run (``info["state"]``) on a
        network sharing neurons with this one; they start the chains on the
        shared neurons' rows (the others keep their cold draw), and the burn-in
        is ``warm_burn_in`` (default :data:`WARM_BURN_IN`; None: ignore
        ``warm``) times the cold one. The random streams are consumed as in a
        cold run.
    **kwargs
        Sampled-route options ``n_chains`` (32), ``n_groups`` (8), ``q``
        (bound on the Jacobi sweep radius, 0.5), ``sweeps`` (default: adaptive, to
        :data:`SWEEP_TOL`; an int K runs K sweeps at the row-sum step),
        ``burn_in`` (s, default 2.5/|abscissa|), ``record_every`` (s, default
        every step), ``rtol`` (default 0.02: recording stops, after at least
        50 samples, once the median relative standard error of the Step I edge
        terms ``C_ii + C_jj - 2 sign(L_ij) C_ij`` is at most rtol; None records
        all ``n_samples``), ``warm_burn_in`` (see ``warm``); all others go to
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
    if "h_factor" in kwargs:
        raise TypeError("h_factor: no longer an option; the sampled route uses an implicit "
                        "(Cayley) step whose size is set by q (Jacobi sweep radius bound, "
                        "default 0.5)")
    sampled_kw = {key: kwargs.pop(key) for key in SAMPLED_OPTIONS if key in kwargs}
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
    return _sampled(lin, sigma, n_samples, seed, warm=warm, **sampled_kw)
