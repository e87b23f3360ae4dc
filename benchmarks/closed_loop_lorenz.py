"""Closed-loop (autonomous) Lorenz-63 forecast with a 1000-neuron HRSNN on the runtime device.

Closed loop feeds each prediction back as the next input step, so it needs
Python between steps and runs on the runtime device only (see
docs/tasks_protocols.md). Same protocol as benchmarks/acceptance_lorenz.py
(STDP on 500 training steps, then frozen; readout fitted on 500 context
steps; 100 steps predicted), on the first ``--windows`` windows of the test
split.

    PYTHONPATH=. python benchmarks/closed_loop_lorenz.py --r-max 1600 --windows 1
"""
import argparse
import os
import sys
import time

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from brian2_lnp.tasks import ReadoutSpec  # noqa: E402
from brian2_lnp.tasks.evaluate import evaluate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--r-max", type=float, required=True, help="peak rate chosen on validation")
    p.add_argument("--N", type=int, default=1000)
    p.add_argument("--windows", type=int, default=1)
    p.add_argument("--dt", type=float, default=1e-4)
    p.add_argument("--codegen", default=None, choices=[None, "cython", "numpy"])
    p.add_argument("--readout", default="ridge")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    t0 = time.time()
    row = evaluate("hrsnn", "lorenz63", N=args.N, training="stdp",
                   device="runtime", codegen=args.codegen, seed=args.seed, split="test",
                   n_windows=args.windows, r_max=args.r_max, dt=args.dt, closed_loop=True,
                   # closed loop needs the per-window readout; the study's 10 channels per
                   # dimension (before the validated task defaults)
                   readout=ReadoutSpec.paper(kind=args.readout), channels_per_dim=10)
    row["r_max"] = args.r_max
    row["dt"] = args.dt
    row.to_csv(os.path.join(HERE, "closed_loop_lorenz.csv"), index=False)
    cols = ["r_max", "dt", "NRMSE", "VPT", "NRMSE_closed_loop", "VPT_closed_loop",
            "VPT_closed_loop_lyapunov", "NRMSE_persistence", "VPT_persistence", "SOPs", "wall_s"]
    print(row[cols].to_string(index=False), f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
