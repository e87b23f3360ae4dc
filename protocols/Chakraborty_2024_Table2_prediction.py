"""Unpruned vs AP vs LNP on prediction tasks: SOPs, NRMSE, VPT (seed 000, Table 2 and Table 6).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Table 2 (Lorenz-63, Google stock)
and Suppl. Table 6 (Lorenz-63, Rossler, Google stock, Wind): unpruned,
activity-pruned (AP) and LNP-pruned HRSNN and CHRSNN, trained with STDP,
SOPs, RMSE and VPT as mean +- std over seeds.

What this file does: see :mod:`brian2_lnp.protocols.tables`: per architecture
and seed, LNP once (task-agnostic); per task, AP with retraining (its
unpruned evaluation is the "Unpruned" row) and the LNP network evaluated with
:func:`brian2_lnp.tasks.evaluate.evaluate` (STDP on the task's training input,
frozen, one-step prediction). Every row holds two readouts on the same spikes:
the task's default (chosen on validation data, see brian2_lnp.tasks.specs:
ridge on every active neuron, fitted once on a training stretch) in
``NRMSE`` / ``VPT``, and the paper's literal protocol (ridge on the top-10 %
betweenness neurons, one readout per window fitted on its 500 context steps)
in ``NRMSE_paper_readout`` / ``VPT_paper_readout``, beside the yardsticks
persistence, raw-input ridge and a linear autoregression (order chosen on
validation). Writes ``Table2_prediction.csv`` (every row), ``Table2_prediction_summary.csv``
(mean, std, n of SOPs, both readouts' NRMSE and VPT, the yardsticks, neurons,
synapses per architecture, task and method), ``Table2_prediction.png`` (NRMSE and SOPs
bars with std error bars).

Differences from the paper's setup:
* Only the STDP rows (the paper's BP rows need the planned surrogate-gradient trainer).
* RMSE is reported as NRMSE (each dimension's long-term std), VPT in series steps
  (threshold in docs/tasks_protocols.md).
* "Wind" is the MERRA-2 substitute of brian2_lnp.datasets.wind_speed (named as such);
  the paper's station data are not available.
* --quick: 125-neuron model files, 1 seed, Lorenz-63 and Google stock only,
  8 LNP iterations, AP at most 2 iterations, shortened task runs (STDP on 100 steps,
  readout fitted on 300 steps, 200-step context, 50-step forecast). Paper scale:
  N = 5000, 10 seeds, the four data sets of Table 6, 100 LNP iterations, AP to its stopping rule.
* SOPs are counted over the evaluation run of our protocol (000 Eq. 10), so their
  absolute scale differs from the paper's.
"""

from brian2_lnp.protocols import protocol_parser, save_figure, summarize, write_csv
from brian2_lnp.protocols.common import grouped_bars, pick, run_main
from brian2_lnp.protocols.tables import prediction_rows

NAME = "Chakraborty_2024_Table2_prediction"
METHODS = ("Unpruned", "AP", "LNP")


def build_parser():
    p = protocol_parser(NAME, __doc__)
    p.add_argument("--tasks", nargs="+", default=None,
                   choices=["lorenz63", "rossler", "google_stock", "wind_speed"],
                   help="data sets (default: quick lorenz63 google_stock; paper all four)")
    return p


def run(settings):
    tasks = settings.extra.get("tasks") or pick(
        settings, ["lorenz63", "google_stock"],
        ["lorenz63", "rossler", "google_stock", "wind_speed"])
    repeats = settings.repeats or pick(settings, 1, 10)
    df = prediction_rows(settings, tasks, repeats)
    cols = ["SOPs", "NRMSE", "VPT", "NRMSE_paper_readout", "VPT_paper_readout",
            "n_active_neurons", "n_effective_synapses", "NRMSE_persistence", "NRMSE_raw_input",
            "NRMSE_autoregressive"]
    summary = summarize(df, ["architecture", "task", "method"], cols)
    files = [write_csv(df, settings, "Table2_prediction.csv"),
             write_csv(summary, settings, "Table2_prediction_summary.csv")]
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(tasks), figsize=(4 * len(tasks), 6), squeeze=False)
    for j, task in enumerate(tasks):
        for i, col in enumerate(("NRMSE", "SOPs")):
            grouped_bars(axes[i][j], summary, task, col, METHODS).set_ylabel(col)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    files.append(save_figure(fig, settings, "Table2_prediction.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
