"""One call: run a model (unpruned or pruned) on a task and get a pandas row.

``evaluate(model_or_path, task="lorenz63", N=..., pruning=None | Connectivity | "lnp",
training="stdp" | "none", device="runtime" | "cpp_standalone", seed=...)`` builds (or
takes) the model, prunes it, trains the recurrent layer with STDP on the task's
encoded training input, freezes it, runs the task protocol, and returns a
one-row DataFrame: the model, pruning, training, the settings used (named in
the row), SOPs (000 Eq. 10, from the real SpikeMonitor, counted over the
evaluation run only), NRMSE and VPT with their yardsticks (persistence, the
same ridge on the raw input, a linear autoregression whose order is chosen on
the validation split, and the paper's per-window readout on the same spikes)
or accuracy with chance and a ridge on the (pooled) pixels.

The task is a name of :data:`~brian2_lnp.tasks.specs.TASKS` or a
:class:`~brian2_lnp.tasks.specs.Task`; any field of its parts can be given as a
keyword (``n_context=200``, ``fraction=0.1``, ``readout=ReadoutSpec.paper()``),
and the keyword names of earlier versions (``readout_fraction``,
``readout_fit``, ``n_readout_fit``, ``readout_kwargs``, ``n_train_images`` ...)
are still accepted.

On cpp_standalone, training and evaluation form one compiled program (see
:func:`~brian2_lnp.models.devices.deferred_build`); closed-loop prediction
needs the runtime device (the forecast is fed back as input during the run).
"""
from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from ..graph import Connectivity
from ..metrics.sops import sops as count_sops
from ..models.devices import deferred_build
from ..random import child_seed
from ..validation import check_choice, check_int
from .baselines import autoregressive_baseline, pixel_baselines
from .classification import pool_images, present_images, run_classification
from .common import base_seed, now, snap
from .prediction import (Scoring, analyse_prediction, present_series, raw_input_baseline,
                         run_prediction)
from .readout import select_readout_neurons
from .specs import TASKS, ReadoutSpec, get_task, readout_kwargs_fields, task_names
from .training import train_stdp

__all__ = ["evaluate", "evaluate_models", "RunOptions", "PREDICTION_TASKS", "IMAGE_TASKS",
           "LYAPUNOV_EXPONENTS", "ROW_COLUMNS", "LEGACY_KEYWORDS"]

logger = logging.getLogger(__name__)

PREDICTION_TASKS = task_names("series")
IMAGE_TASKS = task_names("images")
#: largest Lyapunov exponents (per time unit) for VPT in Lyapunov times
LYAPUNOV_EXPONENTS = {n: t.data.lyapunov_exponent for n, t in TASKS.items()
                      if t.data.lyapunov_exponent is not None}
ROW_COLUMNS = ("model", "N", "task", "pruning", "training", "readout", "readout_inputs", "target",
               "readout_fit", "device", "seed", "SOPs",
               "spikes", "eval_time_s", "NRMSE", "VPT", "VPT_lyapunov", "NRMSE_persistence",
               "VPT_persistence", "NRMSE_raw_input", "NRMSE_closed_loop", "VPT_closed_loop",
               "VPT_closed_loop_lyapunov", "accuracy", "n_active_neurons",
               "n_effective_synapses", "wall_s",
               # yardsticks added with the task objects
               "NRMSE_autoregressive", "VPT_autoregressive", "autoregressive_lags",
               "NRMSE_paper_readout", "VPT_paper_readout", "accuracy_chance", "accuracy_pixels",
               # the settings of the row
               "readout_spec", "encoding", "protocol", "settings")

