"""LNP vs unpruned, activity pruning and random graphs at the same cost (seed 000, Table 2, Fig. 3).

The pre-registration below (docs/study_preregistration.md, committed before any
run) is copied verbatim; docs/study_preregistration_amendment_1.md and
docs/study_preregistration_amendment_2.md (also committed before any run) say
how its open points are implemented (amendment 2: the validation part of
Google stock, which has none of its own, is the last 300 days of its training
part, the carve that chose its readout; the ridge readout's BLAS threads are
pinned).

--------------------------------------------------------------------------------
# Pre-registration: does LNP beat activity pruning and random graphs at the same cost?

Written and committed before any run of the study. The study's protocol file
(`protocols/`) copies this text into its docstring; any later change to it is a new
commit with its reason, made before the runs it affects, never after seeing test scores.

## Question

Chakraborty, Kang & Mukhopadhyay (ICLR 2024) claim, for an HRSNN trained with STDP on
Lorenz-63 (Table 2): LNP needs 39x fewer SOPs than the unpruned network (18.2 M vs 710.8 M)
at 2.2x its error (0.705 vs 0.315), and 5x fewer SOPs than activity pruning (AP, 92.7 M) at
0.41x AP's error (1.718); and (Fig. 3(c)) LNP degrades less than a random graph with the same
neuron and synapse counts. We ask whether these claims hold for our implementation at
N = 1000, with the effect sizes and their uncertainty.

## Design

* Models: `hrsnn` and `chrsnn` model files at N = 1000.
* Seeds: 10 (1..10). Seed s fixes the network, LNP's draws, the random controls, the task's
  input encoding and STDP training; every method of one seed shares the same initial network.
* Tasks: `lorenz63`, `rossler`, `google_stock` from the task registry, each with its registry
  defaults (encoding, readout neurons, filters, ridge penalty, readout fitted once on the
  training stretch where that won on validation). These defaults were chosen on validation
  data before this study and are recorded in every row; the study changes none of them.
* Training: heterogeneous STDP on the task's training stretch, then frozen; the readout is
  fitted on the training stretch; validation is used only for what a method itself chooses;
  the test stretch is scored once per network.
* Methods (the same training and readout for all):
  1. `Unpruned`: the initial network.
  2. `LNP`: library defaults (convergent schedule), at most 100 iterations or until the driver
     reports convergence; task-agnostic, run once per model and seed, shared by all tasks.
  3. `AP`: activity pruning (000 Suppl. A.3, Algorithm 4): each iteration removes the least
     active fraction of active neurons (library default rate), retrains with STDP, and stops
     at the iteration limit or when the validation error exceeds the unpruned network's
     validation error by more than the library's documented stopping margin; the network
     reported is the last one before the stop. Task-dependent: run per task.
  4. `Random-ER`: an Erdos-Renyi graph with LNP's final active neuron count, effective synapse
     count and excitatory fraction; neuron parameters drawn from the same model file;
     weights drawn from the model's weight distribution (000 Sec. 4, "Random initialization").
  5. `Random-prune`: the same initial network with neurons removed uniformly at random to
     LNP's active count, then synapses among survivors removed uniformly at random to LNP's
     effective synapse count; no reweighting.
* Metrics (test stretch): SOPs of the evaluation run (000 Eq. 10, from Brian2 spike monitors),
  NRMSE, VPT in steps and in Lyapunov times (Lorenz-63 lambda_max = 0.906, Rossler 0.0714;
  Google stock in steps only), closed-loop VPT; baselines in every row: persistence, ridge on
  the raw input, linear autoregression on the last k inputs (k chosen on validation).

## Analysis (fixed now)

For every model x task and every comparison LNP vs M (M = Unpruned, AP, Random-ER,
Random-prune), paired over the 10 seeds:

* SOPs: the median of log(SOPs_M / SOPs_LNP), reported as a factor with a 95 % percentile
  bootstrap confidence interval (10 000 resamples of seeds, bootstrap seed 0).
* Error: the median of NRMSE_LNP - NRMSE_M and of NRMSE_LNP / NRMSE_M with 95 % bootstrap
  intervals; the same for VPT.
* Wilcoxon signed-rank test (two-sided, scipy.stats.wilcoxon) per comparison, with Holm's
  adjustment over the 4 comparisons x 3 tasks of each model and metric.
* A claim *reproduces* when the confidence interval excludes no effect in the paper's
  direction; it is *contradicted* when the interval excludes no effect in the opposite
  direction; otherwise it is *not resolved at n = 10*. Effect sizes are reported next to the
  paper's 39x / 2.2x / 5x / 0.41x whatever the verdict.
* Everything is reported, including seeds where a method failed (with the reason); no seed or
  task is dropped after seeing results.

## Figures

* Efficiency frontier: test NRMSE against SOPs, every method and seed, one panel per model
  x task.
* Table 2 layout: SOPs, NRMSE, VPT as mean +- std over seeds.
* Fig. 3(c): test NRMSE of LNP snapshots against matched Random-ER graphs over LNP
  iterations (snapshots at iterations 0, 1, 2, 5, 10, 20, 50, 100 or the converged final
  network), Lorenz-63, both models, 10 seeds, mean +- std. Snapshots are scored descriptively;
  nothing is chosen from these scores.
* Fig. 3(a,b): active neurons and effective synapses over iterations, LNP and AP, 10 seeds.

## Exploration (separate, labelled)

If LNP does not beat the random controls, variants (the ablation switches of 000 B.5, the
`coupling` option, the fixed-fraction schedule) are compared on the validation split only and
reported in their own, clearly labelled section; they never change the confirmatory results
above, and the test split is not used to pick among them.
--------------------------------------------------------------------------------

What this file does: per model and seed, one LNP run
(:func:`brian2_lnp.protocols.units.lnp_repeat`, library defaults with the
plastic-model weight bound, snapshots for Fig. 3(c)); then per task one unit
(:func:`brian2_lnp.protocols.study.study_task_unit`): AP with its stop chosen on
the validation split, Random-ER and Random-prune matched to LNP's counts, and
all networks scored once on the test split in one
:func:`brian2_lnp.tasks.evaluate_models` call. Every finished unit is written
to ``<out>/<name>/rows`` as small files (:class:`~brian2_lnp.protocols.study.UnitRows`:
the task unit's rows ``<unit>.csv`` and AP history ``<unit>_ap_history.csv``,
LNP's history ``lnp_<model>_sNN_history.csv``, and a record ``<unit>.json`` with
the settings, seed stream, wall time, load and code commit). The run resumes
from these files alone: committing rows/ carries a run to another session or
machine (the repeat runner's pickles under ``<out>/<name>/repeats`` are only a
cache). Then the analysis
(:mod:`brian2_lnp.metrics.stats`): ``study_rows.csv`` (one row per model x task x
method x seed), ``study_table2.csv`` (mean +- std over seeds),
``study_paired.csv`` (paired comparisons, bootstrap intervals, Wilcoxon, Holm,
verdicts, next to the paper's effects), ``study_fig3c.csv``,
``study_pruning_evolution.csv``, ``study_units.csv`` (the run log: each unit's
code commit, finish time, wall time and load), ``study_claims.md`` (the paired
comparisons as claim-by-claim tables next to the paper's ratios) and the figures
``study_frontier.png``, ``study_fig3c.png``, ``study_fig3ab.png``.

Differences from the paper's setup:
* N = 1000 (the paper: 5000), the task registry's readout and encoding (chosen on
  validation), SOPs counted over our evaluation run (000 Eq. 10), so absolute
  values differ from the paper's; the effects (factors, ratios) are compared.
* Only STDP training (the paper's BP rows need a surrogate-gradient trainer).
* --quick: the 125-neuron model files, seeds 1 and 2, 4 LNP iterations, AP at most
  2 iterations, Lorenz-63 only, shortened task stretches (STDP on 100 steps,
  readout fitted on 300 steps, 200-step context, 50-step forecast); it checks the
  machinery, its numbers answer nothing.
* Runs grouped by model and seed: the LNP unit, then the task units of that seed
  (--n-jobs runs those in parallel); rows appear seed by seed.
"""
import itertools
import os

