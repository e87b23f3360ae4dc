"""Units of the study "LNP vs controls at the same cost" (docs/study_preregistration.md).

Two kinds of units, run through :func:`~brian2_lnp.protocols.runner.run_tasks`
(one result file per unit, resume):

* :func:`~brian2_lnp.protocols.units.lnp_repeat` once per model and seed
  (task-agnostic; keeps the snapshots Fig. 3(c) needs);
* :func:`study_task_unit` per model, seed and task: activity pruning chosen on
  the validation split, the two random controls matched to LNP's counts, and
  the test split scored once per network, every network of the unit in one
  :func:`~brian2_lnp.tasks.evaluate_models` call (one compiled program on
  cpp_standalone).

The exploration (docs/study_exploration_preregistration.md) uses
:func:`lnp_unit` per LNP variant and seed and :func:`validation_unit` per
variant and seed (the variant's network and its matched Random-ER control,
or the unpruned network), scored on the validation split only; both
studies score through :func:`score_networks` and store through
:class:`UnitRows`.

Every unit returns small pandas tables (no networks), so its rows can be
written to CSV and re-created exactly from the same arguments.
"""
from __future__ import annotations

import datetime
import inspect
import json
import io
import logging
import os
import subprocess
import time

import numpy as np
import pandas as pd

from ..graph import EXCITATORY
from ..random import check_seed_stream, child_seed, seed_stream
from .common import build_directory
from .runner import jsonable, load_result, run_tasks
from .units import activity_repeat, build_models, er_control, lnp_repeat, make_connectivity

__all__ = ["METHODS", "SNAPSHOT_ITERATIONS", "ap_defaults", "closed_loop_reason",
           "study_task_unit", "architecture", "STUDY_COLUMNS", "UnitRows", "UnitMismatch",
           "table_difference", "TIMING_COLUMNS", "lnp_outcome", "score_networks",
           "lnp_unit", "validation_unit", "VALIDATION_COLUMNS", "study_tables"]

logger = logging.getLogger(__name__)

#: the methods of the study, in table order
METHODS = ("Unpruned", "LNP", "AP", "Random-ER", "Random-prune")
#: LNP iterations whose network Fig. 3(c) scores (0 is the Unpruned row)
SNAPSHOT_ITERATIONS = (0, 1, 2, 5, 10, 20, 50, 100)
#: columns the study adds to every evaluate() row
STUDY_COLUMNS = ("architecture", "model_file", "method", "iteration", "failure",
                 "closed_loop_reason", "n_excitatory_active", "synapse_shortfall",
                 "lnp_iterations", "lnp_converged", "lnp_message", "lnp_seconds",
                 "ap_iterations", "ap_stop", "ap_validation_nrmse_unpruned",
                 "ap_validation_nrmse", "ap_settings", "task_spec", "unit_seconds")


def ap_defaults():
    """Activity pruning's library defaults (fraction, max_iterations, tolerance), read from
    :func:`brian2_lnp.pruning.activity_prune`'s signature."""
    from ..pruning import activity_prune

    p = inspect.signature(activity_prune).parameters
    return {k: p[k].default for k in ("fraction", "max_iterations", "tolerance")}


def lnp_outcome(lnp):
    """LNP's iterations, convergence, message and wall time from a
    :func:`~brian2_lnp.protocols.units.lnp_repeat` result (the rows' ``lnp_*`` columns)."""
    hist = lnp["history"]
    stage = hist.get("stage", pd.Series("iteration", index=hist.index)).fillna("iteration")
    it_rows = hist[stage == "iteration"]
    return {"lnp_iterations": int(it_rows["iteration"].max()) if len(it_rows) else 0,
            "lnp_converged": bool(lnp.get("converged", False)),
            "lnp_message": lnp.get("message", ""), "lnp_seconds": lnp.get("seconds")}


def closed_loop_reason(spec, device):
    """Why closed-loop VPT is not computed for ``spec`` on ``device`` ("" if it can be)."""
    if spec.readout.fit == "train":
        return ("closed loop needs the per-window readout (readout fit='window'); the "
                "task's registry readout is fitted once on the training stretch")
    if device != "runtime":
        return (f"closed loop runs on the runtime device only (NotImplementedError on "
                f"{device})")
    return ""


