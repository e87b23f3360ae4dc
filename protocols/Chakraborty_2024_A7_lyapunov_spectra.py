"""Lyapunov spectra of unpruned, pruned and pruned-then-trained HRSNNs (seed 000, Suppl. A.7).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Suppl. A.7 "Dynamic Characterization
using Lyapunov Spectra": the spectrum lambda_i against i/N of the HRSNN for three
initial connection probabilities (p = 0.001, 0.01, 0.1), each (1) unpruned,
(2) pruned before training, (3) pruned and then trained.

What this file does: for each p and repeat, generate an HRSNN whose every
pathway connects with probability p (see below), compute the spectrum of its
rate surrogate (:func:`brian2_lnp.dynamics.rate_lyapunov`, QR method after
Vogt et al. 2020 / Engelken et al. 2023), prune it with LNP and compute the
spectrum again, then train the pruned network with STDP in Brian2 and compute
the spectrum of the trained weights. Writes ``A7_lyapunov_spectra.csv`` (one
row per exponent), ``A7_lyapunov_spectra_summary.csv`` (lambda_max, number of
positive exponents, mean exponent) and ``A7_lyapunov_spectra.png`` (one panel per p).

Differences from the paper's setup:
* "Connection probability p": the HRSNN's connectivity is distance dependent
  (C_type exp(-(D/lambda)^2)); to get a network with connection probability p we set
  every C_type = p and lambda = 1e6 grid units, so P(i->j) = p for all pairs (a
  sparse random initialisation, as the paper's text describes).
* Spectra are those of the rate surrogate of docs/dynamics.md, not of the
  spiking network (the paper does not say which it used; it cites rate-network
  methods).
* Training: STDP in Brian2 (runtime device) on the model's background Poisson
  input, not on a task; 0.5 s (--quick) / 5 s (paper scale) of simulated time.
* --quick: N = 150, 5 LNP iterations, 1 repeat, surrogate runs of 300 steps.
  Paper scale: N = 5000, 100 iterations, 3 repeats, the 100 leading exponents
  (the full 5000-exponent spectrum is beyond this machine; i/N then spans [0, 0.02]).
"""
import numpy as np
import pandas as pd

from brian2_lnp.protocols import Task, protocol_parser, repeat_seed, run_tasks, save_figure, \
    write_csv
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.units import (QUICK_LYAP, lnp_options, lnp_repeat, rate_spectrum,
                                        stdp_trained_connectivity)

NAME = "Chakraborty_2024_A7_lyapunov_spectra"
PROBABILITIES = (0.001, 0.01, 0.1)
STAGES = ("unpruned", "pruned, before training", "pruned, after training")


def build_parser():
    return protocol_parser(NAME, __doc__)


def overrides_for(p):
    """Model-file overrides giving connection probability p on every pathway."""
    return {"connectivity.lambda": 1e6, "connectivity.C.EE": p, "connectivity.C.EI": p,
            "connectivity.C.IE": p, "connectivity.C.II": p}


def spectra_unit(model, N, seed, p, prune_kwargs, lyap_kwargs, stdp_seconds):
    """Three spectra (unpruned / pruned / pruned + STDP) of one generated network."""
    ov = overrides_for(p)
    out = lnp_repeat(model, N, seed, prune_kwargs, overrides=ov)
    nets = {STAGES[0]: out["original"], STAGES[1]: out["final"]}
    trained = stdp_trained_connectivity(model, N, seed, conn=out["final"],
                                        duration=stdp_seconds, overrides=ov)
    nets[STAGES[2]] = trained
    res = {}
    for stage, conn in nets.items():
        if conn.n_active_synapses == 0:
            # no recurrence left: the surrogate is a set of independent leaky units
            lam = np.sort(-1.0 / conn.tau_m[conn.neuron_active])[::-1]
        else:
            lam = rate_spectrum(conn, seed, lyap_kwargs)
        res[stage] = {"exponents": lam, "N_active": conn.n_active_neurons,
                      "synapses": conn.n_active_synapses}
    res["history"] = out["history"]
    return res


def run(settings):
    repeats = settings.repeats or pick(settings, 1, 3)
    N = pick(settings, 150, 5000)
    model = "hrsnn_small" if settings.quick else "hrsnn"
    opts = lnp_options(settings.quick, iterations=pick(settings, 5, 100))
    lyap = dict(QUICK_LYAP, k=None) if settings.quick else {"k": 100}
    lyap = {k: v for k, v in lyap.items() if v is not None}
    tasks = [Task(f"p{p:g}_r{r:02d}", spectra_unit,
                  dict(model=model, N=N, seed=repeat_seed(settings.seed, NAME, r), p=p,
                       prune_kwargs=opts, lyap_kwargs=lyap,
                       stdp_seconds=pick(settings, 0.5, 5.0)))
             for p in PROBABILITIES for r in range(repeats)]
    res = run_tasks(tasks, settings.repeat_dir(NAME), n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, resume=settings.resume,
                    progress=settings.progress, desc=NAME)
    rows, summ = [], []
    for p in PROBABILITIES:
        for r in range(repeats):
            out = res[f"p{p:g}_r{r:02d}"]
            for stage in STAGES:
                s = out[stage]
                lam = np.asarray(s["exponents"])
                rows.append(pd.DataFrame({"p": p, "repeat": r, "stage": stage,
                                          "index": np.arange(1, lam.size + 1),
                                          "i_over_N": np.arange(1, lam.size + 1) / s["N_active"],
                                          "exponent_per_s": lam}))
                summ.append({"p": p, "repeat": r, "stage": stage, "N_active": s["N_active"],
                             "synapses": s["synapses"], "lambda_max": lam[0],
                             "n_positive": int((lam > 0).sum()), "mean_exponent": lam.mean()})
    df = pd.concat(rows, ignore_index=True)
    summary = pd.DataFrame(summ)
    files = [write_csv(df, settings, "A7_lyapunov_spectra.csv"),
             write_csv(summary, settings, "A7_lyapunov_spectra_summary.csv")]
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(PROBABILITIES), figsize=(14, 3.6), squeeze=False)
    for ax, p in zip(axes[0], PROBABILITIES):
        for c, stage in zip(("k", "C0", "C3"), STAGES):
            sub = df[(df.p == p) & (df.stage == stage) & (df.repeat == 0)]
            ax.plot(sub.i_over_N, sub.exponent_per_s, color=c, label=stage)
        ax.axhline(0, color="0.5", lw=0.8, ls="--")
        ax.set_title(f"p = {p:g}")
        ax.set_xlabel("i / N")
        ax.set_ylabel(r"$\lambda_i$ (1/s)")
    axes[0][0].legend(fontsize=8)
    files.append(save_figure(fig, settings, "A7_lyapunov_spectra.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
