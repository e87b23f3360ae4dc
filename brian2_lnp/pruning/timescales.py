"""LNP Step IV: Bayesian optimisation of the membrane time-constant distributions.

The paper (seed 000, Step IV and Suppl. D.1; seed 002, Eq. 6) optimises the
*distribution* of tau_m rather than N individual values, with a Gaussian
process whose kernel is a Matern function of the 2-Wasserstein distance
between candidate distributions, and expected improvement as acquisition.

How it is done here
-------------------
* Each group of neurons (E / I population, or each cluster of a CHRSNN) has a
  Gamma distribution of tau_m with two parameters, ``(mean, shape)`` (scale =
  mean / shape). The search vector is ``[mean_0, shape_0, mean_1, shape_1, ...]``.
* For one-dimensional distributions W2 is the L2 distance between quantile
  functions, ``W2(F, G)^2 = int_0^1 (F^-1(u) - G^-1(u))^2 du``. A candidate is
  embedded as its quantile function sampled at ``n_quantiles`` mid-points
  ``u_m = (m - 1/2) / M`` and scaled by ``1/sqrt(M)``; the Euclidean distance
  between two embeddings is then the (mid-point rule) W2 distance. The groups
  are independent, so for the joint (product) distribution
  ``W2^2 = sum_g W2_g^2`` -- the concatenated embedding gives exactly that.
  A Matern kernel on these embeddings *is* the Wasserstein-Matern kernel, so
  scikit-learn's :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
  and scikit-optimize's :func:`~skopt.acquisition.gaussian_ei` do the rest.
* ``kernel="raw"`` runs a standard :func:`skopt.gp_minimize` (Matern on the raw
  parameter vector, EI) for comparison.
* The default objective is task-agnostic and uses only the Lyapunov spectrum
  of the (pruned) network's rate surrogate: ``(lambda_max - target)^2`` with a
  slightly negative ``target`` (1/s), i.e. "close to, but on the stable side
  of, the edge of chaos".
* The winning distribution is written back per neuron by quantile mapping,
  ``tau_i = F_g^-1(u_i)``. When the per-neuron uniforms ``u`` are not given,
  ``u_i = (rank_i + 1/2) / n_g`` from neuron i's current rank of tau_m within
  its group (ties broken by index), so every neuron keeps its rank.
"""
from __future__ import annotations

import dataclasses
import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy import stats

from ..graph import Connectivity
from ..dynamics.threads import parallel_map
from ..random import as_generator, child_seed
from ..validation import check_choice, check_int, check_range

__all__ = ["optimize_timescales", "TimescaleSearch", "SEARCH_KEYS", "TimescaleReport",
           "quantile_embedding",
           "wasserstein2_gamma", "lyapunov_objective", "group_labels", "surrogate_kwargs"]

logger = logging.getLogger(__name__)

#: default target of lambda_max (1/s): slightly negative, i.e. just stable
DEFAULT_TARGET = -1.0
#: floor for written-back time constants (second); the Gamma's far left tail
#: would otherwise give time constants below the surrogate step (dt = 1 ms)
DEFAULT_TAU_MIN = 2e-3


# ---------------------------------------------------------------------- helpers
def group_labels(conn, groups="auto"):
    """Group id per neuron for Step IV (only active neurons matter).

    Parameters
    ----------
    conn : Connectivity
    groups : {"auto", "type", "cluster", "type_cluster"}
        "type": E and I populations; "cluster": one group per cluster id;
        "type_cluster": per (cluster, type) pair; "auto": "cluster" when the
        active neurons span more than one cluster (CHRSNN), else "type".

    Returns
    -------
    labels : array of int, shape (N,)
        Group index per neuron (-1 for inactive neurons).
    names : list of str
        A readable name per group ("E", "I", "cluster3", "cluster3/E").
    """
    check_choice("groups", groups, {"auto", "type", "cluster", "type_cluster"})
    act = conn.neuron_active
    if groups == "auto":
        groups = "cluster" if np.unique(conn.cluster[act]).size > 1 else "type"
    if groups == "type":
        keys = [(int(t),) for t in conn.types]
        fmt = lambda k: "EI"[k[0]]  # noqa: E731
    elif groups == "cluster":
        keys = [(int(c),) for c in conn.cluster]
        fmt = lambda k: f"cluster{k[0]}"  # noqa: E731
    else:
        keys = [(int(c), int(t)) for c, t in zip(conn.cluster, conn.types)]
        fmt = lambda k: f"cluster{k[0]}/{'EI'[k[1]]}"  # noqa: E731
    uniq = sorted({k for k, a in zip(keys, act) if a})
    index = {k: g for g, k in enumerate(uniq)}
    labels = np.array([index[k] if a else -1 for k, a in zip(keys, act)], dtype=np.int64)
    return labels, [fmt(k) for k in uniq]


