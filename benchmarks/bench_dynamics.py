"""Benchmark of brian2_lnp.dynamics on HRSNN connectivities.

For N = 500, 1000, 2000, 5000 HRSNN connectivities from the pure-NumPy
generator (brian2_lnp.models.generate with the packaged ``hrsnn`` model file):

* time per QR step of the rate surrogate's Lyapunov spectrum, k = 50 leading
  exponents (sparse Jacobian operator: O(nnz k + N k^2)) and the full spectrum
  (k = N: O(N^3) per QR);
* the same k = 50 step with a naive dense Jacobian (formed as an N x N array
  and multiplied: O(N^2 k)) at N = 2000, and the ratio;
* covariance time, ``exact`` (dense Lyapunov solver, only up to --exact-max)
  and ``sampled`` (noise probing: the default, the default with all 400
  samples, and the first session's fixed row-sum-step scheme for the
  before/after ratio), plus the linearisation time;
* scaling exponents fitted over N (log time vs log N).

Usage::

    python benchmarks/bench_dynamics.py [--sizes 500 1000 2000 5000] [--exact-max 2000]

Prints a plain-text report (recorded in benchmarks/RESULTS_dynamics.md).
"""
import argparse
import os

# single-threaded BLAS: the machine is shared, and per-core timings are comparable
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from brian2_lnp.dynamics import (RateNetwork, covariance, linearize,  # noqa: E402
                                 lyapunov_spectrum, node_exponents)
from brian2_lnp.dynamics.spectrum import positive_qr  # noqa: E402


def hrsnn_conn(N, seed=1):
    from brian2_lnp.models.config import load_model
    from brian2_lnp.models.generate import generate_network

    return generate_network(load_model("hrsnn"), N=N, seed=seed).conn