def _n_excitatory(conn):
    return int(np.count_nonzero(conn.types[conn.neuron_active] == EXCITATORY))


def _finish_rows(rows, constants, t0, columns):
    """A unit's rows completed: the unit's constant columns, its wall time since ``t0``,
    every column of ``columns`` (NaN if absent) and ``failure`` "" where none."""
    for k, v in constants.items():
        rows[k] = v
    seconds = time.perf_counter() - t0
    rows["unit_seconds"] = seconds
    for c in columns:
        if c not in rows:
            rows[c] = np.nan
    rows["failure"] = rows["failure"].fillna("")
    return rows.reset_index(drop=True), seconds


def _failure_row(architecture, model, task, N, seed, method, reason):
    """A row with every evaluate() column (NaN metrics) and the error in ``failure``."""
    from ..tasks.evaluate import ROW_COLUMNS

    row = dict.fromkeys(ROW_COLUMNS, np.nan)
    row.update(model=model, N=N, task=task, pruning=method, seed=seed,
               architecture=architecture, method=method, failure=reason)
    return pd.DataFrame([row])


def study_task_unit(model, architecture, task, N, seed, lnp_file, device="runtime",
                    fields=None, ap=None, fig3c=False, task_spec=None):
    """All methods of one model, seed and task; the test split scored once per network.

    Parameters
    ----------
    model : str
        Model file or packaged name.
    architecture : str
        Label of the row ("HRSNN", "CHRSNN").
    task : str
        Registered task; its registry defaults are read now (``fields`` replaces
        some, e.g. the shortened stretches of ``--quick``).
    N : int or None
    seed : int
        Network, task-input and STDP seed (see the amendment).
    lnp_file : str
        The stored result of :func:`~brian2_lnp.protocols.units.lnp_repeat` for
        this model and seed.
    device : str
        Device of the AP validation runs and of the test program.
    fields : dict, optional
        Task fields replaced (None: the registry defaults).
    ap : dict, optional
        ``fraction``, ``max_iterations``, ``tolerance`` of activity pruning
        (default :func:`ap_defaults`).
    fig3c : bool
        Also score LNP's snapshots and their Random-ER controls (Fig. 3(c)).
    task_spec : str, optional
        ``repr`` of the task (registry defaults with ``fields``) when the unit was
        planned; a different registry now is an error. Being a keyword argument,
        it is stored with the unit's result, so a unit made with other registry
        defaults is refused on resume instead of mixed in.

    Returns
    -------
    dict
        ``rows`` (DataFrame: one row per method, and per snapshot network with
        ``fig3c``), ``ap_history`` (DataFrame), ``seconds``.
    """
    from ..pruning import random_prune
    from ..tasks import get_task

    t0 = time.perf_counter()
    fields = dict(fields or {})
    spec = get_task(task, **fields)
    if task_spec is not None and repr(spec) != task_spec:
        raise ValueError(f"task_spec: the registry's task {task!r} changed since the unit was "
                         f"planned ({task_spec} -> {spec!r})")
    ap = dict(ap_defaults(), **(ap or {}))
    lnp = load_result(lnp_file)
    final = lnp["final"]
    original = make_connectivity(model, N=N, seed=seed, n_inputs=spec.n_inputs)
    common = {**lnp_outcome(lnp), "task_spec": repr(spec),
              "closed_loop_reason": closed_loop_reason(spec, device), "model_file": model}
    lnp_iters = common["lnp_iterations"]
    per_method = {m: {} for m in METHODS}
    nets, failures = {"Unpruned": None, "LNP": final}, {}
    ap_history = pd.DataFrame()
    try:  # AP: the stop is decided on the validation split
        res = activity_repeat(model, task, N, seed, fraction=ap["fraction"],
                              max_iterations=ap["max_iterations"], tolerance=ap["tolerance"],
                              device=device, eval_kwargs=dict(fields, split="validation"))
        hist = res["history"]
        accepted = hist[hist["accepted"].astype(bool)]
        nets["AP"] = res["final"]
        per_method["AP"] = {"ap_iterations": int(accepted["iteration"].max()),
                            "ap_stop": res["stop_reason"],
                            "ap_validation_nrmse_unpruned": float(hist["score"].iloc[0]),
                            "ap_validation_nrmse": float(accepted["score"].iloc[-1]),
                            "ap_settings": repr(ap)}
        ap_history = hist.assign(task=task, architecture=architecture)
    except Exception as exc:
        logger.exception("AP failed for %s %s seed %s", model, task, seed)
        failures["AP"] = f"{type(exc).__name__}: {exc}"
    er = er_control(original, final, child_seed(seed, "random_er"), match_types=True)
    nets["Random-ER"] = er
    rp = random_prune(original, final.n_active_neurons, final.n_active_synapses,
                      seed=child_seed(seed, "random_prune"))
    nets["Random-prune"] = rp
    per_method["Random-prune"]["synapse_shortfall"] = rp.provenance["synapse_shortfall"]
    # the LNP iteration a network belongs to (Fig. 3(c)); the controls match the final one
    snap_iter = {"LNP": lnp_iters, "Unpruned": 0, "Random-ER": lnp_iters,
                 "Random-prune": lnp_iters}
    if fig3c:
        for k in sorted(lnp.get("snapshots", {})):
            if 0 < k < lnp_iters:
                c = lnp["snapshots"][k]
                nets[f"LNP@{k}"] = c
                nets[f"Random-ER@{k}"] = er_control(original, c,
                                                    child_seed(seed, "random_er", k),
                                                    match_types=True)
                snap_iter[f"LNP@{k}"] = snap_iter[f"Random-ER@{k}"] = k
    rows = score_networks(nets, spec, model=model, architecture=architecture, N=N, seed=seed,
                          device=device)
    for label, reason in failures.items():
        rows = pd.concat([rows, _failure_row(architecture, model, task, N, seed, label,
                                             reason)], ignore_index=True)
    labels = rows["method"].tolist()
    conns = {**nets, "Unpruned": original}
    rows["iteration"] = [snap_iter.get(m, np.nan) for m in labels]
    rows["n_excitatory_active"] = [_n_excitatory(conns[m]) if conns.get(m) is not None
                                   else np.nan for m in labels]
    for m, extra in per_method.items():
        for k, v in extra.items():
            if k not in rows:
                rows[k] = np.nan if not isinstance(v, str) else ""
            rows.loc[rows.method == m, k] = v
    rows, seconds = _finish_rows(rows, common, t0, STUDY_COLUMNS)
    return {"rows": rows, "ap_history": ap_history.reset_index(drop=True), "seconds": seconds}


