"""One call: run a model (unpruned or pruned) on a task and get a pandas row.

``evaluate(model_or_path, task="lorenz63", N=..., pruning=None | Connectivity | "lnp",
training="stdp" | "none", readout="ridge" | "mlp", device="runtime" | "cpp_standalone",
seed=...)`` builds (or takes) the model, prunes it, trains the recurrent layer
with STDP on the task's encoded training input, freezes it, runs the task
protocol, and returns a one-row DataFrame with the model, pruning, training,
SOPs (000 Eq. 10, from the real SpikeMonitor, counted over the evaluation
run only), NRMSE and VPT (prediction tasks) or accuracy (image tasks), and
the seed.

On cpp_standalone, training and evaluation form one compiled program (see
:func:`~brian2_lnp.tasks.prediction.deferred_build`); closed-loop prediction
needs the runtime device.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..graph import Connectivity
from ..metrics.sops import sops as count_sops
from ..random import child_seed
from ..validation import check_choice, check_int
from .classification import pool_images, present_images, run_classification
from .prediction import (DEFAULT_TAUS, SeriesEncoding, _base_seed, _now, analyse_prediction,
                         deferred_build, present_series, raw_input_baseline, run_prediction)
from .readout import select_readout_neurons
from .training import train_stdp

__all__ = ["evaluate", "PREDICTION_TASKS", "IMAGE_TASKS", "LYAPUNOV_EXPONENTS", "ROW_COLUMNS"]

logger = logging.getLogger(__name__)

PREDICTION_TASKS = ("lorenz63", "rossler", "lorenz96", "google_stock", "wind_speed")
IMAGE_TASKS = ("mnist5k", "fashion_mnist")
#: largest Lyapunov exponents (per time unit) for VPT in Lyapunov times; Lorenz-63
#: 0.906 (Sprott 2003), Rossler a=b=0.2, c=5.7: 0.0714 (Sprott 2003)
LYAPUNOV_EXPONENTS = {"lorenz63": 0.906, "rossler": 0.0714}
ROW_COLUMNS = ("model", "N", "task", "pruning", "training", "readout", "readout_inputs", "target",
               "readout_fit", "device", "seed", "SOPs",
               "spikes", "eval_time_s", "NRMSE", "VPT", "VPT_lyapunov", "NRMSE_persistence",
               "VPT_persistence", "NRMSE_raw_input", "NRMSE_closed_loop", "VPT_closed_loop",
               "VPT_closed_loop_lyapunov", "accuracy", "n_active_neurons",
               "n_effective_synapses", "wall_s")


def _load_task(task, task_kwargs):
    from .. import datasets

    return getattr(datasets, task)(**(task_kwargs or {}))


def _setup_device(device, directory, codegen):
    import brian2 as b2

    from ..models.devices import use_device

    b2.device.reinit()
    b2.device.activate()
    b2.start_scope()
    if device == "runtime":
        use_device("runtime", codegen=codegen)
    else:
        use_device(device, directory=directory)


def evaluate(model_or_path, task="lorenz63", *, N=None, pruning=None, training="stdp",
             readout="ridge", device="runtime", seed=0, closed_loop=False, n_context=500,
             n_predict=100, n_windows=1, washout=50, split="test", step=0.02, dt=1e-4,
             channels_per_dim=10, coding="population", r_max=1600.0, taus=DEFAULT_TAUS,
             readout_fraction=0.1, stdp_steps=500, n_train_images=500, n_test_images=200,
             pool=1, image_max_rate=100.0, presentation=0.1, silence=0.1, task_kwargs=None,
             prune_kwargs=None, model_overrides=None, build_dir=None, raw_baseline_lags=1,
             codegen=None, return_details=False, readout_inputs="network", target="value",
             readout_fit="window", n_readout_fit=5000, readout_kwargs=None):
    """Run a model on a task and return one pandas row.

    Parameters
    ----------
    model_or_path : SpikingNetwork or str or path
        A built model (used as is, on its device), or a model file / packaged
        name (``"hrsnn"``, ``"models/hrsnn_small.yaml"``) built here with
        ``N``, ``seed`` and the task's number of input channels.
    task : str
        Prediction: "lorenz63", "rossler", "lorenz96", "google_stock",
        "wind_speed". Classification: "mnist5k", "fashion_mnist".
    N : int, optional
        Neurons (when building from a file).
    pruning : None, Connectivity or "lnp"
        None: unpruned. A Connectivity: written into the model
        (``model.apply``). "lnp": :func:`brian2_lnp.pruning.prune` on the
        model with ``prune_kwargs`` (default ``iterations=100`` as in the paper).
    training : {"stdp", "none"}
        "stdp": STDP on the first ``stdp_steps`` steps of the training part
        (or ``n_train_images`` training images), then frozen.
    readout : {"ridge", "mlp"}
    device : {"runtime", "cpp_standalone"}
        Used when building from a file (a fresh device session is started).
    seed : int
    closed_loop : bool
        Also run the autonomous forecast (runtime only).
    n_context, n_predict, n_windows, washout, split
        Prediction protocol on the z-scored ``split`` part (windows as in
        :func:`~brian2_lnp.tasks.prediction.run_prediction`).
    step, dt : float
        Presentation time of one series step and simulation step (second).
    channels_per_dim, coding, r_max, taus, readout_fraction
        Encoding and features (:class:`SeriesEncoding`). ``r_max`` (Hz, peak
        rate of a channel) default 1600: the best of 800 / 1600 / 3200 on the
        Lorenz-63 validation split with N=1000 (benchmarks/acceptance_lorenz.py);
        it must not exceed 1/dt.
    stdp_steps : int
        Training steps presented with STDP on.
    n_train_images, n_test_images, pool, image_max_rate, presentation, silence
        Classification protocol (first images of the train/test parts).
    task_kwargs, prune_kwargs, model_overrides : dict, optional
        Passed to the data-set loader, ``prune`` and ``build_model``.
    build_dir : str, optional
        Standalone build directory.
    raw_baseline_lags : int
        Past values used by the raw-input readout baseline.
    codegen : {"cython", "numpy"}, optional
        Runtime code generation (default: Cython when a compiler works).
    return_details : bool
        Also return the protocol result (PredictionResult or
        ClassificationResult) and the model: ``(row, result, model)``.
    readout_inputs : {"network", "network+input"}
        Prediction readout on the network's features only (default, the
        paper's), or on the exact input value x(k) plus the features (the
        reservoir-computing readout with a direct input term); see
        :class:`~brian2_lnp.tasks.prediction.SeriesReadout`.
    target : {"value", "increment"}
        Prediction readout fitted to x(k+1) or to x(k+1) - x(k).
    readout_fit : {"window", "train"}
        "window" (default, 000 4.1): one readout per window, fitted on its
        ``n_context`` steps. "train": after STDP (and freezing), the training
        steps ``stdp_steps .. stdp_steps + n_readout_fit`` are presented and the
        readout is fitted once on them; the raw-input baseline is then fitted on
        the same steps.
    n_readout_fit : int
        Training steps presented for ``readout_fit="train"``.
    readout_kwargs : dict, optional
        Passed to the prediction readout and the raw-input baseline (e.g.
        ``{"alphas": (1.0,)}`` for a fixed ridge penalty).

    Returns
    -------
    pandas.DataFrame
        One row with the columns :data:`ROW_COLUMNS` (NaN where not applicable).
    """
    import brian2 as b2
    import pandas as pd

    from ..models.devices import current_device_name, is_standalone
    from ..models.network import build_model

    wall0 = time.perf_counter()
    all_tasks = PREDICTION_TASKS + IMAGE_TASKS
    check_choice("task", task, set(all_tasks))
    check_choice("training", training, {"stdp", "none"})
    check_choice("readout", readout, {"ridge", "mlp"})
    check_choice("readout_fit", readout_fit, {"window", "train"})
    check_choice("device", device, {"runtime", "cpp_standalone", "genn"})
    seed = check_int("seed", seed, 0) if seed is not None else _base_seed(None)
    if isinstance(pruning, str):
        check_choice("pruning", pruning, {"lnp"})
    elif pruning is not None and not isinstance(pruning, Connectivity):
        raise TypeError(f"pruning: expected None, a Connectivity or 'lnp', got "
                        f"{type(pruning).__name__}")
    data = _load_task(task, task_kwargs)
    is_images = task in IMAGE_TASKS
    if is_images:
        (Xtr, ytr), (Xte, yte) = data.train, data.test
        Xtr = pool_images(Xtr[:n_train_images], pool)
        Xte = pool_images(Xte[:n_test_images], pool)
        ytr, yte = ytr[:n_train_images], yte[:n_test_images]
        n_in = int(np.prod(Xtr.shape[1:]))
    else:
        data = data.normalised()
        train_series = np.asarray(data.train)
        eval_series = np.asarray(data.part(split))
        n_in = channels_per_dim * train_series.shape[1]

    if isinstance(model_or_path, (str, bytes)) or hasattr(model_or_path, "__fspath__"):
        _setup_device(device, build_dir, codegen)
        b2.defaultclock.dt = dt * b2.second
        model = build_model(model_or_path, N=N, seed=seed, n_inputs=n_in,
                            plasticity=(training == "stdp"), **(model_overrides or {}))
        model_name = str(model_or_path)
    else:
        model = model_or_path
        model_name = model.spec.model
        device = current_device_name()
        dt = float(model.dt)
    if training == "stdp" and not model.plasticity:
        raise ValueError("training: 'stdp' needs a model built with plasticity=True")

    # --- pruning (before any run: Brian2 objects are edited in place)
    if pruning is None:
        pruning_name = "none"
    elif isinstance(pruning, Connectivity):
        model.apply(pruning)
        pruning_name = pruning.provenance.get("method", "connectivity") if isinstance(
            pruning.provenance, dict) else "connectivity"
    else:
        from ..pruning import prune

        kw = {"iterations": 100, "seed": child_seed(seed, "prune")}
        kw.update(prune_kwargs or {})
        prune(model, **kw)
        pruning_name = "lnp"
    conn = model.export()
    neurons = select_readout_neurons(conn, fraction=readout_fraction)

    row = {c: np.nan for c in ROW_COLUMNS}
    row.update(model=model_name, N=conn.N, task=task, pruning=pruning_name, training=training,
               readout=readout, device=device, seed=seed,
               readout_inputs=np.nan if is_images else readout_inputs,
               target=np.nan if is_images else target,
               readout_fit=np.nan if is_images else readout_fit,
               n_active_neurons=int(conn.n_active_neurons),
               n_effective_synapses=int(np.count_nonzero(conn.effective)))
    standalone = is_standalone()
    if closed_loop and standalone:
        raise NotImplementedError("closed_loop: runtime device only (see run_prediction)")

    if is_images:
        max_int = 255.0 if np.asarray(data.train[0]).dtype.kind in "iu" else float(Xtr.max())
        with deferred_build(model):
            if training == "stdp":
                train_stdp(model, freeze_after=True,
                           **_image_training_input(model, Xtr, presentation, silence,
                                                   image_max_rate, max_int, seed))
            t_eval = present_images(model, np.concatenate([Xtr, Xte]), presentation=presentation,
                                    silence=silence, max_rate=image_max_rate,
                                    max_intensity=max_int, seed=child_seed(seed, "images"),
                                    run=True)
        model._lnp_image_t0 = t_eval
        res = run_classification(model, (Xtr, ytr), (Xte, yte), presentation=presentation,
                                 silence=silence, max_rate=image_max_rate, max_intensity=max_int,
                                 readout=readout, readout_neurons=neurons, seed=seed,
                                 schedule=False)
        row["accuracy"] = res.accuracy
        eval_dur = res.sim_time
    else:
        enc = SeriesEncoding.fit(train_series, n_in, step=step, dt=dt, coding=coding, r_max=r_max)
        lyap = LYAPUNOV_EXPONENTS.get(task)
        common = dict(readout=readout, n_context=n_context, n_predict=n_predict,
                      n_windows=n_windows, washout=washout, taus=taus, readout_neurons=neurons,
                      dt_series=data.step, lyapunov_exponent=lyap, seed=seed,
                      readout_inputs=readout_inputs, target=target,
                      readout_kwargs=readout_kwargs)
        need = n_context + n_windows * n_predict
        fit_series = None
        if readout_fit == "train":
            if closed_loop:
                raise NotImplementedError("closed_loop: only with readout_fit='window'")
            n_readout_fit = check_int("n_readout_fit", n_readout_fit, washout + 2)
            s0 = stdp_steps if training == "stdp" else 0
            fit_series = train_series[s0:s0 + n_readout_fit]
            if fit_series.shape[0] < n_readout_fit:
                raise ValueError(f"n_readout_fit: the training part has only "
                                 f"{fit_series.shape[0]} steps after the STDP steps")
        with deferred_build(model):
            if training == "stdp":
                train_stdp(model, train_series[:stdp_steps], encoding=enc,
                           seed=child_seed(seed, "stdp"), freeze_after=True)
            if fit_series is not None:
                t_fit = present_series(model, fit_series, enc, seed=child_seed(seed, "fit"))
            if not closed_loop:
                t_eval = present_series(model, eval_series[:need], enc,
                                        seed=child_seed(seed, "input", 0))
        if closed_loop:
            t_eval = round(_now(model) / dt) * dt
            res = run_prediction(model, eval_series, enc, closed_loop=True, **common)
        else:
            fit_kw = ({} if fit_series is None
                      else {"fit_series": fit_series, "fit_t_start": t_fit})
            res = analyse_prediction(model, eval_series, enc, t_eval, **common, **fit_kw)
        m = res.metrics
        row.update(NRMSE=m["nrmse_one_step"], VPT=m["vpt_one_step"],
                   VPT_lyapunov=m.get("vpt_one_step_lyap", np.nan),
                   NRMSE_persistence=m["nrmse_persistence"], VPT_persistence=m["vpt_persistence"],
                   NRMSE_closed_loop=m.get("nrmse_closed_loop", np.nan),
                   VPT_closed_loop=m.get("vpt_closed_loop", np.nan),
                   VPT_closed_loop_lyapunov=m.get("vpt_closed_loop_lyap", np.nan))
        row["NRMSE_raw_input"] = raw_input_baseline(
            eval_series, readout=readout, n_context=n_context, n_predict=n_predict,
            n_windows=n_windows, washout=washout, lags=raw_baseline_lags, seed=seed,
            readout_kwargs=readout_kwargs, fit_series=fit_series)[1]
        eval_dur = res.sim_time
    # SOPs over the evaluation run only (training spikes excluded), 000 Eq. 10
    i, t = model.spike_trains()
    sel = t >= t_eval - 1e-12
    counts = np.bincount(i[sel], minlength=conn.N)
    row["SOPs"] = count_sops(counts, model.export())
    row["spikes"] = int(sel.sum())
    row["eval_time_s"] = float(eval_dur)
    row["wall_s"] = time.perf_counter() - wall0
    out = pd.DataFrame([row], columns=list(ROW_COLUMNS))
    return (out, res, model) if return_details else out


def _image_training_input(model, X, presentation, silence, max_rate, max_int, seed):
    """Encoded training images for STDP: ``inputs`` and ``duration`` for train_stdp."""
    from ..models.encoders import encode_images

    X = np.asarray(X, dtype=float).reshape(len(X), 1, -1)
    tr = encode_images(X, float(model.dt), max_rate=max_rate, duration=presentation,
                       silence=silence, max_intensity=max_int,
                       seed=child_seed(seed, "stdp_images"))
    return {"inputs": tr, "duration": tr.duration}
