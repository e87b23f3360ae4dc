"""The iterative LNP driver: ``prune()`` = n x (Steps I-III), Step IV at the end or every K.

Per iteration (seed 000, Fig. 2: 100 iterations in the paper) the driver runs,
in this order and each only if named in ``steps``:

I   ``"noise"``       :func:`~brian2_lnp.pruning.noise.noise_prune` (synapses)
II  ``"centrality"``  :func:`~brian2_lnp.pruning.centrality.centrality_prune` (neurons)
III ``"delocalize"``  :func:`~brian2_lnp.pruning.delocalize.delocalize` (new synapses)
IV  ``"timescales"``  :func:`~brian2_lnp.pruning.timescales.optimize_timescales`
    (after the last iteration, or every ``timescales_every`` iterations)

How much each step prunes is set by a *schedule*:

``ConvergentSchedule`` (default)
    Step I keeps each synapse with ``p = min(1, rho * score)`` with one rho for
    the whole run (given, or calibrated at iteration 1 from a requested
    first-iteration density); the reweighting ``L~ = L / p`` carries over to
    the next iteration (through the weights, and for the "lyapunov" coupling
    through a carried per-synapse gain), so a synapse that survived is kept
    again. Step II prunes neurons whose betweenness is below a threshold fixed
    for the run (given, or the ``q``-quantile at iteration 1) and every
    neuron left without input or output. Step III adds a fraction of what the
    iteration removed, spread over neurons (no hubs). The driver stops when
    neurons and synapses have not changed (within ``tol``) for ``patience``
    iterations.
``FixedSchedule``
    The fixed fractions per iteration of earlier versions (Step I density,
    Step II fraction q, Step III fraction of the effective synapses): the
    network shrinks geometrically and never settles.

The code is three parts: :func:`run_iteration` (one iteration of Steps I-III
on a :class:`Carry`, a pure function of its inputs and seeds), the
:class:`Checkpoint` (the only reader and writer of the checkpoint directory)
and the loop in :func:`prune`.

Reproducibility: the random stream of step ``s`` in iteration ``k`` is
``child_seed(base_seed, k, s)``, so it depends on nothing but the base seed,
the iteration and the step -- a resumed run draws exactly what an
uninterrupted run draws.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ..dynamics.threads import fixed_blas_threads
from ..dynamics.warm import WarmStart
from ..fileio import atomic_write
from ..graph import Connectivity
from ..graph.connectivity import ConnectivityFileError
from ..random import as_generator, child_seed, seed_stream
from ..validation import check_array, check_int, check_range
from .delocalize import DEFAULT_MAX_SHARE
from .health import DEFAULT_LAMBDA_SEEDS, HEALTH_COLUMNS, graph_health, lambda_max_stats
from .noise import STEP1_KEYS
from .timescales import SEARCH_KEYS
from .report import to_jsonable

__all__ = ["prune", "PruneResult", "STEP_NAMES", "ABLATIONS", "expected_sops_per_rate",
           "ConvergentSchedule", "FixedSchedule", "Carry", "Checkpoint", "CheckpointError",
           "PruneOptions", "prune_options", "SCHEDULE_SHORTCUTS",
           "run_iteration", "DEFAULT_DENSITY", "DEFAULT_Q", "DEFAULT_DELOCALIZE_FRACTION"]

logger = logging.getLogger(__name__)

#: the four LNP steps, in the order they run within an iteration
STEP_NAMES = ("noise", "centrality", "delocalize", "timescales")

#: ``steps`` settings of the ablation points of seed 000, Suppl. B.5 / Fig. 13.
#: A is the unpruned network (no step); E is full LNP; E' skips Step II;
#: E'' skips Steps II and III; "C+IV" is the branch C -> Step IV skipping Step III.
ABLATIONS = {
    "A": (),
    "B": ("noise",),
    "C": ("noise", "centrality"),
    "D": ("noise", "centrality", "delocalize"),
    "E": ("noise", "centrality", "delocalize", "timescales"),
    "E'": ("noise", "delocalize", "timescales"),
    "E''": ("noise", "timescales"),
    "C+IV": ("noise", "centrality", "timescales"),
}

#: fixed schedule: Step I keeps this fraction of the effective synapses per
#: iteration (0.95 ** 100 ~ 0.6 %)
DEFAULT_DENSITY = 0.95
#: fixed schedule: Step II prunes this fraction of the active neurons per iteration
DEFAULT_Q = 0.01
#: fixed schedule: Step III adds this fraction of the effective synapses per iteration
DEFAULT_DELOCALIZE_FRACTION = 0.01

_CHECKPOINT_TAG = "brian2_lnp.prune_checkpoint"
_CHECKPOINT_VERSION = 2
_TIME_COLUMNS = tuple(f"t_{s}" for s in STEP_NAMES) + ("t_health",)
_HISTORY_COLUMNS = (("iteration", "stage", "neurons", "synapses", "removed", "added",
                     "sops_per_rate") + HEALTH_COLUMNS + ("rho", "threshold", "unchanged")
                    + _TIME_COLUMNS)
_INT_COLUMNS = ("iteration", "neurons", "synapses", "removed", "added", "isolated",
                "in_degree_0", "out_degree_0", "unchanged")


# ---------------------------------------------------------------------- schedules
@dataclass(frozen=True)
class ConvergentSchedule:
    """Pruning amounts that stop by themselves (the default; see the module doc).

    Parameters
    ----------
    density : float in (0, 1]
        Step I: expected kept fraction at iteration 1, which calibrates rho
        (ignored when ``rho`` is given). Default 0.9.
    rho : float > 0, optional
        Step I's constant, fixed for the run.
    q : float in [0, 1)
        Step II: the threshold is the q-quantile of the betweenness of the
        active neurons at iteration 1 (ignored when ``threshold`` is given).
        Default 0.02.
    threshold : float >= 0, optional
        Step II's normalised betweenness threshold, fixed for the run.
    add_ratio : float in [0, 1]
        Step III adds ``round(add_ratio * removed)`` synapses, ``removed`` being
        the effective synapses Steps I-II removed in this iteration. Default 0.2.
    max_share : float in (0, 1]
        Step III: no neuron touches more than this share of the synapses added
        over the run (at least one each). Default 0.05.
    dead_ends : bool
        Step II also prunes neurons left without effective input or output
        (their betweenness is 0), until none is left. Default True.
    patience : int >= 1
        Stop after this many consecutive iterations without change. Default 10.
    tol : float >= 0
        "No change": neurons and effective synapses each changed by at most
        ``tol`` (relative) since the previous iteration. Default 0.001.
    """

    density: float = 0.9
    rho: Optional[float] = None
    q: float = 0.02
    threshold: Optional[float] = None
    add_ratio: float = 0.2
    max_share: float = DEFAULT_MAX_SHARE
    dead_ends: bool = True
    patience: int = 10
    tol: float = 1e-3

    name = "convergent"

    def __post_init__(self):
        check_range("density", self.density, 0.0, 1.0, low_inclusive=False)
        if self.rho is not None:
            check_range("rho", self.rho, 0.0, None, low_inclusive=False)
        check_range("q", self.q, 0.0, 1.0, high_inclusive=False)
        if self.threshold is not None:
            check_range("threshold", self.threshold, 0.0)
        check_range("add_ratio", self.add_ratio, 0.0, 1.0)
        check_range("max_share", self.max_share, 0.0, 1.0, low_inclusive=False)
        check_int("patience", self.patience, 1)
        check_range("tol", self.tol, 0.0)


@dataclass(frozen=True)
class FixedSchedule:
    """The fixed fractions per iteration of earlier versions (no convergence).

    Parameters
    ----------
    density : float in (0, 1]
        Step I: expected kept fraction of the effective synapses, every iteration.
    q : float in [0, 1)
        Step II: fraction of the active neurons pruned, every iteration.
    fraction : float in [0, 1]
        Step III: new synapses, as a fraction of the effective ones, every iteration.
    """

    density: float = DEFAULT_DENSITY
    q: float = DEFAULT_Q
    fraction: float = DEFAULT_DELOCALIZE_FRACTION

    name = "fixed"

    def __post_init__(self):
        check_range("density", self.density, 0.0, 1.0, low_inclusive=False)
        check_range("q", self.q, 0.0, 1.0, high_inclusive=False)
        check_range("delocalize_fraction", self.fraction, 0.0, 1.0)


def _resolve_schedule(schedule, density, q, delocalize_fraction):
    if isinstance(schedule, str):
        if schedule not in ("convergent", "fixed"):
            raise ValueError(f"schedule: must be 'convergent', 'fixed' or a schedule object, "
                             f"got {schedule!r}")
        schedule = ConvergentSchedule() if schedule == "convergent" else FixedSchedule()
    if not isinstance(schedule, (ConvergentSchedule, FixedSchedule)):
        raise TypeError("schedule: expected 'convergent', 'fixed', a ConvergentSchedule or a "
                        f"FixedSchedule, got {type(schedule).__name__}")
    over = {}
    if density is not None:
        over["density"] = density
    if q is not None:
        over["q"] = q
    if delocalize_fraction is not None:
        over["add_ratio" if schedule.name == "convergent" else "fraction"] = delocalize_fraction
    return dataclasses.replace(schedule, **over)


# ---------------------------------------------------------------------- results
def expected_sops_per_rate(conn, rates=None):
    """Expected synaptic operations per second for given firing rates.

    ``sum_i r_i * (number of effective synapses with pre neuron i)`` (000 Eq. 10
    with spike counts replaced by rates). With ``rates=None`` every active
    neuron fires at 1 Hz, and the value is the number of effective synapses:
    the SOPs per unit presynaptic rate.
    """
    pre = conn.pre[conn.effective]
    if rates is None:
        return float(pre.size)
    rates = check_array("rates", np.ravel(rates), (conn.N,), low=0.0)
    return float(np.sum(rates[pre]))


@dataclass
class PruneResult:
    """Outcome of :func:`prune`.

    Attributes
    ----------
    connectivity : Connectivity
        The final network.
    history : pandas.DataFrame
        One row per iteration (plus ``stage="initial"`` for the input network
        and ``stage="final"`` for the end-of-run Step IV); columns in
        docs/lnp_driver.md.
    reports : list of dict
        ``{"iteration": k, "step": name, ...report.as_dict()}`` for every step run.
    original : Connectivity
        The input network.
    stopped_early : bool
        True if the driver stopped before ``iterations`` (converged, empty
        network, or a callback returning False).
    converged : bool
        True if it stopped because the network had not changed for
        ``patience`` iterations (convergent schedule).
    message : str
        Why it stopped ("" for a normal end).
    base_seed : int
        The seed every random stream was derived from.
    carry : Carry
        The per-run state after the last iteration (rho, threshold, per-synapse
        gain, Step III's per-neuron additions).
    """

    connectivity: Connectivity
    history: pd.DataFrame
    reports: list
    original: Connectivity
    stopped_early: bool = False
    message: str = ""
    base_seed: int = 0
    checkpoint_dir: str = None
    converged: bool = False
    carry: "Carry" = None


def _history_frame(rows):
    df = pd.DataFrame(list(rows), columns=list(_HISTORY_COLUMNS))
    for c in _HISTORY_COLUMNS:
        if c == "stage":
            continue
        if c in _INT_COLUMNS and df[c].notna().all():
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


_DEFAULT_FUNCTIONS = {"noise": _noise, "centrality": _centrality, "delocalize": _delocalize,
                      "timescales": _timescales}

#: step keywords the driver sets itself from the schedule (not allowed in step_kwargs)
_DRIVER_KEYS = {"noise": ("density", "rho", "edge_gain", "lyap_level", "warm"),
                "centrality": ("q", "threshold", "quantile", "dead_ends"),
                "delocalize": ("M", "fraction", "original", "max_share", "prior"),
                "timescales": ()}
_RATE_KEYS = ("k", "n_steps", "transient", "qr_every", "batch", "dt", "phi", "w_scale", "gain",
              "input_std")


def _allowed_step_keys(name):
    from .centrality import centrality_prune
    from .delocalize import delocalize
    from .noise import noise_prune
    from .timescales import optimize_timescales
    fn = {"noise": noise_prune, "centrality": centrality_prune, "delocalize": delocalize,
          "timescales": optimize_timescales}[name]
    params = [p.name for p in inspect.signature(fn).parameters.values()
              if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    allowed = set(params) - {"conn", "seed"} - set(_DRIVER_KEYS[name])
    if name == "noise":
        allowed |= set().union(*STEP1_KEYS.values())
    if name == "timescales":
        allowed |= set(_RATE_KEYS) | set(SEARCH_KEYS)
    return sorted(allowed)


def _check_step_kwargs(step_kwargs, custom):
    for name, kw in step_kwargs.items():
        if name in custom:
            continue  # a user's step function takes what it takes
        allowed = _allowed_step_keys(name)
        bad = sorted(set(kw) - set(allowed))
        if bad:
            driver = sorted(set(bad) & set(_DRIVER_KEYS[name]))
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
class _Context:
    """Everything an iteration needs that does not change during a run."""

    steps: tuple
    schedule: object
    functions: dict
    step_kwargs: dict
    base_seed: int
    original: Connectivity
    timescales_every: Optional[int]
    lyap_kwargs: dict


def _run_step(ctx, name, conn, kw, *seed_keys, warm_out=None):
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


def _is_empty(c):
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

    if "noise" in ctx.steps:
        kw = {}
        if convergent and carry.rho is not None:
            kw["rho"] = carry.rho
        else:
            kw["density"] = sched.density
        gain = carry.grown_to(conn.n_synapses)
        coupling = _noise_coupling(ctx.step_kwargs.get("noise", {}))
        own_step = ctx.functions["noise"] is _noise
        if convergent and own_step and coupling == "lyapunov":
            kw["edge_gain"] = gain
        if (convergent and own_step and coupling in ("lyapunov", "modulated")
                and carry.lyap_level is not None):
            kw["lyap_level"] = carry.lyap_level
        warm_out = None
        if own_step:
            kw["warm"] = carry.warm
            warm_out = []
        new, rep, t = _run_step(ctx, "noise", conn, kw, k, warm_out=warm_out)
        if warm_out:
            carry.warm = warm_out[0]
        stab = {"abscissa": rep.get("abscissa_after"),
                "abscissa_model": rep.get("abscissa_model"), "lin_scale": rep.get("scale")}
        if convergent and carry.rho is None and rep.get("rho") is not None:
            carry.rho = float(rep["rho"])  # calibrated once, fixed from now on
        if (convergent and carry.lyap_level is None and rep.get("lyap_level") is not None
                and own_step and coupling in ("lyapunov", "modulated")):
            carry.lyap_level = float(rep["lyap_level"])  # the same: fixed from now on
        # carried gain: a kept synapse's coupling is L / p, i.e. |w_new / w_old|
        n_old = conn.n_synapses
        old_w, new_w = conn.w, new.w[:n_old]
        ratio = np.divide(np.abs(new_w), np.abs(old_w), out=np.ones(n_old),
                          where=(old_w != 0) & new.synapse_active[:n_old])
        carry.edge_gain = np.concatenate([gain * ratio, np.ones(new.n_synapses - n_old)])
        conn = new
        record("noise", rep, t)
    if "centrality" in ctx.steps and not _is_empty(conn):
        if convergent:
            kw = ({"threshold": carry.threshold} if carry.threshold is not None
                  else {"quantile": sched.q})
            kw["dead_ends"] = sched.dead_ends
        else:
            kw = {"q": sched.q}
        conn, rep, t = _run_step(ctx, "centrality", conn, kw, k)
        if convergent and carry.threshold is None and rep.get("threshold") is not None:
            carry.threshold = float(rep["threshold"])
        record("centrality", rep, t)
        info.update({key: float("nan") if v is None else float(v) for key, v in stab.items()})
    removed = max(eff_before - conn.n_active_synapses, 0)
    if "delocalize" in ctx.steps and not _is_empty(conn):
        if convergent:
            kw = {"M": int(round(sched.add_ratio * removed)), "max_share": sched.max_share,
                  "prior": carry.added_touches}
        else:
            kw = {"fraction": sched.fraction}
        kw["original"] = ctx.original
        n_before = conn.n_synapses
        conn, rep, t = _run_step(ctx, "delocalize", conn, kw, k)
        added = conn.n_synapses - n_before
        if added > 0:
            new_pre, new_post = conn.pre[n_before:], conn.post[n_before:]
            carry.added_touches = (carry.added_touches
                                   + np.bincount(new_pre, minlength=conn.N)
                                   + np.bincount(new_post, minlength=conn.N))
        record("delocalize", rep, t)
    carry.edge_gain = carry.grown_to(conn.n_synapses)
    if ("timescales" in ctx.steps and ctx.timescales_every is not None
            and k % ctx.timescales_every == 0 and not _is_empty(conn)):
        conn, rep, t = _run_step(ctx, "timescales", conn, dict(ctx.lyap_kwargs), k)
        record("timescales", rep, t)
    info.update(removed=int(removed), added=int(added), times=times, reports=reports)
    return conn, carry, info


# ---------------------------------------------------------------------- checkpoint
class CheckpointError(ValueError):
    """A prune checkpoint directory is corrupt, truncated, or of another run."""


class Checkpoint:
    """A prune checkpoint directory; the only code that reads or writes it.

    Files::

        state.json        format, version, base seed, configuration, completed
                          iterations, carried scalars, history, reports, final
        conn_KKKK.npz     the network after iteration KKKK (only the latest)
        carry_KKKK.npz    the carried arrays after iteration KKKK (edge_gain,
                          added_touches)
        original.npz      the input network (Step III never re-adds its pairs)
        final.npz         the network after the end-of-run Step IV (if any)
        history.csv       the history table, for people and spreadsheets

    Every file is written under a temporary name, fsynced and moved into place
    with :func:`os.replace` (atomic on POSIX); ``state.json`` is replaced last
    and the previous iteration's files are deleted only after that, so a kill
    at any moment leaves the last finished iteration complete on disk.
    """

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.state = None

    # -------------------------------------------------------------- helpers
    def path(self, name):
        return os.path.join(self.directory, name)

    def _error(self, name, what):
        return CheckpointError(f"{self.path(name)}: {what}; delete {self.directory} to start "
                               "over (or pass another checkpoint_dir)")

    def _load_conn(self, name):
        try:
            return Connectivity.load(self.path(name))
        except (ConnectivityFileError, OSError, ValueError, EOFError) as exc:
            raise self._error(name, f"unreadable network file ({exc})") from exc

    # -------------------------------------------------------------- read
    def load(self):
        """The checkpoint's state (dict), or None if the directory holds none."""
        name = "state.json"
        if not os.path.exists(self.path(name)):
            return None
        try:
            with open(self.path(name), encoding="utf-8") as fh:
                state = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            raise self._error(name, f"corrupt or truncated checkpoint state ({exc})") from exc
        if not isinstance(state, dict) or state.get("format") != _CHECKPOINT_TAG:
            raise self._error(name, "not a prune checkpoint")
        if state.get("version") != _CHECKPOINT_VERSION:
            raise self._error(name, f"prune checkpoint version {state.get('version')}; this "
                                    f"brian2_lnp reads version {_CHECKPOINT_VERSION}")
        missing = [key for key in ("config", "base_seed", "completed", "conn_file",
                                   "carry_file", "carry", "history", "reports")
                   if key not in state]
        if missing:
            raise self._error(name, f"corrupt checkpoint state (missing {missing})")
        self.state = state
        return state

    def validate(self, state, config, conn0, base_seed, seed_given, iterations):
        """Check that ``state`` continues this call; returns the original network."""
        diff = sorted(key for key in set(config) | set(state["config"])
                      if config.get(key) != state["config"].get(key))
        if diff:
            raise ValueError(f"checkpoint_dir: the checkpoint in {self.directory} was made "
                             f"with another configuration (differs in {diff}); use a new "
                             "directory or the same settings")
        if seed_given and base_seed != state["base_seed"]:
            raise ValueError(f"seed: the checkpoint was made with seed {state['base_seed']}, "
                             f"got {base_seed}")
        original = self._load_conn("original.npz")
        if original != conn0:
            raise ValueError("checkpoint_dir: the checkpoint was made from another network")
        if int(state["completed"]) > iterations:
            raise ValueError(f"iterations: the checkpoint in {self.directory} already holds "
                             f"{state['completed']} iterations; ask for >= "
                             f"{state['completed']} or use a new directory")
        return original

    def read_network(self, state):
        """(conn, Carry) after the last completed iteration."""
        conn = self._load_conn(state["conn_file"])
        name = state["carry_file"]
        try:
            with np.load(self.path(name), allow_pickle=False) as data:
                gain, touches = data["edge_gain"], data["added_touches"]
                warm = WarmStart.from_arrays(data)
        except Exception as exc:  # noqa: BLE001 -- any failure to read means corrupt
            raise self._error(name, f"unreadable carried state ({exc!r})") from exc
        if gain.shape != (conn.n_synapses,) or touches.shape != (conn.N,):
            raise self._error(name, "carried arrays do not match the network file")
        c = state["carry"]
        return conn, Carry(gain.astype(float), touches.astype(np.int64), c.get("rho"),
                           c.get("threshold"), c.get("lyap_level"), warm)

    def read_final(self, completed):
        """(conn, row, reports) of an end-of-run Step IV after ``completed`` iterations."""
        final = (self.state or {}).get("final")
        if not final or final.get("completed") != completed:
            return None
        return self._load_conn(final["file"]), final["row"], final["reports"]

    # -------------------------------------------------------------- write
    def _write_text(self, name, text):
        atomic_write(self.path(name), lambda fh: fh.write(text))

    def _write_state(self, rows):
        self._write_text("state.json", json.dumps(to_jsonable(self.state), allow_nan=True))
        self._write_text("history.csv", _history_frame(rows).to_csv(index=False))

    def start(self, original):
        os.makedirs(self.directory, exist_ok=True)
        atomic_write(self.path("original.npz"), original.save, mode="wb")

    def write(self, k, conn, carry, config, base_seed, rows, reports):
        """Record completed iteration ``k``."""
        conn_file, carry_file = f"conn_{k:04d}.npz", f"carry_{k:04d}.npz"
        atomic_write(self.path(conn_file), conn.save, mode="wb")
        atomic_write(self.path(carry_file),
                     lambda fh: np.savez(fh, edge_gain=carry.edge_gain,
                                         added_touches=carry.added_touches,
                                         **(carry.warm.arrays() if carry.warm else {})),
                     mode="wb")
        self.state = {"format": _CHECKPOINT_TAG, "version": _CHECKPOINT_VERSION,
                      "config": config, "base_seed": base_seed, "completed": int(k),
                      "conn_file": conn_file, "carry_file": carry_file,
                      "carry": {"rho": carry.rho, "threshold": carry.threshold,
                                "lyap_level": carry.lyap_level},
                      "history": rows, "reports": reports}
        self._write_state(rows)
        # only now are the previous iteration's files unreferenced
        for f in os.listdir(self.directory):
            if (f.startswith(("conn_", "carry_")) and f.endswith(".npz")
                    and f not in (conn_file, carry_file)):
                os.remove(self.path(f))

    def write_final(self, completed, conn, row, reports, rows):
        """Record the end-of-run Step IV (the chain before it stays the checkpoint)."""
        atomic_write(self.path("final.npz"), conn.save, mode="wb")
        self.state["final"] = {"completed": int(completed), "file": "final.npz", "row": row,
                               "reports": reports}
        self._write_state(list(rows) + [row])


# ---------------------------------------------------------------------- driver
def _jsonable_config(cfg):
    # round-trip through JSON so that a loaded config compares equal to a fresh one
    return json.loads(json.dumps(to_jsonable(cfg), sort_keys=True))


def _unchanged(rows, tol):
    """Consecutive iterations, ending with the last row, with no change beyond tol."""
    it = [r for r in rows if r["stage"] in ("initial", "iteration")]
    n = 0
    for prev, cur in zip(it[-2::-1], it[:0:-1]):
        dn = abs(cur["neurons"] - prev["neurons"]) / max(prev["neurons"], 1)
        ds = abs(cur["synapses"] - prev["synapses"]) / max(prev["synapses"], 1)
        if dn <= tol and ds <= tol:
            n += 1
        else:
            break
    return n


@dataclass(frozen=True)
class PruneOptions:
    """What :func:`prune` runs besides the schedule, and what it measures per iteration.

    Parameters
    ----------
    step_kwargs : dict of dict, optional
        Extra keyword arguments per step name, e.g.
        ``{"noise": {"coupling": "weights"}, "timescales": {"n_calls": 10}}``.
        Step I keywords reach :func:`noise_prune` exactly as they would in a
        direct call. An unknown key is an error naming the step and the
        allowed keys.
    step_functions : dict, optional
        Replace a step's implementation: name -> ``f(conn, *, seed, **kw) ->
        (Connectivity, report)`` (for experiments and tests).
    timescales_every : int >= 1, optional
        Run Step IV every this many iterations; default (None): once, after the
        last iteration.
    lyapunov : None, False or callable
        lambda_max for the history: None uses the rate surrogate
        (:func:`~brian2_lnp.pruning.health.lambda_max_stats`, ``lambda_seeds``
        input sequences fixed for the run, mean and standard error); False
        skips it (NaN); a callable ``f(conn) -> float`` is used as is.
    lyap_kwargs : dict, optional
        Options of the history's rate surrogate and of the default Step IV
        objective.
    lambda_seeds : int >= 1
        Input sequences averaged for lambda_max.
    rates : array (N,), optional
        Per-neuron rates (Hz) for the ``sops_per_rate`` column; default 1 Hz each.
    """

    step_kwargs: Optional[dict] = None
    step_functions: Optional[dict] = None
    timescales_every: Optional[int] = None
    lyapunov: object = None
    lyap_kwargs: Optional[dict] = None
    lambda_seeds: int = DEFAULT_LAMBDA_SEEDS
    rates: object = None


#: flat keywords of :func:`prune` that set a field of the schedule
SCHEDULE_SHORTCUTS = ("density", "q", "delocalize_fraction")


def _stability_note(rows):
    """A sentence on the iterations whose linearised system is unstable in model units."""
    def num(v):
        try:
            return float(v)
        except (TypeError, ValueError):  # None in a row read back from a checkpoint
            return float("nan")

    its = [(int(r["iteration"]), num(r.get("abscissa_model")), num(r.get("lin_scale")))
           for r in rows]
    its = [t for t in its if np.isfinite(t[1])]
    bad = [t for t in its if t[1] > 0]
    if not bad:
        return ""
    scales = [t[2] for t in bad if np.isfinite(t[2])]
    scale = (f"; Step I pruned it scaled by the stability factor {min(scales):.3g}-"
             f"{max(scales):.3g} so that its noise covariance exists" if scales else "")
    return (f"the linearised system in model units was unstable at {len(bad)} of {len(its)} "
            f"iterations (first {bad[0][0]}, largest spectral abscissa "
            f"{max(t[1] for t in bad):.3g} 1/s, history columns abscissa_model and "
            f"lin_scale){scale} (docs/ambiguities.md)")


def prune_options(options=None, **flat):
    """:class:`PruneOptions` and schedule shortcuts from an object and/or flat keywords.

    Flat keywords that name a :class:`PruneOptions` field override it; the
    shortcuts ``density``, ``q`` and ``delocalize_fraction`` are returned
    separately (they set fields of the schedule, see :func:`prune`).

    Returns
    -------
    (PruneOptions, dict)

    Raises
    ------
    TypeError
        A keyword that is neither (the message lists the allowed ones), or
        ``options`` that is not a PruneOptions.
    """
    options = PruneOptions() if options is None else options
    if not isinstance(options, PruneOptions):
        raise TypeError(f"options: expected a PruneOptions, got {type(options).__name__}")
    fields = tuple(f.name for f in dataclasses.fields(PruneOptions))
    unknown = sorted(set(flat) - set(fields) - set(SCHEDULE_SHORTCUTS))
    if unknown:
        raise TypeError(f"prune: unknown keyword(s) {unknown}; allowed: "
                        f"{', '.join(SCHEDULE_SHORTCUTS + fields)}")
    shortcuts = {k: flat.pop(k) for k in SCHEDULE_SHORTCUTS if k in flat}
    return dataclasses.replace(options, **flat), shortcuts


def prune(net_or_connectivity, iterations=100, steps=STEP_NAMES, *, schedule="convergent",
          options=None, seed=None, checkpoint_dir=None, progress=False, callback=None,
          **overrides):
    """Iterative Lyapunov Noise Pruning.

    Parameters
    ----------
    net_or_connectivity : Connectivity or Brian2 model object
        A :class:`~brian2_lnp.Connectivity`, or a model with ``export()`` ->
        Connectivity and ``apply(conn)`` (the Brian2 layer's network): it is
        exported, pruned by the pure driver, and the result is applied back.
    iterations : int >= 1
        Most pruning iterations (100 in the paper); the convergent schedule
        stops earlier once the network has settled.
    steps : sequence of str
        Which of ``"noise"``, ``"centrality"``, ``"delocalize"``,
        ``"timescales"`` to run (any subset; they always run in that order).
        :data:`ABLATIONS` maps the paper's ablation points A-E to settings.
    schedule : "convergent", "fixed", ConvergentSchedule or FixedSchedule
        How much each step prunes per iteration (see the module doc).
    options : PruneOptions, optional
        Step keywords and replacements, Step IV frequency, and what the
        history measures (:class:`PruneOptions`).
    seed : None, int or Generator
        Base seed; with a checkpoint the base seed is stored and re-used.
    checkpoint_dir : str or path, optional
        Write a checkpoint after every iteration and resume from it.
    progress : bool
        Show a tqdm progress bar.
    callback : callable, optional
        ``callback(iteration, conn, row)`` after each iteration (after its
        checkpoint is written); returning ``False`` stops the driver cleanly.
    **overrides
        Flat shortcuts: any :class:`PruneOptions` field (e.g.
        ``lyap_kwargs={...}``, ``step_kwargs={...}``, ``lyapunov=False``)
        overrides that field of ``options``; ``density``, ``q`` and
        ``delocalize_fraction`` override the schedule's field of the same
        meaning: Step I density (convergent: at iteration 1 only, to
        calibrate rho), Step II q (convergent: the quantile calibrating the
        threshold), Step III amount (convergent: fraction of this iteration's
        removed synapses, i.e. ``add_ratio``; fixed: fraction of the
        effective synapses). Any other keyword is a TypeError.

    Returns
    -------
    PruneResult
        If the network becomes empty the driver stops, logs a warning, and
        returns what it has (``stopped_early=True``). If the convergent
        schedule's network settles, it stops with ``converged=True`` (Step IV
        still runs at the end). If a step raises, the exception propagates
        with the partial result attached as ``exc.partial_result`` (and the
        checkpoint, if any, holds every completed iteration).

    Raises
    ------
    CheckpointError
        A corrupt or truncated checkpoint file (the message names it).
    """
    options, shortcuts = prune_options(options, **overrides)
    step_kwargs, step_functions = options.step_kwargs, options.step_functions
    timescales_every, lyapunov = options.timescales_every, options.lyapunov
    lyap_kwargs, lambda_seeds, rates = options.lyap_kwargs, options.lambda_seeds, options.rates
    model = None
    if isinstance(net_or_connectivity, Connectivity):
        conn0 = net_or_connectivity
    elif hasattr(net_or_connectivity, "export") and hasattr(net_or_connectivity, "apply"):
        # Brian2 model object: only its export/apply methods are used here, so
        # pruning/ itself never imports brian2.
        model = net_or_connectivity
        conn0 = model.export()
        if not isinstance(conn0, Connectivity):
            raise TypeError("net_or_connectivity: export() must return a Connectivity")
    else:
        raise TypeError("net_or_connectivity: expected a Connectivity or a model with "
                        f"export()/apply(), got {type(net_or_connectivity).__name__}")
    conn0.check_dale("net_or_connectivity")
    if rates is not None:
        rates = check_array("rates", np.ravel(rates), (conn0.N,), low=0.0)

    iterations = check_int("iterations", iterations, 1)
    if isinstance(steps, str):
        steps = (steps,)
    steps = tuple(steps)
    unknown = [s for s in steps if s not in STEP_NAMES]
    if unknown:
        raise ValueError(f"steps: unknown step name(s) {unknown}; allowed: {list(STEP_NAMES)}")
    if len(set(steps)) != len(steps):
        raise ValueError(f"steps: each step may appear once, got {list(steps)}")
    steps = tuple(s for s in STEP_NAMES if s in steps)
    sched = _resolve_schedule(schedule, shortcuts.get("density"), shortcuts.get("q"),
                              shortcuts.get("delocalize_fraction"))
    if timescales_every is not None:
        timescales_every = check_int("timescales_every", timescales_every, 1)
    lambda_seeds = check_int("lambda_seeds", lambda_seeds, 1)
    step_kwargs = {k: dict(v) for k, v in (step_kwargs or {}).items()}
    bad = set(step_kwargs) - set(STEP_NAMES)
    if bad:
        raise ValueError(f"step_kwargs: unknown step name(s) {sorted(bad)}; "
                         f"allowed: {list(STEP_NAMES)}")
    functions = dict(_DEFAULT_FUNCTIONS)
    for k, f in (step_functions or {}).items():
        if k not in STEP_NAMES:
            raise ValueError(f"step_functions: unknown step name {k!r}; "
                             f"allowed: {list(STEP_NAMES)}")
        functions[k] = f
    _check_step_kwargs(step_kwargs, set(step_functions or {}))
    model_w_max = getattr(model, "w_max", None)
    if ("noise" in steps and "noise" not in (step_functions or {})
            and isinstance(model_w_max, (int, float)) and model_w_max > 0):
        # Step I's reweighting w / p respects the model's weight bound (its STDP clip),
        # so apply() can write the result back; the clipped count is in the report
        step_kwargs.setdefault("noise", {}).setdefault("w_max", float(model_w_max))
    lyap_kwargs = dict(lyap_kwargs or {})

    if isinstance(seed, np.random.Generator) or seed is None:
        base_seed = int(as_generator(seed).integers(2**62))
        seed_given = False
    else:
        base_seed = int(check_int("seed", seed, 0))
        seed_given = True

    config = _jsonable_config({
        "steps": list(steps), "schedule": sched.name,
        **{f"schedule.{k}": v for k, v in dataclasses.asdict(sched).items()},
        "timescales_every": timescales_every, "step_kwargs": step_kwargs,
        "lyap_kwargs": lyap_kwargs, "lambda_seeds": lambda_seeds,
        "lyapunov": ("default" if lyapunov is None else "off" if lyapunov is False
                     else getattr(lyapunov, "__name__", "callable")),
        "rates": None if rates is None else np.asarray(rates, float).tolist(),
        "N": conn0.N,
        "seed_stream": seed_stream(),  # a resume with another stream is refused
    })

    # ------------------------------------------------------------ resume or start
    rows, reports, completed = [], [], 0
    conn, original = conn0.copy(), conn0.copy()
    carry = Carry.start(conn0, sched)
    ckpt = None
    if checkpoint_dir is not None:
        ckpt = Checkpoint(checkpoint_dir)
        checkpoint_dir = ckpt.directory
        state = ckpt.load()
        if state is not None:
            original = ckpt.validate(state, config, conn0, base_seed, seed_given, iterations)
            base_seed = int(state["base_seed"])
            completed = int(state["completed"])
            rows, reports = list(state["history"]), list(state["reports"])
            conn, carry = ckpt.read_network(state)
            logger.info("prune: resuming from %s after iteration %d", checkpoint_dir, completed)
        else:
            ckpt.start(original)

    ctx = _Context(steps=steps, schedule=sched, functions=functions, step_kwargs=step_kwargs,
                   base_seed=base_seed, original=original, timescales_every=timescales_every,
                   lyap_kwargs=lyap_kwargs)
    lyap_seed = int(child_seed(base_seed, "lambda_max").integers(2**31))
    if lyapunov is None:
        def measure(c):
            return lambda_max_stats(c, n_seeds=lambda_seeds, seed=lyap_seed, **lyap_kwargs)
    elif lyapunov is False:
        def measure(c):
            return float("nan"), float("nan")
    elif callable(lyapunov):
        def measure(c):
            return float(lyapunov(c)), float("nan")
    else:
        raise TypeError("lyapunov: expected None, False or a callable f(conn) -> float")

    def make_row(k, stage, c, info):
        t0 = time.perf_counter()
        row = {col: float("nan") for col in _HISTORY_COLUMNS}
        row.update(iteration=int(k), stage=stage, neurons=c.n_active_neurons,
                   synapses=c.n_active_synapses, removed=info.get("removed", 0),
                   added=info.get("added", 0), sops_per_rate=expected_sops_per_rate(c, rates),
                   rho=carry.rho, threshold=carry.threshold)
        row.update(graph_health(c, carry.added_touches))
        for key in ("abscissa", "abscissa_model", "lin_scale"):
            row[key] = info.get(key, float("nan"))
        if not _is_empty(c):
            with fixed_blas_threads():
                row["lambda_max"], row["lambda_max_se"] = measure(c)
        row.update(info.get("times", {}))
        row["t_health"] = time.perf_counter() - t0
        return row

    def result(c, stopped, message, extra_rows=(), converged=False):
        return PruneResult(connectivity=c, history=_history_frame(list(rows) + list(extra_rows)),
                           reports=list(reports), original=original, stopped_early=stopped,
                           message=message, base_seed=base_seed, checkpoint_dir=checkpoint_dir,
                           converged=converged, carry=carry)

    if not rows:
        rows.append(make_row(0, "initial", conn, {}))
        rows[-1]["unchanged"] = 0
        if ckpt is not None:
            ckpt.write(0, conn, carry, config, base_seed, rows, reports)

    patience = getattr(sched, "patience", None)
    tol = getattr(sched, "tol", 0.0)
    stopped, converged, message = False, False, ""
    from tqdm.auto import tqdm
    bar = tqdm(total=iterations, initial=min(completed, iterations), disable=not progress,
               desc="LNP", unit="it")
    last_done = conn  # the network after the last completed iteration
    try:
        k = completed
        while k < iterations:
            if patience is not None and _unchanged(rows, tol) >= patience:
                converged = True
                break
            if _is_empty(conn):
                stopped = True
                message = (f"network is empty before iteration {k + 1} "
                           f"({conn.n_active_neurons} neurons, {conn.n_active_synapses} "
                           "effective synapses); stopped")
                break
            k += 1
            conn, carry, info = run_iteration(ctx, conn, carry, k)
            reports.extend(info["reports"])
            row = make_row(k, "iteration", conn, info)
            rows.append(row)
            row["unchanged"] = _unchanged(rows, tol)
            if ckpt is not None:
                ckpt.write(k, conn, carry, config, base_seed, rows, reports)
            last_done = conn
            bar.update(1)
            bar.set_postfix(neurons=row["neurons"], synapses=row["synapses"])
            if callback is not None and callback(k, conn, row) is False:
                stopped, message = True, f"stopped by callback after iteration {k}"
                break
        else:
            if patience is not None and _unchanged(rows, tol) >= patience:
                converged = True
    except BaseException as exc:  # noqa: B902 -- re-raised; attach what was computed
        exc.partial_result = result(last_done, True, f"interrupted: {exc!r}")
        raise
    finally:
        bar.close()
    completed = int(rows[-1]["iteration"])
    if converged:
        message = (f"converged after iteration {completed}: neurons and synapses changed by "
                   f"<= {tol:g} for {patience} iterations")
        logger.info("prune: %s", message)
    stability = _stability_note(rows)
    if stability:
        logger.warning("prune: %s", stability)
        message = f"{message}; {stability}" if message else stability
    if stopped:
        logger.warning("prune: %s", message)
        res = result(conn, True, message)
    elif "timescales" in steps and timescales_every is None:
        # end-of-run Step IV; the checkpoint keeps the pre-IV chain so that a
        # later call with more iterations continues from it
        final = ckpt.read_final(completed) if ckpt is not None else None
        if final is not None:
            conn_f, row_f, rep_f = final
        else:
            conn_f, rep, t = _run_step(ctx, "timescales", conn, dict(lyap_kwargs), "final",
                                       completed)
            rep_f = [{**rep, "iteration": completed, "step": "timescales"}]
            row_f = make_row(completed, "final", conn_f, {"times": {"t_timescales": t}})
            if ckpt is not None:
                ckpt.write_final(completed, conn_f, row_f, rep_f, rows)
        reports.extend(rep_f)
        res = result(conn_f, converged, message, [row_f], converged)
    else:
        res = result(conn, converged, message, (), converged)
    if model is not None:
        model.apply(res.connectivity)
    return res