import numpy as np
import pandas as pd

from brian2_lnp.metrics.stats import paired_comparisons
from brian2_lnp.protocols import (
    Task,
    protocol_parser,
    save_figure,
    summarize,
    write_csv,
    write_json,
    write_text,
)
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.study import (
    METHODS,
    SNAPSHOT_ITERATIONS,
    UnitRows,
    ap_defaults,
    architecture,
    study_task_unit,
)
from brian2_lnp.protocols.units import (QUICK_EVAL, lnp_repeat, plastic_lnp_options, task_field,
                                        task_inputs)
from brian2_lnp.tasks import get_task

NAME = "Chakraborty_2024_study_lnp_vs_controls"
#: short name for ``python3 -m brian2_lnp protocol study`` (other stems contain "study" too)
ALIASES = ("study",)
TASKS = ("lorenz63", "rossler", "google_stock")
#: the paper's effects (000 Table 2, HRSNN + STDP, Lorenz-63), as ratios in the study's
#: definitions: SOPs_M / SOPs_LNP and NRMSE_LNP / NRMSE_M
PAPER_EFFECTS = {("HRSNN", "lorenz63", "Unpruned", "SOPs"): 710.8 / 18.2,
                 ("HRSNN", "lorenz63", "AP", "SOPs"): 92.7 / 18.2,
                 ("HRSNN", "lorenz63", "Unpruned", "NRMSE"): 0.705 / 0.315,
                 ("HRSNN", "lorenz63", "AP", "NRMSE"): 0.705 / 1.718}