#: keyword names of earlier versions -> field names of the task's parts
LEGACY_KEYWORDS = {"readout_fraction": "fraction", "readout_inputs": "inputs",
                   "readout_fit": "fit", "n_readout_fit": "n_fit",
                   "raw_baseline_lags": "raw_lags", "n_train_images": "n_train",
                   "n_test_images": "n_test", "image_max_rate": "max_rate",
                   "task_kwargs": "data_kwargs"}


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How a model file is built and run (not part of the task).

    Parameters
    ----------
    build_dir : str, optional
        Standalone build directory (default: a new temporary one).
    codegen : {"cython", "numpy"}, optional
        Runtime code generation (default: Cython when a compiler works).
    model_overrides : dict, optional
        Passed to :func:`~brian2_lnp.models.network.build_model`.
    prune_kwargs : dict, optional
        Passed to :func:`~brian2_lnp.pruning.prune` for ``pruning="lnp"``
        (default ``iterations=100`` as in the paper).
    """

    build_dir: str | None = None
    codegen: str | None = None
    model_overrides: dict | None = None
    prune_kwargs: dict | None = None

    def __post_init__(self):
        if self.codegen is not None:
            check_choice("codegen", self.codegen, {"cython", "numpy"})


def _resolve(task, options, fields):
    """(Task, RunOptions) from a task name or object, run options and keyword fields."""
    run_kw = {k: fields.pop(k) for k in ("build_dir", "codegen", "model_overrides",
                                         "prune_kwargs") if k in fields}
    options = dataclasses.replace(options or RunOptions(), **run_kw)
    out = {}
    for key, value in fields.items():
        if key == "readout" and isinstance(value, str):
            out["kind"] = value
        elif key == "readout_kwargs":
            out.update(readout_kwargs_fields(value))
        else:
            out[LEGACY_KEYWORDS.get(key, key)] = value
    if "data_kwargs" in out and out["data_kwargs"] is None:
        out["data_kwargs"] = {}
    return get_task(task, **out), options


def evaluate(model_or_path, task="lorenz63", *, N=None, pruning=None, training="stdp",
             device="runtime", seed=0, options=None, return_details=False, **fields):
    """Run a model on a task and return one pandas row.

    Parameters
    ----------
    model_or_path : SpikingNetwork or str or path
        A built model (used as is, on its device), or a model file / packaged
        name (``"hrsnn"``, ``"models/hrsnn_small.yaml"``) built here with
        ``N``, ``seed`` and the task's number of input channels.
    task : str or Task
        A name of :data:`~brian2_lnp.tasks.specs.TASKS` ("lorenz63", "rossler",
        "lorenz96", "google_stock", "wind_speed", "mnist5k", "fashion_mnist")
        or a :class:`~brian2_lnp.tasks.specs.Task`.
    N : int, optional
        Neurons (when building from a file).
    pruning : None, Connectivity or "lnp"
        None: unpruned. A Connectivity: written into the model
        (``model.apply``). "lnp": :func:`brian2_lnp.pruning.prune` with
        ``options.prune_kwargs``.
    training : {"stdp", "none"}
        "stdp": STDP on the first ``stdp_steps`` training steps (or the
        training images), then frozen.
    device : {"runtime", "cpp_standalone", "genn"}
        Used when building from a file (a fresh device session is started).
    seed : int
    options : RunOptions, optional
        Build directory, code generation, model overrides, pruning options.
    return_details : bool
        Also return the protocol result and the model: ``(row, result, model)``.
    **fields
        Fields of the task's parts to replace (see :meth:`Task.replace`), the
        run options by name, or the keyword names of earlier versions
        (:data:`LEGACY_KEYWORDS`, ``readout="ridge"|"mlp"``, ``readout_kwargs``).

    Returns
    -------
    pandas.DataFrame
        One row with the columns :data:`ROW_COLUMNS` (NaN where not applicable).
    """
    wall0 = time.perf_counter()
    spec, options = _resolve(task, options, fields)
    seed = _check_args(training, device, seed, pruning)
    spec, data = _task_data(spec)
    model, name, device = _model_for(model_or_path, spec, data["n_inputs"], N, seed, device,
                                     training, options)
    _check_model(model, spec, data, training)
    pruning_name = _prune(model, pruning, seed, options.prune_kwargs)
    job = _Job(model, name, pruning_name, device)
    with deferred_build(model):
        _record(job, spec, data, seed, training)
    out = _score(job, spec, data, seed, training, wall0)
    return (out, job.result, model) if return_details else out


def evaluate_models(models, task="lorenz63", *, training="stdp", seed=0, **fields):
    """Run several built models on one task in one program; one row per model.

    On cpp_standalone (or genn) every model's runs (STDP, fitting stretch,
    evaluation) are recorded first and the device builds and runs them as
    **one** compiled program; the rows are scored afterwards. On the runtime
    device the models simply run one after the other. Each model gets the same
    task input (the same seeds) as :func:`evaluate` would give it.

    Parameters
    ----------
    models : dict
        Row label (the ``pruning`` column) -> SpikingNetwork, all built on the
        active device with the task's number of input channels, pruned (e.g.
        with ``apply``) and not yet run.
    task : str or Task
    training : {"stdp", "none"}
    seed : int
    **fields
        Fields of the task's parts to replace, as in :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        One row per model (columns :data:`ROW_COLUMNS`; ``wall_s`` is the
        wall time of the whole call).
    """
    import pandas as pd

    from ..models.devices import current_device_name

    wall0 = time.perf_counter()
    spec, _ = _resolve(task, None, fields)
    seed = _check_args(training, "runtime", seed, None)
    if not models:
        raise ValueError("models: give at least one model")
    spec, data = _task_data(spec)
    jobs = []
    for label, model in models.items():
        _check_model(model, spec, data, training)
        jobs.append(_Job(model, model.spec.model, str(label), current_device_name()))
    with deferred_build():
        for job in jobs:
            _record(job, spec, data, seed, training)
    return pd.concat([_score(job, spec, data, seed, training, wall0) for job in jobs],
                     ignore_index=True)


@dataclasses.dataclass
class _Job:
    """One model's evaluation: what was recorded before the (standalone) build."""

    model: object
    name: str
    pruning: str
    device: str
    conn: Connectivity | None = None
    state: dict | None = None
    result: object = None


