"""Exploration (pre-registered, validation split only): which parts of LNP's recipe help?

Exploratory companion of protocols/Chakraborty_2024_study_lnp_vs_controls.py.
The pre-registration below (docs/study_exploration_preregistration.md,
committed before this file, before any run of it and before any result of the
confirmatory study) is copied verbatim.

--------------------------------------------------------------------------------
# Pre-registration (exploratory): which parts of LNP's recipe help, on validation data

Written and committed before any run of this exploration and before any result of the
confirmatory study (docs/study_preregistration.md and its amendments) is known. The
exploration's protocol file (`protocols/Chakraborty_2024_study_exploration.py`) copies this
text into its docstring; any later change is a new commit with its reason, made before the
runs it affects, never after seeing scores.

## Status and purpose

This is an **exploration**, not a test of a claim. The confirmatory study asks whether LNP
with the paper's recipe (library defaults) beats activity pruning and random graphs at the
same cost; its pre-registration says that, should LNP not beat the random controls,
variants are compared on the validation split only, in their own clearly labelled section.
This file fixes that comparison now, so that its design cannot depend on the confirmatory
outcome. It describes, with n = 5 seeds and interval estimates, how each single change to
the recipe moves the validation error and the cost, relative to the recipe itself and to a
random graph of the same size. It selects nothing: no variant is chosen here and then
scored on the test split, nothing here changes or re-scores the confirmatory study, and
its numbers are never reported as confirmatory evidence. Any follow-up that wants to test
a variant on the test split needs its own pre-registration.

## Design

* Model: the `hrsnn` model file at N = 1000 (CHRSNN is not explored).
* Task: `lorenz63` with its task-registry defaults (encoding, readout, STDP and fitting
  stretches, 500 context + 100 predicted steps) and nothing else (Rossler and Google
  stock are not explored).
* Seeds: 1, 2, 3, 4, 5, i.e. the confirmatory study's first five networks. Seed s fixes
  the network, LNP's draws (`child_seed(s, "prune")`), the Random-ER control
  (`child_seed(s, "random_er")`), the task's input encoding and STDP training, exactly as
  in the study.
* Split: only the **validation** split of Lorenz-63 is ever scored (training on the
  training part, as for the study's test rows; `split="validation"` of the task registry).
  The test split is never read by this protocol.
* Variants. Each variant is the confirmatory study's LNP setting (the plastic-model LNP
  options with at most 100 iterations, the convergent schedule, library defaults) with
  exactly one change:

  | variant | the one change |
  |---|---|
  | `default` | none (the study's LNP recipe) |
  | `no-II` | steps of ablation point E' (noise, delocalize, timescales): Step II skipped |
  | `no-II-III` | steps of ablation point E'' (noise, timescales): Steps II and III skipped |
  | `no-IV` | steps of ablation point D (noise, centrality, delocalize): Step IV skipped |
  | `coupling-weights` | Step I linearised with `coupling="weights"` instead of the default `"lyapunov"` |
  | `no-averaging` | Step I uses each iteration's own node exponents (convergent schedule with `average_exponents=False`) |
  | `fixed-schedule` | the fixed schedule with its library defaults, for exactly 20 iterations |

  The 20 iterations of `fixed-schedule` are fixed now, a priori and not tuned: the fixed
  schedule does not stop by itself, and with its defaults (Step I keeps 95 % of the
  effective synapses, Step II removes 1 % of the active neurons, Step III adds 1 % of the
  effective synapses per iteration) 20 iterations leave in expectation about
  0.95^20 = 36 % of Step I's synapses and 0.99^20 = 82 % of the neurons, whereas 100
  iterations (0.6 % and 37 %) would compare a far smaller network with the others.
* Networks per seed: each variant's final network; for each variant a Random-ER control
  matched to that network's active-neuron count, effective-synapse count and excitatory
  fraction (the study's type-matched Erdos-Renyi control, seed `child_seed(s, "random_er")`,
  weights drawn from the seed's unpruned network); and once, the Unpruned network. That is
  15 networks per seed, 75 in all.
* Training and readout: as in the study (heterogeneous STDP on the task's training
  stretch, then frozen; the task's registry readout fitted on the training stretch); all
  networks of one unit are scored in one `evaluate_models` call.
* Metrics per network: validation NRMSE, SOPs of the validation run (000 Eq. 10, from the
  spike monitors), active neurons, effective synapses, excitatory active neurons; per
  variant: LNP's iterations, whether it converged, its message and wall time.

## Analysis (fixed now)

Per variant v, paired over the seeds (one value per seed, seeds where either side failed
are left out and the remaining n is reported):

* (a) NRMSE_v - NRMSE_(Random-ER matched to v): negative means the variant beats a random
  graph of its own size on validation data;
* (b) NRMSE_v - NRMSE_default: negative means the change helps relative to the recipe
  (for `default` itself this is identically zero and is not reported);
* (c) SOPs_v / SOPs_Unpruned: the cost of the variant's network relative to the unpruned
  one.

Each is reported as the median over seeds with a 95 % percentile bootstrap interval
(10 000 resamples of the seeds, bootstrap seed 0; `brian2_lnp.metrics.stats`), with n. No
p-values, no multiplicity adjustment and no verdicts: at n = 5 these are descriptions,
and all 20 intervals are reported whatever they show, including variants that failed.
The figure plots validation NRMSE against validation SOPs for every variant and seed
together with its matched Random-ER points and the Unpruned points.

## Outputs

`exploration_rows.csv` (one row per seed x network: 5 x 15), `exploration_paired.csv`
(the 20 comparisons above), `exploration_units.csv` (the run log: each unit's code commit,
finish time, wall time and machine load), `exploration_run.json` (the settings) and
`exploration_frontier.png`; each finished unit is stored as small files in
`<out>/Chakraborty_2024_study_exploration/rows/` and the run resumes from them.

`--quick` (machinery only, answers nothing): the 125-neuron `hrsnn_small` model, seeds 1
and 2, 2 LNP iterations for every variant (the fixed schedule included), shortened task
stretches.
--------------------------------------------------------------------------------

What this file does: per seed, one LNP unit per variant
(:func:`brian2_lnp.protocols.study.lnp_unit`: the study's
:func:`~brian2_lnp.protocols.units.lnp_repeat` with the variant's options from
:func:`variant_options`, a failure recorded instead of raised), then one
validation unit per variant (:func:`brian2_lnp.protocols.study.validation_unit`:
the variant's final network and its type-matched Random-ER control, one
:func:`brian2_lnp.tasks.evaluate_models` call on ``split="validation"``) and one
for the Unpruned network. Every finished unit is written to
``<out>/Chakraborty_2024_study_exploration/rows`` by the study's
:class:`~brian2_lnp.protocols.study.UnitRows` (``lnp_HRSNN_<variant>_sNN_history.csv``,
``val_HRSNN_<variant>_sNN.csv``, and a record ``<unit>.json`` with settings, seed
stream, wall time, load and code commit); the run resumes from these files
alone (the pickles under ``.../repeats`` are a cache; a validation unit whose
LNP pickle is gone reruns that LNP unit, deterministically). Outputs:
``exploration_rows.csv``, ``exploration_paired.csv``, ``exploration_units.csv``,
``exploration_lnp_history.csv`` (LNP's per-iteration history of every variant),
``exploration_run.json`` and ``exploration_frontier.png``. Every row's
``protocol`` column starts with the split it was scored on ("validation").

Differences from the paper's setup: as in the confirmatory study (N = 1000, the
registry's readout and encoding, SOPs of our evaluation run, STDP only); the
paper's ablation (000 Suppl. B.5) reports test errors of one network per
point, here validation errors of 5 seeds with matched random controls.

--quick: ``hrsnn_small`` (125 neurons), seeds 1 and 2, 2 LNP iterations for every
variant, the study's shortened task stretches; it checks the machinery, its
numbers answer nothing.

Cost (measured 2026-12-01 on the shared 2-core machine, ``nice -n 5``, one
BLAS thread, ``make -j1``, the two confirmatory study processes running
beside it; load = 1-minute load average):

* ``--quick`` (runtime device, Cython code generation): 260 s wall for all 30
  units (LNP units 20 s in total, validation units 237 s), load 1.8-2.5.
* Full-scale single units, run for timing only (their scores were not looked
  at and were discarded): the Unpruned validation unit (1 network,
  cpp_standalone) 107 s at load 1.6-2.5; the default variant's LNP unit 121 s
  and its two-network validation unit (LNP + matched Random-ER) 245 s, at load
  3.6-5.4; the fixed-schedule LNP unit (20 iterations) 133 s at load 2.5; the
  no-averaging LNP unit of seed 1 (38 iterations before it converged) 483 s at
  load 2.6-6.4. The four other variants were not timed; they run at most the
  default's steps, so about the default's 120-130 s is assumed (the
  confirmatory LNP unit took 122-130 s, results/study/RUNS.md).
* Estimate: per seed 5 x 130 + 133 + 483 = about 1270 s of LNP and
  107 + 7 x 245 = about 1820 s of scoring, i.e. about 52 min; 5 seeds about
  4.3 h of one core at this load (about half with ``--n-jobs 2`` on two free
  cores). LNP's iteration counts vary by variant and seed, so the LNP part may
  differ by a factor of about 2 either way.

Full-scale command (OUT a directory of its own; resumable, ``--n-jobs 2`` runs
two units side by side; ``--variants`` splits the work over processes):

    OPENBLAS_NUM_THREADS=1 BRIAN2_LNP_WORKERS=1 python3 -m brian2_lnp protocol \
        study_exploration --device cpp_standalone --out OUT --n-jobs 1
    python3 -m brian2_lnp protocol study_exploration --device cpp_standalone \
        --out OUT --collect
"""
import os