#: the direction each claim predicts for the verdict (amendment 1, item 8)
DIRECTIONS = {**{(m, "SOPs"): 1 for m in METHODS},
              **{(m, "NRMSE"): -1 for m in METHODS}, ("Unpruned", "NRMSE"): 1,
              **{(m, "VPT"): 1 for m in METHODS}, ("Unpruned", "VPT"): -1}
TABLE_COLUMNS = ("SOPs", "NRMSE", "VPT", "VPT_lyapunov", "n_active_neurons",
                 "n_effective_synapses", "NRMSE_persistence", "NRMSE_raw_input",
                 "NRMSE_autoregressive", "VPT_persistence")


def build_parser():
    p = protocol_parser(NAME, __doc__)
    p.add_argument("--models", nargs="+", default=None,
                   help="model files (default: quick hrsnn_small chrsnn_small; full hrsnn chrsnn)")
    p.add_argument("--tasks", nargs="+", default=None, choices=list(TASKS),
                   help="tasks (default: quick lorenz63; full lorenz63 rossler google_stock)")
    p.add_argument("--seeds", nargs="+", type=int, default=None,
                   help="seeds (default: quick 1 2; full 1..10); used directly, --seed is unused")
    p.add_argument("--lnp-iterations", type=int, default=None,
                   help="most LNP iterations (default: quick 4, full 100)")
    p.add_argument("--ap-iterations", type=int, default=None,
                   help="AP iteration limit (default: quick 2, full activity_prune's default)")
    p.add_argument("--fields", nargs="*", default=None, type=task_field,
                   help="task fields replaced, key=value (default: none at full scale; "
                        "--quick: the shortened stretches)")
    p.add_argument("--no-fig3c", action="store_true", help="do not score LNP's snapshots")
    p.add_argument("--collect", action="store_true",
                   help="compute nothing: analyse the units already finished")
    return p


def plan(settings):
    """The study's settings (models, N, tasks, seeds, iterations, task fields)."""
    ex = settings.extra
    fields = dict(ex["fields"]) if ex.get("fields") is not None else pick(
        settings, dict(QUICK_EVAL), {})
    return {"models": ex.get("models") or pick(settings, ["hrsnn_small", "chrsnn_small"],
                                               ["hrsnn", "chrsnn"]),
            "N": pick(settings, None, 1000),
            "tasks": ex.get("tasks") or pick(settings, ["lorenz63"], list(TASKS)),
            "seeds": ex.get("seeds") or pick(settings, [1, 2], list(range(1, 11))),
            "lnp_iterations": ex.get("lnp_iterations") or pick(settings, 4, 100),
            "ap": dict(ap_defaults(), **({"max_iterations": ex["ap_iterations"]}
                                         if ex.get("ap_iterations") else
                                         pick(settings, {"max_iterations": 2}, {}))),
            "fields": fields, "fig3c": not ex.get("no_fig3c")}