def _check_model(model, spec, data, training):
    have = None if model.inputs is None else model.inputs.n_channels
    if spec.is_prediction and have != data["n_inputs"]:
        d = data["train"].shape[1]
        raise ValueError(f"channels_per_dim: the task needs {data['n_inputs']} input channels "
                         f"({spec.encoding.channels_per_dim} per dimension x {d}), the model "
                         f"has {have}; build it with n_inputs={data['n_inputs']} or pass "
                         f"channels_per_dim={have // d if have else 1}")
    if training == "stdp" and not model.plasticity:
        raise ValueError("training: 'stdp' needs a model built with plasticity=True")


def _record(job, spec, data, seed, training):
    """Schedule (standalone) or run (runtime) the training and task presentation."""
    job.conn = job.model.export()
    part = _present_prediction if spec.is_prediction else _present_images
    job.state = part(job.model, spec, data, job.conn, seed, training)


def _score(job, spec, data, seed, training, wall0):
    """The row of a recorded (and, on standalone, built) job."""
    import pandas as pd

    model, conn = job.model, job.conn
    row = {c: np.nan for c in ROW_COLUMNS}
    row.update(model=job.name, N=conn.N, task=spec.name, pruning=job.pruning,
               training=training, readout=spec.readout.kind, device=job.device, seed=seed,
               n_active_neurons=int(conn.n_active_neurons),
               n_effective_synapses=int(np.count_nonzero(conn.effective)),
               **_settings(spec, data.get("carve")))
    part = _score_prediction if spec.is_prediction else _score_images
    res, t_eval, values = part(model, spec, data, conn, seed, job.state)
    job.result = res
    row.update(values)
    i, t = model.spike_trains()
    sel = t >= t_eval - 1e-12   # SOPs over the evaluation run only (000 Eq. 10)
    row["SOPs"] = count_sops(np.bincount(i[sel], minlength=conn.N), model.export())
    row["spikes"] = int(sel.sum())
    row["eval_time_s"] = float(res.sim_time)
    row["wall_s"] = time.perf_counter() - wall0
    return pd.DataFrame([row], columns=list(ROW_COLUMNS))


def _check_args(training, device, seed, pruning):
    """Check the run arguments; return the seed (an int; drawn when None)."""
    check_choice("training", training, {"stdp", "none"})
    check_choice("device", device, {"runtime", "cpp_standalone", "genn"})
    if isinstance(pruning, str):
        check_choice("pruning", pruning, {"lnp"})
    elif pruning is not None and not isinstance(pruning, Connectivity):
        raise TypeError(f"pruning: expected None, a Connectivity or 'lnp', got "
                        f"{type(pruning).__name__}")
    return check_int("seed", seed, 0) if seed is not None else base_seed(None)


