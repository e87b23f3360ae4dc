"""LNP Step I: noise pruning of synapses (000 Eq. 4, after Moore & Chaudhuri 2020).

On the linearised network ``A = -D + L`` (:func:`brian2_lnp.dynamics.linearize`)
driven by white noise of amplitude sigma, with stationary covariance C
(:func:`brian2_lnp.dynamics.covariance`), each effective synapse i -> j is kept
independently with probability::

    p_ij = min(1, rho |L_ij| (C_ii + C_jj - 2 sign(L_ij) C_ij))

and a kept synapse's weight becomes ``w_ij / p_ij`` (magnitude clipped to
``w_max``). ``rho`` is solved so that the expected number of kept synapses is
``density * n_effective`` (or given). Optionally the diagonal is compensated
(homeostatic excitability): ``Delta_i = sum_j (L~_ij - L_ij)`` over the inputs
of neuron i, ``D~_ii = D_ii + Delta_i``, written back as ``tau_m_i = 1 / D~_ii``.

Nothing is deleted: pruned synapses get ``synapse_active = False``.
Pure NumPy/SciPy (no Brian2).
"""
from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp

from ..dynamics.covariance import SAMPLED_OPTIONS
from ..random import as_generator
from ..validation import check_choice, check_int, check_range
from .report import NoisePruneReport
from .spectral import keep_probabilities, spectral_error

__all__ = ["noise_prune", "COVARIANCE_KEYS"]

logger = logging.getLogger(__name__)

#: keyword arguments of noise_prune passed to covariance() rather than linearize()
COVARIANCE_KEYS = ("n_samples",) + SAMPLED_OPTIONS

#: covariance error in the spectral report is computed only up to this many active
#: neurons (it costs a second dense Lyapunov solve, O(n^3))
SPECTRAL_COV_MAX = 400


def _check_conn(conn):
    eff = conn.effective
    if conn.n_active_neurons == 0:
        raise ValueError("conn: the network has no active neuron (fully pruned)")
    if not eff.any():
        raise ValueError("conn: the network has no effective synapse; nothing to prune")
    if not np.isfinite(conn.w[eff]).all():
        raise ValueError("conn.w: weights of effective synapses must be finite (found NaN/inf)")
    return eff