import numpy as np
import pandas as pd

from brian2_lnp.metrics.stats import bootstrap_median_ci
from brian2_lnp.protocols import (
    Task,
    protocol_parser,
    save_figure,
    write_csv,
    write_json,
)
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.study import UnitRows, architecture, lnp_unit, validation_unit
from brian2_lnp.protocols.units import QUICK_EVAL, plastic_lnp_options, task_field, task_inputs
from brian2_lnp.pruning import ABLATIONS, ConvergentSchedule
from brian2_lnp.tasks import get_task

NAME = "Chakraborty_2024_study_exploration"
TASK = "lorenz63"
#: the variants, each the study's LNP recipe with one change (pre-registration, Design)
VARIANTS = ("default", "no-II", "no-II-III", "no-IV", "coupling-weights", "no-averaging",
            "fixed-schedule")
#: iterations of the fixed-schedule variant (fixed in the pre-registration)
FIXED_ITERATIONS = 20
#: bootstrap of the paired analysis (pre-registration, Analysis)
N_RESAMPLES, BOOTSTRAP_SEED = 10_000, 0
#: the comparisons of the paired table, (a), (b), (c) of the pre-registration
COMPARISONS = ("NRMSE - NRMSE(matched Random-ER)", "NRMSE - NRMSE(default)",
               "SOPs / SOPs(Unpruned)")
