"""One LNP iteration (Steps I-III on a :class:`Carry`) and the history table it adds to.

:func:`run_iteration` is a pure function of the network, the carried state, the
run's fixed :class:`StepContext` and the iteration number: the random stream of
step ``s`` in iteration ``k`` is ``child_seed(base_seed, k, s)``.
"""
from __future__ import annotations

import dataclasses
import inspect
import logging
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ..dynamics.threads import fixed_blas_threads
from ..dynamics.warm import WarmStart
from ..graph import Connectivity
from ..random import child_seed
from .health import HEALTH_COLUMNS
from .noise import STEP1_KEYS
from .report import to_jsonable
from .timescales import SEARCH_KEYS

__all__ = ["STEP_NAMES", "Carry", "StepContext", "run_iteration", "run_step", "is_empty",
           "history_frame", "HISTORY_COLUMNS", "TIME_COLUMNS", "INT_COLUMNS",
           "DEFAULT_FUNCTIONS", "DRIVER_KEYS", "RATE_KEYS", "allowed_step_keys",
           "check_step_kwargs"]

logger = logging.getLogger(__name__)

#: the four LNP steps, in the order they run within an iteration
STEP_NAMES = ("noise", "centrality", "delocalize", "timescales")

TIME_COLUMNS = tuple(f"t_{s}" for s in STEP_NAMES) + ("t_health",)
HISTORY_COLUMNS = (("iteration", "stage", "neurons", "synapses", "removed", "added",
                    "sops_per_rate") + HEALTH_COLUMNS + ("rho", "threshold", "unchanged")
                   + TIME_COLUMNS)
INT_COLUMNS = ("iteration", "neurons", "synapses", "removed", "added", "isolated",
               "in_degree_0", "out_degree_0", "unchanged")


def history_frame(rows):
    df = pd.DataFrame(list(rows), columns=list(HISTORY_COLUMNS))
    for c in HISTORY_COLUMNS:
        if c == "stage":
            continue
        if c in INT_COLUMNS and df[c].notna().all():
            df[c] = df[c].astype(np.int64)
        else:
            df[c] = df[c].astype(float)
    return df


# ---------------------------------------------------------------------- per-run state

@dataclass
class Carry:
    """What one iteration hands to the next, besides the network.

    Attributes
    ----------
    edge_gain : ndarray (n_synapses,)
        Carried coupling gain per synapse (1 for a synapse as it entered the
        network; times ``|w_new / w_old|`` = 1/p each time Step I keeps it).
        Used by Step I's "lyapunov" coupling, which is rebuilt from node
        exponents every iteration and would otherwise forget the reweighting.
    added_touches : ndarray (N,)
        Synapses added by Step III over the run touching each neuron.
    rho : float or None
        Step I's constant once calibrated (convergent schedule).
    threshold : float or None
        Step II's betweenness threshold once calibrated (convergent schedule).
    lyap_level : float or None
        Step I's Lyapunov-matrix level (mean over effective synapses, 1/s),
        fixed at iteration 1 like rho (convergent schedule, "lyapunov" and
        "modulated" couplings; see ``noise_prune(lyap_level=...)``).
    warm : WarmStart or None
        Step I's final tangent vectors and covariance chains, to warm-start
        the next Step I (saved in the checkpoint, so a resumed run continues
        exactly as an uninterrupted one).
    """

    edge_gain: np.ndarray
    added_touches: np.ndarray
    rho: Optional[float] = None
    threshold: Optional[float] = None
    lyap_level: Optional[float] = None
    warm: Optional[WarmStart] = None

    @classmethod
    def start(cls, conn, schedule):
        rho = threshold = None
        if schedule.name == "convergent":
            rho, threshold = schedule.rho, schedule.threshold
        return cls(np.ones(conn.n_synapses), np.zeros(conn.N, dtype=np.int64), rho, threshold)

    def grown_to(self, n_synapses):
        """Gains extended with 1 for synapses appended since."""
        g = self.edge_gain
        if g.size < n_synapses:
            g = np.concatenate([g, np.ones(n_synapses - g.size)])
        return g

# ---------------------------------------------------------------------- steps


def _noise(conn, *, seed, **kw):
    from .noise import noise_prune
    return noise_prune(conn, seed=seed, **kw)


def _centrality(conn, *, seed, **kw):
    from .centrality import centrality_prune
    return centrality_prune(conn, seed=seed, **kw)


