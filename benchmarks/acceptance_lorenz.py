"""Acceptance run: Lorenz-63 one-step prediction with a 1000-neuron HRSNN on cpp_standalone.

Protocol (000 section 4.1, our documented choices in docs/tasks_protocols.md):
z-scored Lorenz-63 (RK4, dt 0.01, generated), STDP on the first 500 training
steps, then frozen; readout fitted on 500 context steps, 100 steps predicted
one step ahead; ``--windows`` consecutive windows; each series step presented
for 20 ms as Gaussian population-coded Poisson rates (10 channels per
dimension); features = top-10 %-betweenness neurons' spike trains filtered at
10 and 50 ms, read at the end of each step.

Baselines on the same targets: persistence y(t+1) = y(t), and the same
readout fitted on the exact raw input window (1 and 5 past values).

Stages (nothing is tuned on the test split):

* ``--stage validation``: every candidate encoding peak rate in ``--r-max``
  on the validation split; prints a table, picks the lowest NRMSE.
* ``--stage test``: the chosen (or given) ``--r-max`` on the test split.
* ``--stage both`` (default): validation then test with the pick.

Run from the repository root::

    PYTHONPATH=. python benchmarks/acceptance_lorenz.py --stage both --windows 5

Prints one pandas row per run and writes CSV next to this file
(``acceptance_lorenz_<stage>.csv``).

This is the per-window protocol with the network-only readout. The
readout options (input term, increment target, readout fitted once on the
training split) are compared in ``acceptance_lorenz_readouts.py``.
"""
import argparse
import logging
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from brian2_lnp.tasks.evaluate import evaluate  # noqa: E402
from brian2_lnp.tasks.prediction import raw_input_baseline  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(split, r_max, args, build_dir):
    row, res, _ = evaluate(
        "hrsnn", "lorenz63", N=args.N, training=args.training, readout=args.readout,
        device=args.device, seed=args.seed, split=split, n_windows=args.windows, r_max=r_max,
        dt=args.dt, step=args.step, build_dir=build_dir, codegen=None, coding=args.coding,
        taus=tuple(args.taus), readout_fraction=args.fraction, return_details=True,
        # the settings this study was run with (before the validated task defaults)
        channels_per_dim=10, readout_fit="window",
        readout_kwargs={"alphas": (1e-6, 1e-4, 1e-2, 1.0, 1e2), "standardize": True})
    row["split"] = split
    # per-window one-step NRMSE (network and persistence), to see where errors come from
    from brian2_lnp.metrics import nrmse
    row["nrmse_per_window"] = " ".join(f"{nrmse(a, b, std=1.0):.4f}"
                                       for a, b in zip(res.y_true, res.one_step))
    row["persistence_per_window"] = " ".join(f"{nrmse(a, b, std=1.0):.4f}"
                                             for a, b in zip(res.y_true, res.persistence))
    row["r_max"] = r_max
    row["taus"] = " ".join(f"{t:g}" for t in args.taus)
    row["fraction"] = args.fraction
    row["coding"] = args.coding
    # the raw-input readout with a longer window as a second baseline
    from brian2_lnp.datasets import lorenz63
    series = np.asarray(lorenz63().normalised().part(split))
    row["NRMSE_raw_input_5"] = raw_input_baseline(series, readout=args.readout,
                                                  n_windows=args.windows, lags=5,
                                                  seed=args.seed)[1]
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--stage", choices=["validation", "test", "both"], default="both")
    p.add_argument("--r-max", type=float, nargs="+", default=[800.0, 1600.0, 3200.0])
    p.add_argument("--N", type=int, default=1000)
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--device", default="cpp_standalone")
    p.add_argument("--training", default="stdp")
    p.add_argument("--readout", default="ridge")
    p.add_argument("--dt", type=float, default=1e-4)
    p.add_argument("--step", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--taus", type=float, nargs="+", default=[0.01, 0.05],
                   help="feature filter time constants (second)")
    p.add_argument("--coding", default="population", choices=["population", "rate"])
    p.add_argument("--fraction", type=float, default=0.1, help="readout neuron fraction")
    p.add_argument("--tag", default="", help="suffix of the CSV files")
    p.add_argument("--build-dir", default=os.path.join(tempfile.gettempdir(),
                                                       "brian2_lnp_acceptance_build"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    cols = ["split", "coding", "r_max", "taus", "fraction", "training", "readout", "SOPs",
            "spikes", "NRMSE", "VPT",
            "VPT_lyapunov", "NRMSE_persistence", "VPT_persistence", "NRMSE_raw_input",
            "NRMSE_raw_input_5", "wall_s"]
    r_max = args.r_max
    if args.stage in ("validation", "both"):
        rows = []
        for r in r_max:
            t0 = time.time()
            rows.append(run("validation", r, args, args.build_dir))
            print(rows[-1][cols].to_string(index=False), f"({time.time() - t0:.0f} s)",
                  flush=True)
        val = pd.concat(rows, ignore_index=True)
        val.to_csv(os.path.join(HERE, f"acceptance_lorenz_validation{args.tag}.csv"), index=False)
        best = float(val.loc[val["NRMSE"].idxmin(), "r_max"])
        print(f"validation pick: r_max = {best:g} Hz")
        print("per window NRMSE at the pick:", val.loc[val["NRMSE"].idxmin(), "nrmse_per_window"])
        r_max = [best]
    if args.stage in ("test", "both"):
        if len(r_max) != 1:
            p.error("--stage test needs exactly one --r-max (chosen on validation)")
        row = run("test", r_max[0], args, args.build_dir)
        row.to_csv(os.path.join(HERE, f"acceptance_lorenz_test{args.tag}.csv"), index=False)
        print(row[cols].to_string(index=False))
        r = row.iloc[0]
        print("per window NRMSE, network:    ", r.nrmse_per_window)
        print("per window NRMSE, persistence:", r.persistence_per_window)
        print(f"network NRMSE {r.NRMSE:.4f} | persistence {r.NRMSE_persistence:.4f} | "
              f"raw input (1 value) {r.NRMSE_raw_input:.4f} | raw input (5 values) "
              f"{r.NRMSE_raw_input_5:.4f} | beats persistence: {r.NRMSE < r.NRMSE_persistence}"
              f" | beats raw-input readout (1 value): {r.NRMSE < r.NRMSE_raw_input}")


if __name__ == "__main__":
    main()
