"""The main job of the README: ``python3 -m brian2_lnp demo``.

On the embedded default (the packaged ``hrsnn_small`` model file, N = 125,
seed 0) it builds an HRSNN, prunes it with LNP (quick settings: 10
iterations of Steps I-III and a 4-call Step IV), then trains both the
unpruned and the pruned network with STDP on Lorenz-63 and evaluates them
(one-step prediction, ridge readout on the top-10 % betweenness neurons),
prints a table (neurons, synapses, SOPs, NRMSE, VPT) and writes
``demo.csv`` and ``demo.png``.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from .common import save_figure, use_agg, write_csv, write_json
from .units import evaluate_row, lnp_options, lnp_repeat, task_inputs

__all__ = ["run_demo", "DEMO_DEFAULTS"]

logger = logging.getLogger(__name__)

#: the embedded default of the demo
DEMO_DEFAULTS = {"model": "hrsnn_small", "N": None, "seed": 0, "task": "lorenz63",
                 "iterations": 10, "readout": "ridge"}


def run_demo(out="figures", model=None, N=None, seed=None, iterations=None, device="runtime",
             progress=True, echo=print):
    """Build, prune, train and evaluate; return the result table (DataFrame).

    Parameters
    ----------
    out : str
        Directory for ``demo.csv``, ``demo_history.csv``, ``demo.png``, ``demo.json``.
    model, N, seed, iterations :
        Override :data:`DEMO_DEFAULTS`.
    device : str
        Brian2 device for training/evaluation ("runtime" or "cpp_standalone").
    progress : bool
        Progress bar over the pruning iterations.
    echo : callable
        Where the table and messages go (the CLI passes print).
    """
    cfg = dict(DEMO_DEFAULTS)
    for k, v in (("model", model), ("N", N), ("seed", seed), ("iterations", iterations)):
        if v is not None:
            cfg[k] = v
    t_start = time.perf_counter()
    n_in = task_inputs(cfg["task"])
    echo(f"[1/3] LNP pruning of {cfg['model']} (seed {cfg['seed']}, "
         f"{cfg['iterations']} iterations)")
    opts = lnp_options(True, iterations=cfg["iterations"], progress=progress)
    res = lnp_repeat(cfg["model"], cfg["N"], cfg["seed"], opts, n_inputs=n_in)
    t_prune = time.perf_counter() - t_start
    rows = []
    for i, (label, pruning) in enumerate((("unpruned", None), ("LNP", res["final"]))):
        echo(f"[{2 + i}/3] STDP training + Lorenz-63 evaluation: {label}")
        rows.append(evaluate_row(cfg["model"], cfg["task"], cfg["N"], cfg["seed"],
                                 pruning=pruning, label=label, device=device,
                                 eval_kwargs={"readout": cfg["readout"]}))
    table = pd.concat(rows, ignore_index=True)
    cols = ["pruning", "n_active_neurons", "n_effective_synapses", "SOPs", "NRMSE", "VPT",
            "NRMSE_persistence", "NRMSE_raw_input"]
    small = table[cols].rename(columns={"pruning": "network", "n_active_neurons": "neurons",
                                        "n_effective_synapses": "synapses"})
    total = time.perf_counter() - t_start
    echo("")
    echo(small.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    echo("")
    echo(f"NRMSE_persistence: forecast y(t+1) = y(t); NRMSE_raw_input: the same readout on "
         f"the raw input window. VPT in series steps (dt = 0.01).")
    write_csv(table, out, "demo.csv")
    write_csv(res["history"], out, "demo_history.csv")
    write_json({"config": cfg, "seconds_total": total, "seconds_pruning": t_prune}, out,
               "demo.json")
    use_agg()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(12, 3.4))
    h = res["history"]
    ax[0].plot(h["iteration"], h["neurons"], "o-", label="neurons")
    ax[0].plot(h["iteration"], h["synapses"], "s-", label="synapses")
    ax[0].set_xlabel("LNP iteration")
    ax[0].set_yscale("log")
    ax[0].legend()
    ax[0].set_title("network size during LNP")
    x = np.arange(len(small))
    ax[1].bar(x, small["SOPs"], color=["0.6", "C3"])
    ax[1].set_xticks(x, small["network"])
    ax[1].set_title("SOPs (evaluation run)")
    w = 0.35
    ax[2].bar(x - w / 2, small["NRMSE"], w, color=["0.6", "C3"], label="network")
    ax[2].bar(x + w / 2, small["NRMSE_persistence"], w, color="none", edgecolor="k",
              label="persistence")
    ax[2].set_xticks(x, small["network"])
    ax[2].set_title("Lorenz-63 one-step NRMSE")
    ax[2].legend()
    fig.suptitle(f"brian2_lnp demo: {cfg['model']}, seed {cfg['seed']}", y=1.04)
    path = save_figure(fig, out, "demo.png")
    echo(f"wrote {out}/demo.csv, demo_history.csv, demo.json and {path} "
         f"({total:.0f} s in total)")
    return table