def units(settings, cfg, model, seed):
    """(LNP task, [task-unit tasks]) of one model and seed."""
    arch, directory = architecture(model), settings.repeat_dir(NAME)
    iters = cfg["lnp_iterations"]
    # The LNP unit is shared by every task of its model and seed, so what it keeps must
    # not depend on which tasks this process was asked for.
    fig3c = cfg["fig3c"]
    snaps = [k for k in SNAPSHOT_ITERATIONS if k <= iters] if fig3c else []
    lnp_key = f"lnp_{arch}_s{seed:02d}"
    lnp = Task(lnp_key, lnp_repeat,
               dict(model=model, N=cfg["N"], seed=seed,
                    prune_kwargs=plastic_lnp_options(model, settings.quick, iterations=iters),
                    snapshots=snaps, n_inputs=task_inputs("lorenz63")))
    lnp_file = os.path.abspath(os.path.join(directory, f"{lnp_key}.pkl"))
    tasks = [Task(f"{arch}_{task}_s{seed:02d}", study_task_unit,
                  dict(model=model, architecture=arch, task=task, N=cfg["N"], seed=seed,
                       lnp_file=lnp_file, device=settings.device, fields=cfg["fields"],
                       ap=cfg["ap"], fig3c=fig3c and task == "lorenz63",
                       task_spec=repr(get_task(task, **cfg["fields"]))))
             for task in cfg["tasks"]]
    return lnp, tasks


def _pickled(settings, tasks):
    d = settings.repeat_dir(NAME)
    return [t for t in tasks if os.path.exists(os.path.join(d, f"{t.key}.pkl"))]


def run_units(settings, cfg):
    """Run (or resume) every unit, seed by seed; every finished unit goes to rows/.

    A unit whose files are in ``<out>/<name>/rows`` (:class:`UnitRows`) is not
    run again; LNP is rerun (from its cached result when there is one) only for
    a seed with a task unit still to run. The tables are then read back from
    rows/, so a run, a resumed run and ``--collect`` analyse the same files.
    Returns (rows, LNP histories, AP histories, the units' records as a table).
    """
    directory = settings.repeat_dir(NAME)
    store = UnitRows(os.path.join(settings.out, NAME, "rows"))
    rows, lnp_hist, ap_hist, keys = [], [], [], []
    kw = dict(n_jobs=settings.n_jobs, scheduler=settings.scheduler, resume=settings.resume,
              progress=settings.progress)
    done = store.finished if settings.resume else (lambda t: False)
    for model in cfg["models"]:
        for seed in cfg["seeds"]:
            lnp, tasks = units(settings, cfg, model, seed)
            todo = [t for t in tasks if not done(t)]
            if settings.extra.get("collect"):
                todo = _pickled(settings, todo)
            need_lnp = bool(todo) or not done(lnp)
            if need_lnp and settings.extra.get("collect") and not _pickled(settings, [lnp]):
                continue
            for batch, desc in (([lnp] if need_lnp else [], "LNP"), (todo, "tasks")):
                if batch:
                    store.run(batch, directory, desc=f"{desc} {model} s{seed}", **kw)
            arch = architecture(model)
            keys.append(lnp.key)
            lnp_hist.append(store.read(lnp.key, "history").assign(
                architecture=arch, seed=seed, method="LNP"))
            for t in tasks:
                if not store.finished(t):
                    continue  # --collect: not finished
                keys.append(t.key)
                rows.append(store.read(t.key, "rows"))
                ap = store.read(t.key, "ap_history")
                if len(ap):
                    ap_hist.append(ap.assign(seed=seed, method="AP"))

    def cat(frames):
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return cat(rows), cat(lnp_hist), cat(ap_hist), store.log(keys)


def table2(main):
    """Mean, std and n over seeds per architecture, task and method, plus "mean +- std"."""
    s = summarize(main, ["architecture", "task", "method"], TABLE_COLUMNS)
    for c in ("SOPs", "NRMSE", "VPT"):
        s[c] = [f"{m:.4g} +- {sd:.2g} (n={n})" for m, sd, n in
                zip(s[f"{c}_mean"], s[f"{c}_std"], s[f"{c}_n"])]
    return s


def paired(main):
    out = paired_comparisons(main, reference="LNP", others=[m for m in METHODS if m != "LNP"],
                             metrics=("SOPs", "NRMSE", "VPT"), directions=DIRECTIONS,
                             by=("architecture", "task"), holm_by=("architecture", "metric"))
    if len(out):
        out["paper_ratio"] = [PAPER_EFFECTS.get((a, t, m, k), np.nan) for a, t, m, k in
                              zip(out.architecture, out.task, out.method, out.metric)]
    return out


