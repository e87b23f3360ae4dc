"""Ablation of the LNP steps: accuracy vs SOPs at points A-E (seed 000, Suppl. B.5 / Fig. 13).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Suppl. B.5 "Ablation Study",
Fig. 13: the HRSNN at point A (unpruned), B (after Step I, synapse noise
pruning), C (+ Step II, node pruning), D (+ Step III, delocalising edges),
E (+ Step IV, timescales = full LNP), and the dotted branches that skip steps
(E' without Step II, E'' without Steps II and III, C -> Step IV skipping III),
each trained with STDP and scored by accuracy and average SOPs.

What this file does: for each ablation point (``brian2_lnp.pruning.ABLATIONS``)
and repeat, run the LNP driver with only that point's steps on the same
generated HRSNN, then train it with STDP on images and measure test accuracy
and SOPs with :func:`brian2_lnp.tasks.evaluate.evaluate` (100 ms Poisson
presentation + 100 ms silence per image, readout on spike counts of the top-10 %
betweenness neurons). Writes ``B5_ablation.csv``, ``B5_ablation_summary.csv`` and
``B5_ablation.png`` (accuracy against SOPs, points labelled, the paper's
A->B->C->D->E path drawn solid and the branches dotted).

Differences from the paper's setup:
* Fashion-MNIST in place of CIFAR-10 (CIFAR-10 is not shipped by any installed
  package and nothing is downloaded at run time; ``brian2_lnp.datasets.cifar``
  reads user-provided batches). The data set is named in every output.
* --quick: hrsnn_small (125 neurons), points A-E only, 1 repeat, 8 LNP
  iterations, 60 training / 40 test images pooled 2x2 (14x14 inputs), 50 ms +
  50 ms presentation; paper scale: N = 5000, all 8 points, 3 repeats, 100
  iterations, 500 / 200 images, 100 ms + 100 ms.
* The paper reports one run per point; we give mean +- std over repeats.
"""
import numpy as np
import pandas as pd

from brian2_lnp.protocols import Task, protocol_parser, repeat_seed, run_tasks, save_figure, \
    summarize, write_csv
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.units import evaluate_row, lnp_options, lnp_repeat

NAME = "Chakraborty_2024_B5_ablation"
TASK = "fashion_mnist"
SOLID = ("A", "B", "C", "D", "E")
BRANCHES = (("B", "E''"), ("B", "E'"), ("C", "C+IV"))


def build_parser():
    return protocol_parser(NAME, __doc__)


def ablation_unit(model, N, seed, point, prune_kwargs, device, eval_kwargs):
    """Prune with one ablation point's steps (none for A), then evaluate on images."""
    from brian2_lnp.pruning import ABLATIONS

    steps = ABLATIONS[point]
    conn, hist = None, None
    if steps:
        out = lnp_repeat(model, N, seed, dict(prune_kwargs, steps=steps))
        conn, hist = out["final"], out["history"]
    row = evaluate_row(model, TASK, N, seed, pruning=conn, label=point, device=device,
                       eval_kwargs=eval_kwargs)
    row["point"] = point
    row["steps"] = "+".join(steps) if steps else "none"
    return {"row": row, "history": hist}


def run(settings):
    from brian2_lnp.pruning import ABLATIONS

    repeats = settings.repeats or pick(settings, 1, 3)
    points = list(SOLID) if settings.quick else list(ABLATIONS)
    model, N = ("hrsnn_small", None) if settings.quick else ("hrsnn", 5000)
    ev = pick(settings,
              dict(n_train_images=60, n_test_images=40, pool=2, presentation=0.05,
                   silence=0.05),
              dict(n_train_images=500, n_test_images=200))
    opts = lnp_options(settings.quick, iterations=pick(settings, 8, 100))
    tasks = [Task(f"{p.replace(chr(39), 'p').replace('+', '_')}_r{r:02d}", ablation_unit,
                  dict(model=model, N=N, seed=repeat_seed(settings.seed, NAME, r), point=p,
                       prune_kwargs=opts, device=settings.device, eval_kwargs=ev))
             for p in points for r in range(repeats)]
    res = run_tasks(tasks, settings.repeat_dir(NAME), n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, resume=settings.resume,
                    progress=settings.progress, desc=NAME)
    df = pd.concat([res[t.key]["row"].assign(repeat=int(t.key[-2:])) for t in tasks],
                   ignore_index=True)
    df["dataset"] = "Fashion-MNIST (in place of CIFAR-10)"
    summary = summarize(df, ["point", "steps"], ["accuracy", "SOPs", "n_active_neurons",
                                                 "n_effective_synapses"])
    files = [write_csv(df, settings, "B5_ablation.csv"),
             write_csv(summary, settings, "B5_ablation_summary.csv")]
    import matplotlib.pyplot as plt
    s = summary.set_index("point")
    fig, ax = plt.subplots(figsize=(5.5, 4))

    def xy(p):
        return s.loc[p, "SOPs_mean"], s.loc[p, "accuracy_mean"]

    path = [p for p in SOLID if p in s.index]
    ax.plot([xy(p)[0] for p in path], [xy(p)[1] for p in path], "o-", color="C0")
    for a, b in BRANCHES:
        if a in s.index and b in s.index:
            ax.plot([xy(a)[0], xy(b)[0]], [xy(a)[1], xy(b)[1]], "o:", color="C2")
    for p in s.index:
        ax.errorbar(*xy(p), xerr=np.nan_to_num(s.loc[p, "SOPs_std"]),
                    yerr=np.nan_to_num(s.loc[p, "accuracy_std"]), color="k", capsize=2)
        ax.annotate(p, xy(p), textcoords="offset points", xytext=(4, 4))
    ax.set_xscale("log")
    ax.set_xlabel("SOPs (test presentations)")
    ax.set_ylabel("test accuracy")
    ax.set_title("LNP ablation on Fashion-MNIST (paper: CIFAR-10)")
    files.append(save_figure(fig, settings, "B5_ablation.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