def _quantile_levels(n_quantiles):
    return (np.arange(n_quantiles) + 0.5) / n_quantiles


def _gamma_ppf(u, mean, shape):
    return stats.gamma.ppf(u, a=shape, scale=mean / shape)


def quantile_embedding(params, n_quantiles=64, scale=1.0):
    """Embed Gamma distributions so that Euclidean distance = W2 distance.

    Parameters
    ----------
    params : array, shape (2 * G,) or (n, 2 * G)
        ``[mean_0, shape_0, mean_1, shape_1, ...]`` (mean in second).
    n_quantiles : int
        Number of mid-point quantile levels per group.
    scale : float
        Divide the embedding by this (e.g. a typical tau) so the GP's length
        scale is O(1); distances are then W2 / scale.

    Returns
    -------
    array, shape (G * n_quantiles,) or (n, G * n_quantiles)
    """
    params = np.asarray(params, dtype=float)
    single = params.ndim == 1
    P = np.atleast_2d(params)
    if P.shape[1] % 2:
        raise ValueError(f"params: need (mean, shape) pairs, got length {P.shape[1]}")
    u = _quantile_levels(check_int("n_quantiles", n_quantiles, 1))
    means, shapes = P[:, 0::2], P[:, 1::2]
    q = _gamma_ppf(u[None, None, :], means[:, :, None], shapes[:, :, None])
    emb = q.reshape(P.shape[0], -1) / (np.sqrt(u.size) * scale)
    return emb[0] if single else emb


def wasserstein2_gamma(p, q, n_quantiles=2000):
    """W2 distance between two products of Gamma distributions (quantile rule).

    ``p``, ``q``: ``[mean_0, shape_0, ...]`` of the same length.
    """
    return float(np.linalg.norm(quantile_embedding(p, n_quantiles)
                                - quantile_embedding(q, n_quantiles)))


def lyapunov_objective(conn, *, target=DEFAULT_TARGET, seed=0, **lyap_kwargs):
    """Task-agnostic Step IV objective: ``(lambda_max - target)^2`` (1/s^2).

    lambda_max is the largest Lyapunov exponent of the rate surrogate of
    ``conn`` (:func:`brian2_lnp.dynamics.rate_lyapunov`). A fixed ``seed`` is
    used for every candidate (common random numbers), so differences between
    candidates are not drowned in the estimator's own noise.

    Only lambda_max is read, so the surrogate runs with ``k=1`` tangent vector
    unless ``k`` is given: in QR re-orthonormalisation the first column of Q
    evolves on its own (the later columns never enter it), so the leading
    exponent of a k = 1 run is the first column's exponent of any larger k
    from the same start column, at 1/k of the tangent cost (docs/performance.md).
    """
    from ..dynamics import rate_lyapunov  # local: dynamics may be heavy to import
    kw = dict(k=1)
    kw.update(lyap_kwargs)
    res = rate_lyapunov(conn, seed=seed, **surrogate_kwargs(conn, kw))
    lam = float(np.asarray(res.exponents, dtype=float)[0])
    if not np.isfinite(lam):
        return float("inf")
    return (lam - target) ** 2


def surrogate_kwargs(conn, lyap_kwargs):
    """``lyap_kwargs`` with a default surrogate step ``dt`` the network can take.

    The Euler rate surrogate needs dt < min tau_m; the Gamma tails of a
    heterogeneous network reach below the usual 1 ms, so unless ``dt`` is given
    it is ``min(1 ms, min tau_m / 2)`` over the active neurons.
    """
    kw = dict(lyap_kwargs)
    if "dt" not in kw:
        tau = conn.tau_m[conn.neuron_active]
        kw["dt"] = min(1e-3, 0.5 * float(tau.min())) if tau.size else 1e-3
    return kw


def _moment_matched(tau):
    """(mean, shape) of a Gamma with the mean and variance of ``tau``."""
    m = float(np.mean(tau))
    v = float(np.var(tau))
    shape = m * m / v if v > 0 else 1e3
    return m, shape