def time_qr_steps(net, k, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    h0 = 0.1 * rng.standard_normal(net.n)
    t0 = time.perf_counter()
    lyapunov_spectrum(net.step, net.jacobian, h0, n_steps=n_steps, dt=net.dt, k=k,
                      qr_every=1, seed=seed)
    return (time.perf_counter() - t0) / n_steps


def time_dense_steps(net, k, n_steps, seed=0):
    """Naive reference: the Jacobian formed densely every step, then J @ Q and QR."""
    rng = np.random.default_rng(seed)
    h = 0.1 * rng.standard_normal(net.n)
    Wd = net.W.toarray()
    Q, _ = positive_qr(rng.standard_normal((net.n, k)))
    t0 = time.perf_counter()
    for _ in range(n_steps):
        d = net.dphi(h)
        J = np.diag(net.a) + net.c[:, None] * Wd * d[None, :]
        Q, _ = positive_qr(J @ Q)
        h = net.step(h)
    return (time.perf_counter() - t0) / n_steps


def slope(Ns, ts):
    Ns, ts = np.asarray(Ns, float), np.asarray(ts, float)
    ok = np.isfinite(ts)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(Ns[ok]), np.log(ts[ok]), 1)[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--exact-max", type=int, default=2000,
                    help="largest N for the exact covariance (O(N^3))")
    ap.add_argument("--full-max", type=int, default=5000,
                    help="largest N for the full-spectrum QR step")
    ap.add_argument("--dense-N", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    print(f"# bench_dynamics  python {platform.python_version()}  numpy {np.__version__}  "
          f"{platform.machine()}  cpus={os.cpu_count()}  load={os.getloadavg()}")
    print("# connectivity: HRSNN from brian2_lnp.models.generate (packaged hrsnn.yaml), "
          f"seed {args.seed}")
    rows = []
    for N in args.sizes:
        conn = hrsnn_conn(N, args.seed)
        net = RateNetwork(conn)
        nnz = net.W.nnz
        k = min(args.k, N)
        t_k = time_qr_steps(net, k, n_steps=50)
        t_full = float("nan")
        if N <= args.full_max:
            t_full = time_qr_steps(net, N, n_steps=2 if N >= 2000 else 5)
        t_dense = float("nan")
        if N == args.dense_N:
            t_dense = time_dense_steps(net, k, n_steps=5)
        # Linearisation with the paper's coupling; node exponents from a short k-leading run
        t0 = time.perf_counter()
        ne = node_exponents(conn, k=k, n_steps=300, transient=100, seed=args.seed)
        t_nodes = time.perf_counter() - t0
        t0 = time.perf_counter()
        lin = linearize(conn, node_exponents=ne)
        t_lin = time.perf_counter() - t0
        t_exact = float("nan")
        cov_ex = None
        if N <= args.exact_max:
            t0 = time.perf_counter()
            cov_ex = covariance(lin, method="exact")
            t_exact = time.perf_counter() - t0
        s = np.sign(lin.L_edge)

        def sampled(**kw):
            t0 = time.perf_counter()
            c = covariance(lin, method="sampled", seed=args.seed, **kw)
            t = time.perf_counter() - t0
            rel_se = float(np.median(c.stderr(s) / c.edge_terms(s)))
            err = float("nan")
            if cov_ex is not None:
                err = float(np.median(np.abs(c.edge_terms(s) / cov_ex.edge_terms(s) - 1)))
            return c, t, rel_se, err

        # the default (step grown to the Jacobi radius bound, stop at 2 % median stderr),
        # the same with all 400 samples, and the first session's scheme (row-sum step at
        # q = 0.25, 15 fixed sweeps, 400 samples) for the before/after ratio
        cov_s, t_samp, rel_se, err = sampled()
        _, t_all, rel_all, err_all = sampled(rtol=None)
        cov_o, t_old, rel_old, err_old = sampled(rtol=None, q=0.25, sweeps=15)
        row = dict(N=N, nnz=nnz, dt=net.dt, t_k=t_k, t_full=t_full, t_dense=t_dense,
                   t_nodes=t_nodes, t_lin=t_lin, scale=lin.scale, t_exact=t_exact,
                   t_samp=t_samp, steps=cov_s.info["n_steps"], rel_se=rel_se, err=err,
                   t_all=t_all, t_old=t_old)
        rows.append(row)
        print(f"N={N:5d} nnz={nnz:6d} | QR step k={k}: {t_k * 1e3:8.2f} ms  full k=N: "
              f"{t_full * 1e3:10.1f} ms  dense-naive k={k}: {t_dense * 1e3:8.1f} ms | "
              f"node_exponents(k={k}, 400 steps) {t_nodes:6.1f} s  linearize {t_lin:5.2f} s "
              f"(scale {lin.scale:.3g}) | cov exact {t_exact:7.2f} s", flush=True)
        print(f"        sampled default    {t_samp:7.2f} s  h {cov_s.info['h']:.3g} s, "
              f"{cov_s.info['n_steps']} steps, {cov_s.info['n_samples']} samples, mean "
              f"{cov_s.info['mean_sweeps']:.1f} sweeps | median rel. stderr {rel_se:.3f}, "
              f"median |sampled/exact-1| {err:.3f}", flush=True)
        print(f"        sampled 400 samples {t_all:7.2f} s | median rel. stderr {rel_all:.3f}, "
              f"median |sampled/exact-1| {err_all:.3f}", flush=True)
        print(f"        first-session scheme {t_old:7.2f} s  h {cov_o.info['h']:.3g} s, "
              f"{cov_o.info['n_steps']} steps | median rel. stderr {rel_old:.3f}, median "
              f"|sampled/exact-1| {err_old:.3f} | old/default time ratio "
              f"{t_old / t_samp:.1f}x", flush=True)

    Ns = [r["N"] for r in rows]
    print("\n# scaling exponents (slope of log time vs log N over the sizes above)")
    for key, label in [("t_k", f"QR step, k={args.k}"), ("t_full", "QR step, full spectrum"),
                       ("t_exact", "covariance exact"), ("t_samp", "covariance sampled"),
                       ("t_lin", "linearize")]:
        print(f"{label:28s}: {slope(Ns, [r[key] for r in rows]):.2f}")
    for r in rows:
        if np.isfinite(r["t_dense"]):
            print(f"\n# N={r['N']}: naive dense k={args.k} step / sparse k={args.k} step = "
                  f"{r['t_dense'] / r['t_k']:.1f}x")


if __name__ == "__main__":
    main()
