"""The iterative LNP driver: ``prune()`` = n x (Steps I-III), Step IV at the end or every K.

Per iteration (seed 000, Fig. 2: 100 iterations in the paper) the driver runs,
in this order and each only if named in ``steps``:

I   ``"noise"``       :func:`~brian2_lnp.pruning.noise.noise_prune` (synapses)
II  ``"centrality"``  :func:`~brian2_lnp.pruning.centrality.centrality_prune` (neurons)
III ``"delocalize"``  :func:`~brian2_lnp.pruning.delocalize.delocalize` (new synapses)
IV  ``"timescales"``  :func:`~brian2_lnp.pruning.timescales.optimize_timescales`
    (after the last iteration, or every ``timescales_every`` iterations)

and records one history row: neurons, effective synapses, expected SOPs per
unit rate, lambda_max of the rate surrogate, and the wall time of every step.

Reproducibility: the random stream of step ``s`` in iteration ``k`` is
``child_seed(base_seed, k, s)``, so it depends on nothing but the base seed,
the iteration and the step -- a resumed run draws exactly what an
uninterrupted run draws. The checkpoint directory holds::

    state.json      base seed, configuration, completed iterations, history, reports
    conn_KKKK.npz   the network after iteration KKKK (only the latest is kept)
    original.npz    the input network (Step III never re-adds its pairs)
    final.npz       the network after the end-of-run Step IV (if any)
    history.csv     the history table, for people and spreadsheets

Every file is written to a temporary name and moved into place with
:func:`os.replace` (atomic on POSIX), and ``state.json`` is replaced last, so an
interruption at any moment leaves the previous complete iteration on disk.
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dynamics.threads import fixed_blas_threads
from ..fileio import atomic_write
from ..graph import Connectivity
from ..random import as_generator, child_seed, seed_stream
from ..validation import check_array, check_int, check_range
from .report import to_jsonable
from .timescales import surrogate_kwargs

__all__ = ["prune", "PruneResult", "STEP_NAMES", "ABLATIONS", "expected_sops_per_rate",
           "DEFAULT_DENSITY", "DEFAULT_Q", "DEFAULT_DELOCALIZE_FRACTION"]

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

#: Step I keeps this fraction of the effective synapses per iteration (our
#: choice; 0.95 ** 100 ~ 0.6 %: 100 iterations reach a very sparse network)
DEFAULT_DENSITY = 0.95
#: Step II prunes this fraction of the active neurons per iteration (our choice;
#: 0.99 ** 100 ~ 37 % of the neurons remain)
DEFAULT_Q = 0.01
#: Step III adds this fraction of the effective synapses per iteration (our choice)
DEFAULT_DELOCALIZE_FRACTION = 0.01

#: Step I keywords that configure the node exponents (rate surrogate)
_NODE_EXPONENT_KEYS = ("k", "n_steps", "transient", "qr_every", "batch", "phi", "dt", "w_scale",
                       "gain", "input_std")
_CHECKPOINT_TAG = "brian2_lnp.prune_checkpoint"
_CHECKPOINT_VERSION = 1
_TIME_COLUMNS = tuple(f"t_{s}" for s in STEP_NAMES) + ("t_lyapunov",)


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
        and ``stage="final"`` for the end-of-run Step IV): iteration, stage,
        neurons, synapses, sops_per_rate, lambda_max, t_noise, t_centrality,
        t_delocalize, t_timescales, t_lyapunov (seconds).
    reports : list of dict
        ``{"iteration": k, "step": name, ...report.as_dict()}`` for every step run.
    original : Connectivity
        The input network.
    stopped_early : bool
        True if the driver stopped before ``iterations`` (empty network or a
        callback returning False).
    message : str
        Why it stopped ("" for a normal end).
    base_seed : int
        The seed every random stream was derived from.
    """

    connectivity: Connectivity
    history: pd.DataFrame
    reports: list
    original: Connectivity
    stopped_early: bool = False
    message: str = ""
    base_seed: int = 0
    checkpoint_dir: str = None