#: each comparison as a sentence: what the paired effect says when it reproduces
CLAIMS = {("Unpruned", "SOPs"): "LNP uses fewer SOPs than the unpruned network",
          ("Unpruned", "NRMSE"): "LNP's error is higher than the unpruned network's",
          ("Unpruned", "VPT"): "LNP's VPT is shorter than the unpruned network's",
          ("AP", "SOPs"): "LNP uses fewer SOPs than AP",
          ("AP", "NRMSE"): "LNP's error is lower than AP's",
          ("AP", "VPT"): "LNP's VPT is longer than AP's",
          ("Random-ER", "SOPs"): "LNP uses fewer SOPs than Random-ER (same counts)",
          ("Random-ER", "NRMSE"): "LNP's error is lower than Random-ER's (same counts)",
          ("Random-ER", "VPT"): "LNP's VPT is longer than Random-ER's (same counts)",
          ("Random-prune", "SOPs"): "LNP uses fewer SOPs than Random-prune (same counts)",
          ("Random-prune", "NRMSE"): "LNP's error is lower than Random-prune's (same counts)",
          ("Random-prune", "VPT"): "LNP's VPT is longer than Random-prune's (same counts)"}


def _g(x, digits=3):
    return "n/a" if not np.isfinite(x) else f"{x:.{digits}g}"


def claims_markdown(pairs):
    """The paired comparisons as claim-by-claim tables (Markdown), next to the paper's ratios.

    Formats ``study_paired.csv`` only (no new statistics): per comparison the claim,
    the ratio's median over seeds with its 95 % bootstrap interval (the ratio the
    verdict's interval is about: SOPs_M / SOPs_LNP for SOPs, LNP / M for NRMSE and
    VPT), the Wilcoxon p-value with Holm's adjustment, the number of seeds, the
    pre-registered verdict and the paper's ratio where Table 2 gives one.
    """
    head = ("| claim | ratio | median [95 % CI] | Wilcoxon p (Holm) | seeds | verdict | paper |\n"
            "|---|---|---|---|---|---|---|\n")

    def line(r):
        paper = "" if not np.isfinite(r.paper_ratio) else _g(r.paper_ratio)
        return (f"| {CLAIMS.get((r.method, r.metric), f'LNP vs {r.method}, {r.metric}')} | "
                f"{r.ratio_definition} | {_g(r.ratio_median)} [{_g(r.ratio_ci_low)}, "
                f"{_g(r.ratio_ci_high)}] | {_g(r.p_wilcoxon, 2)} ({_g(r.p_holm, 2)}) | "
                f"{int(r.n)} | {r.verdict} | {paper} |\n")
    if not len(pairs):
        return "# Study: claim by claim\n\nNo finished units.\n"
    out = ["# Study: claim by claim\n\n"
           "Generated from study_paired.csv (paired over seeds; ratio medians with 95 % "
           "percentile-bootstrap intervals, 10 000 resamples; verdicts by the "
           "pre-registered rule).\n\n"]
    paper = pairs[[(a, t, m, k) in PAPER_EFFECTS for a, t, m, k in
                   zip(pairs.architecture, pairs.task, pairs.method, pairs.metric)]]
    if len(paper):
        out.append("## The paper's claims (HRSNN, Lorenz-63, Table 2)\n\n" + head)
        out += [line(r) for r in paper.itertuples()]
        out.append("\n")
    for (arch, task), g in pairs.groupby(["architecture", "task"], sort=True):
        out.append(f"## {arch}, {task}\n\n" + head)
        order = {m: i for i, m in enumerate(METHODS)}
        metric_order = {"SOPs": 0, "NRMSE": 1, "VPT": 2}
        g = g.sort_values(by=["method", "metric"], key=lambda col: col.map(
            order if col.name == "method" else metric_order))
        out += [line(r) for r in g.itertuples()]
        out.append("\n")
    return "".join(out)