def score_networks(nets, spec, *, model, architecture, N, seed, device="runtime"):
    """Every network of ``nets`` trained and scored on ``spec`` in one evaluate_models call.

    Parameters
    ----------
    nets : dict
        Label -> Connectivity of the generated network (model, N, seed), or None
        for the unpruned network.
    spec : Task
        The task as scored (its ``protocol.split`` says which split).
    model, architecture, N, seed, device
        As in :func:`study_task_unit`.

    Returns
    -------
    DataFrame
        One row per network, with ``method`` (the label) and ``architecture``;
        if building or scoring fails, one row per network with NaN metrics and
        the error in ``failure`` (the run goes on).
    """
    from ..tasks import evaluate_models

    with build_directory(device, "lnp_study_") as build_dir:
        try:
            models = build_models(model, N, seed, nets, spec.n_inputs, device,
                                  spec.encoding.dt, build_dir)
            rows = evaluate_models(models, spec, seed=seed)
        except Exception as exc:
            logger.exception("%s scoring failed for %s %s seed %s", spec.protocol.split,
                             model, spec.name, seed)
            reason = f"{type(exc).__name__}: {exc}"
            rows = pd.concat([_failure_row(architecture, model, spec.name, N, seed, m, reason)
                              for m in nets], ignore_index=True)
    rows = rows.copy()
    rows["method"] = rows["pruning"].astype(str)
    rows["architecture"] = architecture
    return rows