# ---------------------------------------------------------------------- step calls
def _default_step_functions():
    """Name -> callable(conn, *, seed, **kw) -> (Connectivity, report); lazy imports."""
    def noise(conn, *, seed, **kw):
        from .noise import noise_prune
        rng = as_generator(seed)
        if (kw.get("coupling", "lyapunov") in ("lyapunov", "modulated")
                and kw.get("node_exponents") is None and "lyap_matrix" not in kw
                and "linear_network" not in kw):
            # computed here so that they come from the step's own seeded stream
            # (reproducible, and identical after a resume)
            from ..dynamics import node_exponents
            ne_kw = {key: kw.pop(key) for key in _NODE_EXPONENT_KEYS if key in kw}
            kw["node_exponents"] = node_exponents(conn, seed=int(rng.integers(2**62)), **ne_kw)
        return noise_prune(conn, seed=rng, **kw)

    def centrality(conn, *, seed, **kw):
        from .centrality import centrality_prune
        return centrality_prune(conn, seed=seed, **kw)

    def delocalize(conn, *, seed, **kw):
        from .delocalize import delocalize as _delocalize
        return _delocalize(conn, seed=seed, **kw)

    def timescales(conn, *, seed, **kw):
        from .timescales import optimize_timescales
        return optimize_timescales(conn, seed=seed, **kw)

    return {"noise": noise, "centrality": centrality, "delocalize": delocalize,
            "timescales": timescales}


def _default_lambda_max(conn, *, seed, **lyap_kwargs):
    from ..dynamics import rate_lyapunov
    kw = dict(k=1)
    kw.update(lyap_kwargs)
    return float(rate_lyapunov(conn, seed=seed, **surrogate_kwargs(conn, kw)).exponents[0])


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


# ---------------------------------------------------------------------- checkpoint IO
def _atomic_write_text(path, text):
    atomic_write(path, lambda fh: fh.write(text))


def _atomic_save_conn(conn, path):
    atomic_write(path, conn.save, mode="wb")


def _history_frame(rows):
    cols = ["iteration", "stage", "neurons", "synapses", "sops_per_rate", "lambda_max",
            *_TIME_COLUMNS]
    df = pd.DataFrame(rows, columns=cols)
    for c in cols:
        if c not in ("iteration", "stage", "neurons", "synapses"):
            df[c] = df[c].astype(float)
    return df


def _jsonable_config(cfg):
    # round-trip through JSON so that a loaded config compares equal to a fresh one
    return json.loads(json.dumps(to_jsonable(cfg), sort_keys=True))


