"""Units of work the protocol files compose (module-level, so they pickle to workers).

Each function takes plain arguments (model name or file, N, seed, option
dicts) and returns plain results (dicts, DataFrames, Connectivity objects), so
the repeat runner can ship it to a joblib process or a Dask worker and store
its result. Brian2 is imported only inside the functions that simulate.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from ..random import child_seed
from .common import build_directory

__all__ = ["make_connectivity", "lnp_options", "lnp_repeat", "rate_spectrum", "brian_rates",
           "stdp_trained_connectivity", "evaluate_row", "activity_repeat", "QUICK_LYAP",
           "task_inputs", "embed_in_model", "er_control", "QUICK_EVAL",
           "eval_options", "fresh_runtime", "plastic_lnp_options", "build_models", "task_field"]

logger = logging.getLogger(__name__)

#: rate-surrogate settings used in --quick runs (the library defaults are used
#: at paper scale): short QR runs and the 10 leading exponents
QUICK_LYAP = {"n_steps": 300, "transient": 100, "k": 10}


def task_inputs(task, channels_per_dim=None):
    """Input channels :func:`~brian2_lnp.tasks.evaluate.evaluate` builds for a task.

    Read from the task registry (:data:`brian2_lnp.tasks.TASKS`) so the networks
    match: ``channels_per_dim`` (default the task's) per series dimension;
    None for image tasks (the pixel count, which depends on pooling).
    """
    from ..tasks.specs import get_task

    spec = get_task(task)
    if channels_per_dim is not None and spec.is_prediction:
        spec = spec.replace(channels_per_dim=channels_per_dim)
    return spec.n_inputs


def make_connectivity(model, N=None, seed=0, n_inputs=None, overrides=None):
    """The generated network (pure NumPy) as a :class:`Connectivity`."""
    from ..models.config import load_model
    from ..models.generate import generate_network

    config = load_model(model, **(overrides or {}))
    return generate_network(config, N=N, seed=seed, n_inputs=n_inputs).conn


def lnp_options(quick, iterations=None, steps=None, **extra):
    """``prune()`` keyword arguments for a quick or paper-scale run.

    Quick: short rate-surrogate runs (:data:`QUICK_LYAP`) for the node
    exponents of Step I and for lambda_max, no spectral report, and 4 Step IV
    objective calls. Paper scale: the library defaults (100 iterations).
    """
    opts = {"iterations": iterations if iterations is not None else (8 if quick else 100)}
    if steps is not None:
        opts["steps"] = tuple(steps)
    if quick:
        opts["lyap_kwargs"] = dict(QUICK_LYAP)
        opts["step_kwargs"] = {"noise": dict(QUICK_LYAP, spectral_report=False),
                               "timescales": {"n_calls": 4}}
    for k, v in extra.items():
        if k == "step_kwargs":
            sk = opts.setdefault("step_kwargs", {})
            for name, kw in v.items():
                sk.setdefault(name, {}).update(kw)
        else:
            opts[k] = v
    return opts


def plastic_lnp_options(model, quick, iterations=None, **extra):
    """:func:`lnp_options` for a network that is STDP-trained afterwards.

    Adds the one setting a plastic model needs: the noise step's reweighted
    weights are clipped to the model file's STDP bound ``w_max`` (plastic weights
    above it cannot be written into a plastic model).
    """
    from ..models.config import load_model

    w_max = float(load_model(model).get("stdp")["w_max"])
    step_kwargs = dict(extra.pop("step_kwargs", {}))
    step_kwargs["noise"] = dict(step_kwargs.get("noise", {}), w_max=w_max)
    return lnp_options(quick, iterations=iterations, step_kwargs=step_kwargs, **extra)


def lnp_repeat(model, N, seed, prune_kwargs, snapshots=(), n_inputs=None, overrides=None):
    """One LNP run on a freshly generated network.

    Parameters
    ----------
    model : str
        Model file or packaged name.
    N : int or None
    seed : int
        Network seed; the pruning seed is ``child_seed(seed, "prune")``.
    prune_kwargs : dict
        Passed to :func:`brian2_lnp.pruning.prune` (see :func:`lnp_options`).
    snapshots : sequence of int
        Iterations whose network is kept (for task evaluation along the way).

    Returns
    -------
    dict
        ``history`` (DataFrame), ``original``, ``final`` (Connectivity),
        ``snapshots`` ({iteration: Connectivity}), ``seconds``.
    """
    from ..pruning import prune

    t0 = time.perf_counter()
    conn = make_connectivity(model, N=N, seed=seed, n_inputs=n_inputs, overrides=overrides)
    keep, wanted = {}, set(int(k) for k in snapshots)
    if 0 in wanted:
        keep[0] = conn.copy()

    def cb(k, c, row):
        if k in wanted:
            keep[k] = c.copy()

    kw = dict(prune_kwargs)
    pseed = int(child_seed(seed, "prune").integers(2**31))
    res = prune(conn, seed=pseed, callback=cb if wanted else None, **kw)
    hist = res.history.copy()
    hist["seed"] = seed
    final = res.connectivity
    final.provenance = dict(final.provenance, method="lnp")
    return {"history": hist, "original": res.original, "final": final, "snapshots": keep,
            "stopped_early": res.stopped_early, "converged": res.converged,
            "message": res.message, "seconds": time.perf_counter() - t0}


def rate_spectrum(conn, seed, lyap_kwargs=None):
    """Lyapunov spectrum (1/s, descending) of the rate surrogate of ``conn``."""
    from ..dynamics import rate_lyapunov
    from ..pruning.timescales import surrogate_kwargs

    kw = surrogate_kwargs(conn, dict(lyap_kwargs or {}))
    res = rate_lyapunov(conn, seed=seed, **kw)
    return np.asarray(res.exponents, dtype=float)


def fresh_runtime(dt=1e-4):
    """A fresh runtime Brian2 session with default clock step ``dt`` (second)."""
    from ..models.devices import start_session

    start_session("runtime", dt=dt)


def brian_rates(model, N, seed, conn, duration=0.5, n_inputs=None, overrides=None, dt=1e-4):
    """Firing rate (Hz) of every neuron of ``conn`` under the background Poisson input.

    The model is built from the file (same seed -> same network), ``conn`` is
    written into it, and it runs ``duration`` seconds on the runtime device
    with STDP off. Used as the activity measure of activity pruning.
    """
    import brian2 as b2

    from ..models.network import build_model

    fresh_runtime(dt)
    net = build_model(model, N=N, seed=seed, n_inputs=n_inputs, plasticity=False,
                      **(overrides or {}))
    net.apply(conn)
    net.run(duration * b2.second)
    return net.spike_counts() / float(duration)


def stdp_trained_connectivity(model, N, seed, conn=None, duration=1.0, n_inputs=None,
                              overrides=None, dt=1e-4):
    """The network after ``duration`` seconds of STDP under the background Poisson input.

    Runtime device. ``conn`` (e.g. a pruned network) is written in first.
    Returns the exported Connectivity (weights after STDP).
    """
    import brian2 as b2

    from ..models.network import build_model

    fresh_runtime(dt)
    net = build_model(model, N=N, seed=seed, n_inputs=n_inputs, plasticity=True,
                      **(overrides or {}))
    if conn is not None:
        net.apply(conn)
    net.run(duration * b2.second)
    out = net.export()
    out.provenance = dict(out.provenance, stdp_seconds=float(duration))
    return out


def evaluate_row(model, task, N, seed, pruning=None, label=None, device="runtime",
                 eval_kwargs=None):
    """One row of :func:`brian2_lnp.tasks.evaluate.evaluate`.

    ``pruning`` is None or a Connectivity of the same generated network
    (same model, N and seed). ``label`` fills the ``pruning`` column. On a
    standalone device the project goes to a temporary directory that is removed
    afterwards, unless ``eval_kwargs`` names a ``build_dir``.
    """
    from ..tasks.evaluate import evaluate

    kw = dict(eval_kwargs or {})
    if kw.get("build_dir") is not None:
        row = evaluate(model, task=task, N=N, pruning=pruning, device=device, seed=seed, **kw)
    else:
        with build_directory(device, "lnp_standalone_") as build_dir:
            if build_dir is not None:
                kw["build_dir"] = build_dir
            row = evaluate(model, task=task, N=N, pruning=pruning, device=device, seed=seed,
                           **kw)
    if label is not None:
        row["pruning"] = label
    return row


def activity_repeat(model, task, N, seed, fraction=0.1, max_iterations=5, tolerance=0.9,
                    rate_duration=0.5, device="runtime", eval_kwargs=None):
    """Activity pruning (000 A.3) of one generated network on a prediction task.

    Activity: firing rates under the background input (:func:`brian_rates`);
    score: NRMSE of :func:`evaluate_row` (STDP-trained and evaluated from the
    model file each time, i.e. "retrain" after every pruning); stop at
    ``max_iterations`` or when NRMSE exceeds baseline / ``tolerance``.

    Returns
    -------
    dict
        ``history`` (DataFrame: iteration, neurons, synapses, n_pruned, score,
        accepted, seed), ``final`` (Connectivity), ``stop_reason``,
        ``rows`` (evaluate rows of every candidate), ``seconds``.
    """
    from ..pruning import activity_prune

    t0 = time.perf_counter()
    n_in = task_inputs(task, (eval_kwargs or {}).get("channels_per_dim"))
    conn = make_connectivity(model, N=N, seed=seed, n_inputs=n_in)
    rows = []

    def activity(c):
        return brian_rates(model, N, seed, c, duration=rate_duration, n_inputs=n_in)

    def score(c):
        r = evaluate_row(model, task, N, seed, pruning=c, label="ap", device=device,
                         eval_kwargs=eval_kwargs)
        rows.append(r)
        return float(r["NRMSE"].iloc[0])

    final, rep = activity_prune(conn, activity, score, fraction=fraction,
                                max_iterations=max_iterations, tolerance=tolerance,
                                greater_is_better=False, seed=child_seed(seed, "ap"))
    hist = rep.history.copy()
    hist["seed"] = seed
    final.provenance = dict(final.provenance, method="ap")
    return {"history": hist, "final": final, "stop_reason": rep.stop_reason,
            "rows": pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(),
            "seconds": time.perf_counter() - t0}


def embed_in_model(original, other):
    """``other`` expressed on ``original``'s synapse list, so it can be applied to the model.

    Brian2 objects cannot lose synapses; a network with different synapses
    (an Erdos-Renyi control) is written as: every original synapse inactive,
    ``other``'s effective synapses appended, ``other``'s neuron mask and tau_m.
    """
    pre, post, w = other.pre[other.effective], other.post[other.effective], \
        other.w[other.effective]
    base = original.replace(synapse_active=np.zeros(original.n_synapses, dtype=bool),
                            neuron_active=other.neuron_active.copy(),
                            tau_m=other.tau_m.copy())
    out = base.add_synapses(pre, post, w)
    out.provenance = dict(other.provenance)
    return out


def er_control(original, lnp_conn, seed, match_types=False):
    """The Erdos-Renyi control of 000 Fig. 3(c) for one LNP network, embedded in the model.

    Same number of active neurons and effective synapses as ``lnp_conn``
    (:func:`brian2_lnp.pruning.random_er`), neurons drawn at random (with
    ``match_types``: as many excitatory ones as ``lnp_conn`` has active, the rest
    inhibitory), weights resampled from ``original``.
    """
    from ..graph import EXCITATORY
    from ..pruning import random_er

    n_exc = (int(np.count_nonzero(lnp_conn.types[lnp_conn.neuron_active] == EXCITATORY))
             if match_types else None)
    g = random_er(original, lnp_conn.n_active_neurons, lnp_conn.n_active_synapses, seed=seed,
                  weights_from=original, n_excitatory=n_exc)
    g.provenance = dict(g.provenance, method="random_er")
    return embed_in_model(original, g)


def build_models(model, N, seed, nets, n_inputs, device, dt, build_dir=None):
    """Label -> SpikingNetwork: every network of ``nets`` built on one fresh device session.

    ``nets`` maps labels to a Connectivity of the generated network (written in
    with ``apply``) or None (unpruned). Models are plastic (STDP-trainable) and
    not yet run, ready for :func:`brian2_lnp.tasks.evaluate_models` (on
    cpp_standalone all of them form one compiled program).
    """
    from ..models.devices import start_session
    from ..models.network import build_model

    start_session(device, directory=build_dir, dt=dt)
    models = {}
    for label, conn in nets.items():
        m = build_model(model, N=N, seed=seed, n_inputs=n_inputs, plasticity=True)
        if conn is not None:
            m.apply(conn)
        models[label] = m
    return models


#: evaluate() options of --quick task runs: shorter STDP training, readout fitting
#: stretch and prediction windows than the paper's 500-step context / 100-step forecast
QUICK_EVAL = {"stdp_steps": 100, "n_context": 200, "n_predict": 50, "washout": 20,
              "n_fit": 300}


def task_field(text):
    """One ``key=value`` task field from the command line (value as int, float or str).

    Used as the argparse ``type`` of the protocols' ``--fields`` option.
    """
    key, _, value = str(text).partition("=")
    if not key or not value:
        raise ValueError(f"--fields: expected key=value, got {text!r}")
    for conv in (int, float):
        try:
            return key, conv(value)
        except ValueError:
            pass
    return key, value


def eval_options(quick, **extra):
    """``evaluate`` keyword arguments for quick or paper-scale runs (paper scale: the
    task's defaults, see :mod:`brian2_lnp.tasks.specs`)."""
    kw = dict(QUICK_EVAL) if quick else {}
    kw.update(extra)
    return kw