def lnp_unit(model, N, seed, prune_kwargs, n_inputs=None):
    """:func:`~brian2_lnp.protocols.units.lnp_repeat` that reports a failure instead of raising.

    The exploration's LNP unit: a variant whose pruning raises gives a result
    with ``final=None``, the error in ``message`` and ``failure``, and a
    one-row ``history`` (stage "failed") instead of stopping the run.
    """
    t0 = time.perf_counter()
    try:
        return lnp_repeat(model, N, seed, prune_kwargs, n_inputs=n_inputs)
    except Exception as exc:
        logger.exception("LNP failed for %s seed %s", model, seed)
        reason = f"{type(exc).__name__}: {exc}"
        hist = pd.DataFrame({"iteration": [np.nan], "stage": ["failed"], "seed": [seed],
                             "failure": [reason]})
        return {"history": hist, "final": None, "converged": False, "message": reason,
                "failure": reason, "seconds": time.perf_counter() - t0}


#: columns the exploration adds to every evaluate() row
VALIDATION_COLUMNS = ("architecture", "model_file", "variant", "method", "failure",
                      "n_excitatory_active", "lnp_iterations", "lnp_converged", "lnp_message",
                      "lnp_seconds", "task_spec", "unit_seconds")


def validation_unit(model, architecture, task, N, seed, variant, lnp_file=None,
                    device="runtime", fields=None, task_spec=None):
    """One LNP network and its matched Random-ER control, or the unpruned network, scored
    on the **validation** split (the exploration of docs/study_exploration_preregistration.md).

    Parameters
    ----------
    model, architecture, task, N, seed, device, task_spec
        As in :func:`study_task_unit`; the task is scored with ``split="validation"``.
    variant : str
        Label of the LNP variant (the ``variant`` column); "Unpruned" with
        ``lnp_file=None``.
    lnp_file : str, optional
        The stored result of :func:`lnp_unit` for this variant and seed; None
        scores the unpruned network alone.
    fields : dict, optional
        Task fields replaced; ``split`` is not allowed (the unit never scores
        another split).

    Returns
    -------
    dict
        ``rows`` (DataFrame: "LNP" and "Random-ER", or "Unpruned", in ``method``),
        ``seconds``.
    """
    from ..tasks import get_task

    t0 = time.perf_counter()
    fields = dict(fields or {})
    if "split" in fields:
        raise ValueError("fields: 'split' cannot be given; the unit scores the validation "
                         "split only")
    spec = get_task(task, **fields, split="validation")
    if task_spec is not None and repr(spec) != task_spec:
        raise ValueError(f"task_spec: the registry's task {task!r} changed since the unit was "
                         f"planned ({task_spec} -> {spec!r})")
    original = make_connectivity(model, N=N, seed=seed, n_inputs=spec.n_inputs)
    nets, outcome, failed = {"Unpruned": None}, {}, ""
    if lnp_file is not None:
        lnp = load_result(lnp_file)
        outcome = lnp_outcome(lnp)
        final = lnp.get("final")
        if final is None:
            nets, failed = {}, f"LNP: {lnp.get('failure') or lnp.get('message')}"
        else:
            er = er_control(original, final, child_seed(seed, "random_er"), match_types=True)
            nets = {"LNP": final, "Random-ER": er}
    if nets:
        rows = score_networks(nets, spec, model=model, architecture=architecture, N=N,
                              seed=seed, device=device)
    else:
        rows = pd.concat([_failure_row(architecture, model, task, N, seed, m, failed)
                          for m in ("LNP", "Random-ER")], ignore_index=True)
    conns = {**nets, "Unpruned": original}
    rows["n_excitatory_active"] = [_n_excitatory(conns[m]) if conns.get(m) is not None
                                   else np.nan for m in rows["method"]]
    rows, seconds = _finish_rows(rows, {"variant": variant, "model_file": model,
                                        "task_spec": repr(spec), **outcome}, t0,
                                 VALIDATION_COLUMNS)
    return {"rows": rows, "seconds": seconds}