# ---------------------------------------------------------------------- driver
def prune(net_or_connectivity, iterations=100, steps=STEP_NAMES, *, density=DEFAULT_DENSITY,
          q=DEFAULT_Q, delocalize_fraction=DEFAULT_DELOCALIZE_FRACTION,
          timescales_every=None, step_kwargs=None, seed=None, checkpoint_dir=None,
          progress=False, callback=None, lyapunov=None, lyap_kwargs=None, rates=None,
          step_functions=None):
    """Iterative Lyapunov Noise Pruning.

    Parameters
    ----------
    net_or_connectivity : Connectivity or Brian2 model object
        A :class:`~brian2_lnp.Connectivity`, or a model with ``export()`` ->
        Connectivity and ``apply(conn)`` (the Brian2 layer's network): it is
        exported, pruned by the pure driver, and the result is applied back.
    iterations : int >= 1
        Pruning iterations (100 in the paper).
    steps : sequence of str
        Which of ``"noise"``, ``"centrality"``, ``"delocalize"``,
        ``"timescales"`` to run (any subset; they always run in that order).
        :data:`ABLATIONS` maps the paper's ablation points A-E to settings.
    density : float in (0, 1]
        Step I: fraction of the effective synapses kept per iteration.
    q : float in [0, 1)
        Step II: fraction of the active neurons pruned per iteration.
    delocalize_fraction : float in [0, 1]
        Step III: new synapses per iteration, as a fraction of the effective ones.
    timescales_every : int >= 1, optional
        Run Step IV every this many iterations; default (None): once, after the
        last iteration.
    step_kwargs : dict of dict, optional
        Extra keyword arguments per step name, e.g.
        ``{"noise": {"coupling": "weights"}, "timescales": {"n_calls": 10}}``;
        they override the defaults above.
    seed : None, int or Generator
        Base seed; with a checkpoint the base seed is stored and re-used.
    checkpoint_dir : str or path, optional
        Write a checkpoint after every iteration and resume from it: calling
        again with the same directory and configuration continues where the
        last completed iteration left off (``iterations`` may grow).
    progress : bool
        Show a tqdm progress bar.
    callback : callable, optional
        ``callback(iteration, conn, row)`` after each iteration (after its
        checkpoint is written); returning ``False`` stops the driver cleanly.
    lyapunov : None, False or callable
        How lambda_max is measured for the history: None uses
        :func:`brian2_lnp.dynamics.rate_lyapunov` (k=1) with ``lyap_kwargs``
        and a seed fixed for the whole run; False skips it (NaN); a callable
        ``f(conn) -> float`` is used as is.
    lyap_kwargs : dict, optional
        Options for ``rate_lyapunov`` (history and the default Step IV objective).
    rates : array (N,), optional
        Per-neuron rates (Hz) for the ``sops_per_rate`` column; default 1 Hz each,
        so the column is the expected SOPs per unit presynaptic rate.
    step_functions : dict, optional
        Replace a step's implementation: name -> ``f(conn, *, seed, **kw) ->
        (Connectivity, report)`` (for experiments and tests).

    Returns
    -------
    PruneResult
        If the network becomes empty (no active neuron or no effective synapse),
        the driver stops, logs a warning, and returns what it has
        (``stopped_early=True``, ``message`` says why). If a step raises, the
        exception propagates with the partial result attached as
        ``exc.partial_result`` (and the checkpoint, if any, holds every
        completed iteration).
    """
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
    density = check_range("density", density, 0.0, 1.0, low_inclusive=False)
    q = check_range("q", q, 0.0, 1.0, high_inclusive=False)
    delocalize_fraction = check_range("delocalize_fraction", delocalize_fraction, 0.0, 1.0)
    if timescales_every is not None:
        timescales_every = check_int("timescales_every", timescales_every, 1)
    step_kwargs = {k: dict(v) for k, v in (step_kwargs or {}).items()}
    bad = set(step_kwargs) - set(STEP_NAMES)
    if bad:
        raise ValueError(f"step_kwargs: unknown step name(s) {sorted(bad)}; "
                         f"allowed: {list(STEP_NAMES)}")
    lyap_kwargs = dict(lyap_kwargs or {})
    functions = _default_step_functions()
    # the default Step I computes node exponents with the rate surrogate; a
    # user-supplied Step I gets only the documented arguments
    lyapunov_dt_for_noise = "noise" not in (step_functions or {})
    for k, f in (step_functions or {}).items():
        if k not in STEP_NAMES:
            raise ValueError(f"step_functions: unknown step name {k!r}; "
                             f"allowed: {list(STEP_NAMES)}")
        functions[k] = f

    if isinstance(seed, np.random.Generator) or seed is None:
        base_seed = int(as_generator(seed).integers(2**62))
        seed_given = False
    else:
        base_seed = int(check_int("seed", seed, 0))
        seed_given = True

    config = _jsonable_config({
        "steps": list(steps), "density": density, "q": q,
        "delocalize_fraction": delocalize_fraction, "timescales_every": timescales_every,
        "step_kwargs": step_kwargs, "lyap_kwargs": lyap_kwargs,
        "lyapunov": ("default" if lyapunov is None else "off" if lyapunov is False
                     else getattr(lyapunov, "__name__", "callable")),
        "rates": None if rates is None else np.asarray(rates, float).tolist(),
        "N": conn0.N,
        "seed_stream": seed_stream(),  # a resume with another stream is refused
    })

    # ------------------------------------------------------------ resume
    rows, reports, completed, conn = [], [], 0, conn0.copy()
    original = conn0.copy()
    state = None
    if checkpoint_dir is not None:
        checkpoint_dir = os.fspath(checkpoint_dir)
        os.makedirs(checkpoint_dir, exist_ok=True)
        state_path = os.path.join(checkpoint_dir, "state.json")
        if os.path.exists(state_path):
            with open(state_path) as fh:
                state = json.load(fh)
            if (state.get("format") != _CHECKPOINT_TAG
                    or state.get("version") != _CHECKPOINT_VERSION):
                raise ValueError(f"checkpoint_dir: {state_path} is not a version-"
                                 f"{_CHECKPOINT_VERSION} prune checkpoint")
            diff = sorted(k for k in set(config) | set(state["config"])
                          if config.get(k) != state["config"].get(k))
            if diff:
                raise ValueError(f"checkpoint_dir: the checkpoint in {checkpoint_dir} was made "
                                 f"with another configuration (differs in {diff}); use a new "
                                 "directory or the same settings")
            if seed_given and base_seed != state["base_seed"]:
                raise ValueError(f"seed: the checkpoint was made with seed {state['base_seed']}, "
                                 f"got {base_seed}")
            base_seed = int(state["base_seed"])
            original = Connectivity.load(os.path.join(checkpoint_dir, "original.npz"))
            if original != conn0:
                raise ValueError("checkpoint_dir: the checkpoint was made from another network")
            completed = int(state["completed"])
            if completed > iterations:
                raise ValueError(f"iterations: the checkpoint in {checkpoint_dir} already holds "
                                 f"{completed} iterations; ask for >= {completed} or use a new "
                                 "directory")
            rows = list(state["history"])
            reports = list(state["reports"])
            if state.get("conn_file"):
                conn = Connectivity.load(os.path.join(checkpoint_dir, state["conn_file"]))
            logger.info("prune: resuming from %s after iteration %d", checkpoint_dir, completed)
        else:
            _atomic_save_conn(original, os.path.join(checkpoint_dir, "original.npz"))

    lyap_seed = int(child_seed(base_seed, "lambda_max").integers(2**31))
    if lyapunov is None:
        def measure(c):
            return _default_lambda_max(c, seed=lyap_seed, **lyap_kwargs)
    elif lyapunov is False:
        def measure(c):
            return float("nan")
    elif callable(lyapunov):
        measure = lyapunov
    else:
        raise TypeError("lyapunov: expected None, False or a callable f(conn) -> float")

    def is_empty(c):
        return c.n_active_neurons == 0 or c.n_active_synapses == 0

    def make_row(k, stage, c, times):
        t0 = time.perf_counter()
        with fixed_blas_threads():
            lam = float("nan") if is_empty(c) else float(measure(c))
        row = {"iteration": int(k), "stage": stage, "neurons": c.n_active_neurons,
               "synapses": c.n_active_synapses,
               "sops_per_rate": expected_sops_per_rate(c, rates), "lambda_max": lam}
        row.update({col: float("nan") for col in _TIME_COLUMNS})
        row.update(times)
        row["t_lyapunov"] = time.perf_counter() - t0
        return row

    def kwargs_for(name, c):
        kw = {}
        if name == "noise":
            kw["density"] = density
            if lyapunov_dt_for_noise and not {"node_exponents", "lyap_matrix"} & set(
                    step_kwargs.get("noise", {})):
                # the node exponents inside Step I use the same rate surrogate,
                # which needs dt < min tau_m (see timescales.surrogate_kwargs)
                kw["dt"] = surrogate_kwargs(c, lyap_kwargs)["dt"]
        elif name == "centrality":
            kw["q"] = q
        elif name == "delocalize":
            kw["fraction"] = delocalize_fraction
            kw["original"] = original
        elif name == "timescales":
            kw.update(lyap_kwargs)
        kw.update(step_kwargs.get(name, {}))
        return kw

    def run_step(name, c, k, *seed_keys):
        t0 = time.perf_counter()
        with fixed_blas_threads():  # same bits for any BLAS thread count / n_jobs
            new, rep = functions[name](c, seed=child_seed(base_seed, *seed_keys, name),
                                       **kwargs_for(name, c))
        if not isinstance(new, Connectivity):
            raise TypeError(f"step {name!r} must return (Connectivity, report)")
        reports.append({**_report_dict(rep), "iteration": int(k), "step": name})
        return new, time.perf_counter() - t0

    def write_checkpoint(c, k):
        if checkpoint_dir is None:
            return
        name = f"conn_{k:04d}.npz"
        _atomic_save_conn(c, os.path.join(checkpoint_dir, name))
        st = {"format": _CHECKPOINT_TAG, "version": _CHECKPOINT_VERSION,
              "config": config, "base_seed": base_seed, "completed": int(k),
              "conn_file": name, "history": rows, "reports": reports}
        _atomic_write_text(os.path.join(checkpoint_dir, "state.json"),
                           json.dumps(to_jsonable(st), allow_nan=True))
        _atomic_write_text(os.path.join(checkpoint_dir, "history.csv"),
                           _history_frame(rows).to_csv(index=False))
        # only now is the previous network file unreferenced
        for f in os.listdir(checkpoint_dir):
            if f.startswith("conn_") and f.endswith(".npz") and f != name:
                os.remove(os.path.join(checkpoint_dir, f))

    def result(c, stopped, message, extra_rows=()):
        return PruneResult(connectivity=c, history=_history_frame(list(rows) + list(extra_rows)),
                           reports=list(reports), original=original, stopped_early=stopped,
                           message=message, base_seed=base_seed, checkpoint_dir=checkpoint_dir)

    if not rows:
        rows.append(make_row(0, "initial", conn, {}))
        write_checkpoint(conn, 0)

    iter_steps = [s for s in steps if s != "timescales"]
    stopped, message = False, ""
    from tqdm.auto import tqdm
    bar = tqdm(total=iterations, initial=min(completed, iterations), disable=not progress,
               desc="LNP", unit="it")
    last_done = conn  # the network after the last completed iteration
    try:
        k = completed
        while k < iterations:
            if is_empty(conn):
                stopped = True
                message = (f"network is empty before iteration {k + 1} "
                           f"({conn.n_active_neurons} neurons, {conn.n_active_synapses} "
                           "effective synapses); stopped")
                break
            k += 1
            times = {}
            for name in iter_steps:
                conn, times[f"t_{name}"] = run_step(name, conn, k, k)
                if is_empty(conn):
                    break
            if ("timescales" in steps and timescales_every is not None
                    and k % timescales_every == 0 and not is_empty(conn)):
                conn, times["t_timescales"] = run_step("timescales", conn, k, k)
            row = make_row(k, "iteration", conn, times)
            rows.append(row)
            write_checkpoint(conn, k)
            last_done = conn
            bar.update(1)
            bar.set_postfix(neurons=row["neurons"], synapses=row["synapses"])
            if callback is not None and callback(k, conn, row) is False:
                stopped, message = True, f"stopped by callback after iteration {k}"
                break
    except BaseException as exc:  # noqa: B902 -- re-raised; attach what was computed
        exc.partial_result = result(last_done, True, f"interrupted: {exc!r}")
        raise
    finally:
        bar.close()
    if stopped:
        logger.warning("prune: %s", message)
        res = result(conn, True, message)
    elif "timescales" in steps and timescales_every is None:
        # end-of-run Step IV; the checkpoint keeps the pre-IV chain so that a
        # later call with more iterations continues from it
        final = None
        if state is not None and state.get("final", {}).get("iterations") == iterations \
                and completed == iterations:
            final = state["final"]
        if final is not None:
            conn_f = Connectivity.load(os.path.join(checkpoint_dir, final["file"]))
            extra = [final["row"]]
            reports.extend(final["reports"])
        else:
            n_rep = len(reports)
            conn_f, t = run_step("timescales", conn, iterations, "final", iterations)
            extra = [make_row(iterations, "final", conn_f, {"t_timescales": t})]
            if checkpoint_dir is not None:
                _atomic_save_conn(conn_f, os.path.join(checkpoint_dir, "final.npz"))
                with open(os.path.join(checkpoint_dir, "state.json")) as fh:
                    st = json.load(fh)
                st["final"] = {"iterations": iterations, "file": "final.npz", "row": extra[0],
                               "reports": reports[n_rep:]}
                _atomic_write_text(os.path.join(checkpoint_dir, "state.json"),
                                   json.dumps(to_jsonable(st), allow_nan=True))
                _atomic_write_text(os.path.join(checkpoint_dir, "history.csv"),
                                   _history_frame(rows + extra).to_csv(index=False))
        res = result(conn_f, False, "", extra)
    else:
        res = result(conn, False, "")
    if model is not None:
        model.apply(res.connectivity)
    return res
