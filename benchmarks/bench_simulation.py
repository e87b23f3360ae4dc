"""Simulation speed: unpruned, pruned + compact(), and the surviving network in plain Brian2.

Protocol (fixed before running). For each N (default 1000 2000 4000) and
device (runtime with Cython, cpp_standalone) the HRSNN (``models/hrsnn.yaml``,
seed 1) simulates ``--duration`` (1 s) of biological time with the same
pre-generated input spikes (default background drive) in these
configurations, each in its own process:

* ``plugin``: the unpruned network built by brian2_lnp (with its masks);
* ``compact``: the same network pruned at random to a known fraction
  (``--keep``: fraction of neurons kept, chosen uniformly at random;
  ``--keep-synapses``: fraction of the synapses among kept neurons kept;
  seed ``--prune-seed``), written back with ``apply`` and made smaller with
  ``compact()``;
* ``plain_pruned``: the surviving network written directly in plain Brian2
  (benchmarks/plain_brian2_hrsnn.py: same equations without masks, same
  arrays, input synapses only onto surviving neurons);
* ``plain`` (only with ``--impls ... plain``): the unpruned network in plain
  Brian2 (the plugin's overhead when nothing is pruned);
* ``plain_pruned_beside`` (only with ``--impls``): as ``plain_pruned``, but the
  unpruned plugin objects are also built (not run) in the same process, as
  they are for ``compact`` (a control for what merely having them costs).

The pruning is random, not LNP: what is measured is what a smaller network
costs, whatever removed the neurons.

Timing: runtime: wall time of ``run(duration)`` after a 10 ms warm-up run that
compiled the Cython code, one process per run; cpp_standalone: the simulation
loop time measured inside the compiled program (``device._last_run_time``),
each program compiled once and re-run. The configurations are alternated
(plugin, compact, plain_pruned, plugin, ...) so all see the same machine
load; the median of ``--repeats`` runs is reported, with the load average
(and, in "(min)", the ratio of the fastest runs: on a shared machine load
only adds time, so minima are the other honest summary).

Printed per (N, device), side by side: the unpruned time, the compacted time,
the plain-Brian2 time of the surviving network, compact / plain_pruned, the
neuron ratio and the SOP ratio (pruned / unpruned), and the cost model's
prediction of the compacted time (:mod:`brian2_lnp.metrics.cost`) from a fit
that leaves out that N's pruned network (so the prediction is of a network
the fit has not seen). The cost-model coefficients fitted on all
measurements of a device are printed at the end (and written with
``--json``). "same" is yes when compact and plain_pruned produce the same
number of spikes (the same network, so they must).

Usage::

    python benchmarks/bench_simulation.py --devices runtime --repeats 5
    python benchmarks/bench_simulation.py --devices cpp_standalone --repeats 7
    python benchmarks/bench_simulation.py --N 1000 --repeats 1 --duration 0.2   # quick look
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WARMUP = 0.01  # second of biological time run first on runtime (Cython compilation)
PRUNED = ("compact", "plain_pruned", "plain_pruned_beside")


def random_pruning(conn, keep_neurons, keep_synapses, seed):
    """``conn`` with a random fraction of neurons, then of their synapses, kept."""
    rng = np.random.default_rng(seed)
    c = conn.copy()
    n_keep = int(round(keep_neurons * c.N))
    keep = np.zeros(c.N, dtype=bool)
    keep[rng.choice(c.N, n_keep, replace=False)] = True
    c.neuron_active = keep
    among = np.flatnonzero(keep[c.pre] & keep[c.post])
    drop = rng.choice(among, among.size - int(round(keep_synapses * among.size)), replace=False)
    c.synapse_active[drop] = False
    return c


def surviving_spec(spec, conn):
    """The NetworkSpec of the active part of ``conn`` (for the plain-Brian2 version)."""
    from brian2_lnp.models.spec import NetworkSpec

    small, nidx, sidx = conn.compacted()
    new_id = np.full(conn.N, -1, dtype=np.int64)
    new_id[nidx] = np.arange(nidx.size)
    keep_in = conn.neuron_active[spec.input_post]
    take = lambda x: np.asarray(x)[sidx]  # noqa: E731
    return NetworkSpec(
        model=spec.model, conn=small, v_th=np.asarray(spec.v_th)[nidx], v_rest=spec.v_rest,
        v_reset=spec.v_reset, t_ref=spec.t_ref, tau_syn=spec.tau_syn, w_max=spec.w_max,
        plastic=take(spec.plastic), tau_pre=take(spec.tau_pre), tau_post=take(spec.tau_post),
        A_plus=take(spec.A_plus), A_minus=take(spec.A_minus), n_inputs=spec.n_inputs,
        input_pre=np.asarray(spec.input_pre)[keep_in],
        input_post=new_id[np.asarray(spec.input_post)[keep_in]],
        input_w=np.asarray(spec.input_w)[keep_in], seed=spec.seed, config=spec.config,
        extra=dict(spec.extra or {}))


def worker(impl, device, N, duration, seed, directory, keep, keep_synapses, prune_seed):
    """Run one configuration in this process; return a dict of counts and timings."""
    sys.path.insert(0, ROOT)
    sys.path.insert(0, HERE)
    import brian2

    from brian2_lnp.models.devices import use_device
    from brian2_lnp.models.encoders import poisson_spike_trains
    from brian2_lnp.models.generate import generate_network
    from brian2_lnp.models.network import SpikingNetwork, default_input_rate
    from plain_brian2_hrsnn import build_plain

    brian2.prefs.logging.console_log_level = "ERROR"
    use_device(device, directory=directory) if device != "runtime" else use_device("runtime")
    spec = generate_network("hrsnn", N=N, seed=seed)
    dt = float(brian2.defaultclock.dt)
    rate = default_input_rate(spec, dt)
    warm = WARMUP if device == "runtime" else 0.0
    trains = poisson_spike_trains(np.full(spec.n_inputs, rate), dt, step=warm + duration,
                                  seed=seed)
    pruned = (random_pruning(spec.conn, keep, keep_synapses, prune_seed)
              if impl in PRUNED else spec.conn)
    t0 = time.perf_counter()
    if impl == "plugin":
        net = SpikingNetwork(spec, input_rate=0)
        net.set_input(trains.indices, trains.times)
        network, mon, sim_spec = net.network, net.monitors["spikes"], spec
    elif impl == "compact":
        big = SpikingNetwork(spec, input_rate=0)
        big.set_input(trains.indices, trains.times)
        big.apply(pruned)
        net = big.compact()
        network, mon, sim_spec = net.network, net.monitors["spikes"], net.spec
    elif impl in ("plain_pruned", "plain_pruned_beside"):
        if impl == "plain_pruned_beside":
            # control: the unpruned plugin objects exist in the same program (as for
            # compact(), which builds them first) but are not run
            beside = SpikingNetwork(spec, input_rate=0)
            beside.set_input(trains.indices, trains.times)
        sim_spec = surviving_spec(spec, pruned)
        network, mon = build_plain(sim_spec, trains.indices, trains.times)
    else:
        sim_spec = spec
        network, mon = build_plain(spec, trains.indices, trains.times)
    t_build = time.perf_counter() - t0
    if warm:
        network.run(warm * brian2.second)
    t0 = time.perf_counter()
    network.run(duration * brian2.second)
    wall = time.perf_counter() - t0
    conn = sim_spec.conn
    out = {"impl": impl, "device": device, "N": N, "keep": keep, "keep_synapses": keep_synapses,
           "n_neurons": int(conn.n_active_neurons), "n_synapses": int(conn.effective.sum()),
           "n_input_synapses": int(np.asarray(sim_spec.input_pre).size), "input_rate": rate,
           "duration": duration, "build": t_build, "wall": wall}
    if device == "runtime":
        out["sim"] = wall
    else:
        dev = brian2.get_device()
        out["compile"] = sum(v for v in dev.timers["compile"].values() if v is not None)
        out["sim"] = float(dev._last_run_time)
        out["project"] = dev.project_dir
    i, t = np.asarray(mon.i[:]), np.asarray(mon.t_[:])
    counts = np.bincount(i[t >= warm - 1e-12], minlength=conn.N)
    out_deg = np.bincount(conn.pre[conn.effective], minlength=conn.N)
    in_sel = (trains.times >= warm - 1e-12) & (trains.times < warm + duration)
    in_counts = np.bincount(trains.indices[in_sel], minlength=spec.n_inputs)
    in_deg = np.bincount(sim_spec.input_pre, minlength=spec.n_inputs)
    out["spikes"] = int(counts.sum())
    out["sops"] = int(counts @ out_deg)  # recurrent synaptic operations (effective synapses)
    out["input_events"] = int(in_counts @ in_deg)
    return out


def run_config(impl, device, N, args):
    directory = tempfile.mkdtemp(prefix=f"bench_{impl}_{device}_{N}_")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, "--device", device,
           "--N", str(N), "--duration", str(args.duration), "--seed", str(args.seed),
           "--directory", directory, "--keep", str(args.keep),
           "--keep-synapses", str(args.keep_synapses), "--prune-seed", str(args.prune_seed)]
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


def counts_of(row):
    from brian2_lnp.metrics.cost import CostCounts

    d = row["duration"]
    return CostCounts(n_neurons=row["n_neurons"], n_synapses=row["n_synapses"],
                      n_input_synapses=row["n_input_synapses"], spikes=row["spikes"] / d,
                      input_rate=row["input_rate"])


def fit(rows, device, note=""):
    from brian2_lnp.metrics.cost import fit_cost_model

    return fit_cost_model([counts_of(r) for r in rows],
                          [r["sim_median"] / r["duration"] for r in rows], device=device,
                          note=note)


def measure(N, device, args):
    """All configurations of one (N, device), alternated; medians of the sim times."""
    load = []
    rows = {}
    if device == "runtime":
        for _ in range(args.repeats):
            for impl in args.impls:
                load.append(os.getloadavg()[0])
                r = run_config(impl, device, N, args)
                rows.setdefault(impl, r).setdefault("sims", []).append(r["sim"])
                if r is not rows[impl]:
                    assert r["spikes"] == rows[impl]["spikes"], "runs differ"
    else:
        for impl in args.impls:
            load.append(os.getloadavg()[0])
            rows[impl] = run_config(impl, device, N, args)
            rows[impl]["sims"] = [rows[impl]["sim"]]
        for _ in range(args.repeats - 1):
            for impl in args.impls:
                load.append(os.getloadavg()[0])
                rows[impl]["sims"].append(rerun_binary(rows[impl]["project"]))
    for r in rows.values():
        r["sim_median"] = statistics.median(r["sims"])
        r["load"] = [min(load), max(load)]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[1000, 2000, 4000])
    ap.add_argument("--devices", nargs="+", default=["runtime", "cpp_standalone"])
    ap.add_argument("--impls", nargs="+", default=["plugin", "compact", "plain_pruned"],
                    choices=["plugin", "compact", "plain_pruned", "plain",
                             "plain_pruned_beside"])
    ap.add_argument("--duration", type=float, default=1.0, help="biological time, second")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=float, default=0.6, help="fraction of neurons kept")
    ap.add_argument("--keep-synapses", type=float, default=0.7,
                    help="fraction of the synapses among kept neurons kept")
    ap.add_argument("--prune-seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5,
                    help="runs of each configuration (runtime: processes; cpp_standalone: "
                         "runs of the compiled program); the median is reported")
    ap.add_argument("--json", help="write all measurements and fitted coefficients here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--device", help=argparse.SUPPRESS)
    ap.add_argument("--directory", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.device, args.N[0], args.duration, args.seed,
                                args.directory, args.keep, args.keep_synapses,
                                args.prune_seed)))
        return
    sys.path.insert(0, ROOT)
    from brian2_lnp.metrics.cost import FEATURES, predict_cost

    print(f"# HRSNN seed {args.seed}, {args.duration:g} s biological time, dt 0.1 ms, "
          f"{os.cpu_count()} CPU(s); random pruning: {args.keep:g} of the neurons, then "
          f"{args.keep_synapses:g} of their synapses kept (seed {args.prune_seed}); median of "
          f"{args.repeats} alternated runs", flush=True)
    out = {"args": vars(args), "rows": [], "coefficients": {}}
    for device in args.devices:
        measured = {}
        for N in args.N:
            measured[N] = measure(N, device, args)
            out["rows"] += list(measured[N].values())
            print(f"#   measured N={N} {device}: " + ", ".join(
                f"{k} {v['sim_median']:.3f} s" for k, v in measured[N].items())
                  + f"; load {measured[N][args.impls[0]]['load']}", flush=True)
        rows = [r for N in args.N for r in measured[N].values()]
        coef = (fit(rows, device, note=f"HRSNN, {os.cpu_count()} CPU(s)")
                if len(rows) >= len(FEATURES) else None)
        out["coefficients"][device] = coef.to_dict() if coef is not None else None
        print(f"\n## {device}")
        print(f"{'N':>6} {'unpruned s':>10} {'compact s':>10} {'plain s':>8} {'cmp/plain':>9} "
              f"{'(min)':>6} {'neurons':>8} {'SOPs':>6} {'predicted':>9} {'same':>5} {'load':>10}")
        for N in args.N:
            m = measured[N]
            if not all(k in m for k in ("plugin", "compact", "plain_pruned")):
                continue
            u, c, p = m["plugin"], m["compact"], m["plain_pruned"]
            # prediction from a fit that has not seen this N's pruned network
            rest = [r for r in rows if not (r["N"] == N and r["impl"] in PRUNED)]
            pred = (predict_cost(counts_of(c), fit(rest, device)) * c["duration"]
                    if len(rest) >= 4 else float("nan"))
            print(f"{N:>6} {u['sim_median']:10.3f} {c['sim_median']:10.3f} "
                  f"{p['sim_median']:8.3f} {c['sim_median'] / p['sim_median']:9.3f} "
                  f"{min(c['sims']) / min(p['sims']):6.3f} "
                  f"{c['n_neurons'] / u['n_neurons']:8.3f} {c['sops'] / u['sops']:6.3f} "
                  f"{pred:9.3f} {'yes' if c['spikes'] == p['spikes'] else 'NO':>5} "
                  f"{'%.1f-%.1f' % tuple(c['load']):>10}", flush=True)
        if coef is None:
            continue
        print(f"cost model ({device}, fitted on {coef.n_points} measurements, rms relative "
              f"error {coef.residual:.3f}): per_second {coef.per_second:.4g} s, per_neuron "
              f"{coef.per_neuron:.4g} s, per_event {coef.per_event:.4g} s, per_input_event "
              f"{coef.per_input_event:.4g} s (wall seconds per simulated second)", flush=True)
    if args.json:
        for r in out["rows"]:
            r.pop("project", None)
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