def _delocalize(conn, *, seed, **kw):
    from .delocalize import delocalize
    return delocalize(conn, seed=seed, **kw)


def _timescales(conn, *, seed, **kw):
    from .timescales import optimize_timescales
    return optimize_timescales(conn, seed=seed, **kw)


DEFAULT_FUNCTIONS = {"noise": _noise, "centrality": _centrality, "delocalize": _delocalize,
                     "timescales": _timescales}

#: step keywords the driver sets itself from the schedule (not allowed in step_kwargs)
DRIVER_KEYS = {"noise": ("density", "rho", "edge_gain", "lyap_level", "warm",
                         "average_exponents"),
               "centrality": ("q", "threshold", "quantile", "dead_ends"),
               "delocalize": ("M", "fraction", "original", "max_share", "prior"),
               "timescales": ()}
RATE_KEYS = ("k", "n_steps", "transient", "qr_every", "batch", "dt", "phi", "w_scale", "gain",
             "input_std")


def allowed_step_keys(name):
    from .centrality import centrality_prune
    from .delocalize import delocalize
    from .noise import noise_prune
    from .timescales import optimize_timescales
    fn = {"noise": noise_prune, "centrality": centrality_prune, "delocalize": delocalize,
          "timescales": optimize_timescales}[name]
    params = [p.name for p in inspect.signature(fn).parameters.values()
              if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    allowed = set(params) - {"conn", "seed"} - set(DRIVER_KEYS[name])
    if name == "noise":
        allowed |= set().union(*STEP1_KEYS.values())
    if name == "timescales":
        allowed |= set(RATE_KEYS) | set(SEARCH_KEYS)
    return sorted(allowed)


def check_step_kwargs(step_kwargs, custom):
    for name, kw in step_kwargs.items():
        if name in custom:
            continue  # a user's step function takes what it takes
        allowed = allowed_step_keys(name)
        bad = sorted(set(kw) - set(allowed))
        if bad:
            driver = sorted(set(bad) & set(DRIVER_KEYS[name]))
            hint = (f" ({driver} are set by the driver from its schedule)" if driver else "")
            raise ValueError(f"step_kwargs[{name!r}]: unknown key(s) {bad}{hint}; "
                             f"allowed for step {name!r}: {allowed}")


def _noise_coupling(kw):
    lin = kw.get("linearisation")
    if lin is not None:
        return getattr(lin, "coupling", "lyapunov")
    return kw.get("coupling", "lyapunov")


def _report_dict(report):
    if report is None:
        return {}
    if hasattr(report, "as_dict"):
        d = report.as_dict()
    elif isinstance(report, dict):
        d = report
    else:
        d = {"report": repr(report)}
    return to_jsonable(d)


@dataclass(frozen=True)
class StepContext:
    """Everything an iteration needs that does not change during a run."""

    steps: tuple
    schedule: object
    functions: dict
    step_kwargs: dict
    base_seed: int
    original: Connectivity
    timescales_every: Optional[int]
    lyap_kwargs: dict


def run_step(ctx, name, conn, kw, *seed_keys, warm_out=None):
    t0 = time.perf_counter()
    kw = {**kw, **ctx.step_kwargs.get(name, {})}
    with fixed_blas_threads():  # same bits for any BLAS thread count / n_jobs
        new, rep = ctx.functions[name](conn, seed=child_seed(ctx.base_seed, *seed_keys, name),
                                       **kw)
    if not isinstance(new, Connectivity):
        raise TypeError(f"step {name!r} must return (Connectivity, report)")
    if warm_out is not None:  # Step I's warm-start state (not part of the report dict)
        warm_out.append(getattr(rep, "warm", None))
    return new, _report_dict(rep), time.perf_counter() - t0


def is_empty(c):
    return c.n_active_neurons == 0 or c.n_active_synapses == 0


def run_iteration(ctx, conn, carry, k):
    """Iteration ``k`` of Steps I-III (and Step IV when every K iterations).

    Pure: the result depends only on the inputs and on
    ``child_seed(ctx.base_seed, k, step)``.

    Returns
    -------
    conn : Connectivity
    carry : Carry
    info : dict
        ``removed``, ``added``, ``times`` (per step), ``reports`` (list of dicts),
        and after Step I ``abscissa``, ``abscissa_model`` and ``lin_scale``
        (see :mod:`.health`).
    """
    sched = ctx.schedule
    convergent = sched.name == "convergent"
    carry = dataclasses.replace(carry)
    times, reports, info = {}, [], {}
    eff_before = conn.n_active_synapses
    added = 0

    def record(name, rep, t):
        times[f"t_{name}"] = t
        reports.append({**rep, "iteration": int(k), "step": name})

    stab = None  # Step I's stability record, when Step I ran
    if "noise" in ctx.steps:
        kw = {}
        if convergent and carry.rho is not None:
            kw["rho"] = carry.rho
        else:
            kw["density"] = sched.density
        gain = carry.grown_to(conn.n_synapses)
        coupling = _noise_coupling(ctx.step_kwargs.get("noise", {}))
        own_step = ctx.functions["noise"] is _noise
        # our Step I on a coupling built from node exponents: the driver carries
        # their level (and, by default, their running mean) across iterations
        node_coupling = convergent and own_step and coupling in ("lyapunov", "modulated")
        if convergent and own_step and coupling == "lyapunov":
            kw["edge_gain"] = gain
        if node_coupling and carry.lyap_level is not None:
            kw["lyap_level"] = carry.lyap_level
        if node_coupling and sched.average_exponents:
            kw["average_exponents"] = True
        warm_out = None
        if own_step:
            kw["warm"] = carry.warm
            warm_out = []
        new, rep, t = run_step(ctx, "noise", conn, kw, k, warm_out=warm_out)
        if warm_out:
            carry.warm = warm_out[0]
        stab = {"abscissa": rep.get("abscissa_after"),
                "abscissa_model": rep.get("abscissa_model"), "lin_scale": rep.get("scale")}
        if convergent and carry.rho is None and rep.get("rho") is not None:
            carry.rho = float(rep["rho"])  # calibrated once, fixed from now on
        if node_coupling and carry.lyap_level is None and rep.get("lyap_level") is not None:
            carry.lyap_level = float(rep["lyap_level"])  # the same: fixed from now on
        # carried gain: a kept synapse's coupling is L / p, i.e. |w_new / w_old|
        n_old = conn.n_synapses
        old_w, new_w = conn.w, new.w[:n_old]
        ratio = np.divide(np.abs(new_w), np.abs(old_w), out=np.ones(n_old),
                          where=(old_w != 0) & new.synapse_active[:n_old])
        carry.edge_gain = np.concatenate([gain * ratio, np.ones(new.n_synapses - n_old)])
        conn = new
        record("noise", rep, t)
    if "centrality" in ctx.steps and not is_empty(conn):
        if convergent:
            kw = ({"threshold": carry.threshold} if carry.threshold is not None
                  else {"quantile": sched.q})
            kw["dead_ends"] = sched.dead_ends
        else:
            kw = {"q": sched.q}
        conn, rep, t = run_step(ctx, "centrality", conn, kw, k)
        if convergent and carry.threshold is None and rep.get("threshold") is not None:
            carry.threshold = float(rep["threshold"])
        record("centrality", rep, t)
    if stab is not None:
        info.update({key: float("nan") if v is None else float(v) for key, v in stab.items()})
    removed = max(eff_before - conn.n_active_synapses, 0)
    if "delocalize" in ctx.steps and not is_empty(conn):
        if convergent:
            kw = {"M": int(round(sched.add_ratio * removed)), "max_share": sched.max_share,
                  "prior": carry.added_touches}
        else:
            kw = {"fraction": sched.fraction}
        kw["original"] = ctx.original
        n_before = conn.n_synapses
        conn, rep, t = run_step(ctx, "delocalize", conn, kw, k)
        added = conn.n_synapses - n_before
        if added > 0:
            new_pre, new_post = conn.pre[n_before:], conn.post[n_before:]
            carry.added_touches = (carry.added_touches
                                   + np.bincount(new_pre, minlength=conn.N)
                                   + np.bincount(new_post, minlength=conn.N))
        record("delocalize", rep, t)
    carry.edge_gain = carry.grown_to(conn.n_synapses)
    if ("timescales" in ctx.steps and ctx.timescales_every is not None
            and k % ctx.timescales_every == 0 and not is_empty(conn)):
        conn, rep, t = run_step(ctx, "timescales", conn, dict(ctx.lyap_kwargs), k)
        record("timescales", rep, t)
    info.update(removed=int(removed), added=int(added), times=times, reports=reports)
    return conn, carry, info


# ---------------------------------------------------------------------- checkpoint