def _settings(spec, carve=None):
    """The row's setting columns: what was used, and whether it is the validated default.

    ``carve``: the description of a carved validation part (None: the data's own split).
    """
    enc, proto = spec.encoding, spec.protocol
    default = TASKS[spec.name] if spec.name in TASKS else None
    default_readout = default.readout if default is not None else None
    if spec.is_prediction:
        if carve and default is not None and default.validation_carve is not None:
            # the registered defaults of a carved run: the carve's fitting stretch
            fit = {k: v for k, v in default.validation_carve.stretch.items() if k == "n_fit"}
            default_readout = dataclasses.replace(default.readout, **fit)
        encoding = f"{enc.channels_per_dim} ch/dim {enc.coding}, {enc.r_max:g} Hz, {enc.step:g} s"
        split = f"{proto.split} ({carve})" if carve else proto.split
        protocol = (f"{split}: {proto.n_windows} x ({proto.n_context} context + "
                    f"{proto.n_predict} predicted), washout {proto.washout}, STDP "
                    f"{proto.stdp_steps} steps"
                    + (f", fit {spec.readout.n_fit} steps" if spec.readout.fit == "train" else "")
                    + f", raw-input lags {spec.readout.raw_lags}")
        extra = dict(readout_inputs=spec.readout.inputs, target=spec.readout.target,
                     readout_fit=spec.readout.fit)
    else:
        encoding = f"pool {enc.pool}, {enc.max_rate:g} Hz"
        protocol = (f"{proto.n_train} train / {proto.n_test} test images, "
                    f"{proto.presentation:g} s + {proto.silence:g} s")
        extra = {}
    same = default is not None and (default_readout, default.encoding) == (spec.readout,
                                                                           spec.encoding)
    settings = f"defaults ({default.defaults_from})" if same else "given"
    return dict(readout_spec=spec.readout.label, encoding=encoding, protocol=protocol,
                settings=settings, **extra)


def _task_data(spec):
    """(task as run, the arrays it needs and the model's number of input channels).

    The task as run differs from ``spec`` only for ``split="validation"`` on a series
    without a validation part: :meth:`~brian2_lnp.tasks.specs.Task.load_data` carves it.
    """
    run, data = spec.load_data()
    if not spec.is_prediction:
        p = spec.protocol
        (Xtr, ytr), (Xte, yte) = data.train, data.test
        max_int = 255.0 if np.asarray(Xtr[0]).dtype.kind in "iu" else None
        Xtr = pool_images(Xtr[:p.n_train], spec.encoding.pool)
        Xte = pool_images(Xte[:p.n_test], spec.encoding.pool)
        return spec, {"train": (Xtr, ytr[:p.n_train]), "test": (Xte, yte[:p.n_test]),
                      "max_intensity": float(Xtr.max()) if max_int is None else max_int,
                      "n_inputs": int(np.prod(Xtr.shape[1:]))}
    spec = run
    data = data.normalised()
    part, proto = spec.protocol.split, spec.protocol
    if len(data.part(part)) < proto.n_steps:  # say so before any simulation runs
        raise ValueError(f"n_context, n_windows, n_predict: the {part} part of {spec.name!r} "
                         f"has {len(data.part(part))} steps, the protocol needs n_context + "
                         f"n_windows * n_predict = {proto.n_steps}")
    train = np.asarray(data.train)
    val = np.asarray(data.part("validation")) if len(data.part("validation")) else None
    return spec, {"train": train, "validation": val,
                  "eval": np.asarray(data.part(spec.protocol.split)), "dt_series": data.step,
                  "n_inputs": spec.encoding.channels_per_dim * train.shape[1],
                  "carve": data.metadata.get("validation_carve")}


def _model_for(model_or_path, spec, n_in, N, seed, device, training, options):
    """(model, name, device): built from a file on a fresh device session, or as given."""
    if not (isinstance(model_or_path, (str, bytes)) or hasattr(model_or_path, "__fspath__")):
        from ..models.devices import current_device_name

        if not all(hasattr(model_or_path, a) for a in ("spec", "export", "apply")):
            hint = (" (a Connectivity is a pruning result: pass it as pruning= with the "
                    "model it came from)" if type(model_or_path).__name__ == "Connectivity"
                    else "")
            raise TypeError(f"model_or_path: expected a model file, a packaged model name or "
                            f"a built SpikingNetwork, got {type(model_or_path).__name__}{hint}")
        if N is not None and N != model_or_path.spec.N:
            raise ValueError(f"N: the given model has N = {model_or_path.spec.N}, got N = {N} "
                             "(N only applies when a model file is built)")
        return model_or_path, model_or_path.spec.model, current_device_name()
    import brian2 as b2

    from ..models.devices import start_session
    from ..models.network import build_model

    start_session(device, directory=options.build_dir, codegen=options.codegen)
    b2.defaultclock.dt = spec.encoding.dt * b2.second
    model = build_model(model_or_path, N=N, seed=seed, n_inputs=n_in,
                        plasticity=(training == "stdp"), **(options.model_overrides or {}))
    return model, str(model_or_path), device


