"""The Brian2 layer: a `NetworkSpec` turned into ordinary Brian2 objects.

:class:`SpikingNetwork` holds a ``NeuronGroup`` (LIF, per-neuron ``tau_m``
and ``v_th``), one ``Synapses`` object for the recurrent connections (with
heterogeneous trace STDP on the plastic ones), a ``SpikeGeneratorGroup`` plus
``Synapses`` for the input channels, monitors, and a ``brian2.Network``
holding all of them. It moves structure in and out as a
:class:`~brian2_lnp.graph.Connectivity`:

* :meth:`SpikingNetwork.export` reads weights (after STDP), ``tau_m`` and the
  masks from the Brian2 objects;
* :meth:`SpikingNetwork.apply` writes them back into the *same* objects and
  connects new synapses appended at the end of the Connectivity;
* :meth:`SpikingNetwork.compact` builds new, smaller objects holding only the
  active neurons and effective synapses.

Everything stays inside the feature subset of Brian2GeNN (checked against
brian2genn 1.7's device): one synaptic write (``I_syn_post +=``) per
Synapses object, no reference to presynaptic variables in ``on_pre`` nor to
postsynaptic ones in ``on_post``, no summed variables, no subexpressions in
synaptic code, homogeneous delays, no run_regularly, no TimedArray, no
linked variables, no seed, connectivity from arrays (``connect(i=, j=)``),
input from a pre-generated ``SpikeGeneratorGroup``.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..graph import EXCITATORY, Connectivity
from ..random import child_seed
from ..validation import check_int, check_range
from .devices import current_device_name, is_standalone
from .encoders import poisson_spike_trains
from .spec import NetworkSpec

__all__ = ["SpikingNetwork", "InputLayer", "build_model", "HRSNN", "CHRSNN",
           "default_input_rate", "DEFAULT_INPUT_DRIVE",
           "NEURON_EQUATIONS", "STDP_MODEL", "STDP_ON_PRE", "STDP_ON_POST",
           "STATIC_MODEL", "STATIC_ON_PRE", "INPUT_ON_PRE", "ApplyError"]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- equations
#: LIF neuron (DESIGN.md section 2). ``neuron_active`` gates spiking (threshold)
#: and every synaptic input (on_pre of all Synapses), not the membrane ODE:
#: multiplying the ODE by 0 would make exponential Euler divide by zero.
NEURON_EQUATIONS = """
dv/dt = (v_rest - v + I_syn) / tau_m : volt (unless refractory)
dI_syn/dt = -I_syn / tau_syn : volt
tau_m : second (constant)
v_th : volt (constant)
neuron_active : 1 (constant)
"""
NEURON_THRESHOLD = "v > v_th and neuron_active > 0.5"
NEURON_RESET = "v = v_reset"

#: Recurrent synapses with trace STDP (DESIGN.md section 2, 002 Eq. 3-5).
#: One Synapses object for plastic and static synapses keeps export a single
#: array in Connectivity order; ``plastic`` (0/1) selects STDP. The weight
#: update ``g*new + (1-g)*w`` with g in {0, 1} is exact: static, pruned, or
#: pruned-neuron synapses keep their weight to the last bit.
STDP_MODEL = """
w : volt
synapse_active : 1 (constant)
plastic : 1 (constant)
taupre : second (constant)
taupost : second (constant)
A_plus : volt (constant)
A_minus : volt (constant)
dapre/dt = -apre / taupre : volt (event-driven)
dapost/dt = -apost / taupost : volt (event-driven)
"""
# No presynaptic variable may appear in on_pre (Brian2GeNN), so the pre neuron
# is gated by never spiking and the post neuron by neuron_active_post.
STDP_ON_PRE = """
I_syn_post += synapse_active * neuron_active_post * w
apre += A_plus
w = plastic * synapse_active * neuron_active_post * clip(w + apost, 0*volt, w_max) + (1 - plastic * synapse_active * neuron_active_post) * w
"""
STDP_ON_POST = """
apost += A_minus
w = plastic * synapse_active * neuron_active_pre * clip(w + apre, 0*volt, w_max) + (1 - plastic * synapse_active * neuron_active_pre) * w
"""
#: Recurrent synapses with plasticity switched off (``plasticity=False``).
STATIC_MODEL = """
w : volt
synapse_active : 1 (constant)
"""
STATIC_ON_PRE = "I_syn_post += synapse_active * neuron_active_post * w"
#: Input channel -> recurrent neuron synapses (static).
INPUT_MODEL = "w : volt (constant)"
INPUT_ON_PRE = "I_syn_post += neuron_active_post * w"

# Brian2 reserves the suffixes _pre/_post, so the Brian2 variables are called
# taupre/taupost (the NetworkSpec fields tau_pre/tau_post).
# trace time constant given to non-plastic synapses: their traces are never
# used, but tau = 0 would give 0/0 in the event-driven update
_UNUSED_TAU = 1.0


#: Mean number of input spikes per second a recurrent neuron receives from the
#: default background input (our choice: it makes hrsnn_small/chrsnn_small fire
#: at about 10-25 Hz with the shipped weights; 20 Hz per channel leaves them silent).
DEFAULT_INPUT_DRIVE = 400.0


def default_input_rate(spec, dt):
    """Per-channel rate (Hz) giving each neuron ``DEFAULT_INPUT_DRIVE`` input spikes/s on average.

    ``rate = DEFAULT_INPUT_DRIVE * N / n_input_synapses``, capped at ``0.5 / dt``.
    """
    n_syn = int(np.asarray(spec.input_pre).size)
    if n_syn == 0:
        return 0.0
    return float(min(DEFAULT_INPUT_DRIVE * spec.N / n_syn, 0.5 / dt))


class ApplyError(ValueError):
    """A Connectivity cannot be written into this model."""


class InputLayer:
    """The input channels: a ``SpikeGeneratorGroup`` and its ``Synapses`` to the network.

    Attributes
    ----------
    group : brian2.SpikeGeneratorGroup
    synapses : brian2.Synapses
    n_channels : int
    """

    def __init__(self, group, synapses, n_channels):
        self.group = group
        self.synapses = synapses
        self.n_channels = int(n_channels)

    def __iter__(self):
        return iter((self.group, self.synapses))

    def __repr__(self):
        return f"<InputLayer {self.n_channels} channels, group={self.group.name}>"


def _check_spec(spec):
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec: expected a NetworkSpec, got {type(spec).__name__}")
    S = spec.conn.n_synapses
    for name in ("plastic", "tau_pre", "tau_post", "A_plus", "A_minus"):
        if np.asarray(getattr(spec, name)).size != S:
            raise ValueError(f"spec.{name}: must have one entry per synapse ({S}), "
                             f"got {np.asarray(getattr(spec, name)).size}")
    if np.asarray(spec.v_th).size != spec.N:
        raise ValueError(f"spec.v_th: must have length N={spec.N}")
    n_in = int(spec.n_inputs)
    ip, iq = np.asarray(spec.input_pre), np.asarray(spec.input_post)
    if ip.size != iq.size or np.asarray(spec.input_w).size != ip.size:
        raise ValueError("spec.input_pre, input_post, input_w: must have the same length")
    if ip.size and (ip.min() < 0 or ip.max() >= n_in or iq.min() < 0 or iq.max() >= spec.N):
        raise ValueError(f"spec.input_pre/input_post: indices must lie in [0, {n_in - 1}] / "
                         f"[0, {spec.N - 1}]")
    pl = np.asarray(spec.plastic, dtype=bool)
    if pl.any():
        if (np.asarray(spec.tau_pre)[pl] <= 0).any() or (np.asarray(spec.tau_post)[pl] <= 0).any():
            raise ValueError("spec.tau_pre, spec.tau_post: must be > 0 on plastic synapses")
    check_range("spec.tau_syn", spec.tau_syn, 0.0, low_inclusive=False)
    check_range("spec.t_ref", spec.t_ref, 0.0)
    check_range("spec.w_max", spec.w_max, 0.0)


class SpikingNetwork:
    """An HRSNN / CHRSNN as ordinary Brian2 objects.

    Parameters
    ----------
    spec : NetworkSpec
        The generated network (see :func:`brian2_lnp.models.generate.generate_network`).
    plasticity : bool
        True: STDP on the synapses flagged ``spec.plastic``. False: frozen
        weights (a static synapse model, cheaper to simulate).
    input_rate : float or Quantity (Hz), optional
        Rate of the background Poisson input generated for each :meth:`run`
        when no input was given with :meth:`set_input`. Default:
        ``spec.extra["input_rate"]`` if present, else :func:`default_input_rate`
        (each recurrent neuron receives on average ``DEFAULT_INPUT_DRIVE`` =
        400 input spikes per second). 0 disables it.
    dt : Quantity, optional
        Time step of every object. Default: ``brian2.defaultclock.dt``.
    record_spikes : bool
        Add a SpikeMonitor on the recurrent neurons (needed for :meth:`sops`).
    record_state : bool or sequence of int
        Add a StateMonitor of ``v`` and ``I_syn`` for these neurons.
    method : str
        Integration method of the neurons (default ``"exponential_euler"``,
        stable for any tau_m, no singularity when tau_m == tau_syn).
    input_seed : int, optional
        Seed of the background input; default ``spec.seed``.

    Attributes
    ----------
    neurons : brian2.NeuronGroup
    synapses : brian2.Synapses
        Recurrent synapses, in the order of ``spec.conn`` (plus appended ones).
    inputs : InputLayer or None
    monitors : dict
        ``"spikes"`` (SpikeMonitor), ``"input_spikes"``, and ``"state"`` if requested.
    network : brian2.Network
    spec : NetworkSpec
    last_timing : dict
        Wall-clock seconds of the last :meth:`run`; for standalone devices also
        the compile and binary run times reported by the device.
    """

    def __init__(self, spec, plasticity=True, input_rate=None, dt=None, record_spikes=True,
                 record_state=False, method="exponential_euler", input_seed=None):
        import brian2 as b2

        _check_spec(spec)
        self.spec = spec
        self.plasticity = bool(plasticity)
        self._frozen = False
        self._device = b2.get_device()
        self.device_name = current_device_name()
        # One clock for all objects: Brian2GeNN refuses several clocks, and a
        # dt= argument per object would create one clock each.
        self._clock = b2.defaultclock if dt is None else b2.Clock(dt, name="lnp_clock*")
        self.dt = self._clock.dt
        self._dt_arg = dt
        if input_rate is None:
            input_rate = (spec.extra or {}).get("input_rate")
        if input_rate is None:
            input_rate = default_input_rate(spec, float(self.dt))
        if hasattr(input_rate, "dim"):
            input_rate = float(input_rate / b2.Hz)
        self.input_rate = check_range("input_rate", input_rate, 0.0, 1.0 / float(self.dt))
        self.input_seed = spec.seed if input_seed is None else input_seed
        self._input_mode = "poisson" if self.input_rate > 0 else "none"
        self._input_i = np.zeros(0, dtype=np.int64)
        self._input_t = np.zeros(0)
        self._input_until = 0.0  # background input generated up to here (second)
        self._has_run = False
        self.last_timing = {}

        conn = spec.conn
        self._conn = conn.copy()  # what was last written (export before a standalone run)
        S = conn.n_synapses
        plastic = np.asarray(spec.plastic, dtype=bool).copy()
        self._stdp = {
            "plastic": plastic,
            "tau_pre": np.where(plastic, np.asarray(spec.tau_pre, float), _UNUSED_TAU),
            "tau_post": np.where(plastic, np.asarray(spec.tau_post, float), _UNUSED_TAU),
            "A_plus": np.where(plastic, np.asarray(spec.A_plus, float), 0.0),
            "A_minus": np.where(plastic, np.asarray(spec.A_minus, float), 0.0),
        }
        if self.device_name == "genn":
            _check_no_parallel_synapses(conn.pre, conn.post, "spec.conn")

        V, s = b2.volt, b2.second
        namespace = {"v_rest": spec.v_rest * V, "v_reset": spec.v_reset * V,
                     "tau_syn": spec.tau_syn * s, "w_max": spec.w_max * V}
        self._namespace = namespace
        self.neurons = b2.NeuronGroup(
            conn.N, NEURON_EQUATIONS, threshold=NEURON_THRESHOLD, reset=NEURON_RESET,
            refractory=spec.t_ref * s, method=method, namespace=namespace, clock=self._clock,
            name="lnp_neurons*")
        self.neurons.v = spec.v_rest * V
        self.neurons.I_syn = 0 * V
        self.neurons.tau_m[:] = conn.tau_m * s
        self.neurons.v_th[:] = np.asarray(spec.v_th, float) * V
        self.neurons.neuron_active[:] = conn.neuron_active.astype(float)

        if self.plasticity:
            self.synapses = b2.Synapses(
                self.neurons, self.neurons, STDP_MODEL, on_pre=STDP_ON_PRE,
                on_post=STDP_ON_POST, namespace=namespace, clock=self._clock, name="lnp_synapses*")
        else:
            self.synapses = b2.Synapses(
                self.neurons, self.neurons, STATIC_MODEL, on_pre=STATIC_ON_PRE,
                namespace=namespace, clock=self._clock, name="lnp_synapses*")
        self._n_connected = 0
        if S:
            self._connect_recurrent(conn.pre, conn.post, slice(0, S))
            self._write_synapse_values(conn, slice(0, S))

        objects = [self.neurons, self.synapses]
        self.inputs = None
        self.monitors = {}
        n_in = int(spec.n_inputs)
        if n_in > 0:
            group = b2.SpikeGeneratorGroup(n_in, np.zeros(0, dtype=int), np.zeros(0) * s,
                                           clock=self._clock, name="lnp_input*")
            syn = b2.Synapses(group, self.neurons, INPUT_MODEL, on_pre=INPUT_ON_PRE,
                              namespace=namespace, clock=self._clock, name="lnp_input_synapses*")
            ip = np.asarray(spec.input_pre, dtype=np.int64)
            if ip.size:
                syn.connect(i=ip, j=np.asarray(spec.input_post, dtype=np.int64))
                syn.w[:] = np.asarray(spec.input_w, float) * V
            self.inputs = InputLayer(group, syn, n_in)
            objects += [group, syn]
        if record_spikes:
            self.monitors["spikes"] = b2.SpikeMonitor(self.neurons, name="lnp_spikes*")
            objects.append(self.monitors["spikes"])
        if record_state is not False and record_state is not None:
            record = True if record_state is True else np.asarray(record_state, dtype=int)
            self.monitors["state"] = b2.StateMonitor(self.neurons, ["v", "I_syn"],
                                                     record=record, clock=self._clock,
                                                     name="lnp_state*")
            objects.append(self.monitors["state"])
        self.network = b2.Network(*objects)

    # ------------------------------------------------------------------ construction helpers
    def _connect_recurrent(self, pre, post, sl):
        self.synapses.connect(i=np.asarray(pre, dtype=np.int64),
                              j=np.asarray(post, dtype=np.int64))
        self._n_connected = sl.stop

    def _write_synapse_values(self, conn, sl):
        import brian2 as b2

        self.synapses.w[sl] = conn.w[sl] * b2.volt
        self.synapses.synapse_active[sl] = conn.synapse_active[sl].astype(float)
        if self.plasticity:
            st = self._stdp
            self.synapses.plastic[sl] = st["plastic"][sl].astype(float)
            self.synapses.taupre[sl] = st["tau_pre"][sl] * b2.second
            self.synapses.taupost[sl] = st["tau_post"][sl] * b2.second
            self.synapses.A_plus[sl] = st["A_plus"][sl] * b2.volt
            self.synapses.A_minus[sl] = st["A_minus"][sl] * b2.volt

    # ------------------------------------------------------------------ state access
    @property
    def N(self):
        """Number of recurrent neurons (pruned ones included)."""
        return self.spec.conn.N

    @property
    def n_synapses(self):
        """Number of recurrent synapses connected (pruned ones included)."""
        return self._n_connected

    def _values_readable(self):
        """True when Brian2 holds the current values (runtime, or standalone after its run)."""
        if not is_standalone(self._device):
            return True
        return bool(getattr(self._device, "has_been_run", False))

    def _standalone_ran(self):
        return is_standalone(self._device) and bool(getattr(self._device, "has_been_run", False))

    def export(self):
        """The current structure as a :class:`~brian2_lnp.graph.Connectivity`.

        Weights (after STDP), ``tau_m`` and both masks are read from the
        Brian2 objects. On a standalone device before its run, the values
        written from Python (by the constructor or :meth:`apply`) are returned,
        which are exactly what the run will start from.

        Returns
        -------
        Connectivity
        """
        base = self._conn
        if not self._values_readable():
            return base.copy()
        syn = self.synapses
        S = self._n_connected
        if S:
            # np.array copies: on runtime, syn.w_[:] can be a view of the live array
            w = np.array(syn.w_[:], dtype=np.float64)
            sa = np.asarray(syn.synapse_active[:]) > 0.5
            i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
            if not (np.array_equal(i, base.pre) and np.array_equal(j, base.post)):
                # a device stored synapses in another order: map back by (i, j)
                order = _match_order(base.pre, base.post, i, j)
                w, sa = w[order], sa[order]
        else:
            w, sa = np.zeros(0), np.zeros(0, dtype=bool)
        return Connectivity(base.N, base.pre.copy(), base.post.copy(), w,
                            types=base.types.copy(), cluster=base.cluster.copy(),
                            tau_m=np.array(self.neurons.tau_m_[:], dtype=np.float64),
                            neuron_active=np.asarray(self.neurons.neuron_active[:]) > 0.5,
                            synapse_active=sa, provenance=dict(base.provenance))

    def apply(self, conn, stdp_params=None, seed=None):
        """Write a Connectivity into the same Brian2 objects.

        Weights, ``tau_m`` and both masks are overwritten; synapses appended
        after the existing ones (``conn.pre[S:]``, e.g. by
        :meth:`Connectivity.add_synapses`) are connected with
        ``synapses.connect(i=, j=)``. New synapses from an excitatory neuron
        are plastic (E->E, E->I) and get STDP parameters from
        ``stdp_params``, else from the model file through
        :func:`brian2_lnp.models.generate.draw_stdp_params`, else (spec built
        by hand, no config) the median of the existing plastic synapses of
        the same (pre type, post type).

        Parameters
        ----------
        conn : Connectivity
            Same N and types; the first ``n_synapses`` synapses in the same order.
        stdp_params : dict of arrays, optional
            ``tau_pre, tau_post`` (second) and ``A_plus, A_minus`` (volt) for
            the new synapses (one entry per new synapse).
        seed : None, int or Generator
            Seed for drawing STDP parameters of new synapses
            (default: derived from the model seed and the synapse count).

        Raises
        ------
        ApplyError
            If N or the neuron types differ, existing synapses were removed or
            reordered, or new synapses would duplicate a pair on GeNN.
        RuntimeError
            If the model already ran on a standalone device (its values live in
            the compiled program; build a new model, or use
            ``device.run(run_args=...)`` of brian2 >= 2.6).
        """
        if not isinstance(conn, Connectivity):
            raise TypeError(f"conn: expected a Connectivity, got {type(conn).__name__}")
        if self._standalone_ran():
            raise RuntimeError(
                f"apply: this model already ran on the {self.device_name} device; values "
                "can no longer be written into its objects. Build a new model (or compact() "
                "it in a fresh device session) and apply before its run.")
        base = self._conn
        if conn.N != base.N:
            raise ApplyError(f"conn.N: must equal the model's N={base.N}, got {conn.N}")
        if not np.array_equal(conn.types, base.types):
            raise ApplyError("conn.types: neuron types cannot change (E/I is fixed by the "
                             "model's synapse signs and plasticity)")
        S_old = self._n_connected
        if conn.n_synapses < S_old:
            raise ApplyError(f"conn: has {conn.n_synapses} synapses but the model has {S_old}; "
                             "synapses cannot be removed from Brian2 objects: set "
                             "synapse_active=False instead")
        if not (np.array_equal(conn.pre[:S_old], base.pre[:S_old])
                and np.array_equal(conn.post[:S_old], base.post[:S_old])):
            bad = np.flatnonzero((conn.pre[:S_old] != base.pre[:S_old])
                                 | (conn.post[:S_old] != base.post[:S_old]))
            raise ApplyError(f"conn.pre/post: the existing synapses were reordered or changed "
                             f"(first mismatch at synapse {bad[0]}); keep them in place and "
                             "append new ones at the end")
        n_new = conn.n_synapses - S_old
        if n_new:
            new_pre, new_post = conn.pre[S_old:], conn.post[S_old:]
            if self.device_name == "genn":
                _check_no_parallel_synapses(conn.pre, conn.post, "conn")
            params = self._new_stdp_params(new_pre, new_post, stdp_params, seed)
            for key in self._stdp:
                self._stdp[key] = np.concatenate([self._stdp[key], params[key]])
            self._connect_recurrent(new_pre, new_post, slice(0, conn.n_synapses))
        import brian2 as b2

        self.neurons.tau_m[:] = conn.tau_m * b2.second
        self.neurons.neuron_active[:] = conn.neuron_active.astype(float)
        if conn.n_synapses:
            self._write_synapse_values(conn, slice(0, conn.n_synapses))
        self._conn = conn.copy()
        logger.debug("apply: wrote %d synapses (%d new), %d active neurons", conn.n_synapses,
                     n_new, conn.n_active_neurons)

    def _new_stdp_params(self, pre, post, given, seed):
        types = self._conn.types
        pt, qt = types[pre], types[post]
        n = pre.size
        old_plastic = self._stdp["plastic"]
        plastic = pt == EXCITATORY  # E->E and E->I (DESIGN.md section 2)
        if given is not None:
            out = {"plastic": plastic.copy()}
            for key in ("tau_pre", "tau_post", "A_plus", "A_minus"):
                # a Brian2 Quantity's array holds SI values: second / volt
                out[key] = np.broadcast_to(np.asarray(given[key], dtype=float), (n,)).copy()
        elif self.spec.config is not None:
            from .generate import draw_stdp_params  # the model-file generator

            if seed is None:
                seed = child_seed(self.spec.seed if self.spec.seed is not None else 0,
                                  "apply_stdp", self._n_connected)
            drawn = draw_stdp_params(self.spec.config, pt, qt, seed)
            out = {key: np.asarray(drawn[key], dtype=float) for key in
                   ("tau_pre", "tau_post", "A_plus", "A_minus")}
            out["plastic"] = (np.asarray(drawn["plastic"], dtype=bool) if "plastic" in drawn
                              else plastic)
        else:
            out = {"plastic": plastic.copy()}
            n_old = old_plastic.size
            ep, eq = types[self._conn.pre[:n_old]], types[self._conn.post[:n_old]]
            for key in ("tau_pre", "tau_post", "A_plus", "A_minus"):
                out[key] = np.zeros(n)
            for a in (0, 1):
                for b in (0, 1):
                    sel = plastic & (pt == a) & (qt == b)
                    if not sel.any():
                        continue
                    ref = old_plastic & (ep == a) & (eq == b)
                    if not ref.any():
                        ref = old_plastic
                    if not ref.any():
                        raise ApplyError(
                            "stdp_params: new plastic synapses need STDP parameters, but the "
                            "model has no config to draw them from and no plastic synapse to "
                            "copy them from; pass stdp_params=")
                    for key in ("tau_pre", "tau_post", "A_plus", "A_minus"):
                        out[key][sel] = np.median(self._stdp[key][ref])
        pl = out["plastic"]
        out["tau_pre"] = np.where(pl, out["tau_pre"], _UNUSED_TAU)
        out["tau_post"] = np.where(pl, out["tau_post"], _UNUSED_TAU)
        out["A_plus"] = np.where(pl, out["A_plus"], 0.0)
        out["A_minus"] = np.where(pl, out["A_minus"], 0.0)
        if (out["tau_pre"] <= 0).any() or (out["tau_post"] <= 0).any():
            raise ApplyError("stdp_params: tau_pre and tau_post must be > 0 (second)")
        return out

    def stdp_parameters(self):
        """Per-synapse STDP parameters as written (dict of arrays, SI units)."""
        return {k: v.copy() for k, v in self._stdp.items()}

    # ------------------------------------------------------------------ input
    def set_input(self, indices, times):
        """Use these input spike trains instead of the background Poisson input.

        Parameters
        ----------
        indices : array of int
            Input channel of each spike, in ``[0, n_inputs)``.
        times : array of float (second) or Quantity
            Spike times (at most one spike per channel per time step).
        """
        import brian2 as b2

        if self.inputs is None:
            raise ValueError("set_input: this model has no input channels (spec.n_inputs = 0)")
        if self._standalone_ran():
            raise RuntimeError("set_input: the standalone device already ran")
        idx = np.asarray(indices, dtype=np.int64).ravel()
        t = np.asarray(times / b2.second if hasattr(times, "dim") else times,
                       dtype=np.float64).ravel()
        if idx.size != t.size:
            raise ValueError(f"indices, times: must have the same length, got {idx.size}, {t.size}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.inputs.n_channels):
            raise ValueError("indices: input channels must lie in "
                             f"[0, {self.inputs.n_channels - 1}]")
        if t.size and (not np.isfinite(t).all() or t.min() < 0):
            raise ValueError("times: must be finite and >= 0 (second)")
        self._input_mode = "explicit"
        self._input_i, self._input_t = idx, t
        self._push_input()

    def input_spikes(self):
        """The input spike trains fed so far: ``(indices, times in second)``."""
        return self._input_i.copy(), self._input_t.copy()

    def _push_input(self):
        import brian2 as b2

        order = np.lexsort((self._input_i, self._input_t))
        self._input_i, self._input_t = self._input_i[order], self._input_t[order]
        self.inputs.group.set_spikes(self._input_i, self._input_t * b2.second)

    def _extend_background(self, t0, duration):
        """Background Poisson input for [t0, t0 + duration), drawn from the seed and t0."""
        dt = float(self.dt)
        k0, k1 = int(round(t0 / dt)), int(round((t0 + duration) / dt))
        start = max(k0, int(round(self._input_until / dt)))
        if k1 <= start:
            return
        seed = child_seed(self.input_seed if self.input_seed is not None else 0,
                          "background_input", start)
        trains = poisson_spike_trains(np.full(self.inputs.n_channels, self.input_rate), dt,
                                      step=(k1 - start) * dt, t_start=start * dt, seed=seed)
        self._input_i = np.concatenate([self._input_i, trains.indices])
        self._input_t = np.concatenate([self._input_t, trains.times])
        self._input_until = k1 * dt
        self._push_input()

    # ------------------------------------------------------------------ running
    def run(self, duration, report=None, **kwargs):
        """Run the network (``brian2.Network.run``); times are kept in ``last_timing``.

        Without :meth:`set_input`, background Poisson input at ``input_rate``
        is generated for the window first (deterministic in the seed and the
        window start). On cpp_standalone with ``build_on_run=True`` (the
        default) this compiles and runs the program; ``last_timing`` then
        holds ``"compile"`` (make) and ``"binary"`` (running the program)
        seconds as measured by the device, and ``"simulation"`` (the
        simulation loop as measured inside the program).

        Parameters
        ----------
        duration : Quantity (second)
        report : str, optional
            Passed to ``Network.run``.
        **kwargs
            Passed to ``Network.run``.
        """
        import brian2 as b2

        b2.units.fundamentalunits.fail_for_dimension_mismatch(duration, b2.second,
                                                              "duration must be in second")
        if self.inputs is not None and self._input_mode == "poisson":
            self._extend_background(float(self.network.t_), float(duration))
        start = time.perf_counter()
        self.network.run(duration, report=report, **kwargs)
        wall = time.perf_counter() - start
        self._has_run = True
        timing = {"wall": wall, "device": self.device_name}
        dev = self._device
        timers = getattr(dev, "timers", None)
        if is_standalone(dev) and timers and getattr(dev, "has_been_run", False):
            comp = timers.get("compile", {}) or {}
            timing["compile"] = sum(v for v in comp.values() if v is not None)
            timing["binary"] = timers.get("run_binary")
            timing["simulation"] = getattr(dev, "_last_run_time", None)
        self.last_timing = timing
        logger.info("run(%s) on %s: %s", duration, self.device_name, timing)
        return timing

    # ------------------------------------------------------------------ spikes and SOPs
    def spike_counts(self):
        """Spike count of every recurrent neuron (array of int, length N)."""
        mon = self.monitors.get("spikes")
        if mon is None:
            raise RuntimeError("spike_counts: the model was built with record_spikes=False")
        return np.array(mon.count[:], dtype=np.int64)

    def spike_trains(self):
        """``(indices, times in second)`` of every recorded recurrent spike."""
        mon = self.monitors.get("spikes")
        if mon is None:
            raise RuntimeError("spike_trains: the model was built with record_spikes=False")
        return np.array(mon.i[:], dtype=np.int64), np.array(mon.t_[:], dtype=np.float64)

    def sops(self):
        """Synaptic operations of the recorded run (seed 000 Eq. 10).

        Spike counts from the SpikeMonitor times the number of effective
        outgoing synapses (:func:`brian2_lnp.metrics.sops.sops`).
        """
        from ..metrics.sops import sops as _sops

        return _sops(self.spike_counts(), self.export())

    # ------------------------------------------------------------------ compaction
    @property
    def input_mode(self):
        """Where the input spikes come from: ``"none"`` (no input channels or zero
        rate), ``"poisson"`` (the background drive generated from the seed for each
        run) or ``"explicit"`` (the spike trains given to :meth:`set_input`)."""
        return self._input_mode

    @property
    def frozen(self):
        """True when the recurrent weights cannot change during a run."""
        return (not self.plasticity) or self._frozen

    def freeze(self, frozen=True):
        """Switch STDP off (``frozen=True``) or back on for the plastic synapses.

        Weights then stay exactly as they are through a run; :meth:`compact`
        keeps the setting.

        Raises
        ------
        ValueError
            Unfreezing a model built with ``plasticity=False`` (it has no STDP).
        RuntimeError
            On a standalone device after its program ran.
        """
        if not self.plasticity:
            if frozen:
                return  # static synapse model: already frozen
            raise ValueError("frozen: the model was built with plasticity=False and has no "
                             "STDP to switch on; build it with plasticity=True")
        if self._standalone_ran():
            raise RuntimeError("freeze: the standalone program already ran; build a new model")
        n = self.n_synapses
        if n:
            plastic = self.stdp_parameters()["plastic"].astype(float)
            self.synapses.plastic[:n] = 0.0 if frozen else plastic[:n]
        self._frozen = bool(frozen)

    def compact(self, **kwargs):
        """New, smaller Brian2 objects with only active neurons and effective synapses.

        The new model starts at t = 0 from rest, with the current weights
        (after STDP), ``tau_m``, thresholds and STDP parameters of the kept
        neurons and synapses, all input channels (input synapses onto pruned
        neurons dropped), and the same input: explicit input trains are
        copied, background input is drawn from the same seed. Run from t = 0,
        it produces the same spikes (renumbered) as this masked model run
        from t = 0 on the runtime device.

        Parameters
        ----------
        **kwargs
            Override constructor options (``plasticity``, ``record_state``, ...).

        Returns
        -------
        SpikingNetwork
            With ``neuron_index`` (old index of each kept neuron) and
            ``synapse_index`` (old index of each kept synapse).
        """
        conn = self.export()
        small, neuron_index, synapse_index = conn.compacted()
        new_id = np.full(conn.N, -1, dtype=np.int64)
        new_id[neuron_index] = np.arange(neuron_index.size)
        spec = self.spec
        ip, iq = np.asarray(spec.input_pre, np.int64), np.asarray(spec.input_post, np.int64)
        keep_in = conn.neuron_active[iq] if iq.size else np.zeros(0, dtype=bool)
        st = self._stdp
        small.provenance = dict(conn.provenance, compacted=True)
        new_spec = NetworkSpec(
            model=spec.model, conn=small, v_th=np.asarray(spec.v_th)[neuron_index],
            v_rest=spec.v_rest, v_reset=spec.v_reset, t_ref=spec.t_ref, tau_syn=spec.tau_syn,
            w_max=spec.w_max, plastic=st["plastic"][synapse_index],
            tau_pre=st["tau_pre"][synapse_index], tau_post=st["tau_post"][synapse_index],
            A_plus=st["A_plus"][synapse_index], A_minus=st["A_minus"][synapse_index],
            n_inputs=spec.n_inputs, input_pre=ip[keep_in], input_post=new_id[iq[keep_in]],
            input_w=np.asarray(spec.input_w, float)[keep_in],
            positions=None if spec.positions is None else np.asarray(spec.positions)[neuron_index],
            u_tau=None if spec.u_tau is None else np.asarray(spec.u_tau)[neuron_index],
            seed=spec.seed, config=spec.config, extra=dict(spec.extra or {}))
        opts = dict(plasticity=self.plasticity, input_rate=self.input_rate, dt=self._dt_arg,
                    record_spikes="spikes" in self.monitors, input_seed=self.input_seed)
        opts.update(kwargs)
        net = SpikingNetwork(new_spec, **opts)
        if self.inputs is not None and self._input_mode == "explicit":
            net.set_input(self._input_i, self._input_t)
        if self.frozen and net.plasticity:
            net.freeze(True)
        net.neuron_index = neuron_index
        net.synapse_index = synapse_index
        return net

    def __repr__(self):
        c = self._conn
        return (f"<SpikingNetwork {self.spec.model} N={c.N} ({c.n_active_neurons} active), "
                f"synapses={c.n_synapses} ({c.n_active_synapses} effective), "
                f"inputs={self.spec.n_inputs}, device={self.device_name}, "
                f"plasticity={self.plasticity}>")


# --------------------------------------------------------------------------- helpers
def _check_no_parallel_synapses(pre, post, name):
    key = np.asarray(pre, np.int64) * (int(max(np.max(post, initial=0), 0)) + 1) + np.asarray(post)
    if np.unique(key).size != key.size:
        raise ApplyError(f"{name}: has several synapses between the same pair of neurons, "
                         "which GeNN does not support (brian2genn: 'multiple synapses per "
                         "neuron pair')")


def _match_order(pre, post, i, j):
    """Permutation p with (i[p], j[p]) == (pre, post); stable for parallel synapses."""
    a = np.lexsort((post, pre), axis=0)
    b = np.lexsort((j, i), axis=0)
    if not (np.array_equal(pre[a], i[b]) and np.array_equal(post[a], j[b])):
        raise RuntimeError("export: the device's synapses do not match the model's (i, j)")
    order = np.empty_like(a)
    order[a] = b
    return order


def build_model(path, N=None, seed=None, n_inputs=None, plasticity=True, input_rate=None,
                dt=None, record_spikes=True, record_state=False, **overrides):
    """Build a model from a model file (YAML) as Brian2 objects.

    Parameters
    ----------
    path : str or path-like
        A model file (e.g. ``"models/hrsnn.yaml"``) or a packaged model name
        (``"hrsnn"``, ``"chrsnn"``) as understood by
        :func:`brian2_lnp.models.config.load_model`.
    N : int, optional
        Number of recurrent neurons (default: the file's).
    seed : None, int or Generator
        Seed for connectivity, parameters and background input.
    n_inputs : int, optional
        Number of input channels (default: the file's).
    plasticity, input_rate, dt, record_spikes, record_state
        See :class:`SpikingNetwork`.
    **overrides
        Model-file parameters to override (passed to ``load_model``).

    Returns
    -------
    SpikingNetwork
    """
    from .config import load_model
    from .generate import generate_network

    if N is not None:
        N = check_int("N", N, 1)
    config = load_model(path, **overrides)
    spec = generate_network(config, N=N, seed=seed, n_inputs=n_inputs)
    return SpikingNetwork(spec, plasticity=plasticity, input_rate=input_rate, dt=dt,
                          record_spikes=record_spikes, record_state=record_state)


def HRSNN(N=1000, seed=None, **kwargs):
    """The heterogeneous recurrent SNN (seed 002) from the packaged ``hrsnn`` model file.

    See :func:`build_model` for the parameters.
    """
    return build_model("hrsnn", N=N, seed=seed, **kwargs)


def CHRSNN(N=1000, seed=None, **kwargs):
    """The clustered heterogeneous recurrent SNN from the packaged ``chrsnn`` model file.

    See :func:`build_model` for the parameters.
    """
    return build_model("chrsnn", N=N, seed=seed, **kwargs)