def fig3c_table(df):
    """Test NRMSE of LNP and matched Random-ER networks over LNP iterations (Lorenz-63).

    One row per architecture, curve and ``snapshot``: the iteration of a snapshot ("0",
    the unpruned network, starts both curves) or "final" for each seed's final LNP
    network and its matched control, whatever iteration that seed stopped at
    (``iteration_mean`` is then the mean stopping iteration). A snapshot iteration
    averages only the seeds that reached it (``NRMSE_n``).
    """
    d = df[(df.task == "lorenz63") & df.iteration.notna()].copy()
    if d.empty:
        return d
    curve = {"Unpruned": ["LNP", "Random-ER"], "LNP": ["LNP"], "Random-ER": ["Random-ER"]}
    parts = []
    for m, g in d.groupby("method"):
        names = curve.get(m, ["LNP"] if m.startswith("LNP@") else
                          ["Random-ER"] if m.startswith("Random-ER@") else [])
        snapshot = (["final"] * len(g) if m in ("LNP", "Random-ER")
                    else [str(int(k)) for k in g.iteration])
        for name in names:
            parts.append(g.assign(curve=name, snapshot=snapshot))
    d = pd.concat(parts, ignore_index=True)
    out = summarize(d, ["architecture", "curve", "snapshot"],
                    ["NRMSE", "SOPs", "n_active_neurons", "iteration"])
    out["order"] = [np.inf if k == "final" else int(k) for k in out.snapshot]
    return out.sort_values(["architecture", "curve", "order"], ignore_index=True).drop(
        columns="order")


