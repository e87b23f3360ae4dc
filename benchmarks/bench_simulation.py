"""Simulation speed of the plugin's HRSNN against the same network in plain Brian2.

For each N (default 1000, 2000, 5000) and device (runtime with Cython,
cpp_standalone) it simulates 1 s of biological time of the HRSNN built by
``brian2_lnp`` and of the hand-written plain-Brian2 version
(benchmarks/plain_brian2_hrsnn.py) with the same connectivity arrays,
parameters and pre-generated input spikes, each in its own process (a
standalone device builds once per process), and prints:

* build: seconds to create the Brian2 objects (after the NumPy generation);
* compile: cpp_standalone only, ``make`` time reported by the device;
* sim: runtime: wall time of ``run(duration)`` after a 10 ms warm-up run
  that compiled the Cython code; cpp_standalone: the simulation loop time
  measured inside the compiled program (``device._last_run_time`` /
  results/last_run_info.txt), minimum over ``--binary-repeats`` runs (default 5)
  of the two compiled programs, alternated (plain, plugin, plain, ...) so that
  both see the same load on a shared machine;
* events/s: synaptic events (recurrent spikes x out-degree + input spikes x
  input out-degree) per second of ``sim``;
* ratio: plugin sim / plain sim (target: within 1.10 on cpp_standalone).

Usage::

    python benchmarks/bench_simulation.py                  # N = 1000 2000 5000
    python benchmarks/bench_simulation.py --N 1000 --repeats 2
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WARMUP = 0.01  # second of biological time run first on runtime (Cython compilation)


def worker(impl, device, N, duration, seed, directory, binary_repeats=1):
    """Run one configuration in this process; return a dict of timings."""
    sys.path.insert(0, ROOT)
    sys.path.insert(0, HERE)
    import brian2

    from brian2_lnp.models.devices import use_device
    from brian2_lnp.models.encoders import poisson_spike_trains
    from brian2_lnp.models.generate import generate_network
    from brian2_lnp.models.network import SpikingNetwork, default_input_rate
    from plain_brian2_hrsnn import build_plain

    brian2.prefs.logging.console_log_level = "WARNING"
    use_device(device, directory=directory) if device != "runtime" else use_device("runtime")
    t0 = time.perf_counter()
    spec = generate_network("hrsnn", N=N, seed=seed)
    t_gen = time.perf_counter() - t0
    dt = float(brian2.defaultclock.dt)
    warm = WARMUP if device == "runtime" else 0.0
    trains = poisson_spike_trains(np.full(spec.n_inputs, default_input_rate(spec, dt)), dt,
                                  step=warm + duration, seed=seed)
    t0 = time.perf_counter()
    if impl == "plugin":
        net = SpikingNetwork(spec, input_rate=0)
        net.set_input(trains.indices, trains.times)
        network, mon = net.network, net.monitors["spikes"]
    else:
        network, mon = build_plain(spec, trains.indices, trains.times)
    t_build = time.perf_counter() - t0
    if warm:
        network.run(warm * brian2.second)
    t0 = time.perf_counter()
    network.run(duration * brian2.second)
    wall = time.perf_counter() - t0
    out = {"impl": impl, "device": device, "N": N, "synapses": spec.conn.n_synapses,
           "generate": t_gen, "build": t_build, "wall": wall}
    if device == "runtime":
        out["sim"] = wall
    else:
        dev = brian2.get_device()
        out["compile"] = sum(v for v in dev.timers["compile"].values() if v is not None)
        out["binary"] = dev.timers["run_binary"]
        sims = [float(dev._last_run_time)]
        for _ in range(binary_repeats - 1):
            # re-run the compiled program (same input, same result): the minimum of
            # several runs filters out the load of a shared machine
            dev.run()
            sims.append(float(dev._last_run_time))
        out["sim"] = min(sims)
        out["sim_runs"] = sims
        out["project"] = dev.project_dir
    i, t = np.asarray(mon.i[:]), np.asarray(mon.t_[:])
    sel = t >= warm - 1e-12
    counts = np.bincount(i[sel], minlength=N)
    out_deg = np.bincount(spec.conn.pre, minlength=N)
    in_sel = (trains.times >= warm - 1e-12) & (trains.times < warm + duration)
    in_counts = np.bincount(trains.indices[in_sel], minlength=spec.n_inputs)
    in_deg = np.bincount(spec.input_pre, minlength=spec.n_inputs)
    out["spikes"] = int(counts.sum())
    out["events"] = int(counts @ out_deg + in_counts @ in_deg)
    out["events_per_s"] = out["events"] / out["sim"]
    return out


def run_config(impl, device, N, duration, seed, binary_repeats=1):
    directory = tempfile.mkdtemp(prefix=f"bench_{impl}_{device}_{N}_")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, "--device", device,
           "--N", str(N), "--duration", str(duration), "--seed", str(seed),
           "--directory", directory, "--binary-repeats", str(binary_repeats)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if res.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}")
    return json.loads(lines[-1])


def rerun_binary(project):
    """Run a compiled cpp_standalone program again; its simulation time (second)."""
    results = os.path.join(project, "results")
    # the program joins results_dir and file names without a separator
    subprocess.run([os.path.join(project, "main"), "--results_dir", results + os.sep], cwd=project,
                   check=True, capture_output=True)
    with open(os.path.join(results, "last_run_info.txt")) as fh:
        return float(fh.read().split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[1000, 2000, 5000])
    ap.add_argument("--devices", nargs="+", default=["runtime", "cpp_standalone"])
    ap.add_argument("--duration", type=float, default=1.0, help="biological time, second")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1,
                    help="repeat each configuration; the minimum sim time is reported")
    ap.add_argument("--binary-repeats", type=int, default=5,
                    help="cpp_standalone: run the compiled program this many times; min reported")
    ap.add_argument("--worker", choices=["plugin", "plain"], help=argparse.SUPPRESS)
    ap.add_argument("--device", help=argparse.SUPPRESS)
    ap.add_argument("--directory", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.device, args.N[0], args.duration, args.seed,
                                args.directory, args.binary_repeats)))
        return
    print(f"# HRSNN, {args.duration:g} s biological time, seed {args.seed}, dt 0.1 ms, "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}; min over "
          f"{args.repeats} repeat(s), standalone: min over {args.binary_repeats} program runs")
    header = (f"{'N':>6} {'synapses':>9} {'device':>15} {'impl':>7} {'build s':>8} "
              f"{'compile s':>9} {'sim s':>8} {'spikes':>8} {'events/s':>10} {'ratio':>6}")
    print(header)
    for N in args.N:
        for device in args.devices:
            res = {}
            for impl in ("plain", "plugin"):
                runs = [run_config(impl, device, N, args.duration, args.seed)
                        for _ in range(args.repeats)]
                res[impl] = min(runs, key=lambda r: r["sim"])
            if device != "runtime":
                # alternate the two compiled programs so both see the same machine load
                for _ in range(args.binary_repeats - 1):
                    for impl in ("plain", "plugin"):
                        res[impl]["sim"] = min(res[impl]["sim"],
                                               rerun_binary(res[impl]["project"]))
                for impl in ("plain", "plugin"):
                    res[impl]["events_per_s"] = res[impl]["events"] / res[impl]["sim"]
            for impl in ("plain", "plugin"):
                r = res[impl]
                ratio = r["sim"] / res["plain"]["sim"]
                comp = f"{r['compile']:9.1f}" if "compile" in r else f"{'-':>9}"
                print(f"{N:>6} {r['synapses']:>9} {device:>15} {impl:>7} {r['build']:8.2f} "
                      f"{comp} {r['sim']:8.3f} {r['spikes']:>8} {r['events_per_s']:10.3g} "
                      f"{ratio:6.3f}", flush=True)


if __name__ == "__main__":
    main()