def _check_same_origin(model, pruning):
    """A pruned Connectivity must come from the network it is applied to (same model and
    generation seed, as both provenances record them); say so before apply() would
    report a structure mismatch."""
    theirs = pruning.provenance if isinstance(pruning.provenance, dict) else {}
    mine = model.export().provenance
    mine = mine if isinstance(mine, dict) else {}
    for key in ("model", "seed", "seed_stream"):
        if theirs.get(key) is not None and mine.get(key) is not None \
                and str(theirs[key]) != str(mine[key]):
            raise ValueError(
                f"pruning: this Connectivity was made from a network with {key}="
                f"{theirs[key]!r} (its provenance), but the model has {key}={mine[key]!r}; "
                f"evaluate it with the same {key}")


def _prune(model, pruning, seed, prune_kwargs):
    """Prune the model in place (before any run) and return the row's pruning name."""
    if pruning is None:
        return "none"
    if isinstance(pruning, Connectivity):
        _check_same_origin(model, pruning)
        model.apply(pruning)
        prov = pruning.provenance
        return prov.get("method", "connectivity") if isinstance(prov, dict) else "connectivity"
    from ..pruning import prune

    kw = {"iterations": 100, "seed": child_seed(seed, "prune")}
    kw.update(prune_kwargs or {})
    prune(model, **kw)
    return "lnp"


def _present_prediction(model, spec, data, conn, seed, training):
    """Train and present one prediction task (no build); the state the scoring needs."""
    from ..models.devices import is_standalone

    ro, proto = spec.readout, spec.protocol
    train, series = data["train"], data["eval"]
    if proto.closed_loop and is_standalone():
        raise NotImplementedError(
            "closed_loop: runtime device only - the forecast of each step is the input of "
            "the next, and cpp_standalone/genn compile their input before the run")
    if proto.closed_loop and ro.fit == "train":
        raise NotImplementedError(
            "closed_loop: only with the per-window readout; pass readout_fit='window' (or "
            "readout=ReadoutSpec.paper())")
    state = {"neurons": select_readout_neurons(conn, fraction=ro.fraction),
             "enc": spec.encoding.fit(train),
             "fit_series": _fit_stretch(train, ro, proto, training), "t_eval": None}
    enc = state["enc"]
    if training == "stdp":
        train_stdp(model, train[:proto.stdp_steps], encoding=enc,
                   seed=child_seed(seed, "stdp"), freeze_after=True)
    if state["fit_series"] is not None:
        state["t_fit"] = present_series(model, state["fit_series"], enc,
                                        seed=child_seed(seed, "fit"))
    if not proto.closed_loop:
        state["t_eval"] = present_series(model, series[:proto.n_steps], enc,
                                         seed=child_seed(seed, "input", 0))
    return state


def _score_prediction(model, spec, data, conn, seed, state):
    """Score and baseline one presented prediction task; (result, t_eval, row values)."""
    ro, proto = spec.readout, spec.protocol
    series, enc, fit_series = data["eval"], state["enc"], state["fit_series"]
    common = _protocol_kwargs(spec, data, seed, state["neurons"])
    if proto.closed_loop:
        t_eval = snap(now(model), enc.dt)
        res = run_prediction(model, series, enc, **common)
    else:
        t_eval = state["t_eval"]
        fit_kw = ({} if fit_series is None
                  else {"fit_series": fit_series, "fit_t_start": state["t_fit"]})
        res = analyse_prediction(model, series, enc, t_eval, **common, **fit_kw)
    values = _prediction_values(res.metrics)
    values["NRMSE_raw_input"] = raw_input_baseline(
        series, readout=ro.kind, n_context=proto.n_context, n_predict=proto.n_predict,
        n_windows=proto.n_windows, washout=proto.washout, lags=ro.raw_lags, seed=seed,
        readout_kwargs=ro.readout_kwargs, fit_series=fit_series)[1]
    values.update(_yardsticks(model, spec, data, conn, seed, enc, t_eval))
    return res, t_eval, values


def _fit_stretch(train, ro, proto, training):
    """The training steps the fitted-once readout is fitted on (None: per window)."""
    if ro.fit != "train":
        return None
    s0 = proto.stdp_steps if training == "stdp" else 0
    out = train[s0:s0 + ro.n_fit]
    if out.shape[0] < ro.n_fit or ro.n_fit < proto.washout + 2:
        raise ValueError(f"n_fit (n_readout_fit): must lie in [{proto.washout + 2}, "
                         f"{max(train.shape[0] - s0, 0)}] (training steps after the "
                         f"{s0} STDP steps), got {ro.n_fit}")
    return out


