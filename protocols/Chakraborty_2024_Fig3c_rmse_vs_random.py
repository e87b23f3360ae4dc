"""Lorenz-63 error over pruning iterations, LNP vs a matched random graph (seed 000, Fig. 3(c)).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Fig. 3(c): RMSE on Lorenz-63 as
pruning proceeds, for the LNP network and for the "Random initialization"
control -- after each LNP iteration an Erdos-Renyi graph with the same number
of neurons and synapses.

What this file does: per repeat, run LNP on an HRSNN keeping the network at a
few iterations (snapshots); for each snapshot, STDP-train and evaluate on
Lorenz-63 (:func:`brian2_lnp.tasks.evaluate.evaluate`, one-step prediction)
both the LNP network and an Erdos-Renyi graph with its active-neuron and
effective-synapse counts (:func:`brian2_lnp.pruning.random_er`; E/I signs by
Dale's law, weight magnitudes resampled from the unpruned network), written
into the same Brian2 model (original synapses switched off, random ones
connected). Writes ``Fig3c_rmse_vs_random.csv`` (every evaluate row),
``..._summary.csv`` and ``Fig3c_rmse_vs_random.png``.

Differences from the paper's setup:
* The paper plots "RMSE"; evaluate() reports NRMSE (RMSE of the z-scored series
  divided by each dimension's long-term std, i.e. RMSE in units of the std),
  which is what is plotted.
* --quick: hrsnn_small, 8 LNP iterations, snapshots at 0, 4, 8, 1 repeat,
  shortened task runs; paper scale: N = 5000, 100 iterations, snapshots every
  10 iterations, 10 repeats, G's default protocol (500-step context).
* The random graph's neurons are drawn at random among all N (the paper does
  not say which neurons it keeps).
"""
import numpy as np
import pandas as pd

from brian2_lnp.protocols import Task, protocol_parser, repeat_seed, run_tasks, save_figure, \
    summarize, write_csv
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.units import (er_control, eval_options, evaluate_row, lnp_options,
                                        lnp_repeat, task_inputs)
from brian2_lnp.random import child_seed

NAME = "Chakraborty_2024_Fig3c_rmse_vs_random"


def build_parser():
    return protocol_parser(NAME, __doc__)


def rmse_unit(model, N, seed, prune_kwargs, snapshots, device, eval_kwargs):
    """LNP with snapshots, then evaluate LNP and ER networks at every snapshot."""
    out = lnp_repeat(model, N, seed, prune_kwargs, snapshots=snapshots,
                     n_inputs=task_inputs("lorenz63"))
    rows = []
    for k in sorted(out["snapshots"]):
        conn = out["snapshots"][k]
        nets = [("LNP", conn)]
        if k > 0:
            er_seed = int(child_seed(seed, "er", k).integers(2**31))
            nets.append(("random ER", er_control(out["original"], conn, er_seed)))
        for label, c in nets:
            row = evaluate_row(model, "lorenz63", N, seed, pruning=c, label=label,
                               device=device, eval_kwargs=eval_kwargs)
            row["iteration"] = k
            rows.append(row)
    df = pd.concat(rows, ignore_index=True)
    # iteration 0 is the same unpruned network for both curves
    first = df[df.iteration == 0].copy()
    first["pruning"] = "random ER"
    return pd.concat([df, first], ignore_index=True)


def run(settings):
    repeats = settings.repeats or pick(settings, 1, 10)
    model, N = ("hrsnn_small", None) if settings.quick else ("hrsnn", 5000)
    iters = pick(settings, 8, 100)
    snaps = list(range(0, iters + 1, pick(settings, 4, 10)))
    tasks = [Task(f"r{r:02d}", rmse_unit,
                  dict(model=model, N=N, seed=repeat_seed(settings.seed, NAME, r),
                       prune_kwargs=lnp_options(settings.quick, iterations=iters,
                                                steps=("noise", "centrality", "delocalize")),
                       snapshots=snaps, device=settings.device,
                       eval_kwargs=eval_options(settings.quick)))
             for r in range(repeats)]
    res = run_tasks(tasks, settings.repeat_dir(NAME), n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, resume=settings.resume,
                    progress=settings.progress, desc=NAME)
    df = pd.concat([res[t.key].assign(repeat=i) for i, t in enumerate(tasks)], ignore_index=True)
    summary = summarize(df, ["pruning", "iteration"],
                        ["NRMSE", "NRMSE_paper_readout", "NRMSE_persistence",
                         "n_active_neurons", "n_effective_synapses", "SOPs"])
    files = [write_csv(df, settings, "Fig3c_rmse_vs_random.csv"),
             write_csv(summary, settings, "Fig3c_rmse_vs_random_summary.csv")]
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for label, color in (("LNP", "C3"), ("random ER", "0.4")):
        s = summary[summary.pruning == label]
        m, sd = s["NRMSE_mean"].to_numpy(), np.nan_to_num(s["NRMSE_std"].to_numpy())
        ax.plot(s.iteration, m, "o-", color=color, label=label)
        ax.fill_between(s.iteration, m - sd, m + sd, color=color, alpha=0.2)
    ax.set_xlabel("LNP iteration")
    ax.set_ylabel("Lorenz-63 NRMSE (one step)")
    ax.set_title(f"(c) {repeats} repeat(s)")
    ax.legend()
    files.append(save_figure(fig, settings, "Fig3c_rmse_vs_random.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