# ---------------------------------------------------------------------- report
@dataclass
class TimescaleReport:
    """What Step IV did.

    Attributes
    ----------
    kernel : str
        "wasserstein" or "raw".
    groups : list of str
        Group names, in parameter order.
    params_before : list of float
        Moment-matched ``[mean, shape, ...]`` of the incoming tau_m.
    params_after : list of float
        The best evaluated ``[mean, shape, ...]`` (applied only if ``improved``).
    objective_before, objective_after : float
        Objective of the incoming network and of the best candidate.
    improved : bool
        True when the best candidate beat the incoming network and was written back.
    n_evaluations : int
    X : list of list of float
        Every evaluated parameter vector, in order.
    y : list of float
        Their objective values.
    bounds : list of (float, float)
    wall_time : float
        Seconds.
    """

    kernel: str
    groups: list
    params_before: list
    params_after: list
    objective_before: float
    objective_after: float
    improved: bool
    n_evaluations: int
    X: list = field(default_factory=list)
    y: list = field(default_factory=list)
    bounds: list = field(default_factory=list)
    wall_time: float = 0.0

    def as_dict(self):
        """JSON-friendly dict."""
        def clean(v):
            if isinstance(v, float) and not np.isfinite(v):
                return None
            return v
        return {"step": "timescales", "kernel": self.kernel, "groups": list(self.groups),
                "params_before": [float(v) for v in self.params_before],
                "params_after": [float(v) for v in self.params_after],
                "objective_before": clean(float(self.objective_before)),
                "objective_after": clean(float(self.objective_after)),
                "improved": bool(self.improved), "n_evaluations": int(self.n_evaluations),
                "X": [[float(a) for a in x] for x in self.X],
                "y": [clean(float(v)) for v in self.y],
                "bounds": [[float(a), float(b)] for a, b in self.bounds],
                "wall_time": float(self.wall_time)}


# ---------------------------------------------------------------------- main
def _resolve_bounds(bounds, before, n_groups):
    """Per-parameter (low, high) list of length 2 * n_groups."""
    if bounds is None:
        out = []
        for g in range(n_groups):
            m = before[2 * g]
            out += [(m / 3.0, 3.0 * m), (1.0, 30.0)]
        return out
    if isinstance(bounds, dict):
        unknown = set(bounds) - {"mean", "shape"}
        if unknown:
            raise ValueError(f"bounds: keys must be 'mean' and/or 'shape', got {sorted(unknown)}")
        default = _resolve_bounds(None, before, n_groups)
        out = []
        for g in range(n_groups):
            out += [tuple(bounds.get("mean", default[2 * g])),
                    tuple(bounds.get("shape", default[2 * g + 1]))]
        bounds = out
    bounds = [tuple(float(v) for v in b) for b in bounds]
    if len(bounds) != 2 * n_groups:
        raise ValueError(f"bounds: need {2 * n_groups} (low, high) pairs "
                         f"(mean and shape for each of {n_groups} groups), got {len(bounds)}")
    for k, (lo, hi) in enumerate(bounds):
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise ValueError(f"bounds: pair {k} must satisfy 0 < low < high, got ({lo}, {hi})")
    return bounds


