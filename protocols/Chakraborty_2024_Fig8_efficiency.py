"""Efficiency VPT / SOPs of unpruned, AP and LNP networks (seed 000, Suppl. Fig. 8).

Chakraborty, Kang, Mukhopadhyay (ICLR 2024), Suppl. B.1 "Comparing Efficiency",
Fig. 8: bars of VPT / FLOPS per data set (Lorenz-63, Rossler, Google stock, Wind),
architecture (HRSNN, CHRSNN) and pruning method.

What this file does: the same runs as the Table 2 protocol (shared per-repeat
results in ``<out>/prediction_table/repeats``: run either first and the other
reuses them), then efficiency = VPT / SOPs per row, mean +- std over seeds.
Writes ``Fig8_efficiency.csv`` (per row), ``Fig8_efficiency_summary.csv`` and
``Fig8_efficiency.png``.

Differences from the paper's setup:
* SOPs (000 Eq. 10, counted from the Brian2 spike monitor over the evaluation
  run) stand in for the paper's FLOPS, and VPT is in series steps; efficiency is
  reported per million SOPs.
* Where VPT is 0 (the forecast error exceeds the threshold at the first step)
  the efficiency is 0.
* --quick and paper-scale settings as in the Table 2 protocol (quick: Lorenz-63
  and Google stock, 1 seed, 125-neuron models).
"""

from brian2_lnp.protocols import protocol_parser, save_figure, summarize, write_csv
from brian2_lnp.protocols.common import grouped_bars, pick, run_main
from brian2_lnp.protocols.tables import prediction_rows

NAME = "Chakraborty_2024_Fig8_efficiency"
METHODS = ("Unpruned", "AP", "LNP")


def build_parser():
    p = protocol_parser(NAME, __doc__)
    p.add_argument("--tasks", nargs="+", default=None,
                   choices=["lorenz63", "rossler", "google_stock", "wind_speed"])
    return p


def run(settings):
    tasks = settings.extra.get("tasks") or pick(
        settings, ["lorenz63", "google_stock"],
        ["lorenz63", "rossler", "google_stock", "wind_speed"])
    repeats = settings.repeats or pick(settings, 1, 10)
    df = prediction_rows(settings, tasks, repeats)
    df["efficiency_VPT_per_MSOP"] = df["VPT"] / (df["SOPs"] / 1e6)
    summary = summarize(df, ["architecture", "task", "method"],
                        ["efficiency_VPT_per_MSOP", "VPT", "SOPs"])
    files = [write_csv(df, settings, "Fig8_efficiency.csv"),
             write_csv(summary, settings, "Fig8_efficiency_summary.csv")]
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        grouped_bars(ax, summary, task, "efficiency_VPT_per_MSOP", METHODS)
        ax.set_ylabel("VPT (steps) per million SOPs")
    axes[0][0].legend(fontsize=8)
    files.append(save_figure(fig, settings, "Fig8_efficiency.png"))
    return {"files": files, "summary": summary, "data": df}


def main(argv=None):
    return run_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