LABEL = "exploratory, validation split"


def build_parser():
    p = protocol_parser(NAME, __doc__)
    p.add_argument("--model", default=None,
                   help="model file (default: quick hrsnn_small; full hrsnn)")
    p.add_argument("--seeds", nargs="+", type=int, default=None,
                   help="seeds (default: quick 1 2; full 1..5); used directly, --seed is unused")
    p.add_argument("--variants", nargs="+", default=None, choices=list(VARIANTS),
                   help="variants to run (default: all; the others' units are left alone)")
    p.add_argument("--lnp-iterations", type=int, default=None,
                   help=f"most LNP iterations (default: quick 2, full 100); the fixed "
                        f"schedule runs min({FIXED_ITERATIONS}, this)")
    p.add_argument("--fields", nargs="*", default=None, type=task_field,
                   help="task fields replaced, key=value (default: none at full scale; "
                        "--quick: the shortened stretches); 'split' is refused")
    p.add_argument("--collect", action="store_true",
                   help="compute nothing: analyse the units already finished")
    return p


def plan(settings):
    """The exploration's settings (model, N, seeds, variants, iterations, task fields)."""
    ex = settings.extra
    fields = dict(ex["fields"]) if ex.get("fields") is not None else pick(
        settings, dict(QUICK_EVAL), {})
    if "split" in fields:
        raise ValueError("--fields: 'split' cannot be given; the exploration scores the "
                         "validation split only")
    iters = ex.get("lnp_iterations") or pick(settings, 2, 100)
    if iters < 1:
        raise ValueError(f"--lnp-iterations: must be >= 1, got {iters}")
    return {"model": ex.get("model") or pick(settings, "hrsnn_small", "hrsnn"),
            "N": pick(settings, None, 1000), "task": TASK,
            "seeds": ex.get("seeds") or pick(settings, [1, 2], [1, 2, 3, 4, 5]),
            "variants": list(ex.get("variants") or VARIANTS),
            "lnp_iterations": iters, "fixed_iterations": min(FIXED_ITERATIONS, iters),
            "fields": fields, "split": "validation"}


