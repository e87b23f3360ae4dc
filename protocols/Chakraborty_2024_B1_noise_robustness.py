"""Forecast error vs input SNR for unpruned, AP and LNP networks (seed 000, Suppl. B.1 / Fig. 9).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Suppl. B.1 "Comparison of
Performance with Noise" (Fig. 9 and its table): prediction RMSE of HRSNN and
CHRSNN, unpruned / AP / LNP, at input SNR 50, 40, 30, 20, 10 dB.

What this file does: it takes the AP-pruned (on Lorenz-63) and LNP-pruned
networks of the shared prediction comparison (``<out>/prediction_table/repeats``,
computed here if missing; see the Table 2 protocol), and for each network
builds the model on the runtime device, STDP-trains it on the Lorenz-63
training input (frozen afterwards), fits the readout on a clean context and
measures the one-step error on the test stretch presented clean and with
Gaussian noise at each SNR (:func:`brian2_lnp.tasks.robustness.noise_robustness`;
noise definition there). Writes ``B1_noise_robustness.csv`` (per network and
SNR, with the measured SNR), ``..._summary.csv`` (mean +- std over seeds) and
``B1_noise_robustness.png`` (NRMSE vs SNR, log scale, as Fig. 9).

Differences from the paper's setup:
* The paper's noise model is not given; ours (per-dimension white Gaussian noise
  relative to the series power) is documented in brian2_lnp.tasks.robustness.
* NRMSE in units of the z-scored series' std (the paper says RMSE).
* --quick: 125-neuron model files, 1 seed, STDP on 100 steps, 200-step context,
  200-step test stretch; paper scale: N = 5000, 10 seeds, 500-step training,
  500-step context, 1000-step test stretch.
* Always the runtime device (all segments are in one run, so cpp_standalone
  would work too, but the shared networks are rebuilt here in Python).
"""
import os

import numpy as np
import pandas as pd

from brian2_lnp.protocols import Task, protocol_parser, run_tasks, save_figure, summarize, \
    write_csv
from brian2_lnp.protocols.common import pick, run_main
from brian2_lnp.protocols.runner import load_result
from brian2_lnp.protocols.tables import SHARED_NAME, prediction_rows, table_models
from brian2_lnp.random import child_seed

NAME = "Chakraborty_2024_B1_noise_robustness"
SNR_DB = (50.0, 40.0, 30.0, 20.0, 10.0)


def build_parser():
    return protocol_parser(NAME, __doc__)


def robustness_unit(model, N, seed, source_file, method, stdp_steps, n_context, n_test,
                    washout):
    """Build, prune (write in), STDP-train and measure NRMSE vs SNR for one network."""

    from brian2_lnp.datasets import lorenz63
    from brian2_lnp.models.network import build_model
    from brian2_lnp.protocols.units import fresh_runtime
    from brian2_lnp.tasks.specs import get_task
    from brian2_lnp.tasks.robustness import noise_robustness
    from brian2_lnp.tasks.training import train_stdp

    # the encoding of the registered task, as evaluate() uses it
    spec = get_task("lorenz63")
    data = lorenz63().normalised()
    train, test = np.asarray(data.train), np.asarray(data.test)
    n_in = spec.n_inputs
    fresh_runtime(spec.encoding.dt)
    net = build_model(model, N=N, seed=seed, n_inputs=n_in, plasticity=True)
    conn = None
    if source_file is not None:
        conn = load_result(source_file)["final"]
        net.apply(conn)
    enc = spec.encoding.fit(train)
    train_stdp(net, train[:stdp_steps], encoding=enc, seed=child_seed(seed, "stdp"),
               freeze_after=True)
    res = noise_robustness(net, test[:n_context], test[n_context:n_context + n_test], enc,
                           snr_db=SNR_DB, washout=washout, seed=child_seed(seed, "noise"))
    tab = res.table.copy()
    c = net.export()
    tab["method"] = method
    tab["n_active_neurons"] = c.n_active_neurons
    tab["n_effective_synapses"] = c.n_active_synapses
    return tab


def run(settings):
    repeats = settings.repeats or pick(settings, 1, 10)
    # AP (on Lorenz-63) and LNP networks of the shared comparison
    prediction_rows(settings, ["lorenz63"], repeats)
    shared = os.path.abspath(settings.repeat_dir(SHARED_NAME))
    from brian2_lnp.protocols import repeat_seed
    tasks = []
    for label, model, N in table_models(settings.quick):
        for r in range(repeats):
            seed = repeat_seed(settings.seed, SHARED_NAME, label, r)
            sources = {"Unpruned": None,
                       "AP": os.path.join(shared, f"ap_{label}_lorenz63_r{r:02d}.pkl"),
                       "LNP": os.path.join(shared, f"lnp_{label}_r{r:02d}.pkl")}
            for method, src in sources.items():
                tasks.append(Task(f"{label}_{method}_r{r:02d}", robustness_unit,
                                  dict(model=model, N=N, seed=seed, source_file=src,
                                       method=method, stdp_steps=pick(settings, 100, 500),
                                       n_context=pick(settings, 200, 500),
                                       n_test=pick(settings, 200, 1000),
                                       washout=pick(settings, 20, 50))))
    res = run_tasks(tasks, settings.repeat_dir(NAME), n_jobs=settings.n_jobs,
                    scheduler=settings.scheduler, resume=settings.resume,
                    progress=settings.progress, desc=NAME)
    frames = []
    for t in tasks:
        label, _, rr = t.key.split("_")
        frames.append(res[t.key].assign(architecture=label, repeat=int(rr[1:])))
    df = pd.concat(frames, ignore_index=True)
    summary = summarize(df, ["architecture", "method", "snr_db"],
                        ["nrmse", "rmse", "snr_measured_db"])
    files = [write_csv(df, settings, "B1_noise_robustness.csv"),
             write_csv(summary, settings, "B1_noise_robustness_summary.csv")]
    import matplotlib.pyplot as plt
    archs = list(dict.fromkeys(summary.architecture))
    fig, axes = plt.subplots(1, len(archs), figsize=(5 * len(archs), 3.5), squeeze=False)
    for ax, a in zip(axes[0], archs):
        for m, color in (("Unpruned", "k"), ("AP", "C0"), ("LNP", "C3")):
            s = summary[(summary.architecture == a) & (summary.method == m)
                        & np.isfinite(summary.snr_db)].sort_values("snr_db")
            ax.errorbar(s.snr_db, s.nrmse_mean, yerr=np.nan_to_num(s.nrmse_std), marker="o",
                        color=color, label=m, capsize=2)
        ax.set_yscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("input SNR (dB)")
        ax.set_ylabel("one-step NRMSE")
        ax.set_title(a)
        ax.legend(fontsize=8)
    files.append(save_figure(fig, settings, "B1_noise_robustness.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