def _apply_params(conn, labels, u, params, tau_min):
    tau = conn.tau_m.copy()
    for g in range(params.size // 2):
        sel = labels == g
        tau[sel] = _gamma_ppf(u[sel], params[2 * g], params[2 * g + 1])
    tau = np.maximum(tau, tau_min)
    return conn.replace(tau_m=tau)


def _rank_uniforms(conn, labels):
    """u_i = (rank_i + 1/2) / n_g within each group (stable: ties by index)."""
    u = np.full(conn.N, 0.5)
    for g in np.unique(labels[labels >= 0]):
        idx = np.flatnonzero(labels == g)
        order = np.argsort(conn.tau_m[idx], kind="stable")
        ranks = np.empty(idx.size)
        ranks[order] = np.arange(idx.size)
        u[idx] = (ranks + 0.5) / idx.size
    return u


@dataclass(frozen=True)
class TimescaleSearch:
    """The Bayesian optimisation of Step IV (:func:`optimize_timescales`).

    Parameters
    ----------
    n_calls : int
        Number of objective evaluations of the search (>= 1). The incoming
        network is evaluated once more, as the baseline.
    n_initial : int, optional
        Space-filling (Latin hypercube) points before the GP takes over;
        default ``min(n_calls, max(3, 2 * n_parameters))``. The first of them is
        the moment-matched incoming distribution (clipped into the bounds).
    bounds : None, dict or list of (low, high)
        Search box. A list gives one pair per parameter in the order
        ``mean_0, shape_0, mean_1, ...`` (mean in second). A dict
        ``{"mean": (lo, hi), "shape": (lo, hi)}`` applies to every group.
        Default: mean within [1/3, 3] x the group's current mean, shape in [1, 30].
    kernel : {"wasserstein", "raw"}
        "wasserstein": Matern kernel on quantile embeddings (= Matern on W2;
        the paper's kernel). "raw": :func:`skopt.gp_minimize` on the raw vector.
    n_quantiles : int
        Quantile levels per group in the embedding.
    n_candidates : int
        Random candidates scored by EI per step (plus local perturbations of
        the incumbent).
    """

    n_calls: int = 20
    n_initial: Optional[int] = None
    bounds: object = None
    kernel: str = "wasserstein"
    n_quantiles: int = 32
    n_candidates: int = 2000

    def __post_init__(self):
        check_int("n_calls", self.n_calls, 1)
        check_choice("kernel", self.kernel, {"wasserstein", "raw"})
        check_int("n_quantiles", self.n_quantiles, 1)
        check_int("n_candidates", self.n_candidates, 1)


#: flat keywords of :func:`optimize_timescales` that set a :class:`TimescaleSearch` field
SEARCH_KEYS = tuple(f.name for f in dataclasses.fields(TimescaleSearch))


def optimize_timescales(conn, search=None, *, target=DEFAULT_TARGET, groups="auto", u=None,
                        tau_min=DEFAULT_TAU_MIN, seed=None, objective=None, **options):
    """LNP Step IV: optimise the tau_m distribution of each neuron group.

    Parameters
    ----------
    conn : Connectivity
        The (pruned) network. Only active neurons are changed.
    search : TimescaleSearch, optional
        Evaluations, initial design, bounds, kernel and candidates of the
        search (:class:`TimescaleSearch`).
    target : float
        Target lambda_max (1/s) of the default objective. Default -1.0.
    groups : {"auto", "type", "cluster", "type_cluster"}
        See :func:`group_labels`; "auto" = per cluster for a CHRSNN, else E/I.
    u : array (N,), optional
        Fixed per-neuron uniforms for the quantile mapping (e.g.
        ``NetworkSpec.u_tau``). Default: from current ranks within each group.
    tau_min : float
        Floor (second) for written-back tau_m.
    seed : None, int or Generator
    objective : callable, optional
        ``objective(conn) -> float`` to minimise. Default
        :func:`lyapunov_objective` with ``target`` and ``**lyap_kwargs``.
    **options
        Flat shortcuts: a :class:`TimescaleSearch` field (e.g. ``n_calls=10``)
        overrides that field of ``search``; every other keyword is passed to
        :func:`brian2_lnp.dynamics.rate_lyapunov` by the default objective.

    Returns
    -------
    conn : Connectivity
        With new tau_m (or an unchanged copy when nothing beat the incoming network).
    report : TimescaleReport
    """
    t0 = time.perf_counter()
    if not isinstance(conn, Connectivity):
        raise TypeError(f"conn: expected a Connectivity, got {type(conn).__name__}")
    search = TimescaleSearch() if search is None else search
    if not isinstance(search, TimescaleSearch):
        raise TypeError(f"search: expected a TimescaleSearch, got {type(search).__name__}")
    search = dataclasses.replace(search, **{k: options.pop(k) for k in list(options)
                                            if k in SEARCH_KEYS})
    lyap_kwargs = options
    n_calls, n_initial, bounds = search.n_calls, search.n_initial, search.bounds
    kernel, n_quantiles, n_candidates = search.kernel, search.n_quantiles, search.n_candidates
    tau_min = check_range("tau_min", tau_min, 0.0)
    target = check_range("target", target)
    if conn.n_active_neurons == 0:
        raise ValueError("conn: no active neurons; nothing to optimise")
    labels, names = group_labels(conn, groups)
    G = len(names)
    if u is None:
        u = _rank_uniforms(conn, labels)
    else:
        u = np.asarray(u, dtype=float).ravel()
        if u.size != conn.N:
            raise ValueError(f"u: must have length N={conn.N}, got {u.size}")
        if not ((u[labels >= 0] > 0) & (u[labels >= 0] < 1)).all():
            raise ValueError("u: uniforms of active neurons must lie in (0, 1)")
    before = []
    for g in range(G):
        before += list(_moment_matched(conn.tau_m[labels == g]))
    bounds = _resolve_bounds(bounds, before, G)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    dim = 2 * G
    if n_initial is None:
        n_initial = min(n_calls, max(3, 2 * dim))
    n_initial = check_int("n_initial", n_initial, 1, n_calls)
    rng = as_generator(seed)

    # the default objective is pure NumPy/SciPy, so independent evaluations (the
    # baseline and the initial design) run on worker threads; a user's objective
    # may drive Brian2, which is not thread-safe, so it runs one call at a time
    evaluate_many = parallel_map if objective is None else (lambda f, xs: [f(x) for x in xs])
    if objective is None:
        lyap_seed = int(child_seed(rng, "timescales-objective").integers(2**31))
        def objective(c):  # noqa: E306
            return lyapunov_objective(c, target=target, seed=lyap_seed, **lyap_kwargs)

    def evaluate(x):
        if x is None:  # the incoming network
            return float(objective(conn))
        val = float(objective(_apply_params(conn, labels, u, np.asarray(x, float), tau_min)))
        return val if np.isfinite(val) else 1e300

    x0 = np.clip(np.array(before), lo, hi)

    X, y = [], []
    if kernel == "raw":
        y_before = evaluate(None)
        from skopt import gp_minimize
        res = gp_minimize(lambda x: evaluate(x), dimensions=[tuple(b) for b in bounds],
                          n_calls=n_calls, n_initial_points=n_initial - 1,
                          x0=[list(x0)], acq_func="EI",
                          random_state=int(rng.integers(2**31)))
        X = [list(map(float, x)) for x in res.x_iters]
        y = [float(v) for v in res.func_vals]
    else:
        y_before, X, y = _wasserstein_bo(evaluate, evaluate_many, x0, lo, hi, n_calls,
                                         n_initial, n_quantiles, n_candidates, rng,
                                         scale=float(np.mean(x0[0::2])))
    best = int(np.argmin(y))
    x_best = np.asarray(X[best], float)
    improved = y[best] < y_before
    new = _apply_params(conn, labels, u, x_best, tau_min) if improved else conn.copy()
    logger.info("Step IV (%s): objective %.4g -> %.4g after %d evaluations%s", kernel,
                y_before, y[best], len(y), "" if improved else " (kept incoming tau_m)")
    report = TimescaleReport(kernel=kernel, groups=names, params_before=before,
                             params_after=list(map(float, x_best)),
                             objective_before=y_before, objective_after=float(y[best]),
                             improved=bool(improved), n_evaluations=len(y), X=X, y=y,
                             bounds=bounds, wall_time=time.perf_counter() - t0)
    return new, report


def _wasserstein_bo(evaluate, evaluate_many, x0, lo, hi, n_calls, n_initial, n_quantiles,
                    n_candidates, rng, scale):
    """GP-EI loop with a Matern kernel on quantile embeddings (= Matern on W2).

    ``evaluate(None)`` is the incoming network's objective; it and the initial
    design are evaluated together by ``evaluate_many``. Returns (y_before, X, y).
    """
    from scipy.stats import qmc
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    from skopt.acquisition import gaussian_ei

    dim = lo.size
    init = [x0]
    if n_initial > 1:
        lhs = qmc.LatinHypercube(d=dim, seed=rng).random(n_initial - 1)
        init += list(qmc.scale(lhs, lo, hi))
    X = [np.asarray(x, float) for x in init]
    y_before, *y = evaluate_many(evaluate, [None] + X)
    embed = lambda P: quantile_embedding(P, n_quantiles, scale=scale)  # noqa: E731
    while len(y) < n_calls:
        kern = (ConstantKernel(1.0, (1e-3, 1e3))
                * Matern(length_scale=1.0, length_scale_bounds=(1e-3, 1e3), nu=2.5)
                + WhiteKernel(1e-6, (1e-10, 1e-1)))
        gp = GaussianProcessRegressor(kernel=kern, normalize_y=True, n_restarts_optimizer=2,
                                      random_state=int(rng.integers(2**31)))
        yy = np.asarray(y)
        # the squared objective spans orders of magnitude; the GP models log(1 + y)
        with warnings.catch_warnings():
            # hyper-parameters at a bound are expected with few points; not an error
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(embed(np.array(X)), np.log1p(np.maximum(yy, 0)))
        cand = lo + (hi - lo) * rng.random((n_candidates, dim))
        xb = X[int(np.argmin(yy))]
        local = xb + 0.05 * (hi - lo) * rng.standard_normal((max(n_candidates // 10, 1), dim))
        cand = np.clip(np.vstack([cand, local]), lo, hi)
        ei = gaussian_ei(embed(cand), gp, y_opt=float(np.log1p(max(yy.min(), 0))), xi=0.01)
        x_next = cand[int(np.argmax(ei))]
        X.append(x_next)
        y.append(evaluate(x_next))
    return y_before, [list(map(float, x)) for x in X], [float(v) for v in y]