def variant_options(variant, model, quick, iterations, fixed_iterations):
    """``prune()`` keyword arguments of one variant: the study's LNP options, one change."""
    change = {"default": {}, "no-II": {"steps": ABLATIONS["E'"]},
              "no-II-III": {"steps": ABLATIONS["E''"]}, "no-IV": {"steps": ABLATIONS["D"]},
              "coupling-weights": {"step_kwargs": {"noise": {"coupling": "weights"}}},
              "no-averaging": {"schedule": ConvergentSchedule(average_exponents=False)},
              "fixed-schedule": {"schedule": "fixed", "iterations": fixed_iterations}}
    if variant not in change:
        raise ValueError(f"variant: expected one of {list(VARIANTS)}, got {variant!r}")
    kw = dict(change[variant])
    return plastic_lnp_options(model, quick, iterations=kw.pop("iterations", iterations), **kw)


def unit_tables(key):
    """Tables of a unit in rows/: LNP's history, or the scored rows."""
    return ("history",) if key.startswith("lnp_") else ("rows",)


def units(settings, cfg, seed):
    """([LNP unit per variant], [validation units: Unpruned, then one per variant])."""
    model, arch, directory = cfg["model"], architecture(cfg["model"]), settings.repeat_dir(NAME)
    spec = repr(get_task(TASK, **cfg["fields"], split="validation"))
    common = dict(model=model, architecture=arch, task=TASK, N=cfg["N"], seed=seed,
                  device=settings.device, fields=cfg["fields"], task_spec=spec)
    lnp, val = {}, [Task(f"val_{arch}_Unpruned_s{seed:02d}", validation_unit,
                         dict(common, variant="Unpruned", lnp_file=None))]
    for v in cfg["variants"]:
        key = f"lnp_{arch}_{v}_s{seed:02d}"
        lnp[v] = Task(key, lnp_unit, dict(
            model=model, N=cfg["N"], seed=seed, n_inputs=task_inputs(TASK),
            prune_kwargs=variant_options(v, model, settings.quick, cfg["lnp_iterations"],
                                         cfg["fixed_iterations"])))
        val.append(Task(f"val_{arch}_{v}_s{seed:02d}", validation_unit, dict(
            common, variant=v, lnp_file=os.path.abspath(os.path.join(directory, f"{key}.pkl")))))
    return lnp, val


def run_units(settings, cfg):
    """Run (or resume) every unit, seed by seed; every finished unit goes to rows/.

    Per seed: the LNP units of the variants whose validation unit is still to
    run (from the runner's cache when there is one), then the validation units.
    Finished units are read back from rows/ (:class:`UnitRows`), so a run, a
    resumed run and ``--collect`` analyse the same files. Returns (rows, LNP
    histories, the units' records as a table).
    """
    directory = settings.repeat_dir(NAME)
    store = UnitRows(os.path.join(settings.out, NAME, "rows"), tables=unit_tables)
    kw = dict(n_jobs=settings.n_jobs, scheduler=settings.scheduler, resume=settings.resume,
              progress=settings.progress)
    done = store.finished if settings.resume else (lambda t: False)
    collect = settings.extra.get("collect")
    rows, hist, keys = [], [], []
    for seed in cfg["seeds"]:
        lnp, val = units(settings, cfg, seed)
        todo = [] if collect else [t for t in val if not done(t)]
        pending = {t.kwargs["variant"] for t in todo}
        need = [] if collect else [t for v, t in lnp.items() if v in pending or not done(t)]
        for batch, desc in ((need, "LNP"), (todo, "validation")):
            if batch:
                store.run(batch, directory, desc=f"{desc} s{seed}", **kw)
        for v, t in lnp.items():
            if store.finished(t):  # --collect: only the finished ones
                keys.append(t.key)
                hist.append(store.read(t.key, "history").assign(variant=v))
        for t in val:
            if store.finished(t):
                keys.append(t.key)
                rows.append(store.read(t.key, "rows"))

    def cat(frames):
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    return cat(rows), cat(hist), store.log(keys)