def architecture(model):
    """The architecture label of a model file or name: ``"hrsnn_small.yaml"`` -> ``"HRSNN"``."""
    return os.path.basename(str(model)).split(".")[0].replace("_small", "").upper()


def study_tables(key):
    """The tables of a study unit: ``history`` for an LNP unit (key ``lnp_...``), else
    ``rows`` and ``ap_history``."""
    return ("history",) if key.startswith("lnp_") else ("rows", "ap_history")


#: wall-clock columns of a unit's tables: they differ between two runs of the same unit
TIMING_COLUMNS = ("wall_s", "unit_seconds", "lnp_seconds", "eval_time_s")


def table_difference(stored, new):
    """How two versions of a unit's table differ, or None when they hold the same values.

    Wall-clock columns (:data:`TIMING_COLUMNS` and the driver's ``t_*`` step times)
    are ignored; ``new`` goes through a CSV round trip first, so a freshly computed
    table compares as it would be stored. Returns a short description of the first
    difference (shape, columns, or column and row).
    """
    new = pd.read_csv(io.StringIO(pd.DataFrame(new).to_csv(index=False))) if len(new) else \
        pd.DataFrame(new)

    def strip(df):
        return df.drop(columns=[c for c in df.columns
                                if c in TIMING_COLUMNS or str(c).startswith("t_")])
    a, b = strip(pd.DataFrame(stored)), strip(new)
    if list(a.columns) != list(b.columns):
        return f"columns {sorted(set(a.columns) ^ set(b.columns))} in only one of them"
    if a.shape != b.shape:
        return f"{a.shape[0]} stored rows, {b.shape[0]} new rows"
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        same = (x == y) | (pd.isna(x) & pd.isna(y))
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            u, v = (getattr(z, "item", lambda z=z: z)() for z in (x[i], y[i]))
            return f"column {c!r} from row {i}: stored {u!r}, new {v!r}"
    return None


def _code_commit():
    """The git commit of the package's source tree, or None outside a git checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def blas_kernel():
    """The BLAS libraries in use and the kernel each chose, e.g. ``"openblas 0.3.30
    SkylakeX"`` (threadpoolctl), or None when it cannot tell. Results are bit-identical
    across machines only with the same kernel (docs/performance.md, section 3)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    libs = sorted({f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                   for i in threadpool_info() if i.get("user_api") == "blas"})
    return "; ".join(libs) or None


class UnitMismatch(ValueError):
    """A stored study unit, rerun, did not reproduce its stored tables."""


