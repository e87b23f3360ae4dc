"""Neurons and synapses over pruning iterations, LNP vs activity pruning (seed 000, Fig. 3(a,b)).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Fig. 3(a) number of neurons and
3(b) number of synapses against the pruning iteration, for LNP and for the
activity-pruning baseline (AP, 000 Suppl. A.3 / Algorithm 4), mean and spread
over repeats.

What this file does: per repeat (seed), generate an HRSNN, run the LNP driver
(:func:`brian2_lnp.pruning.prune`, Steps I-III each iteration, Step IV after
the last) and record its history; run AP on the same network: firing rates
under the background input decide which 10 % of the active neurons go,
the network is STDP-retrained and scored on Lorenz-63 one-step prediction
(:func:`brian2_lnp.tasks.evaluate.evaluate`, NRMSE), and AP stops after
``max_iterations`` or when NRMSE rises above baseline / 0.9. Writes
``Fig3ab_pruning_evolution.csv`` (every history row), ``..._summary.csv``
(mean, std, n per method and iteration) and ``Fig3ab_pruning_evolution.png``.

Differences from the paper's setup:
* --quick: hrsnn_small (125 neurons), LNP 8 iterations x 3 repeats, AP at most 3
  iterations x 2 repeats, shortened task runs (STDP on 100 steps, 200-step
  context, 50-step forecast); paper scale: N = 5000, 100 LNP iterations,
  10 repeats, AP up to 100 iterations with the full task protocol.
* AP's activity is measured under the background Poisson input (the paper
  measures it on the task; it does not say which data); the score is the
  Lorenz-63 NRMSE (the paper names no task for Fig. 3(a,b)).
* --no-ap runs the LNP side only (no Brian2 run, --device has no effect).
"""
import numpy as np
import pandas as pd

from brian2_lnp.protocols import Task, protocol_parser, repeat_seed, run_tasks, save_figure, \
    summarize, write_csv
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.units import activity_repeat, eval_options, lnp_options, lnp_repeat

NAME = "Chakraborty_2024_Fig3ab_pruning_evolution"


def build_parser():
    p = protocol_parser(NAME, __doc__)
    p.add_argument("--no-ap", action="store_true", help="LNP side only (no activity pruning)")
    p.add_argument("--ap-repeats", type=int, default=None, help="AP repeats (default: quick 2, "
                                                                "paper = --repeats)")
    return p


def run(settings):
    repeats = settings.repeats or pick(settings, 3, 10)
    ap_repeats = settings.extra.get("ap_repeats") or pick(settings, min(2, repeats), repeats)
    model, N = ("hrsnn_small", None) if settings.quick else ("hrsnn", 5000)
    iters = pick(settings, 8, 100)
    tasks = [Task(f"lnp_r{r:02d}", lnp_repeat,
                  dict(model=model, N=N, seed=repeat_seed(settings.seed, NAME, r),
                       prune_kwargs=lnp_options(settings.quick, iterations=iters),
                       n_inputs=30))
             for r in range(repeats)]
    if not settings.extra.get("no_ap"):
        tasks += [Task(f"ap_r{r:02d}", activity_repeat,
                       dict(model=model, task="lorenz63", N=N,
                            seed=repeat_seed(settings.seed, NAME, r),
                            max_iterations=pick(settings, 3, 100), device=settings.device,
                            eval_kwargs=eval_options(settings.quick)))
                  for r in range(ap_repeats)]
    res = run_tasks(tasks, settings.repeat_dir(NAME), n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, resume=settings.resume,
                    progress=settings.progress, desc=NAME)
    frames = []
    for t in tasks:
        h = res[t.key]["history"].copy()
        method = "LNP" if t.key.startswith("lnp") else "AP"
        if method == "AP":
            h = h[h["accepted"]]  # the failing candidate is not part of the AP network
        h = h[[c for c in ("iteration", "stage", "neurons", "synapses", "sops_per_rate",
                           "lambda_max", "score") if c in h.columns]].copy()
        h.insert(0, "method", method)
        h.insert(1, "repeat", int(t.key[-2:]))
        frames.append(h)
    df = pd.concat(frames, ignore_index=True)
    it = df[df.get("stage", pd.Series("iteration", index=df.index)).fillna("iteration")
            != "final"]
    summary = summarize(it, ["method", "iteration"], ["neurons", "synapses"])
    files = [write_csv(df, settings, "Fig3ab_pruning_evolution.csv"),
             write_csv(summary, settings, "Fig3ab_pruning_evolution_summary.csv")]
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, col, title in ((axes[0], "neurons", "(a) neurons"),
                           (axes[1], "synapses", "(b) synapses")):
        for method, color in (("LNP", "C3"), ("AP", "C0")):
            s = summary[summary.method == method]
            if s.empty:
                continue
            m, sd = s[f"{col}_mean"].to_numpy(), np.nan_to_num(s[f"{col}_std"].to_numpy())
            ax.plot(s.iteration, m, "o-", color=color, ms=3,
                    label=f"{method} (n={int(s[f'{col}_n'].max())})")
            ax.fill_between(s.iteration, m - sd, m + sd, color=color, alpha=0.25)
        ax.set_xlabel("pruning iteration")
        ax.set_title(title)
        ax.legend()
    fig.suptitle("mean +- std over repeats")
    files.append(save_figure(fig, settings, "Fig3ab_pruning_evolution.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
