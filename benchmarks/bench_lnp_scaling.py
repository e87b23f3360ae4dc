"""LNP cost against network size, and the speed-up over a reference commit, in one run.

Protocol (fixed before any run of this script):

* Network: ``generate_network("hrsnn", N=N, seed=SEED)``. With ``--seed-stream 1``
  (the default here) the current code builds exactly the network an older
  commit built (older commits only had seed stream 1); both sides print a
  checksum of the network (synapse count, sum of w, sum of tau_m) and the
  comparison refuses to report a ratio when the checksums differ.
* One measurement = a fresh Python process (so peak memory is per size and no
  cache carries over) running ``prune(conn, iterations=K, steps=("noise",
  "centrality", "delocalize"), seed=SEED)`` with that code's library defaults
  (the reference's own defaults, e.g. its fixed schedule) and the driver's
  per-iteration health/lambda_max measurement on. Time of an iteration = the
  sum of the driver's per-step wall times for that iteration (``t_*`` history
  columns: Steps I-III and the health measurement). Iteration 1 carries the
  one-time calibrations (and, in newer code, no warm start), so it is reported
  separately from the median of iterations 2..K ("steady"). Peak memory is the
  child's ``ru_maxrss``.
* Reference comparison (``--reference DIR --compare N...``): for each N the
  reference and the current code alternate ``--repeats`` times (ref, cur, ref,
  cur, ...), nothing else of ours running; reported are the medians per side
  and the ratio median(ref) / median(cur) of the first-iteration time, of the
  steady time, and of the whole K-iteration time.
* Scaling (``--scaling N...``): the current code once per size; the growth
  exponent is the least-squares slope of log(steady time per iteration) on
  log(N) (and on log(synapses)).
* Full run (``--full N...``): ``prune(conn, iterations=100, seed=SEED)`` with
  every library default (Steps I-IV, convergent schedule, stop on
  convergence), wall time of the whole call, iterations run, whether it
  converged, peak memory, and a hash of the final network. With
  ``--reference DIR`` the reference and the current code alternate
  ``--repeats`` times per size and the ratio of their median wall times is
  printed, with whether both ended with the same network.

Every number printed comes from these child processes; the machine's load
average is printed before and after each measurement. Paste the tables into
benchmarks/RESULTS_lnp.md with the command.

Examples
--------
    git worktree add --detach REF a6c436f   # REF: any directory for the reference checkout
    python benchmarks/bench_lnp_scaling.py --reference REF --compare 5000 --repeats 3
    python benchmarks/bench_lnp_scaling.py --scaling 1000 2000 5000 10000 20000 --iterations 3
    python benchmarks/bench_lnp_scaling.py --full 1000 5000 --seed-stream 2
    python benchmarks/bench_lnp_scaling.py --reference REF --full 1000 --repeats 3 --seed-stream 2
"""
import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _child(args):
    """Run inside the measured process: print one JSON line."""
    import resource

    import brian2_lnp
    from brian2_lnp.models.generate import generate_network
    from brian2_lnp.pruning.driver import prune

    t0 = time.perf_counter()
    conn = generate_network("hrsnn", N=args.child, seed=args.seed).conn
    t_build = time.perf_counter() - t0
    checksum = [int(conn.n_synapses), round(float(np.sum(conn.w)), 9),
                round(float(np.sum(conn.tau_m)), 9)]
    t0 = time.perf_counter()
    if args.mode == "full":
        res = prune(conn, iterations=100, seed=args.seed)
    else:
        res = prune(conn, iterations=args.iterations, seed=args.seed,
                    steps=("noise", "centrality", "delocalize"))
    wall = time.perf_counter() - t0
    h = res.history
    tcols = [c for c in h.columns if c.startswith("t_")]
    it = h[h["stage"] == "iteration"]
    per_iter = [float(np.nansum(row[tcols].to_numpy(dtype=float))) for _, row in it.iterrows()]
    last = h.iloc[-1]
    fc = res.connectivity
    digest = hashlib.sha1()
    for arr in (fc.neuron_active, fc.synapse_active, fc.w, fc.tau_m):
        digest.update(np.ascontiguousarray(arr).tobytes())
    code = os.path.dirname(os.path.dirname(os.path.abspath(brian2_lnp.__file__)))
    out = dict(final_sha1=digest.hexdigest()[:12], N=args.child, seed=args.seed, mode=args.mode,
               code=code, checksum=checksum, build_s=t_build, wall_s=wall,
               per_iteration_s=per_iter, iterations=int(len(it)),
               neurons=int(last["neurons"]), synapses=int(last["synapses"]),
               stopped_early=bool(getattr(res, "stopped_early", False)),
               message=str(getattr(res, "message", "")),
               step_sums={c[2:]: float(np.nansum(h[c].to_numpy(dtype=float))) for c in tcols},
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               workers=os.environ.get("BRIAN2_LNP_WORKERS", ""))
    print("RESULT " + json.dumps(out), flush=True)


