"""The HRSNN written by hand in plain Brian2: the baseline for the plugin's overhead.

Same equations as brian2_lnp.models.network (LIF with per-neuron tau_m and
v_th, exponentially decaying I_syn, trace STDP with per-synapse parameters on
the plastic synapses), same connectivity arrays and the same pre-generated
input spikes, but without anything the plugin adds (the neuron/synapse masks
and their multiplications, object naming, shadow state). This is what a
Brian2 user would write without brian2_lnp.

Used by benchmarks/bench_simulation.py; can also run on its own:

    python benchmarks/plain_brian2_hrsnn.py --N 1000 --device runtime
"""
import argparse
import json
import time

import numpy as np


def build_plain(spec, input_i, input_t):
    """Plain Brian2 objects for ``spec`` (a NetworkSpec) and the given input spikes.

    Returns the Network and the SpikeMonitor.
    """
    from brian2 import (NeuronGroup, Network, SpikeGeneratorGroup, SpikeMonitor, Synapses,
                        second, volt)

    conn = spec.conn
    ns = {"v_rest": spec.v_rest * volt, "v_reset": spec.v_reset * volt,
          "tau_syn": spec.tau_syn * second, "w_max": spec.w_max * volt}
    G = NeuronGroup(conn.N, """
        dv/dt = (v_rest - v + I_syn) / tau_m : volt (unless refractory)
        dI_syn/dt = -I_syn / tau_syn : volt
        tau_m : second (constant)
        v_th : volt (constant)
        """, threshold="v > v_th", reset="v = v_reset", refractory=spec.t_ref * second,
                    method="exponential_euler", namespace=ns)
    G.v = spec.v_rest * volt
    G.tau_m = conn.tau_m * second
    G.v_th = spec.v_th * volt
    S = Synapses(G, G, """
        w : volt
        plastic : 1 (constant)
        taupre : second (constant)
        taupost : second (constant)
        A_plus : volt (constant)
        A_minus : volt (constant)
        dapre/dt = -apre / taupre : volt (event-driven)
        dapost/dt = -apost / taupost : volt (event-driven)
        """, on_pre="""
        I_syn_post += w
        apre += A_plus
        w = plastic * clip(w + apost, 0*volt, w_max) + (1 - plastic) * w
        """, on_post="""
        apost += A_minus
        w = plastic * clip(w + apre, 0*volt, w_max) + (1 - plastic) * w
        """, namespace=ns)
    S.connect(i=conn.pre, j=conn.post)
    pl = np.asarray(spec.plastic, bool)
    S.w = conn.w * volt
    S.plastic = pl.astype(float)
    S.taupre = np.where(pl, spec.tau_pre, 1.0) * second
    S.taupost = np.where(pl, spec.tau_post, 1.0) * second
    S.A_plus = np.where(pl, spec.A_plus, 0.0) * volt
    S.A_minus = np.where(pl, spec.A_minus, 0.0) * volt
    P = SpikeGeneratorGroup(spec.n_inputs, input_i, input_t * second)
    Sin = Synapses(P, G, "w : volt (constant)", on_pre="I_syn_post += w", namespace=ns)
    Sin.connect(i=spec.input_pre, j=spec.input_post)
    Sin.w = spec.input_w * volt
    M = SpikeMonitor(G)
    return Network(G, S, P, Sin, M), M


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=1.0, help="biological time, second")
    ap.add_argument("--device", default="runtime", choices=["runtime", "cpp_standalone"])
    ap.add_argument("--directory", default=None)
    args = ap.parse_args()
    import brian2

    from brian2_lnp.models.encoders import poisson_spike_trains
    from brian2_lnp.models.generate import generate_network
    from brian2_lnp.models.network import default_input_rate

    if args.device == "cpp_standalone":
        brian2.set_device("cpp_standalone", directory=args.directory or "plain_hrsnn_standalone")
    spec = generate_network("hrsnn", N=args.N, seed=args.seed)
    dt = float(brian2.defaultclock.dt)
    trains = poisson_spike_trains(np.full(spec.n_inputs, default_input_rate(spec, dt)), dt,
                                  step=args.duration, seed=args.seed)
    net, mon = build_plain(spec, trains.indices, trains.times)
    t0 = time.perf_counter()
    net.run(args.duration * brian2.second)
    print(json.dumps({"wall": time.perf_counter() - t0, "spikes": int(mon.num_spikes)}))


if __name__ == "__main__":
    main()
