"""Accuracy checks behind the performance choices of docs/performance.md.

Two measurements on a packaged-model HRSNN (pure NumPy generator):

``warm``
    Node exponents after one Step I (density 0.9): a warm-started run
    (100-step transient from the previous run's tangent vectors and state)
    against a cold run with the same input sequence (500-step transient), for
    three input seeds, next to the difference between cold runs of two seeds.
``chains``
    Sampled covariance after one Step I ("weights" coupling, density 0.9) at
    N = 1200 (above the exact/sampled switch): cold chains against chains
    warm-started from the previous network's run (half the burn-in), both
    against the exact covariance, four seeds, all 400 samples.
``surrogate-state``
    Why the surrogate is not warm-started by default: the final state of a
    run (|h| large, saturated) and the exponents of runs started from it,
    against cold runs from small h.
``cov-seeds``
    Accuracy of the default sampled covariance over covariance seeds 1-8 on
    HRSNN network seed 1 (node exponents k = 50, 300 steps, as in
    bench_dynamics.py): median |sampled/exact - 1| per seed. Run it from two
    checkouts to compare the random streams of two versions.
``node-se``
    Whether a precision-driven stop (standard error of per-node exponents over
    10 time blocks) would track the real error: the relative standard error and
    the median relative difference from a 6000-step run, after 500-4000 steps.

Usage::

    python benchmarks/perf_checks.py warm --N 1000
    python benchmarks/perf_checks.py node-se --N 1000
    python benchmarks/perf_checks.py chains --N 1200
    python benchmarks/perf_checks.py surrogate-state --N 1000
    python benchmarks/perf_checks.py cov-seeds --N 500 --seed 1

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


def chains(conn):
    from brian2_lnp.dynamics import covariance, linearize
    prev = covariance(linearize(conn, coupling="weights"), method="sampled", seed=5)
    nxt, _ = noise_prune(conn, density=0.9, seed=1, coupling="weights", covariance="sampled",
                         spectral_report=False)
    lin = linearize(nxt, coupling="weights")
    s = np.sign(lin.L_edge)
    truth = covariance(lin, method="exact").edge_terms(s)
    for seed in (1, 2, 3, 4):
        for name, kw in (("cold", {}), ("warm", dict(warm=prev.info["state"]))):
            c = covariance(lin, method="sampled", seed=seed, rtol=None, **kw)
            est = c.edge_terms(s)
            print(f"seed {seed} {name}: burn-in {c.info['n_burn']} of {c.info['n_steps']} steps"
                  f" | median |sampled/exact - 1| {np.median(np.abs(est / truth - 1)):.4f}, "
                  f"mean signed {np.mean(est / truth - 1):+.4f} | median rel. stderr "
                  f"{np.median(c.stderr(s) / np.abs(est)):.4f}", flush=True)


def surrogate_state(conn):
    prev = rate_lyapunov(conn, seed=99)
    st = prev.info["state"]
    print(f"run from small h (seed 99): lambda_max {prev.exponents[0]:.3f} 1/s, final "
          f"std(h) {st.surrogate_h.std():.2f}")
    for s in (11, 12):
        c = rate_lyapunov(conn, seed=s)
        w = rate_lyapunov_warm(conn, st, seed=s, warm_transient=100)
        print(f"input seed {s}: lambda_max cold (h0 ~ 0.1) {c.exponents[0]:.3f}, started from "
              f"that final state {w.exponents[0]:.3f} 1/s", flush=True)


def cov_seeds(conn):
    from brian2_lnp.dynamics import covariance, linearize, node_exponents
    lin = linearize(conn, node_exponents=node_exponents(conn, k=50, n_steps=300,
                                                        transient=100, seed=1))
    s = np.sign(lin.L_edge)
    truth = covariance(lin, method="exact").edge_terms(s)
    errs = [np.median(np.abs(covariance(lin, method="sampled", seed=seed).edge_terms(s)
                             / truth - 1)) for seed in range(1, 9)]
    print("median |sampled/exact - 1| per covariance seed 1-8: "
          + " ".join(f"{e:.4f}" for e in errs) + f" | mean {np.mean(errs):.4f}")


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
    ap.add_argument("check", choices=("warm", "node-se", "chains", "surrogate-state",
                                      "cov-seeds"))
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    conn = generate_network(load_model("hrsnn"), N=args.N, seed=args.seed).conn
    print(f"# perf_checks {args.check}: HRSNN N={args.N}, network seed {args.seed}")
    {"warm": warm, "node-se": node_se, "chains": chains,
     "surrogate-state": surrogate_state, "cov-seeds": cov_seeds}[args.check](conn)


if __name__ == "__main__":
    main()