def measure(code_root, N, *, mode, iterations, seed, seed_stream, timeout):
    """One child process on the code at ``code_root``; returns its result dict."""
    env = dict(os.environ)
    env["PYTHONPATH"] = code_root
    env["BRIAN2_LNP_SEED_STREAM"] = str(seed_stream)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--child", str(N), "--mode", mode,
           "--iterations", str(iterations), "--seed", str(seed)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd="/tmp", capture_output=True, text=True,
                          timeout=timeout)
    total = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed ({code_root}, N={N}): {proc.stderr[-2000:]}")
    res = json.loads(lines[-1][len("RESULT "):])
    res.update(process_s=total, load1_start=load0, load1_end=os.getloadavg()[0])
    if os.path.realpath(res["code"]) != os.path.realpath(code_root):
        raise RuntimeError(f"child imported {res['code']}, expected {code_root}")
    return res


def steady(res):
    """Median time of iterations 2..K (NaN with fewer than 2 iterations)."""
    t = res["per_iteration_s"][1:]
    return float(np.median(t)) if t else float("nan")


def _slope(x, y):
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def compare(args):
    print(f"\n### Speed-up over the reference ({args.reference}), {args.iterations} iterations"
          f", seed {args.seed}, seed stream {args.seed_stream}, {args.repeats} alternating "
          "repeats\n")
    rows = []
    for N in args.compare:
        ref, cur = [], []
        for r in range(args.repeats):
            for side, store, root in (("ref", ref, args.reference), ("cur", cur, ROOT)):
                res = measure(root, N, mode="one", iterations=args.iterations, seed=args.seed,
                              seed_stream=args.seed_stream, timeout=args.timeout)
                store.append(res)
                print(f"  N={N} repeat {r} {side}: iterations "
                      + ", ".join(f"{t:.1f}" for t in res["per_iteration_s"])
                      + f" s; process {res['process_s']:.1f} s; peak {res['peak_rss_mb']:.0f} MB"
                      f"; load {res['load1_start']:.2f} -> {res['load1_end']:.2f}", flush=True)
        if ref[0]["checksum"] != cur[0]["checksum"]:
            print(f"  N={N}: networks differ ({ref[0]['checksum']} vs {cur[0]['checksum']}); "
                  "no ratio reported")
            continue
        med = {}
        for name, fn in (("first", lambda r: r["per_iteration_s"][0]), ("steady", steady),
                         ("total", lambda r: float(np.sum(r["per_iteration_s"])))):
            med[name] = (float(np.median([fn(r) for r in ref])),
                         float(np.median([fn(r) for r in cur])))
        rows.append((N, med, ref[0]["checksum"], max(r["peak_rss_mb"] for r in ref),
                     max(r["peak_rss_mb"] for r in cur)))
    print("\n| N | synapses | iteration 1 ref / cur (s) | ratio | iterations 2.. ref / cur "
          "(median s) | ratio | whole run ref / cur (s) | ratio | peak MB ref / cur |")
    print("|---|---|---|---|---|---|---|---|---|")
    for N, med, ck, mref, mcur in rows:
        cells = []
        for name in ("first", "steady", "total"):
            a, b = med[name]
            cells += [f"{a:.1f} / {b:.1f}", f"{a / b:.2f}x"]
        print(f"| {N} | {ck[0]} | " + " | ".join(cells) + f" | {mref:.0f} / {mcur:.0f} |")


