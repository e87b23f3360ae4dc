"""Final membrane time-constant distributions after LNP (seed 000, Suppl. Fig. 10).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Suppl. B.1 "Final Timescales of the
Pruned Network": the tau_m distribution a 5000-neuron HRSNN / CHRSNN ends with
after LNP, which both prunes and optimises timescales (Step IV).

What this file does: for each model (HRSNN, CHRSNN) and each repeat, generate
the network, run LNP (Steps I-IV; Step IV once after the last iteration), and
record tau_m of the active neurons before and after, per population (E, I)
for HRSNN and per cluster family for CHRSNN. Writes
``Fig10_tau_distributions.csv`` (one row per neuron), ``..._summary.csv``
(mean/median/CV per model, stage, population) and ``Fig10_tau_distributions.png``
(histograms before vs after).

Differences from the paper's setup:
* --quick: the small model files (125 neurons), 8 iterations, 2 repeats, short
  rate-surrogate runs for the Lyapunov quantities (10 leading exponents) and a
  4-call Bayesian optimisation in Step IV. Paper scale: N = 5000, 100
  iterations, 10 repeats, library defaults.
* The paper shows one initialisation; we pool several repeats (seeds) and
  keep the repeat in the CSV.
* The paper does not state the Step IV objective target or the number of BO
  calls; the library defaults (docs/pruning.md) are used.
* No task is involved: this protocol never runs Brian2, so --device has no effect.
"""
import numpy as np
import pandas as pd

from brian2_lnp.protocols import Task, protocol_parser, repeat_seed, run_tasks, save_figure, \
    write_csv
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.units import lnp_options, lnp_repeat

NAME = "Chakraborty_2024_Fig10_tau_distributions"
MODELS = {"quick": [("HRSNN", "hrsnn_small", None), ("CHRSNN", "chrsnn_small", None)],
          "paper": [("HRSNN", "hrsnn", 5000), ("CHRSNN", "chrsnn", 5000)]}


def build_parser():
    return protocol_parser(NAME, __doc__)


def _groups(conn):
    """Population label per neuron: E/I, and the cluster for CHRSNN."""
    lab = np.where(conn.types == 0, "E", "I").astype(object)
    if conn.cluster.max() > 0:
        lab = np.array([f"{t}{c}" for t, c in zip(lab, conn.cluster)], dtype=object)
    return lab


def run(settings):
    repeats = settings.repeats or pick(settings, 2, 10)
    models = MODELS["quick" if settings.quick else "paper"]
    opts = lnp_options(settings.quick, iterations=pick(settings, 8, 100))
    tasks = [Task(f"{label}_r{r:02d}", lnp_repeat,
                  dict(model=model, N=N, seed=repeat_seed(settings.seed, NAME, label, r),
                       prune_kwargs=opts))
             for label, model, N in models for r in range(repeats)]
    res = run_tasks(tasks, settings.repeat_dir(NAME), n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, resume=settings.resume,
                    progress=settings.progress, desc=NAME)
    rows = []
    for (label, _, _), r in [(m, r) for m in models for r in range(repeats)]:
        out = res[f"{label}_r{r:02d}"]
        for stage, conn in (("initial", out["original"]), ("final", out["final"])):
            act = conn.neuron_active
            grp = _groups(conn)
            pop = np.where(conn.types == 0, "E", "I")
            rows.append(pd.DataFrame({"model": label, "repeat": r, "stage": stage,
                                      "population": pop[act], "group": grp[act],
                                      "tau_m_ms": conn.tau_m[act] * 1e3}))
    df = pd.concat(rows, ignore_index=True)
    g = df.groupby(["model", "stage", "population"])["tau_m_ms"]
    summary = pd.DataFrame({"n": g.size(), "mean_ms": g.mean(), "median_ms": g.median(),
                            "cv": g.std() / g.mean()}).reset_index()
    files = [write_csv(df, settings, "Fig10_tau_distributions.csv"),
             write_csv(summary, settings, "Fig10_tau_distributions_summary.csv")]
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.5), squeeze=False)
    for ax, (label, _, _) in zip(axes[0], models):
        sub = df[df.model == label]
        bins = np.linspace(0, np.percentile(sub.tau_m_ms, 99.5), 40)
        for (stage, pop), s in sub.groupby(["stage", "population"]):
            ax.hist(s.tau_m_ms, bins=bins, histtype="step", density=True, lw=1.5,
                    ls="-" if stage == "final" else ":", color="C0" if pop == "E" else "C3",
                    label=f"{pop}, {'after LNP' if stage == 'final' else 'initial'}")
        ax.set_xlabel(r"$\tau_m$ (ms)")
        ax.set_ylabel("density")
        ax.set_title(f"{label}: {repeats} repeat(s)")
        ax.legend(fontsize=8)
    files.append(save_figure(fig, settings, "Fig10_tau_distributions.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
