#!/usr/bin/env python3
"""Prune Brian2's CUBA benchmark network with Lyapunov Noise Pruning.

The network is written the way Brian2's own example (examples/CUBA.py) writes
it: Brette et al. (2007), "Simulation of networks of spiking neurons: a review
of tools and strategies", J. Comput. Neurosci. 23:349-398, benchmark 2 (current-
based synapses). Two changes only: the weight is a synaptic variable ``w``
(``on_pre='ge += w'`` instead of ``'ge += we'``) so that LNP can prune and
reweight synapse by synapse, and N is smaller (connection probability scaled so
that each neuron still receives about 80 synapses) so the example runs in about
a minute.

The same network (same seed, same initial state) is run twice:

1. as written, for ``--duration``;
2. bound with ``brian2_lnp.bind``, pruned by ``brian2_lnp.prune`` (Steps I-III;
   tau_m is a constant of the equations here, so Step IV is not run), rebuilt
   with only the surviving neurons and synapses (``binding.rebuild``), and run
   for the same time.

It prints the mean rates of the E and I populations and the synaptic
operations (SOPs, seed 000 Eq. 10: spikes x effective outgoing synapses) of
both runs. Run ``python examples/prune_cuba.py --help`` for the options.
"""
import argparse
import time

import numpy as np
from brian2 import (BrianLogger, Network, NeuronGroup, SpikeMonitor, Synapses, mV, ms, prefs,
                    second, seed as brian_seed)

import brian2_lnp as lnp
from brian2_lnp.metrics.sops import sops

taum = 20 * ms
taue = 5 * ms
taui = 10 * ms
Vt = -50 * mV
Vr = -60 * mV
El = -49 * mV

eqs = """
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
"""


def cuba(N, seed):
    """Brian2's CUBA network with N neurons (80% excitatory), weights in ``w``."""
    brian_seed(seed)
    n_exc = int(0.8 * N)
    p = 0.02 * 4000 / N  # about 80 synapses onto each neuron, as with N = 4000
    P = NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
    wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
    Ce = Synapses(P, P, "w : volt", on_pre="ge += w")
    Ci = Synapses(P, P, "w : volt", on_pre="gi += w")
    Ce.connect(f"i<{n_exc}", p=p)
    Ci.connect(f"i>={n_exc}", p=p)
    Ce.w = we
    Ci.w = wi
    return P, Ce, Ci


def run(P, synapses, duration, seed):
    mon = SpikeMonitor(P)
    net = Network(P, *synapses, mon)
    brian_seed(seed)
    net.run(duration)
    return np.asarray(mon.count[:])


def summary(label, counts, conn, duration):
    exc = conn.types == 0
    rate_e = counts[exc].mean() / float(duration / second)
    rate_i = counts[~exc].mean() / float(duration / second)
    n_sops = sops(counts, conn)
    print(f"{label:10s} {conn.N:7d} {conn.n_active_synapses:9d} {rate_e:8.2f} {rate_i:8.2f} "
          f"{n_sops:10d}")
    return n_sops


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--N", type=int, default=500, help="number of neurons (default 500)")
    parser.add_argument("--duration", type=float, default=0.5, help="seconds per run")
    parser.add_argument("--iterations", type=int, default=3, help="LNP iterations")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    prefs.codegen.target = "numpy"  # no compilation: quick to start on any machine
    # the second copy of the network is replaced by its rebuilt version, never run
    BrianLogger.suppress_name("unused_brian_object")
    duration = args.duration * second

    P, Ce, Ci = cuba(args.N, args.seed)
    before = lnp.bind(P, [Ce, Ci], weight="w", tau_m=taum).export()
    counts0 = run(P, [Ce, Ci], duration, args.seed)

    P, Ce, Ci = cuba(args.N, args.seed)  # the same network again, not yet run
    binding = lnp.bind(P, [Ce, Ci], weight="w", tau_m=taum)
    t0 = time.perf_counter()
    result = lnp.prune(binding, iterations=args.iterations,
                       steps=("noise", "centrality", "delocalize"), seed=args.seed,
                       lyapunov=False)
    t_prune = time.perf_counter() - t0
    pruned = binding.rebuild(result.connectivity)
    after = pruned.binding.export()
    counts1 = run(pruned.neurons[0], pruned.synapses, duration, args.seed)

    print(f"LNP: {args.iterations} iterations in {t_prune:.1f} s; kept "
          f"{after.N}/{before.N} neurons, {after.n_active_synapses}/{before.n_active_synapses} "
          "synapses")
    print(f"{'network':10s} {'neurons':>7s} {'synapses':>9s} {'E (Hz)':>8s} {'I (Hz)':>8s} "
          f"{'SOPs':>10s}")
    s0 = summary("original", counts0, before, duration)
    s1 = summary("pruned", counts1, after, duration)
    print(f"SOP ratio pruned/original: {s1 / s0:.3f}" if s0 else "no spikes in the original run")


if __name__ == "__main__":
    main()
