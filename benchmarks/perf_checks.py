"""Accuracy checks behind the performance choices of docs/performance.md.

Two measurements on a packaged-model HRSNN (pure NumPy generator):

``warm``
    Node exponents after one Step I (density 0.9): a warm-started run
    (100-step transient from the previous run's tangent vectors and state)
    against a cold run with the same input sequence (500-step transient), for
    three input seeds, next to the difference between cold runs of two seeds.
``node-se``
    Whether a precision-driven stop (standard error of per-node exponents over
    10 time blocks) would track the real error: the relative standard error and
    the median relative difference from a 6000-step run, after 500-4000 steps.

Usage::

    python benchmarks/perf_checks.py warm --N 1000
    python benchmarks/perf_checks.py node-se --N 1000

Prints plain text; every number comes from the run.
"""
import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import sys  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from brian2_lnp.dynamics import (RateNetwork, per_node_exponents, rate_lyapunov,  # noqa: E402
                                 rate_lyapunov_warm)
from brian2_lnp.dynamics.spectrum import lyapunov_spectrum  # noqa: E402
from brian2_lnp.models.config import load_model  # noqa: E402
from brian2_lnp.models.generate import generate_network  # noqa: E402
from brian2_lnp.pruning import noise_prune  # noqa: E402
from brian2_lnp.random import child_seed  # noqa: E402


def warm(conn):
    nxt, rep = noise_prune(conn, density=0.9, seed=1, spectral_report=False)
    act = nxt.neuron_active
    refs = []
    for s in (11, 12, 13):
        ref = rate_lyapunov(nxt, seed=s)
        w = rate_lyapunov_warm(nxt, rep.warm, seed=s, warm_transient=100)
        refs.append(ref.node_exponents[act])
        d = np.median(np.abs(w.node_exponents[act] - ref.node_exponents[act]))
        print(f"input seed {s}: median |warm(100) - cold(500)| = {d:.3f} 1/s; lambda_max "
              f"cold {ref.exponents[0]:.3f}, warm {w.exponents[0]:.3f}", flush=True)
    R = np.array(refs)
    print("median |cold(seed a) - cold(seed b)|: "
          + ", ".join(f"{np.median(np.abs(R[i] - R[i + 1])):.3f}" for i in range(2)) + " 1/s")
    print(f"median |lambda_node| (cold, seed 11): {np.median(np.abs(R[0])):.3f} 1/s")


def node_se(conn, k=100, qr_every=10, transient=500, total=6000, eps=1e-3):
    net = RateNetwork(conn)
    rng = child_seed(5, "rate_lyapunov", 0)
    inputs = net.inputs(transient + total, 0.1, seed=rng)
    h0 = 0.1 * rng.standard_normal(net.n)
    logs, q2s = [], []
    counter = {"t": 0}

    def step(h):
        t = counter["t"]
        counter["t"] += 1
        return net.step(h, inputs[t])
    # one long run, recording log R and Q^2 at every QR (history differences give log R)
    res = lyapunov_spectrum(step, net.jacobian, h0, n_steps=transient, dt=net.dt, k=k,
                            qr_every=qr_every, seed=rng)
    Q, h = res.info["final_Q"], res.info["final_state"]
    for _ in range(total // qr_every):
        r = lyapunov_spectrum(step, net.jacobian, h, n_steps=qr_every, dt=net.dt, k=k,
                              qr_every=qr_every, Q0=Q)
        # unsorted: undo the sort of the single-interval result
        inv = np.empty(k, dtype=int)
        inv[r.info["order"]] = np.arange(k)
        logs.append(r.exponents[inv] * qr_every * net.dt)
        q2s.append(r.q2_mean[:, inv])
        Q, h = r.info["final_Q"], r.info["final_state"]
    logs, q2s = np.array(logs), np.array(q2s)

    def nodes(a, b):
        lam = logs[a:b].sum(0) / ((b - a) * qr_every * net.dt)
        return per_node_exponents(lam, q2s[a:b].mean(0))
    ref = nodes(0, len(logs))
    for steps in (500, 1000, 2000, 4000):
        n = steps // qr_every
        est = nodes(0, n)
        edges = np.linspace(0, n, 11).astype(int)
        blk = np.array([nodes(a, b) for a, b in zip(edges[:-1], edges[1:])])
        se = blk.std(0, ddof=1) / np.sqrt(10)
        print(f"{steps:5d} steps: median rel. stderr (10 blocks) "
              f"{np.median(se / (np.abs(est) + eps)):.3f}; median |est - est({total})| / "
              f"(|est({total})| + eps) {np.median(np.abs(est - ref) / (np.abs(ref) + eps)):.3f};"
              f" mean node exponent {est.mean():.3f} 1/s", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("check", choices=("warm", "node-se"))
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    conn = generate_network(load_model("hrsnn"), N=args.N, seed=args.seed).conn
    print(f"# perf_checks {args.check}: HRSNN N={args.N}, network seed {args.seed}")
    (warm if args.check == "warm" else node_se)(conn)


if __name__ == "__main__":
    main()
