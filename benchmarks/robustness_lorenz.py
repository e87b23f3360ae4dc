"""Input-noise robustness (000 B.1): one-step RMSE vs input SNR, Lorenz-63, HRSNN on cpp_standalone.

Readout (ridge) fitted on 500 clean steps of the test split's first window
context; then the next 100 test steps are presented clean and once per SNR
level (50, 40, 30, 20, 10 dB) with Gaussian noise (docs/tasks_protocols.md),
the readout predicting the clean next value. STDP on 500 training steps first,
then frozen; encoding as in benchmarks/acceptance_lorenz.py.

    PYTHONPATH=. python benchmarks/robustness_lorenz.py --r-max 1600
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    import brian2 as b2

    from brian2_lnp.datasets import lorenz63
    from brian2_lnp.models.devices import use_device
    from brian2_lnp.models.network import build_model
    from brian2_lnp.random import child_seed
    from brian2_lnp.tasks.prediction import SeriesEncoding
    from brian2_lnp.tasks.robustness import noise_robustness
    from brian2_lnp.tasks.training import train_stdp

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--r-max", type=float, required=True)
    p.add_argument("--N", type=int, default=1000)
    p.add_argument("--dt", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--build-dir", default=os.path.join(tempfile.gettempdir(),
                                                       "brian2_lnp_robustness_build"))
    args = p.parse_args(argv)
    t0 = time.time()
    use_device("cpp_standalone", directory=args.build_dir)
    b2.defaultclock.dt = args.dt * b2.second
    d = lorenz63().normalised()
    model = build_model("hrsnn", N=args.N, seed=args.seed, n_inputs=30, plasticity=True)
    enc = SeriesEncoding.fit(d.train, 30, step=0.02, dt=args.dt, r_max=args.r_max)
    test = np.asarray(d.test)
    res = noise_robustness(
        model, test[:500], test[500:600], enc, readout="ridge", washout=50, seed=args.seed,
        before=lambda m: train_stdp(m, d.train[:500], encoding=enc,
                                    seed=child_seed(args.seed, "stdp")))
    table = res.table
    table["N"] = args.N
    table["r_max"] = args.r_max
    table.to_csv(os.path.join(HERE, "robustness_lorenz.csv"), index=False)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False), f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
