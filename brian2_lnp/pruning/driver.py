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

The code is four modules: :mod:`~brian2_lnp.pruning.schedules` (how much each
step prunes), :mod:`~brian2_lnp.pruning.iteration` (:func:`run_iteration`: one
iteration of Steps I-III on a :class:`Carry`, a pure function of its inputs and
seeds, and the history table), :mod:`~brian2_lnp.pruning.checkpoint` (the only
reader and writer of the checkpoint directory) and this one (the loop in
:func:`prune`, its options and its result).

Reproducibility: the random stream of step ``s`` in iteration ``k`` is
``child_seed(base_seed, k, s)``, so it depends on nothing but the base seed,
the iteration and the step -- a resumed run draws exactly what an
uninterrupted run draws.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from ..dynamics.threads import fixed_blas_threads
from ..graph import Connectivity
from ..random import as_generator, child_seed, seed_stream
from ..validation import check_array, check_int
from .checkpoint import Checkpoint, CheckpointError
from .health import DEFAULT_LAMBDA_SEEDS, graph_health, lambda_max_stats
from .iteration import (DEFAULT_FUNCTIONS, HISTORY_COLUMNS, STEP_NAMES, Carry, StepContext,
                        check_step_kwargs, history_frame, is_empty, run_iteration, run_step)
from .report import to_jsonable
from .schedules import (DEFAULT_DELOCALIZE_FRACTION, DEFAULT_DENSITY, DEFAULT_Q,
                        ConvergentSchedule, FixedSchedule, resolve_schedule)

__all__ = ["prune", "PruneResult", "STEP_NAMES", "ABLATIONS", "expected_sops_per_rate",
           "ConvergentSchedule", "FixedSchedule", "Carry", "Checkpoint", "CheckpointError",
           "PruneOptions", "prune_options", "SCHEDULE_SHORTCUTS",
           "run_iteration", "DEFAULT_DENSITY", "DEFAULT_Q", "DEFAULT_DELOCALIZE_FRACTION"]

logger = logging.getLogger(__name__)

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
    if not isinstance(steps, (tuple, list, set, frozenset)):
        raise TypeError(f"steps: expected a step name or a sequence of them "
                        f"({list(STEP_NAMES)}), got {type(steps).__name__}")
    steps = tuple(steps)
    unknown = [s for s in steps if s not in STEP_NAMES]
    if unknown:
        raise ValueError(f"steps: unknown step name(s) {unknown}; allowed: {list(STEP_NAMES)}")
    if len(set(steps)) != len(steps):
        raise ValueError(f"steps: each step may appear once, got {list(steps)}")
    steps = tuple(s for s in STEP_NAMES if s in steps)
    sched = resolve_schedule(schedule, shortcuts.get("density"), shortcuts.get("q"),
                             shortcuts.get("delocalize_fraction"))
    if timescales_every is not None:
        timescales_every = check_int("timescales_every", timescales_every, 1)
    lambda_seeds = check_int("lambda_seeds", lambda_seeds, 1)
    if step_kwargs is not None and not isinstance(step_kwargs, dict):
        raise TypeError(f"step_kwargs: expected a dict step name -> dict of keywords, got "
                        f"{type(step_kwargs).__name__}")
    for k, v in (step_kwargs or {}).items():
        if not isinstance(v, dict):
            raise TypeError(f"step_kwargs[{k!r}]: expected a dict of keywords, got "
                            f"{type(v).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a callable (k, connectivity, row) or None, got "
                        f"{type(callback).__name__}")
    step_kwargs = {k: dict(v) for k, v in (step_kwargs or {}).items()}
    bad = set(step_kwargs) - set(STEP_NAMES)
    if bad:
        raise ValueError(f"step_kwargs: unknown step name(s) {sorted(bad)}; "
                         f"allowed: {list(STEP_NAMES)}")
    functions = dict(DEFAULT_FUNCTIONS)
    for k, f in (step_functions or {}).items():
        if k not in STEP_NAMES:
            raise ValueError(f"step_functions: unknown step name {k!r}; "
                             f"allowed: {list(STEP_NAMES)}")
        functions[k] = f
    check_step_kwargs(step_kwargs, set(step_functions or {}))
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

    ctx = StepContext(steps=steps, schedule=sched, functions=functions, step_kwargs=step_kwargs,
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
        row = {col: float("nan") for col in HISTORY_COLUMNS}
        row.update(iteration=int(k), stage=stage, neurons=c.n_active_neurons,
                   synapses=c.n_active_synapses, removed=info.get("removed", 0),
                   added=info.get("added", 0), sops_per_rate=expected_sops_per_rate(c, rates),
                   rho=carry.rho, threshold=carry.threshold)
        row.update(graph_health(c, carry.added_touches))
        for key in ("abscissa", "abscissa_model", "lin_scale"):
            row[key] = info.get(key, float("nan"))
        if not is_empty(c):
            with fixed_blas_threads():
                row["lambda_max"], row["lambda_max_se"] = measure(c)
        row.update(info.get("times", {}))
        row["t_health"] = time.perf_counter() - t0
        return row

    def result(c, stopped, message, extra_rows=(), converged=False):
        return PruneResult(connectivity=c, history=history_frame(list(rows) + list(extra_rows)),
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
            if is_empty(conn):
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
            conn_f, rep, t = run_step(ctx, "timescales", conn, dict(lyap_kwargs), "final",
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