def evolution(lnp_hist, ap_hist):
    """Neurons and synapses over iterations, LNP and AP (Fig. 3(a,b))."""
    frames = []
    if len(lnp_hist):
        st = lnp_hist.get("stage", pd.Series("iteration", index=lnp_hist.index))
        h = lnp_hist[st.fillna("iteration") != "final"]
        frames.append(h[["architecture", "seed", "method", "iteration", "neurons",
                         "synapses"]].assign(task="(task-agnostic)"))
    if len(ap_hist):
        h = ap_hist[ap_hist["accepted"].astype(bool)]
        frames.append(h[["architecture", "seed", "method", "iteration", "neurons", "synapses",
                         "task"]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def carried_forward(evo):
    """``evo`` with each seed's last network repeated up to the last iteration of its group.

    A method that stopped (LNP converged, AP's validation stop) keeps its last network,
    so averaging over seeds at iteration k must include the seeds that stopped before k;
    otherwise the mean jumps whenever a seed drops out. Added rows have ``carried`` True.
    """
    if not len(evo):
        return evo
    keys, parts = ["architecture", "method", "task"], []
    for _, g in evo.groupby(keys, sort=False):
        last = int(g.iteration.max())
        for _, s in g.groupby("seed", sort=False):
            s = s.sort_values("iteration").drop_duplicates("iteration", keep="last")
            full = s.set_index("iteration").reindex(range(int(s.iteration.min()), last + 1))
            full["carried"] = full["neurons"].isna()
            parts.append(full.ffill().rename_axis("iteration").reset_index())
    out = pd.concat(parts, ignore_index=True)
    out["carried"] = out["carried"].astype(bool)
    return out


def figures(settings, main, fig3c, evo):
    import matplotlib.pyplot as plt

    files = []
    archs = sorted(set(main.architecture), key=lambda a: (a != "HRSNN", a))
    tasks = [t for t in TASKS if t in set(main.task)]
    if archs:
        fig, axes = plt.subplots(len(archs), len(tasks), figsize=(4.6 * len(tasks),
                                                                  3.8 * len(archs)),
                                 squeeze=False, constrained_layout=True)
        for (i, arch), (j, task) in itertools.product(enumerate(archs), enumerate(tasks)):
            ax = axes[i, j]
            g = main[(main.architecture == arch) & (main.task == task)]
            for k, m in enumerate(METHODS):
                s = g[g.method == m]
                ax.scatter(s.SOPs, s.NRMSE, s=40 - 5 * k, color=f"C{k}", marker="osD^v"[k],
                           facecolors="none" if m == "Unpruned" else f"C{k}",
                           label=f"{m} (n={int(s.NRMSE.notna().sum())})")
            if (g.SOPs > 0).any():  # a cell whose runs all failed has no SOPs
                ax.set_xscale("log")
                ax.tick_params(axis="x", which="minor", labelsize=6, labelrotation=30)
            else:
                reason = next((f for f in g.failure.fillna("") if f), "no finished run")
                ax.text(0.5, 0.5, "no scores:\n" + reason[:60] + "\n" + reason[60:120],
                        transform=ax.transAxes, ha="center", va="center", fontsize=7)
            ax.set_xlabel("SOPs (evaluation run)")
            ax.set_ylabel("test NRMSE")
            ax.set_title(f"{arch} {task}")
            ax.legend(fontsize=7)
        fig.suptitle("efficiency frontier: every method and seed")
        files.append(save_figure(fig, settings, "study_frontier.png"))
    if len(fig3c):
        archs = list(dict.fromkeys(fig3c.architecture))
        labels = list(dict.fromkeys(fig3c.snapshot))  # the table's order: iterations, "final"
        fig, axes = plt.subplots(1, len(archs), figsize=(6 * len(archs), 3.8), squeeze=False)
        for ax, arch in zip(axes[0], archs):
            for name, color, dx in (("LNP", "C3", -0.08), ("Random-ER", "0.4", 0.08)):
                s = fig3c[(fig3c.architecture == arch) & (fig3c.curve == name)]
                x = np.array([labels.index(k) for k in s.snapshot]) + dx
                m, sd = s.NRMSE_mean.to_numpy(), np.nan_to_num(s.NRMSE_std.to_numpy())
                ax.errorbar(x, m, sd, fmt="o-", color=color, ms=3, capsize=2,
                            label=f"{name} (n<={int(s.NRMSE_n.max())})")
            ax.set_xticks(range(len(labels)))
            ax.set_xticklabels([f"{k}\n(n={int(n)})" for k, n in zip(
                *fig3c[(fig3c.architecture == arch) & (fig3c.curve == "LNP")]
                .set_index("snapshot").reindex(labels).NRMSE_n.fillna(0).reset_index()
                .to_numpy().T)], fontsize=7)
            ax.set_xlabel("LNP snapshot: iteration, or each seed's final network")
            ax.set_ylabel("Lorenz-63 test NRMSE")
            ax.set_title(f"(c) {arch}, mean +- std over seeds")
            ax.legend(fontsize=8)
        files.append(save_figure(fig, settings, "study_fig3c.png"))
    if len(evo):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        groups = list(carried_forward(evo).groupby(["architecture", "method", "task"],
                                                   sort=False))
        for ax, col in zip(axes, ("neurons", "synapses")):
            for k, ((arch, method, task), g) in enumerate(groups):
                s = g.groupby("iteration")[col].agg(["mean", "std", "count"]).reset_index()
                ax.plot(s.iteration, s["mean"], "o-" if method == "LNP" else "s--", ms=3,
                        color=f"C{k}", label=f"{arch} {method} {'' if method == 'LNP' else task}"
                        f" (n<={int(s['count'].max())})")
                ax.fill_between(s.iteration, s["mean"] - np.nan_to_num(s["std"]),
                                s["mean"] + np.nan_to_num(s["std"]), color=f"C{k}", alpha=0.2)
            ax.set_xlabel("pruning iteration (a stopped seed keeps its last network)")
            ax.set_title("(a) active neurons" if col == "neurons" else "(b) effective synapses")
            ax.legend(fontsize=7)
        files.append(save_figure(fig, settings, "study_fig3ab.png"))
    return files


def run(settings):
    cfg = plan(settings)
    df, lnp_hist, ap_hist, unit_log = run_units(settings, cfg)
    files = []
    if df.empty:
        return {"files": files, "data": df, "config": cfg}
    main = df[df.method.isin(METHODS)].reset_index(drop=True)
    table, pairs, f3c, evo = table2(main), paired(main), fig3c_table(df), evolution(lnp_hist,
                                                                                    ap_hist)
    files += [write_csv(main, settings, "study_rows.csv"),
              write_csv(table, settings, "study_table2.csv"),
              write_csv(pairs, settings, "study_paired.csv"),
              write_csv(f3c, settings, "study_fig3c.csv"),
              write_csv(evo, settings, "study_pruning_evolution.csv"),
              write_csv(unit_log, settings, "study_units.csv"),
              write_text(claims_markdown(pairs), settings, "study_claims.md"),
              write_json({"config": cfg, "device": settings.device, "quick": settings.quick,
                          "unit_seconds": dict(zip(unit_log.key, unit_log.seconds))},
                         settings, "study_run.json")]
    files += figures(settings, main, f3c, evo)
    return {"files": files, "data": main, "all_rows": df, "table": table, "paired": pairs,
            "fig3c": f3c, "evolution": evo, "config": cfg, "units": unit_log}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
