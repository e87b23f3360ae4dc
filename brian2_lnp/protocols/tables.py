"""The prediction comparison behind Table 2 / Table 6 and Fig. 8 of seed 000.

Unpruned, AP-pruned and LNP-pruned HRSNN and CHRSNN, each STDP-trained and
evaluated on prediction tasks, over several seeds. Both protocols share the
per-repeat results (``<out>/prediction_table/repeats``), so running one after
the other computes everything once.

Two stages of tasks:

1. ``lnp_<model>_rNN``: LNP on the generated network (task-agnostic, once per
   model and seed).
2. ``ap_<model>_<task>_rNN``: activity pruning on that task (its iteration-0
   evaluation is the unpruned row, its last accepted candidate the AP row),
   and ``eval_lnp_<model>_<task>_rNN``: the LNP network of stage 1 evaluated.
"""
from __future__ import annotations

import os

import pandas as pd

from .runner import Task, load_result, repeat_seed, run_tasks
from .units import activity_repeat, eval_options, evaluate_row, lnp_options, lnp_repeat, \
    task_inputs

__all__ = ["prediction_rows", "SHARED_NAME", "table_models"]

SHARED_NAME = "prediction_table"


def table_models(quick):
    """(label, model file, N) of the two architectures."""
    if quick:
        return [("HRSNN", "hrsnn_small", None), ("CHRSNN", "chrsnn_small", None)]
    return [("HRSNN", "hrsnn", 5000), ("CHRSNN", "chrsnn", 5000)]


def lnp_eval_unit(model, task, N, seed, lnp_file, device, eval_kwargs):
    """Evaluate the stored LNP network (stage-1 result file) on a task."""
    out = load_result(lnp_file)  # checks the file's checksum, names it if corrupt
    return evaluate_row(model, task, N, seed, pruning=out["final"], label="LNP",
                        device=device, eval_kwargs=eval_kwargs)


def prediction_rows(settings, tasks, repeats, ap_iterations=None):
    """Run (or resume) the comparison; one evaluate row per model, task, method, repeat.

    Returns
    -------
    pandas.DataFrame
        evaluate() columns plus ``architecture``, ``method`` (Unpruned / AP / LNP),
        ``repeat``, ``ap_iterations``, ``ap_stop``.
    """
    quick = settings.quick
    directory = settings.repeat_dir(SHARED_NAME)
    models = table_models(quick)
    iters = 8 if quick else 100
    ap_iterations = ap_iterations or (2 if quick else 100)
    ev = eval_options(quick)

    def seed_of(label, r):
        return repeat_seed(settings.seed, SHARED_NAME, label, r)

    # LNP networks are generated with the input channels of a 3-D task; the
    # recurrent network does not depend on the channel count (separate stream)
    stage1 = [Task(f"lnp_{label}_r{r:02d}", lnp_repeat,
                   dict(model=model, N=N, seed=seed_of(label, r),
                        prune_kwargs=lnp_options(quick, iterations=iters),
                        n_inputs=task_inputs("lorenz63")))
              for label, model, N in models for r in range(repeats)]
    run_tasks(stage1, directory, n_jobs=settings.n_jobs, scheduler=settings.scheduler,
              resume=settings.resume, progress=settings.progress, desc="LNP")
    stage2 = []
    for label, model, N in models:
        for task in tasks:
            for r in range(repeats):
                s = seed_of(label, r)
                stage2.append(Task(f"ap_{label}_{task}_r{r:02d}", activity_repeat,
                                   dict(model=model, task=task, N=N, seed=s,
                                        max_iterations=ap_iterations, device=settings.device,
                                        eval_kwargs=ev)))
                stage2.append(Task(f"eval_lnp_{label}_{task}_r{r:02d}", lnp_eval_unit,
                                   dict(model=model, task=task, N=N, seed=s,
                                        lnp_file=os.path.abspath(os.path.join(
                                            directory, f"lnp_{label}_r{r:02d}.pkl")),
                                        device=settings.device, eval_kwargs=ev)))
    res = run_tasks(stage2, directory, n_jobs=settings.n_jobs, scheduler=settings.scheduler,
                    resume=settings.resume, progress=settings.progress, desc="evaluate")
    rows = []
    for label, _, _ in models:
        for task in tasks:
            for r in range(repeats):
                ap = res[f"ap_{label}_{task}_r{r:02d}"]
                hist = ap["history"].reset_index(drop=True)
                cand = ap["rows"].reset_index(drop=True)
                accepted = [i for i in range(len(hist)) if bool(hist.loc[i, "accepted"])]
                last = accepted[-1]
                extra = {"ap_iterations": int(hist.loc[last, "iteration"]),
                         "ap_stop": ap["stop_reason"]}
                for method, i in (("Unpruned", 0), ("AP", last)):
                    row = cand.iloc[[i]].copy()
                    row["pruning"] = method.lower()
                    rows.append(row.assign(architecture=label, method=method, repeat=r, **extra))
                lnp = res[f"eval_lnp_{label}_{task}_r{r:02d}"]
                rows.append(lnp.assign(architecture=label, method="LNP", repeat=r, **extra))
    return pd.concat(rows, ignore_index=True)