def _protocol_kwargs(spec, data, seed, neurons, readout=None):
    return dict(protocol=spec.protocol, readout=readout or spec.readout, readout_neurons=neurons,
                seed=seed, scoring=Scoring(dt_series=data["dt_series"],
                                           lyapunov_exponent=spec.data.lyapunov_exponent))


def _prediction_values(m):
    return dict(NRMSE=m["nrmse_one_step"], VPT=m["vpt_one_step"],
                VPT_lyapunov=m.get("vpt_one_step_lyap", np.nan),
                NRMSE_persistence=m["nrmse_persistence"], VPT_persistence=m["vpt_persistence"],
                NRMSE_closed_loop=m.get("nrmse_closed_loop", np.nan),
                VPT_closed_loop=m.get("vpt_closed_loop", np.nan),
                VPT_closed_loop_lyapunov=m.get("vpt_closed_loop_lyap", np.nan))


def _yardsticks(model, spec, data, conn, seed, enc, t_eval):
    """Autoregression (order chosen on validation) and the paper's per-window readout."""
    proto = spec.protocol
    out = {}
    train, val = data["train"], data["validation"]
    if val is None or val.shape[0] <= 20:
        # no validation split (google_stock, wind_speed): the order is chosen on the task's
        # validation carve (its last V training steps; the last fifth for a task without a
        # carve, or a training part too short for it), the map fitted on the rest
        carve = spec.validation_carve
        n_val = (carve.steps if carve is not None and carve.fits(train.shape[0])
                 else train.shape[0] // 5)
        train, val = train[:-n_val], train[-n_val:]
    if val.shape[0] > 20:
        ar = autoregressive_baseline(train, val, data["eval"], proto,
                                     dt_series=data["dt_series"])
        out.update(NRMSE_autoregressive=ar["nrmse"], VPT_autoregressive=ar["vpt"],
                   autoregressive_lags=ar["lags"])
    paper = ReadoutSpec.paper(kind=spec.readout.kind)
    if spec.readout != paper and not proto.closed_loop:
        # the paper's readout (per window, top 10 %) on the same spikes, reported beside
        neurons = select_readout_neurons(conn, fraction=paper.fraction)
        m = analyse_prediction(model, data["eval"], enc, t_eval,
                               **_protocol_kwargs(spec, data, seed, neurons, paper)).metrics
        out.update(NRMSE_paper_readout=m["nrmse_one_step"], VPT_paper_readout=m["vpt_one_step"])
    return out


def _present_images(model, spec, data, conn, seed, training):
    """Train and present one image task (no build); the state the scoring needs."""
    enc, proto = spec.encoding, spec.protocol
    (Xtr, _), (Xte, _) = data["train"], data["test"]
    image_kw = dict(presentation=proto.presentation, silence=proto.silence,
                    max_rate=enc.max_rate, max_intensity=data["max_intensity"])
    if training == "stdp":
        train_stdp(model, freeze_after=True,
                   **_image_training_input(model, Xtr, image_kw, seed))
    t_eval = present_images(model, np.concatenate([Xtr, Xte]),
                            seed=child_seed(seed, "images"), run=True, **image_kw)
    return {"image_kw": image_kw, "t_eval": t_eval,
            "neurons": select_readout_neurons(conn, fraction=spec.readout.fraction)}


def _score_images(model, spec, data, conn, seed, state):
    """Score and baseline one presented image task; (result, t_eval, row values)."""
    (Xtr, ytr), (Xte, yte) = data["train"], data["test"]
    res = run_classification(model, (Xtr, ytr), (Xte, yte), readout=spec.readout,
                             readout_neurons=state["neurons"], seed=seed,
                             t_start=state["t_eval"], **state["image_kw"])
    chance, pixels = pixel_baselines((Xtr, ytr), (Xte, yte), seed=seed)
    return res, state["t_eval"], {"accuracy": res.accuracy, "accuracy_chance": chance,
                                  "accuracy_pixels": pixels}


def _image_training_input(model, X, image_kw, seed):
    """Encoded training images for STDP: ``inputs`` and ``duration`` for train_stdp."""
    from ..models.encoders import encode_images

    X = np.asarray(X, dtype=float).reshape(len(X), 1, -1)
    tr = encode_images(X, float(model.dt), max_rate=image_kw["max_rate"],
                       duration=image_kw["presentation"], silence=image_kw["silence"],
                       max_intensity=image_kw["max_intensity"],
                       seed=child_seed(seed, "stdp_images"))
    return {"inputs": tr, "duration": tr.duration}