def scaling(args):
    print(f"\n### Scaling of the current code ({args.iterations} iterations, seed {args.seed}, "
          f"seed stream {args.seed_stream})\n")
    res = []
    for N in args.scaling:
        r = measure(ROOT, N, mode="one", iterations=args.iterations, seed=args.seed,
                    seed_stream=args.seed_stream, timeout=args.timeout)
        res.append(r)
        print(f"  N={N}: iterations " + ", ".join(f"{t:.1f}" for t in r["per_iteration_s"])
              + f" s; peak {r['peak_rss_mb']:.0f} MB; load {r['load1_start']:.2f} -> "
              f"{r['load1_end']:.2f}", flush=True)
    print("\n| N | synapses | iteration 1 (s) | iterations 2.. (median s) | steps summed over "
          "the run (s) | peak memory (MB) |")
    print("|---|---|---|---|---|---|")
    for r in res:
        sums = ", ".join(f"{k} {v:.1f}" for k, v in r["step_sums"].items())
        print(f"| {r['N']} | {r['checksum'][0]} | {r['per_iteration_s'][0]:.1f} | "
              f"{steady(r):.1f} | {sums} | {r['peak_rss_mb']:.0f} |")
    Ns = [r["N"] for r in res]
    times = [steady(r) for r in res]
    print(f"\ngrowth exponent of the steady time per iteration: {_slope(Ns, times):.2f}"
          f" in N, {_slope([r['checksum'][0] for r in res], times):.2f} in "
          "synapses; of iteration 1: "
          f"{_slope(Ns, [r['per_iteration_s'][0] for r in res]):.2f} in N")


def full(args):
    """Full runs; with ``--reference``, reference and current alternate ``--repeats`` times."""
    sides = [("cur", ROOT)] if not args.reference else [("ref", args.reference), ("cur", ROOT)]
    repeats = args.repeats if args.reference else 1
    print(f"\n### Full runs (each code's library defaults, at most 100 iterations, seed "
          f"{args.seed}, seed stream {args.seed_stream}"
          + (f"; reference {args.reference}, {repeats} alternating repeats" if args.reference
             else "") + ")\n")
    print("| N | code | wall time | iterations (converged) | neurons | synapses | final network "
          "| steps summed (s) | peak memory (MB) | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for N in args.full:
        runs = {side: [] for side, _ in sides}
        for _ in range(repeats):
            for side, root in sides:
                r = measure(root, N, mode="full", iterations=100, seed=args.seed,
                            seed_stream=args.seed_stream, timeout=args.timeout)
                runs[side].append(r)
                sums = ", ".join(f"{k} {v:.1f}" for k, v in r["step_sums"].items())
                print(f"| {N} | {side} | {r['wall_s']:.1f} s ({r['wall_s'] / 60:.1f} min) | "
                      f"{r['iterations']} ({'yes' if r['stopped_early'] else 'no'}) | "
                      f"{r['neurons']} | {r['synapses']} | {r.get('final_sha1', '-')} | {sums} | "
                      f"{r['peak_rss_mb']:.0f} | {r['load1_start']:.2f} -> "
                      f"{r['load1_end']:.2f} |", flush=True)
        if args.reference:
            ref, cur = runs["ref"], runs["cur"]
            if ref[0]["checksum"] != cur[0]["checksum"]:
                ratios.append(f"N = {N}: the codes built different networks "
                              f"({ref[0]['checksum']} vs {cur[0]['checksum']}); no ratio")
                continue
            a = float(np.median([r["wall_s"] for r in ref]))
            b = float(np.median([r["wall_s"] for r in cur]))
            same = ("the same final network" if ref[0].get("final_sha1") == cur[0].get(
                "final_sha1") else "different final networks")
            ratios.append(f"N = {N}: median wall time ref {a:.1f} s / cur {b:.1f} s = "
                          f"{a / b:.2f}x ({same})")
    for line in ratios:
        print(line)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", default=None, help="checkout of the reference commit")
    ap.add_argument("--compare", nargs="*", type=int, default=[])
    ap.add_argument("--scaling", nargs="*", type=int, default=[])
    ap.add_argument("--full", nargs="*", type=int, default=[])
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seed-stream", type=int, default=1, choices=(1, 2))
    ap.add_argument("--timeout", type=float, default=3 * 3600)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="one", choices=("one", "full"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        return _child(args)
    if args.compare and not args.reference:
        ap.error("--compare needs --reference DIR (a checkout of the reference commit)")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPU(s), python "
          f"{platform.python_version()}, numpy {np.__version__}; load average "
          f"{os.getloadavg()}; BRIAN2_LNP_WORKERS={os.environ.get('BRIAN2_LNP_WORKERS', '')!r}"
          f"; {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    if args.compare:
        compare(args)
    if args.scaling:
        scaling(args)
    if args.full:
        full(args)


if __name__ == "__main__":
    main()
