"""Exact noise covariance: SciPy's Lyapunov solver against the blocked one.

The exact route of ``brian2_lnp.dynamics.covariance`` (LNP Step I for at most
``AUTO_EXACT_MAX`` = 1000 active neurons) solves ``A C + C A^T = -sigma^2 I`` on the
dense linearised network. This script times, on the linearised HRSNN of each size
(one BLAS thread, as LNP runs it), SciPy's ``solve_continuous_lyapunov`` (Schur form,
then LAPACK's element-wise ``?trsyl``) against
``brian2_lnp.dynamics.lyapunov_equation.solve_continuous_lyapunov`` (the same Schur
form, then a blocked triangular solve), and prints the Schur step's own time, the
medians, their ratio, the largest difference between the two solutions and both
residuals::

    python benchmarks/bench_lyapunov_solve.py --N 500 1000 2000 --repeats 3
"""
import argparse
import os
import sys
import time

import numpy as np
import scipy.linalg as sla

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from threadpoolctl import threadpool_limits  # noqa: E402

from brian2_lnp.dynamics import linearize  # noqa: E402
from brian2_lnp.dynamics.lyapunov_equation import solve_continuous_lyapunov  # noqa: E402
from brian2_lnp.models.config import load_model  # noqa: E402
from brian2_lnp.models.generate import generate_network  # noqa: E402


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[500, 1000, 2000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    print(f"# bench_lyapunov_solve: HRSNN, network seed {args.seed}, one BLAS thread, "
          f"median of {args.repeats}; load {os.getloadavg()[0]:.2f}")
    print("| N | Schur alone (s) | SciPy (s) | blocked (s) | ratio | max abs diff / max abs C "
          "| residual SciPy / blocked | load |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.N:
        conn = generate_network(load_model("hrsnn"), N=n, seed=args.seed).conn
        A = linearize(conn).A.toarray()
        Q = -np.eye(A.shape[0])
        with threadpool_limits(1):
            t_schur, _ = timed(lambda: sla.schur(A, output="real"), args.repeats)
            t_ref, ref = timed(lambda: sla.solve_continuous_lyapunov(A, Q), args.repeats)
            t_blk, blk = timed(lambda: solve_continuous_lyapunov(A, Q), args.repeats)
        diff = np.abs(blk - ref).max() / np.abs(ref).max()
        res = [np.abs(A @ X + X @ A.T - Q).max() for X in (ref, blk)]
        print(f"| {A.shape[0]} | {t_schur:.2f} | {t_ref:.2f} | {t_blk:.2f} | "
              f"{t_ref / t_blk:.1f}x | {diff:.1e} | {res[0]:.1e} / {res[1]:.1e} | "
              f"{os.getloadavg()[0]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
