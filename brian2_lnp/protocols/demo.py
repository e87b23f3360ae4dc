"""The main job of the README: ``python3 -m brian2_lnp demo``.

One HRSNN (the packaged ``hrsnn`` model file, N = 1000, seed 0) and three
pruned versions of it, each STDP-trained and scored on Lorenz-63 one-step
prediction with the same protocol:

* ``unpruned``;
* ``LNP``: :func:`brian2_lnp.pruning.prune` with the demo's explicit settings
  (:data:`DEMO_DEFAULTS`: few iterations and short rate-surrogate runs so the
  whole demo fits in about five minutes on two cores - fewer than the paper's
  100 iterations, and the output says so);
* ``activity-pruned``: the least active neurons (firing rate under the
  background input) removed until as many neurons are active as after LNP -
  a size-matched, one-shot version of the paper's activity pruning (000 A.3);
* ``random-matched``: an Erdos-Renyi network with LNP's numbers of active
  neurons and effective synapses, weights drawn from the original (000 Fig. 3c).

The task uses the encoding defaults (:mod:`brian2_lnp.tasks.specs`: 20
population channels per dimension, 1600 Hz) and a network-only ridge readout
fitted once on a training stretch after STDP, shortened to 1000 steps
(:data:`DEMO_DEFAULTS` ``n_fit``) to fit the time budget. With so short a
stretch no readout of the value x(k+1) beat persistence on the validation
split, so the demo's readout (:data:`DEMO_READOUT`) was chosen on validation
among value and increment targets (benchmarks/demo_readout_selection.py): the
network predicts the increment x(k+1) - x(k) and x(k) is added back, i.e.
persistence plus a correction read from the network alone. Every row also carries its yardsticks - persistence, the
same ridge on the raw input, a linear autoregression whose order is chosen on
the validation split - and the paper's per-window readout on the same spikes.

The printed table holds only computed quantities that do not depend on wall
time, so two runs with the same seed print the same table. Files:
``demo.csv`` (full rows), ``demo_history.csv`` (LNP iterations), ``demo.json``
(settings and wall times) and ``demo.png``.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from ..random import child_seed
from .common import save_figure, use_agg, write_csv, write_json
from .units import (brian_rates, er_control, evaluate_row, lnp_options, lnp_repeat,
                    make_connectivity, task_inputs)

__all__ = ["run_demo", "DEMO_DEFAULTS", "activity_matched"]

logger = logging.getLogger(__name__)

#: the embedded default of the demo (explicit settings, documented above)
DEMO_DEFAULTS = {"model": "hrsnn", "N": 1000, "seed": 0, "task": "lorenz63",
                 "iterations": 3, "stdp_steps": 500, "n_fit": 1000, "n_context": 500,
                 "n_predict": 100, "rate_seconds": 0.5}

#: the readout of the demo, chosen on the Lorenz-63 validation split for the demo's
#: 1000 fitting steps (benchmarks/demo_readout_selection.py,
#: benchmarks/demo_readout_validation.csv); the test split is scored once, by the demo
#: (network-only ridge of the increment x(k+1) - x(k), x(k) added back; every active
#: neuron; filters 10 / 50 ms; penalty 10 on unscaled features: validation NRMSE 0.031
#: against persistence 0.076)
DEMO_READOUT = {"target": "increment", "fraction": 1.0, "taus": (0.01, 0.05),
                "alphas": (10.0,), "standardize": False}

TABLE = {"pruning": "network", "n_active_neurons": "neurons",
         "n_effective_synapses": "synapses", "SOPs": "SOPs", "NRMSE": "NRMSE", "VPT": "VPT",
         "NRMSE_persistence": "persistence", "NRMSE_raw_input": "raw-input ridge",
         "NRMSE_autoregressive": "AR(k)", "NRMSE_paper_readout": "paper readout"}


def activity_matched(conn, rates, n_active):
    """``conn`` with its least active neurons switched off until ``n_active`` remain.

    Ties are broken by the lower index (deterministic). Inactive neurons stay off.
    """
    active = np.flatnonzero(conn.neuron_active)
    n_off = max(0, active.size - int(n_active))
    order = active[np.lexsort((active, np.asarray(rates, float)[active]))]
    mask = conn.neuron_active.copy()
    mask[order[:n_off]] = False
    out = conn.replace(neuron_active=mask)
    out.provenance = dict(conn.provenance, method="activity-matched")
    return out


def _networks(cfg, n_in, progress, echo):
    """The four networks (label -> Connectivity or None) and the LNP run."""
    echo(f"[1/3] LNP pruning of {cfg['model']} N={cfg['N']} (seed {cfg['seed']}, "
         f"{cfg['iterations']} iterations; the paper runs 100)")
    opts = lnp_options(True, iterations=cfg["iterations"], progress=progress)
    res = lnp_repeat(cfg["model"], cfg["N"], cfg["seed"], opts, n_inputs=n_in)
    lnp = res["final"]
    echo("[2/3] activity-pruned (size-matched) and random-matched controls")
    original = make_connectivity(cfg["model"], N=cfg["N"], seed=cfg["seed"], n_inputs=n_in)
    rates = brian_rates(cfg["model"], cfg["N"], cfg["seed"], original,
                        duration=cfg["rate_seconds"], n_inputs=n_in)
    nets = {"unpruned": None, "LNP": lnp,
            "activity-pruned": activity_matched(original, rates, lnp.n_active_neurons),
            "random-matched": er_control(original, lnp, child_seed(cfg["seed"], "er"))}
    return nets, res


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
    nets, res = _networks(cfg, n_in, progress, echo)
    t_prune = time.perf_counter() - t_start
    ev = {k: cfg[k] for k in ("stdp_steps", "n_fit", "n_context", "n_predict")}
    ev.update(DEMO_READOUT)
    rows = []
    for label, conn in nets.items():
        echo(f"[3/3] STDP training + Lorenz-63 evaluation: {label}")
        rows.append(evaluate_row(cfg["model"], cfg["task"], cfg["N"], cfg["seed"],
                                 pruning=conn, label=label, device=device, eval_kwargs=ev))
    table = pd.concat(rows, ignore_index=True)
    total = time.perf_counter() - t_start
    _report(table, cfg, echo)
    write_csv(table, out, "demo.csv")
    write_csv(res["history"], out, "demo_history.csv")
    write_json({"config": cfg, "device": device, "seconds_total": total,
                "seconds_pruning_and_controls": t_prune}, out, "demo.json")
    path = _figure(table, res["history"], cfg, out)
    echo(f"wrote {out}/demo.csv, demo_history.csv, demo.json and {path} "
         f"({total:.0f} s in total)")
    return table


def _report(table, cfg, echo):
    small = table[list(TABLE)].rename(columns=TABLE)
    echo("")
    echo(small.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    echo("")
    r = table.iloc[0]
    echo(f"NRMSE of one-step forecasts on {cfg['n_predict']} test steps of z-scored "
         f"Lorenz-63 (VPT in steps of 0.01). Readout: {r['readout_spec']}, i.e. "
         f"x(k) + a correction read from the network (chosen on validation: "
         f"benchmarks/demo_readout_validation.csv; fitted on {cfg['n_fit']} training steps "
         f"after {cfg['stdp_steps']} STDP steps).")
    echo(f"Yardsticks: persistence x(k+1) = x(k); the same ridge on the raw input x(k); "
         f"AR(k): linear autoregression, k = {int(r['autoregressive_lags'])} chosen on the "
         f"validation split; paper readout: top 10 % neurons, one readout per window "
         f"fitted on its {cfg['n_context']} context steps (000 4.1), same spikes.")
    echo(f"LNP: {cfg['iterations']} iterations with short rate-surrogate runs "
         f"(the paper: 100), to fit the demo's time budget.")
    beat = table.iloc[0]["NRMSE"] < table.iloc[0]["NRMSE_persistence"]
    echo(f"The unpruned network {'beats' if beat else 'does NOT beat'} persistence on its "
         f"test stretch.")


def _figure(table, history, cfg, out):
    use_agg()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    h = history
    ax[0].plot(h["iteration"], h["neurons"], "o-", label="neurons")
    ax[0].plot(h["iteration"], h["synapses"], "s-", label="synapses")
    ax[0].set_xlabel("LNP iteration")
    ax[0].set_yscale("log")
    ax[0].legend()
    ax[0].set_title("network size during LNP")
    x = np.arange(len(table))
    colors = ["0.6", "C3", "C0", "C2"][:len(table)]
    ax[1].bar(x, table["SOPs"], color=colors)
    ax[1].set_xticks(x, table["pruning"], rotation=15)
    ax[1].set_title("SOPs (evaluation run)")
    ax[2].bar(x, table["NRMSE"], 0.6, color=colors, label="network")
    for col, style, name in (("NRMSE_persistence", "k--", "persistence"),
                             ("NRMSE_raw_input", "k:", "raw-input ridge")):
        ax[2].axhline(table[col].iloc[0], ls=style[1:], color="k", label=name)
    ax[2].set_xticks(x, table["pruning"], rotation=15)
    ax[2].set_title("Lorenz-63 one-step NRMSE (test)")
    ax[2].legend(fontsize=8)
    fig.suptitle(f"brian2_lnp demo: {cfg['model']} N={cfg['N']}, seed {cfg['seed']}", y=1.03)
    return save_figure(fig, out, "demo.png")
