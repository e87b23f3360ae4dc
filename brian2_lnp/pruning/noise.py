"""LNP Step I: noise pruning of synapses (000 Eq. 4, after Moore & Chaudhuri 2020).

On the linearised network ``A = -D + L`` (:func:`brian2_lnp.dynamics.linearize`)
driven by white noise of amplitude sigma, with stationary covariance C
(:func:`brian2_lnp.dynamics.covariance`), each effective synapse i -> j is kept
independently with probability::

    p_ij = min(1, rho |L_ij| (C_ii + C_jj - 2 sign(L_ij) C_ij))

with |L_ij| in model units (without the stability factor the linearisation
may apply so that C exists; with it, a fixed rho would drift with that
factor from one network to the next), and a kept synapse's weight becomes
``w_ij / p_ij`` (magnitude clipped to ``w_max``). ``rho`` is given, or solved so
that the expected number of kept synapses is ``density * n_effective``.
Optionally the diagonal is compensated (homeostatic excitability): ``Delta_i = sum_j
(L~_ij - L_ij)`` over the inputs of neuron i, ``D~_ii = D_ii + Delta_i``, written back
so that re-linearising the returned network gives ``-D~ + L~`` (see
:func:`noise_prune`).

Step I's settings are three small frozen option objects, and every route
into Step I (``noise_prune(conn, w_scale=...)`` or the driver's
``prune(step_kwargs={"noise": {"w_scale": ...}})``) goes through
:func:`step1_options`, so the same keyword reaches the same place:

* :class:`SurrogateOptions`: the rate surrogate whose per-node Lyapunov
  exponents build the Lyapunov matrix (and whose ``w_scale``/``gain`` also
  define the "weights" coupling);
* :class:`LinearisationOptions`: coupling, eps, stability margin;
* :class:`CovarianceOptions`: method, sigma and the sampled route's options.

Nothing is deleted: pruned synapses get ``synapse_active = False``.
Pure NumPy/SciPy (no Brian2).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.sparse as sp

from ..dynamics.covariance import SAMPLED_OPTIONS, WARM_BURN_IN
from ..dynamics.warm import WarmStart, running_exponents
from ..random import as_generator
from ..validation import check_bool, check_choice, check_int, check_range
from .report import NoisePruneReport
from .spectral import keep_probabilities, spectral_error

__all__ = ["noise_prune", "COVARIANCE_KEYS", "SurrogateOptions", "LinearisationOptions",
           "Step1Inputs", "INPUT_KEYS", "REPORT_KEYS",
           "CovarianceOptions", "step1_options", "STEP1_KEYS"]

logger = logging.getLogger(__name__)

#: keyword arguments of noise_prune passed to covariance() rather than linearize()
COVARIANCE_KEYS = ("n_samples",) + SAMPLED_OPTIONS

#: covariance error in the spectral report is computed only up to this many active
#: neurons (it costs a second dense Lyapunov solve, O(n^3))
SPECTRAL_COV_MAX = 400


@dataclass(frozen=True)
class SurrogateOptions:
    """The rate surrogate behind the node exponents (:func:`dynamics.rate_lyapunov`).

    ``w_scale`` (volt per unit coupling) and ``gain`` also define the
    "weights" and "modulated" couplings of the linearisation, which is the
    surrogate's Jacobian at h = 0, so both see the same network.
    """

    k: Optional[int] = None
    n_steps: int = 2000
    transient: int = 500
    qr_every: int = 10
    batch: int = 1
    phi: str = "tanh"
    dt: Optional[float] = None
    w_scale: float = 1e-3
    gain: float = 1.0
    input_std: float = 0.1
    #: None (default): no warm start of the surrogate (its state is multistable,
    #: docs/performance.md); an int warm-starts it with that transient
    warm_transient: Optional[int] = None

    def rate_kwargs(self):
        """Keyword arguments of :func:`~brian2_lnp.dynamics.rate_lyapunov`.

        ``warm_transient`` (the transient of a warm-started run,
        :func:`~brian2_lnp.dynamics.rate_lyapunov_warm`) is not among them.
        """
        kw = dataclasses.asdict(self)
        kw.pop("warm_transient")
        return kw


@dataclass(frozen=True)
class LinearisationOptions:
    """How ``A = -D + L`` is built (:func:`dynamics.linearize`), and its spectral report.

    ``spectral_report`` adds a :class:`SpectralErrorReport` to Step I's report
    (the ``spectral_k`` slowest eigenvalues of A before and after pruning; the
    covariance error too up to 400 active neurons with the exact route).
    """

    coupling: str = "lyapunov"
    eps: float = 1e-3
    margin: float = 0.05
    stabilize: bool = True
    scale_tol: float = 1e-3
    spectral_report: bool = True
    spectral_k: int = 10

    def __post_init__(self):
        check_choice("coupling", self.coupling, ("lyapunov", "weights", "modulated"))
        check_int("spectral_k", self.spectral_k, 1)


#: fields of LinearisationOptions that configure the report, not the linearisation
REPORT_KEYS = ("spectral_report", "spectral_k")


@dataclass(frozen=True)
class Step1Inputs:
    """What a caller of :func:`noise_prune` already knows about the network.

    Precomputed quantities (``node_exponents``, ``lyap_matrix``,
    ``linear_network``) and the state an iterative driver carries from one call
    to the next (``edge_gain``, ``lyap_level``, ``warm``, ``average_exponents``); see
    :func:`noise_prune` for each. Every field may also be given to
    ``noise_prune`` as a flat keyword.
    """

    node_exponents: object = None
    lyap_matrix: object = None
    linear_network: object = None
    edge_gain: object = None
    lyap_level: Optional[float] = None
    warm: object = None
    average_exponents: bool = False


#: flat keywords of noise_prune that set a Step1Inputs field
INPUT_KEYS = tuple(f.name for f in dataclasses.fields(Step1Inputs))


@dataclass(frozen=True)
class CovarianceOptions:
    """The noise covariance (:func:`dynamics.covariance`); sampled-route options too."""

    method: str = "auto"
    sigma: float = 1.0
    n_samples: Optional[int] = None
    n_chains: int = 32
    n_groups: int = 8
    q: float = 0.5
    sweeps: Optional[int] = None
    burn_in: Optional[float] = None
    record_every: Optional[float] = None
    rtol: Optional[float] = 0.02
    warm_burn_in: Optional[float] = WARM_BURN_IN

    def __post_init__(self):
        check_choice("covariance", self.method, ("auto", "exact", "sampled"))
        check_range("sigma", self.sigma, 0.0, None, low_inclusive=False)

    def covariance_kwargs(self):
        """Keyword arguments of :func:`~brian2_lnp.dynamics.covariance` (but ``seed``)."""
        kw = dataclasses.asdict(self)
        if self.method == "exact":  # the sampled-route options are not used
            kw = {k: kw[k] for k in ("method", "sigma")}
        return kw


def _fields(cls):
    return tuple(f.name for f in dataclasses.fields(cls))


#: flat Step I keywords, by the option object they configure ("covariance" is
#: the method and "sigma" the noise amplitude, as noise_prune's own keywords)
STEP1_KEYS = {
    "surrogate": _fields(SurrogateOptions),
    "linearisation": _fields(LinearisationOptions),
    "covariance": tuple("covariance" if f == "method" else f
                        for f in _fields(CovarianceOptions)),
}


def step1_options(surrogate=None, linearisation=None, covariance=None, **flat):
    """Build Step I's three option objects from objects and/or flat keywords.

    Flat keywords (e.g. ``w_scale=2e-3``, ``coupling="weights"``,
    ``n_samples=200``) override the fields of the given (or default) objects.
    ``covariance`` may be a method name ("auto", "exact", "sampled") or a
    :class:`CovarianceOptions`.

    Returns
    -------
    (SurrogateOptions, LinearisationOptions, CovarianceOptions)

    Raises
    ------
    TypeError
        A keyword that belongs to none of them (the message lists the allowed ones).
    """
    surrogate = surrogate or SurrogateOptions()
    linearisation = linearisation or LinearisationOptions()
    if covariance is None or isinstance(covariance, str):
        covariance = CovarianceOptions(method=covariance or "auto")
    for name, obj, cls in (("surrogate", surrogate, SurrogateOptions),
                           ("linearisation", linearisation, LinearisationOptions),
                           ("covariance", covariance, CovarianceOptions)):
        if not isinstance(obj, cls):
            raise TypeError(f"{name}: expected a {cls.__name__}, got {type(obj).__name__}")
    flat = dict(flat)
    if "method" in flat:
        raise TypeError("noise_prune: the covariance method is the keyword 'covariance'")
    unknown = sorted(set(flat) - set().union(*STEP1_KEYS.values()))
    if unknown:
        raise TypeError(f"noise_prune: unknown option(s) {unknown}; allowed: "
                        + "; ".join(f"{k}: {', '.join(v)}" for k, v in STEP1_KEYS.items()))
    pick = {k: {f: flat[f] for f in v if f in flat} for k, v in STEP1_KEYS.items()}
    if "covariance" in pick["covariance"]:
        pick["covariance"]["method"] = pick["covariance"].pop("covariance")
    return (dataclasses.replace(surrogate, **pick["surrogate"]),
            dataclasses.replace(linearisation, **pick["linearisation"]),
            dataclasses.replace(covariance, **pick["covariance"]))


def _check_conn(conn):
    eff = conn.effective
    if conn.n_active_neurons == 0:
        raise ValueError("conn: the network has no active neuron (fully pruned)")
    if not eff.any():
        raise ValueError("conn: the network has no effective synapse; nothing to prune")
    if not np.isfinite(conn.w[eff]).all():
        raise ValueError("conn.w: weights of effective synapses must be finite (found NaN/inf)")
    return eff


def noise_prune(conn, density=None, *, rho=None, surrogate=None, linearisation=None,
                covariance=None, w_max=None, homeostatic=False, seed=None, inputs=None,
                **options):
    """Noise-prune the synapses of a network (LNP Step I).

    Parameters
    ----------
    conn : Connectivity
    density : float in (0, 1], optional
        Expected kept fraction of the effective synapses. Exactly one of
        ``density`` and ``rho`` must be given.
    rho : float > 0, optional
        The constant of ``p = min(1, rho * score)`` given directly (the
        iterative driver's convergent schedule fixes it for a whole run).
    surrogate : SurrogateOptions, optional
        The rate surrogate behind the node exponents; also ``w_scale``/``gain``
        of the "weights"/"modulated" couplings.
    linearisation : LinearisationOptions, optional
        ``coupling`` ("lyapunov", "weights", "modulated"), ``eps``, ``margin``,
        ``stabilize``, ``scale_tol`` (see :func:`brian2_lnp.dynamics.linearize`),
        and the spectral report (``spectral_report``, ``spectral_k``).
    covariance : str or CovarianceOptions, optional
        Route for C ("auto", "exact", "sampled") or the full options
        (:func:`brian2_lnp.dynamics.covariance`).
    w_max : float > 0, optional
        Bound on |w| of reweighted synapses (volt); None: no bound.
    seed : None, int or numpy.random.Generator
        Drives the node exponents' surrogate inputs, the sampled covariance
        and the keep/prune draws.
    inputs : Step1Inputs, optional
        What is already known (the fields below, which may also be given flat).
    lyap_level : float > 0, optional
        "lyapunov"/"modulated" couplings: rescale the Lyapunov matrix so that its
        mean over the effective synapses is ``lyap_level`` (1/s) before the carried
        ``edge_gain``. The iterative driver fixes it at iteration 1: the matrix's
        overall level follows the finite-time node-exponent estimate, which on one
        network varies about 20x between input seeds, and with a constant rho that
        noise alone would remove most synapses in one iteration. Only the pattern
        is then re-estimated each iteration. The report's ``lyap_level`` is the
        mean before rescaling.
    homeostatic : bool
        Compensate the diagonal: ``D~_i = D_i + Delta_i`` with
        ``Delta_i = sum_j (L~_ij - L_ij)`` over the inputs of neuron i (in the
        unscaled coupling, i.e. before the stability factor), written back as
        ``tau_m_i = 1 / D~_i``. With the "weights"/"modulated" couplings
        ``L[i, j]`` is proportional to ``w_ij / tau_i``, so the weights into i
        are multiplied by ``tau_new_i / tau_old_i`` as well: re-linearising the
        returned network then gives exactly ``-D~ + L~``. A neuron whose
        compensated leak would be ``D~ <= 0`` (no leak at all) keeps its leak
        and tau_m (it is not compensated) and is counted in
        ``n_homeostatic_invalid``.
    node_exponents : array (conn.N,), optional
        Per-node Lyapunov exponents for the "lyapunov"/"modulated" couplings;
        computed by :func:`brian2_lnp.dynamics.node_exponents` with
        ``surrogate`` (and a stream of ``seed``) when omitted.
    lyap_matrix : array (conn.n_synapses,), optional
        The Lyapunov matrix per synapse, instead of ``node_exponents``.
    edge_gain : array (conn.n_synapses,), optional
        Carried per-synapse coupling gain of the "lyapunov" coupling:
        ``L_ij = edge_gain * sign(w_ij) * Lambda_ij``. The coupling is rebuilt
        from node exponents on every call, so the reweighting ``L~ = L / p``
        of earlier calls is carried by this gain (the driver keeps it; a kept
        synapse's gain is multiplied by ``|w_new / w_old|``, i.e. by ``1/p``
        unless clipped). The other couplings are proportional to ``w``, which
        carries the reweighting itself, so they refuse ``edge_gain``.
    linear_network : LinearNetwork, optional
        A precomputed linearisation of ``conn`` (then no linearisation option
        may be given).
    warm : WarmStart, optional
        The state of an earlier Step I on a related network (its report's
        ``warm``): the node-exponent run starts from its tangent vectors with a
        ``warm_transient``-step transient, and sampled-covariance chains from
        its chains with ``warm_burn_in`` times the burn-in
        (:class:`~brian2_lnp.dynamics.warm.WarmStart`; docs/performance.md).
        The iterative driver carries it from one iteration to the next.
    average_exponents : bool
        Use, for each neuron, the mean of this call's node-exponent estimate
        and the earlier calls' estimates carried in ``warm`` (its running sums,
        :func:`~brian2_lnp.dynamics.warm.running_exponents`) instead of this
        call's estimate alone; the returned ``warm`` carries the updated sums.
        The finite-time estimate of one call is noisy (docs/ambiguities.md);
        the convergent driver averages so that this noise shrinks as the
        network settles instead of removing a few more synapses every
        iteration. Ignored when ``node_exponents`` or ``lyap_matrix`` is given.
    **options
        Flat fields of the three option objects (``coupling=``, ``w_scale=``,
        ``n_steps=``, ``sigma=``, ``n_samples=``, ...); they override the
        objects' fields. :data:`STEP1_KEYS` lists them.

    Returns
    -------
    conn : Connectivity
        A copy: pruned synapses inactive, kept ones reweighted, tau_m (and, for
        the weight couplings, the weights into compensated neurons) updated
        when ``homeostatic``.
    report : NoisePruneReport
        Its ``warm`` (not part of ``as_dict``) is the state to pass to the next call.

    Raises
    ------
    ValueError
        density outside (0, 1], rho <= 0, both or neither given, w_max <= 0, an
        empty or fully pruned network, non-finite weights, a bad ``edge_gain``.
    TypeError
        An unknown option (the message lists the allowed ones).
    """
    from ..dynamics import covariance as _covariance
    from ..dynamics import linearize, lyapunov_matrix, rate_lyapunov_warm, spectral_abscissa

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
    inputs = Step1Inputs() if inputs is None else inputs
    if not isinstance(inputs, Step1Inputs):
        raise TypeError(f"inputs: expected a Step1Inputs, got {type(inputs).__name__}")
    inputs = dataclasses.replace(inputs, **{k: options.pop(k) for k in list(options)
                                            if k in INPUT_KEYS})
    node_exponents, lyap_matrix, linear_network = (inputs.node_exponents, inputs.lyap_matrix,
                                                   inputs.linear_network)
    edge_gain, lyap_level, warm = inputs.edge_gain, inputs.lyap_level, inputs.warm
    check_bool("average_exponents", inputs.average_exponents)
    n_averaged = float("nan")
    lin_given = linear_network is not None
    lin_keys = (set(options) & set(STEP1_KEYS["linearisation"] + ("w_scale", "gain"))
                - set(REPORT_KEYS))
    if lin_given and (lin_keys or linearisation is not None or edge_gain is not None):
        raise TypeError(f"noise_prune: linearisation options {sorted(lin_keys) or ''} given "
                        "together with linear_network")
    sur, lino, covo = step1_options(surrogate, linearisation, covariance, **options)
    coupling = linear_network.coupling if lin_given else lino.coupling
    _check_conn(conn)
    if lyap_level is not None:
        lyap_level = check_range("lyap_level", lyap_level, 0.0, None, low_inclusive=False)
    raw_level = None
    rng = as_generator(seed)
    # independent streams (Generator.spawn needs numpy >= 1.25; setup.cfg allows 1.22)
    ne_seed, cov_seed, keep_seed = (int(x) for x in rng.integers(2**63, size=3))
    cov_rng, keep_rng = np.random.default_rng(cov_seed), np.random.default_rng(keep_seed)

    if edge_gain is not None:
        if coupling != "lyapunov":
            raise ValueError(f"edge_gain: only for coupling='lyapunov'; the {coupling!r} "
                             "coupling is proportional to w, which carries the reweighting")
        edge_gain = np.asarray(edge_gain, dtype=float).ravel()
        if edge_gain.shape != (conn.n_synapses,):
            raise ValueError(f"edge_gain: must have length conn.n_synapses={conn.n_synapses}, "
                             f"got {edge_gain.size}")
        eg = edge_gain[conn.effective]
        if not (np.isfinite(eg).all() and (eg > 0).all()):
            raise ValueError("edge_gain: must be finite and > 0 on every effective synapse")

    if warm is not None and not isinstance(warm, WarmStart):
        raise TypeError(f"warm: expected a WarmStart (a report's .warm), got "
                        f"{type(warm).__name__}")
    new_warm = {} if warm is None else {f.name: getattr(warm, f.name)
                                        for f in dataclasses.fields(WarmStart)}
    lin = linear_network
    if lin is None:
        if coupling in ("lyapunov", "modulated") and lyap_matrix is None:
            if node_exponents is None:
                # the surrogate's inputs come from this call's seed, so the
                # same seed gives the same pruning
                res = rate_lyapunov_warm(conn, warm, warm_transient=sur.warm_transient,
                                         seed=ne_seed, **sur.rate_kwargs())
                node_exponents = res.node_exponents
                st = res.info["state"]
                new_warm.update(surrogate_index=st.surrogate_index,
                                surrogate_h=st.surrogate_h, surrogate_Q=st.surrogate_Q)
                if inputs.average_exponents:
                    active = np.flatnonzero(conn.neuron_active)
                    mean, sums = running_exponents(warm, active, node_exponents[active])
                    node_exponents = np.array(node_exponents, dtype=float, copy=True)
                    node_exponents[active] = mean
                    new_warm.update(sums)
                    n_averaged = float(np.mean(sums["exponent_count"]))
            lyap_matrix = lyapunov_matrix(conn, node_exponents, eps=lino.eps)
        if lyap_matrix is not None:
            lyap_matrix = np.asarray(lyap_matrix, dtype=float)
            raw_level = float(np.mean(lyap_matrix[conn.effective]))
            if lyap_level is not None:
                lyap_matrix = lyap_matrix * (lyap_level / raw_level)
        if lyap_matrix is not None and edge_gain is not None:
            lyap_matrix = np.asarray(lyap_matrix, dtype=float) * edge_gain
        lin = linearize(conn, coupling=coupling, lyap_matrix=lyap_matrix, eps=lino.eps,
                        stabilize=lino.stabilize, margin=lino.margin, w_scale=sur.w_scale,
                        gain=sur.gain, scale_tol=lino.scale_tol)
    cov = _covariance(lin, seed=cov_rng, warm=warm, **covo.covariance_kwargs())
    if "state" in cov.info:
        st = cov.info["state"]
        new_warm.update(chain_index=st.chain_index, chains=st.chains)
    sigma = covo.sigma

    L = np.asarray(lin.L_edge, dtype=float)
    signs = np.sign(L)
    terms = cov.edge_terms(signs)
    if np.isnan(terms).any():
        raise ValueError("covariance: edge terms contain NaN")
    n_neg = int((terms < 0).sum())
    if n_neg:
        # Only the sampled route can produce this (estimation noise around 0).
        logger.info("noise_prune: %d negative covariance edge terms set to 0", n_neg)
    # rho is a constant in model units: the score uses |L| without the
    # linearisation's stability factor (that factor changes from network to
    # network and would otherwise act as a hidden, drifting rho)
    score = np.abs(L / (lin.scale if lin.scale > 0 else 1.0)) * np.clip(terms, 0.0, None)
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
        # so Delta_i sums over the synapses whose post is i; in model units,
        # i.e. without the linearisation's stability factor.
        unscale = 1.0 / lin.scale if lin.scale > 0 else 1.0
        delta = np.bincount(lin.rows, weights=(L_new - L) * unscale, minlength=n)
        D_try = lin.D + delta
        bad = D_try <= 0
        n_invalid = int(bad.sum())
        if n_invalid:
            logger.warning("noise_prune: homeostatic leak D~ <= 0 for %d neurons; they keep "
                           "their leak (no compensation)", n_invalid)
        D_new = np.where(bad, lin.D, D_try)
        new_tau[lin.neuron_index] = 1.0 / D_new
        if coupling in ("weights", "modulated"):
            # L[i, j] ~ w_ij / tau_i: keep L~ by rescaling the weights into i
            ratio = np.ones(conn.N)
            ratio[lin.neuron_index] = lin.D / D_new  # tau_new / tau_old
            new_w[kept_syn] *= ratio[conn.post[kept_syn]]
    out = conn.replace(w=new_w, synapse_active=new_active, tau_m=new_tau)
    # stability of the pruned system, in the linearisation's units (with its
    # stability factor) and in model units (without it)
    A_new = (sp.coo_matrix((L_new, (lin.rows, lin.cols)), shape=(n, n)).tocsr()
             - sp.diags(D_new)).tocsr()
    abscissa_after = spectral_abscissa(A_new)
    abscissa_model = abscissa_after
    if lin.scale != 1.0 and lin.scale > 0:
        abscissa_model = spectral_abscissa(
            (sp.coo_matrix((L_new / lin.scale, (lin.rows, lin.cols)), shape=(n, n)).tocsr()
             - sp.diags(D_new)).tocsr())

    spec = None
    if lino.spectral_report:
        C_before = None
        if cov.matrix is not None and n <= SPECTRAL_COV_MAX:
            C_before = cov.matrix
        spec = spectral_error(lin.A, A_new, k=lino.spectral_k, C_before=C_before, sigma=sigma)

    report = NoisePruneReport(
        step="noise_prune", n_edges=int(p.size), density=density, rho=rho,
        expected_kept=float(p.sum()), n_kept=int(keep.sum()),
        p_min=float(p.min()), p_mean=float(p.mean()), p_median=float(np.median(p)),
        p_max=float(p.max()), n_p_one=int((p >= 1.0).sum()), n_p_zero=int((p <= 0).sum()),
        n_clipped=n_clipped, w_max=w_max, coupling=lin.coupling, covariance_method=cov.method,
        scale=float(lin.scale), homeostatic=bool(homeostatic), n_homeostatic_invalid=n_invalid,
        delta_mean=float(delta.mean()) if delta is not None else float("nan"),
        delta_std=float(delta.std()) if delta is not None else float("nan"),
        abscissa=float(lin.abscissa), abscissa_after=float(abscissa_after),
        abscissa_model=float(abscissa_model), lyap_level=raw_level,
        exponents_averaged=n_averaged,
        spectral=spec, wall_time=time.perf_counter() - t0,
        warm=WarmStart(**new_warm) if new_warm else None)
    logger.info("noise_prune: kept %d of %d synapses (expected %.1f, rho %.3g)",
                report.n_kept, report.n_edges, report.expected_kept, rho)
    return out, report
