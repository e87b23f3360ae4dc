"""Benchmark of Lyapunov Noise Pruning on generated HRSNNs.

1. One LNP iteration (Steps I-III, with the driver's per-iteration defaults) at
   several network sizes, with the wall time of each step and of the lambda_max
   measurement the driver records per iteration.
2. The full iterative run (``prune``, Steps I-IV, Step IV at the end) at the
   sizes given with ``--full``.

Prints Markdown tables (paste them into benchmarks/RESULTS_lnp.md) and,
with ``--csv``, writes the per-iteration history of every full run.

Examples
--------
    python benchmarks/bench_lnp.py --one 1000 2000 5000
    python benchmarks/bench_lnp.py --one --full 2000 --iterations 100
    python benchmarks/bench_lnp.py --one --full 5000 --iterations 100 --checkpoint /tmp/lnp5000
"""
import argparse
import logging
import os

# One BLAS thread: on a shared, loaded machine multi-threaded OpenBLAS spins
# (a 125 x 100 QR took 0.9 s with 2 threads vs 1.4 ms with 1 under load 9).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

from brian2_lnp.models.generate import generate_network  # noqa: E402
from brian2_lnp.pruning.driver import prune  # noqa: E402


#: ``--fast``: Step I with fewer Lyapunov vectors / steps for the node exponents
#: (20 vectors, 500 + 200 steps instead of 100, 2000 + 500), a shorter sampled
#: covariance (16 chains x 100 samples instead of 32 x 400) and no spectral
#: report. A benchmark profile, not a library default: it trades accuracy of
#: the keep probabilities for time.
FAST_NOISE_KWARGS = dict(k=20, n_steps=500, transient=200, n_samples=100, n_chains=16,
                         spectral_report=False)


def one_iteration(N, seed, lyap_kwargs, noise_kwargs):
    """One driver iteration of Steps I-III; the times come from the driver's history."""
    conn = generate_network("hrsnn", N=N, seed=seed).conn
    res = prune(conn, iterations=1, steps=("noise", "centrality", "delocalize"), seed=seed,
                lyap_kwargs=lyap_kwargs, step_kwargs={"noise": noise_kwargs})
    row = res.history.iloc[1]
    times = {"noise": row.t_noise, "centrality": row.t_centrality,
             "delocalize": row.t_delocalize, "health": row.t_health}
    return conn, res.connectivity, times, row.lambda_max


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--one", nargs="*", type=int, default=None,
                    help="sizes for the one-iteration timing (default 1000 2000 5000)")
    ap.add_argument("--full", nargs="*", type=int, default=[],
                    help="sizes for the full iterative run")
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-lyapunov", action="store_true",
                    help="do not measure lambda_max per iteration in full runs")
    ap.add_argument("--n-calls", type=int, default=20, help="Step IV evaluations")
    ap.add_argument("--fast", action="store_true",
                    help="cheaper Step I estimates per iteration (see FAST_NOISE_KWARGS)")
    ap.add_argument("--checkpoint", default=None, help="checkpoint directory (full runs)")
    ap.add_argument("--csv", default=None, help="directory for the histories of full runs")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    lyap_kwargs = dict(k=1, n_steps=1000, transient=300)

    noise_kwargs = dict(FAST_NOISE_KWARGS) if args.fast else {}
    print(f"profile: {'fast ' + str(noise_kwargs) if args.fast else 'library defaults'}")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPU(s), "
          f"python {platform.python_version()}, numpy {np.__version__}")
    sizes = [1000, 2000, 5000] if args.one == [] else (args.one or [])
    if sizes:
        print("\n### One LNP iteration (Steps I-III + lambda_max), seconds\n")
        print("| N | synapses | after | noise (I) | centrality (II) | delocalize (III) "
              "| health (lambda_max, SCC) | total I-III |")
        print("|---|---|---|---|---|---|---|---|")
        for N in sizes:
            conn, out, t, lam = one_iteration(N, args.seed, lyap_kwargs, noise_kwargs)
            tot = t["noise"] + t["centrality"] + t["delocalize"]
            print(f"| {N} | {conn.n_active_synapses} | {out.n_active_neurons} n / "
                  f"{out.n_active_synapses} s | {t['noise']:.2f} | {t['centrality']:.2f} | "
                  f"{t['delocalize']:.2f} | {t['health']:.2f} | {tot:.2f} |", flush=True)
    for N in args.full:
        conn = generate_network("hrsnn", N=N, seed=args.seed).conn
        ck = None if args.checkpoint is None else os.path.join(args.checkpoint, f"N{N}")
        t0 = time.perf_counter()
        res = prune(conn, iterations=args.iterations, seed=args.seed, checkpoint_dir=ck,
                    progress=True, lyapunov=False if args.no_lyapunov else None,
                    lyap_kwargs=lyap_kwargs,
                    step_kwargs={"timescales": {"n_calls": args.n_calls},
                                 "noise": noise_kwargs})
        wall = time.perf_counter() - t0
        h = res.history
        print(f"\n### Full run: N = {N}, {args.iterations} iterations "
              f"(Step IV at the end, n_calls = {args.n_calls})\n")
        print(f"wall time {wall:.1f} s ({wall / 60:.1f} min); stopped early: "
              f"{res.stopped_early} {res.message}")
        sums = {c: float(np.nansum(h[c])) for c in h.columns if c.startswith("t_")}
        print("time per step (s, summed): "
              + ", ".join(f"{k[2:]} {v:.1f}" for k, v in sums.items()))
        show = h.iloc[[0, 1, min(10, len(h) - 1), min(50, len(h) - 1), len(h) - 1]]
        print()
        print(show[["iteration", "stage", "neurons", "synapses", "lambda_max"]]
              .to_markdown(index=False) if _has_tabulate() else show.to_string(index=False))
        if args.csv:
            os.makedirs(args.csv, exist_ok=True)
            h.to_csv(os.path.join(args.csv, f"lnp_history_N{N}.csv"), index=False)


def _has_tabulate():
    import importlib.util
    return importlib.util.find_spec("tabulate") is not None


if __name__ == "__main__":
    main()