class UnitRows:
    """The study's durable store: every finished unit as small CSV and JSON files.

    A unit is finished when its tables and its record ``<key>.json`` are in the
    rows directory; the record holds the unit's settings (without the path of
    the LNP result file, which depends on the output directory), the seed
    stream, the wall time, the load, the finish time, the code commit and the BLAS
    kernel. The study resumes from these files alone, so committed rows are enough to carry
    a run from one machine or session to the next; the pickled results of the
    repeat runner are only a cache. A record made with other settings or
    another seed stream is refused with a message, never mixed in; a stored unit
    rerun for its result (LNP, whose network a task unit still needs) must give
    its stored tables again, or :class:`UnitMismatch` stops the run
    (:func:`table_difference`).

    Tables: ``tables(key)`` names a unit's tables (default :func:`study_tables`:
    an LNP unit ``lnp_<model>_sNN`` has ``<key>_history.csv``; a task unit has
    ``<key>.csv`` (its rows) and ``<key>_ap_history.csv``); the table "rows" is
    ``<key>.csv``, any other ``<key>_<table>.csv``.
    """

    def __init__(self, directory, tables=study_tables):
        self.directory = os.fspath(directory)
        if not callable(tables):
            raise TypeError(f"tables: expected a function key -> table names, got "
                            f"{type(tables).__name__}")
        self._tables = tables

    def tables(self, key):
        return tuple(self._tables(key))

    def path(self, key, table=None):
        suffix = ".json" if table is None else ".csv" if table == "rows" else f"_{table}.csv"
        return os.path.join(self.directory, key + suffix)

    @staticmethod
    def settings(task):
        kw = jsonable(task.kwargs)
        kw.pop("lnp_file", None)
        return json.loads(json.dumps(kw))

    def finished(self, task):
        """True if the unit's files are all there and were made with its settings."""
        files = [self.path(task.key, t) for t in self.tables(task.key)]
        record = self.path(task.key)
        if not all(os.path.exists(f) for f in files + [record]):
            return False
        with open(record) as fh:
            stored = json.load(fh)
        if stored.get("kwargs") != self.settings(task):
            raise ValueError(
                f"directory: the stored unit {record} was made with other settings "
                f"({stored.get('kwargs')} != {self.settings(task)}); use another output "
                "directory or --no-resume")
        check_seed_stream(stored.get("seed_stream"), record)
        return True

    def store(self, task, result, seconds):
        """Write the unit's tables, then its record (a kill in between only means a rerun)."""
        from .common import write_csv

        for table in self.tables(task.key):
            write_csv(result[table], self.directory, os.path.basename(self.path(task.key, table)))
        record = {"key": task.key, "kwargs": self.settings(task), "seconds": seconds,
                  "seed_stream": seed_stream(),
                  "finished_utc": datetime.datetime.now(datetime.timezone.utc).strftime(
                      "%Y-%m-%d %H:%M"),
                  "load_1min": round(os.getloadavg()[0], 2), "code_commit": _code_commit(),
                  "blas": blas_kernel()}
        tmp = self.path(task.key) + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(record, fh, indent=1)
        os.replace(tmp, self.path(task.key))

    #: columns of :meth:`log`, one row per unit, from its record
    LOG_COLUMNS = ("key", "code_commit", "finished_utc", "seconds", "load_1min", "seed_stream",
                   "blas")

    def run(self, tasks, directory, **run_kwargs):
        """:func:`~brian2_lnp.protocols.runner.run_tasks`, each unit's files written as
        soon as it finishes; units loaded from the runner's cache are written after.

        With ``resume`` (the default) a unit already stored keeps its files and
        record (a unit rerun only for its network, e.g. LNP for a task still to
        run). Returns run_tasks' results.
        """
        resume = run_kwargs.get("resume", True)

        def keep(t, out, seconds):
            if not (resume and self.finished(t)):
                self.store(t, out, seconds)
                return
            # a stored unit rerun for its result (e.g. LNP's network for a task unit
            # still to run) must reproduce its stored tables, or the units that use
            # the result would not match the stored record
            for table in self.tables(t.key):
                why = table_difference(self.read(t.key, table), out[table])
                if why is not None:
                    raise UnitMismatch(
                        f"directory: unit {t.key} was rerun for its result and its table "
                        f"{table!r} differs from the stored one ({why}); the units that use "
                        "it would be scored on another result than the stored one. The same "
                        "code, settings and seed give the same bits only with the same BLAS "
                        "kernel (docs/performance.md, section 3: OPENBLAS_CORETYPE); run "
                        "with the kernel that made the stored unit, or in another directory")

        res = run_tasks(tasks, directory, on_result=keep, **run_kwargs)
        for t in tasks:  # units loaded from the runner's cache
            if not self.finished(t):
                self.store(t, res[t.key], run_tasks.last_info[t.key]["seconds"])
        return res

    def log(self, keys):
        """The run log of the given units: a table of :attr:`LOG_COLUMNS` from their records."""
        return pd.DataFrame([{c: self.record(k).get(c) for c in self.LOG_COLUMNS}
                             for k in keys], columns=list(self.LOG_COLUMNS))

    def read(self, key, table):
        try:
            return pd.read_csv(self.path(key, table))
        except pd.errors.EmptyDataError:  # an empty table (e.g. AP history of a failed unit)
            return pd.DataFrame()

    def record(self, key):
        with open(self.path(key)) as fh:
            return json.load(fh)