def _by_seed(df, variant, method, column):
    s = df[(df.variant == variant) & (df.method == method)]
    return s.set_index("seed")[column].astype(float)


def paired(df, variants):
    """The pre-registered paired table: per variant (a) NRMSE - matched Random-ER,
    (b) NRMSE - default (not for default itself), (c) SOPs / Unpruned SOPs; median over
    seeds with a 95 % percentile bootstrap interval (descriptive: no tests, no verdicts)."""
    out = []
    if df.empty:
        return pd.DataFrame()
    seeds = sorted(df.seed.unique())
    unpruned = _by_seed(df, "Unpruned", "Unpruned", "SOPs")
    for v in variants:
        nrmse, sops = _by_seed(df, v, "LNP", "NRMSE"), _by_seed(df, v, "LNP", "SOPs")
        parts = [(COMPARISONS[0], "NRMSE", nrmse - _by_seed(df, v, "Random-ER", "NRMSE"))]
        if v != "default":
            parts.append((COMPARISONS[1], "NRMSE", nrmse - _by_seed(df, "default", "LNP",
                                                                    "NRMSE")))
        parts.append((COMPARISONS[2], "SOPs", sops / unpruned))
        for name, metric, values in parts:
            values = values.reindex(seeds)
            med, lo, hi = bootstrap_median_ci(values.to_numpy(), n_resamples=N_RESAMPLES,
                                              seed=BOOTSTRAP_SEED)
            ok = values[np.isfinite(values.to_numpy())]
            out.append({"variant": v, "comparison": name, "metric": metric, "n": len(ok),
                        "median": med, "ci_low": lo, "ci_high": hi,
                        "seeds": " ".join(str(int(s)) for s in ok.index),
                        "values": " ".join(f"{x:.6g}" for x in ok), "label": LABEL})
    return pd.DataFrame(out)


def figure(settings, df, variants):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.8))
    u = df[df.method == "Unpruned"]
    ax.scatter(u.SOPs, u.NRMSE, s=50, marker="*", color="k",
               label=f"Unpruned (n={int(u.NRMSE.notna().sum())})")
    for k, v in enumerate(variants):
        for method, face in (("LNP", f"C{k}"), ("Random-ER", "none")):
            s = df[(df.variant == v) & (df.method == method)]
            ax.scatter(s.SOPs, s.NRMSE, s=30, marker="o" if method == "LNP" else "s",
                       edgecolors=f"C{k}", facecolors=face,
                       label=v if method == "LNP" else f"Random-ER matched to {v}")
    if (df.SOPs > 0).any():
        ax.set_xscale("log")
        ax.tick_params(axis="x", which="minor", labelsize=6, labelrotation=30)
    ax.set_xlabel("SOPs (validation run)")
    ax.set_ylabel("validation NRMSE")
    n = df.seed.nunique()
    ax.set_title(f"Exploratory (validation split, n = {n} seeds): LNP variants and matched "
                 "Random-ER", fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return save_figure(fig, settings, "exploration_frontier.png")


def run(settings):
    cfg = plan(settings)
    df, hist, log = run_units(settings, cfg)
    if df.empty:
        return {"files": [], "data": df, "config": cfg}
    pairs = paired(df, cfg["variants"])
    files = [write_csv(df, settings, "exploration_rows.csv"),
             write_csv(pairs, settings, "exploration_paired.csv"),
             write_csv(log, settings, "exploration_units.csv"),
             write_csv(hist, settings, "exploration_lnp_history.csv"),
             write_json({"config": cfg, "device": settings.device, "quick": settings.quick,
                         "label": LABEL, "unit_seconds": dict(zip(log.key, log.seconds))},
                        settings, "exploration_run.json"),
             figure(settings, df, cfg["variants"])]
    return {"files": files, "data": df, "paired": pairs, "history": hist, "units": log,
            "config": cfg}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