def noise_prune(conn, density=None, *, rho=None, coupling="lyapunov", covariance="auto",
                sigma=1.0, w_max=None, homeostatic=False, node_exponents=None, seed=None,
                spectral_report=True, **kw):
    """Noise-prune the synapses of a network (LNP Step I).

    Parameters
    ----------
    conn : Connectivity
    density : float in (0, 1], optional
        Expected kept fraction of the effective synapses. Exactly one of
        ``density`` and ``rho`` must be given.
    rho : float > 0, optional
        The constant of ``p = min(1, rho * score)`` given directly.
    coupling : {"lyapunov", "weights", "modulated"}
        How L is built from the network (see :func:`brian2_lnp.dynamics.linearize`).
    covariance : {"auto", "exact", "sampled"}
        Route for C (see :func:`brian2_lnp.dynamics.covariance`).
    sigma : float > 0
        Noise amplitude (p is invariant to it once rho is solved from density).
    w_max : float > 0, optional
        Bound on |w| of reweighted synapses (volt); None: no bound.
    homeostatic : bool
        Compensate the diagonal and write ``tau_m = 1 / D~`` back (see module doc).
        Neurons whose ``D~_ii <= 0`` keep their tau_m (counted in the report).
    node_exponents : array (conn.N,), optional
        Per-node Lyapunov exponents for the "lyapunov"/"modulated" couplings;
        computed by :func:`brian2_lnp.dynamics.node_exponents` when omitted.
    seed : None, int or numpy.random.Generator
        Drives the sampled covariance and the keep/prune draws.
    spectral_report : bool
        Add a :class:`SpectralErrorReport` (k slowest eigenvalues of A before
        and after; covariance error too up to 400 active neurons with the
        exact route).
    **kw
        ``linear_network=`` a precomputed LinearNetwork of ``conn`` (skips
        linearize); ``spectral_k=`` (default 10); the sampled-covariance
        options ``n_samples`` and ``dynamics.covariance.SAMPLED_OPTIONS``; everything else goes to ``linearize`` (``margin``,
        ``eps``, ``w_scale``, ``gain``, ``lyap_matrix``, node-exponent options).

    Returns
    -------
    conn : Connectivity
        A copy: pruned synapses inactive, kept ones reweighted, tau_m updated
        when ``homeostatic``.
    report : NoisePruneReport

    Raises
    ------
    ValueError
        density outside (0, 1], rho <= 0, both or neither given, w_max <= 0, an
        empty or fully pruned network, non-finite weights.
    """
    from ..dynamics import covariance as _covariance
    from ..dynamics import linearize

    t0 = time.perf_counter()
    if (density is None) == (rho is None):
        raise ValueError("noise_prune: give exactly one of density (kept fraction in (0, 1]) "
                         "or rho (> 0)")
    if density is not None:
        density = check_range("density", density, 0.0, 1.0, low_inclusive=False)
    else:
        rho = check_range("rho", rho, 0.0, None, low_inclusive=False)
    if w_max is not None:
        w_max = check_range("w_max", w_max, 0.0, None, low_inclusive=False)
    check_choice("covariance", covariance, ("auto", "exact", "sampled"))
    sigma = check_range("sigma", sigma, 0.0, None, low_inclusive=False)
    spectral_k = check_int("spectral_k", kw.pop("spectral_k", 10), 1)
    lin = kw.pop("linear_network", None)
    cov_kw = {key: kw.pop(key) for key in COVARIANCE_KEYS if key in kw}
    _check_conn(conn)
    rng = as_generator(seed)
    # two independent streams (Generator.spawn needs numpy >= 1.25; setup.cfg allows 1.22)
    cov_rng, keep_rng = (np.random.default_rng(x) for x in rng.integers(2**63, size=2))

    if lin is None:
        if (node_exponents is None and coupling in ("lyapunov", "modulated")
                and "lyap_matrix" not in kw and "seed" not in kw):
            # the rate-surrogate inputs behind the node exponents come from this
            # call's seed too, so the same seed gives the same pruning
            kw["seed"] = int(rng.integers(2**63))
        lin = linearize(conn, coupling=coupling, node_exponents=node_exponents, **kw)
    elif kw:
        raise TypeError(f"noise_prune: linearize options {sorted(kw)} given together with "
                        "linear_network")
    cov = _covariance(lin, sigma=sigma, method=covariance, seed=cov_rng, **cov_kw)

    L = np.asarray(lin.L_edge, dtype=float)
    signs = np.sign(L)
    terms = cov.edge_terms(signs)
    if np.isnan(terms).any():
        raise ValueError("covariance: edge terms contain NaN")
    n_neg = int((terms < 0).sum())
    if n_neg:
        # Only the sampled route can produce this (estimation noise around 0).
        logger.info("noise_prune: %d negative covariance edge terms set to 0", n_neg)
    score = np.abs(L) * np.clip(terms, 0.0, None)
    p, rho = keep_probabilities(score, density=density, rho=rho)
    keep = keep_rng.random(p.size) < p

    syn = lin.synapse_index
    new_w = conn.w.copy()
    new_active = conn.synapse_active.copy()
    new_active[syn[~keep]] = False
    kept_syn = syn[keep]
    reweighted = conn.w[kept_syn] / p[keep]
    n_clipped = 0
    if w_max is not None:
        over = np.abs(reweighted) > w_max
        n_clipped = int(over.sum())
        reweighted[over] = np.sign(reweighted[over]) * w_max
    new_w[kept_syn] = reweighted

    L_new = np.where(keep, L / np.where(p > 0, p, 1.0), 0.0)
    n = lin.n
    D_new = lin.D.copy()
    n_invalid = 0
    delta = None
    new_tau = conn.tau_m.copy()
    if homeostatic:
        # Row i of A collects the inputs of neuron i (receiver-row convention),
        # so Delta_i sums over the synapses whose post is i.
        delta = np.bincount(lin.rows, weights=L_new - L, minlength=n)
        D_try = lin.D + delta
        bad = D_try <= 0
        n_invalid = int(bad.sum())
        if n_invalid:
            logger.warning("noise_prune: homeostatic leak D~ <= 0 for %d neurons; their tau_m "
                           "is left unchanged", n_invalid)
        D_new = np.where(bad, lin.D, D_try)
        new_tau[lin.neuron_index] = 1.0 / D_new
    out = conn.replace(w=new_w, synapse_active=new_active, tau_m=new_tau)

    spec = None
    if spectral_report:
        A_new = (sp.coo_matrix((L_new, (lin.rows, lin.cols)), shape=(n, n)).tocsr()
                 - sp.diags(D_new)).tocsr()
        C_before = None
        if cov.matrix is not None and n <= SPECTRAL_COV_MAX:
            C_before = cov.matrix
        spec = spectral_error(lin.A, A_new, k=spectral_k, C_before=C_before, sigma=sigma)

    report = NoisePruneReport(
        step="noise_prune", n_edges=int(p.size), density=density, rho=rho,
        expected_kept=float(p.sum()), n_kept=int(keep.sum()),
        p_min=float(p.min()), p_mean=float(p.mean()), p_median=float(np.median(p)),
        p_max=float(p.max()), n_p_one=int((p >= 1.0).sum()), n_p_zero=int((p <= 0).sum()),
        n_clipped=n_clipped, w_max=w_max, coupling=lin.coupling, covariance_method=cov.method,
        scale=float(lin.scale), homeostatic=bool(homeostatic), n_homeostatic_invalid=n_invalid,
        delta_mean=float(delta.mean()) if delta is not None else float("nan"),
        delta_std=float(delta.std()) if delta is not None else float("nan"),
        spectral=spec, wall_time=time.perf_counter() - t0)
    logger.info("noise_prune: kept %d of %d synapses (expected %.1f, rho %.3g)",
                report.n_kept, report.n_edges, report.expected_kept, rho)
    return out, report
