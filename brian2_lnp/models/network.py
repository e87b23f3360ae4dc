"""The package's own models as ordinary Brian2 objects: :class:`SpikingNetwork`.

A :class:`SpikingNetwork` holds a ``NeuronGroup`` (LIF, per-neuron ``tau_m``
and ``v_th``), one ``Synapses`` object for the recurrent connections (with
heterogeneous trace STDP on the plastic ones), the input channels, monitors,
and a ``brian2.Network`` holding all of them. Its jobs live in rooms of their
own:

* equations: :mod:`brian2_lnp.models.equations`;
* moving structure in and out (export / apply): a
  :class:`~brian2_lnp.models.binding.Brian2Binding` over its own objects,
  the same mechanism that binds networks users write (``net.binding``);
* the STDP parameter table: :mod:`brian2_lnp.models.stdp`;
* input channels and their spike trains: :mod:`brian2_lnp.models.inputs`;
* here: building, running (with timings), spikes and SOPs, freezing, and
  :meth:`SpikingNetwork.compact` (the binding's ``rebuild`` without masks).

Everything stays inside the feature subset of Brian2GeNN (checked against
brian2genn 1.7's device): see :mod:`brian2_lnp.models.equations`; homogeneous
delays, no run_regularly, no TimedArray, no linked variables, no seed,
connectivity from arrays (``connect(i=, j=)``), input from a pre-generated
``SpikeGeneratorGroup``.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..graph import Connectivity
from ..validation import check_array, check_bool, check_int, check_range, to_si
from .binding import ApplyError, Brian2Binding, check_no_parallel_synapses
from .devices import current_device_name, is_standalone
from .copying import drop_variables
from .equations import (INPUT_MODEL, INPUT_ON_PRE, MASKS, NEURON_EQUATIONS, NEURON_RESET,
                        NEURON_THRESHOLD, STATIC_MODEL, STATIC_ON_PRE, STDP_MODEL, STDP_ON_POST,
                        STDP_ON_PRE)
from .inputs import (DEFAULT_INPUT_DRIVE, InputLayer, InputSchedule, check_input_rate,
                     default_input_rate)
from .spec import NetworkSpec
from .stdp import StdpTable

__all__ = ["SpikingNetwork", "InputLayer", "build_model", "HRSNN", "CHRSNN",
           "default_input_rate", "DEFAULT_INPUT_DRIVE",
           "NEURON_EQUATIONS", "STDP_MODEL", "STDP_ON_PRE", "STDP_ON_POST",
           "STATIC_MODEL", "STATIC_ON_PRE", "INPUT_ON_PRE", "ApplyError"]

logger = logging.getLogger(__name__)


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


def _refused(conn, exc):
    exc.connectivity = conn  # what was refused is not lost (e.g. a prune result)
    return exc


class SpikingNetwork:
    """An HRSNN / CHRSNN as ordinary Brian2 objects.

    Parameters
    ----------
    spec : NetworkSpec
        The generated network (see :func:`brian2_lnp.models.generate.generate_network`).
    plasticity : bool
        True: STDP on the synapses flagged ``spec.plastic``. False: frozen
        weights (a static synapse model, cheaper to simulate).
    input_rate : float (Hz) or Quantity in Hz, optional
        Rate of the background Poisson input generated for each :meth:`run`
        when no input was given with :meth:`set_input`. Default:
        ``spec.extra["input_rate"]`` if present, else :func:`default_input_rate`
        (each recurrent neuron receives on average ``DEFAULT_INPUT_DRIVE`` =
        400 input spikes per second). 0 disables it. A Quantity of another
        dimension (e.g. ``5*mV``) is refused.
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
        ``"spikes"`` (SpikeMonitor), and ``"state"`` if requested.
    network : brian2.Network
    binding : Brian2Binding
        The write-back mechanism over ``neurons`` and ``synapses``.
    masked : bool
        True when the objects carry the mask variables ``neuron_active`` and
        ``synapse_active`` (built from a spec); False for a :meth:`compact`
        model, which holds only active neurons and effective synapses.
    spec : NetworkSpec
    w_max : float
        Upper bound (volt) where STDP clips plastic weights.
    last_timing : dict
        Wall-clock seconds of the last :meth:`run`; for standalone devices also
        the compile and binary run times reported by the device.
    """

    def __init__(self, spec, plasticity=True, input_rate=None, dt=None, record_spikes=True,
                 record_state=False, method="exponential_euler", input_seed=None):
        import brian2 as b2

        _check_spec(spec)
        self._configure(b2, spec, plasticity, input_rate, dt, input_seed)
        self.method = method
        conn = spec.conn
        if self.device_name == "genn":
            check_no_parallel_synapses(conn.pre, conn.post, "spec.conn")
        self.neurons, self.synapses = self._build_recurrent(b2, spec, method)
        self.binding = Brian2Binding(
            self.neurons, [self.synapses], "w", "tau_m", neuron_active="neuron_active",
            synapse_active="synapse_active", written=conn)
        if conn.n_synapses:
            self.synapses.connect(i=conn.pre, j=conn.post)
        self.binding.apply(conn)
        if self.plasticity:
            self._stdp.write(self.synapses, conn.n_synapses)
        self.neurons.v = spec.v_rest * b2.volt
        self.neurons.I_syn = 0 * b2.volt
        self.neurons.v_th[:] = np.asarray(spec.v_th, float) * b2.volt
        self._finish(b2, record_spikes, record_state, masked=True)

    def _configure(self, b2, spec, plasticity, input_rate, dt, input_seed):
        """Options and Python-side state (no Brian2 objects yet)."""
        self.spec = spec
        self.plasticity = check_bool("plasticity", plasticity)
        self._frozen = False
        self._device = b2.get_device()
        self.device_name = current_device_name()
        # One clock for all objects: Brian2GeNN refuses several clocks, and a
        # dt= argument per object would create one clock each.
        if dt is not None:
            to_si("dt", dt, "second")
        self._clock = b2.defaultclock if dt is None else b2.Clock(dt, name="lnp_clock*")
        self.dt = self._clock.dt
        self.dt_option = dt
        if input_rate is None:
            input_rate = (spec.extra or {}).get("input_rate")
        if input_rate is None:
            input_rate = default_input_rate(spec, float(self.dt))
        self.input_rate = check_input_rate(input_rate, self.dt)
        self.input_seed = (spec.seed if input_seed is None
                           else check_int("input_seed", input_seed, 0))
        self.w_max = float(spec.w_max)
        self._has_run = False
        self.last_timing = {}
        self._stdp = StdpTable.from_spec(spec)
        self._namespace = {"v_rest": spec.v_rest * b2.volt, "v_reset": spec.v_reset * b2.volt,
                           "tau_syn": spec.tau_syn * b2.second, "w_max": spec.w_max * b2.volt}

    def _state_indices(self, record_state):
        """``record_state`` as neuron indices (True, False and None are handled by the caller)."""
        values = np.atleast_1d(np.asarray(record_state))
        if values.dtype.kind not in "iu" or values.ndim != 1:
            raise TypeError(f"record_state: expected True, False or a list of neuron indices, "
                            f"got {record_state!r}")
        return check_array("record_state", values, low=0, high=self.neurons.N - 1).astype(int)

    def _finish(self, b2, record_spikes, record_state, masked):
        """Input channels, monitors and the Network around ``neurons`` and ``synapses``."""
        self.masked = bool(masked)
        objects = [self.neurons, self.synapses]
        self.inputs = self._build_inputs(b2, self.spec)
        if self.inputs is not None:
            objects += list(self.inputs)
        self._input = InputSchedule(self.inputs, self.input_rate, self.input_seed,
                                    float(self.dt))
        self.monitors = {}
        if check_bool("record_spikes", record_spikes):
            self.monitors["spikes"] = b2.SpikeMonitor(self.neurons, name="lnp_spikes*")
            objects.append(self.monitors["spikes"])
        if record_state is not False and record_state is not None:
            record = True if record_state is True else self._state_indices(record_state)
            self.monitors["state"] = b2.StateMonitor(self.neurons, ["v", "I_syn"],
                                                     record=record, clock=self._clock,
                                                     name="lnp_state*")
            objects.append(self.monitors["state"])
        self.network = b2.Network(*objects)

    # ------------------------------------------------------------------ building
    def _build_recurrent(self, b2, spec, method):
        s = b2.second
        neurons = b2.NeuronGroup(
            spec.conn.N, NEURON_EQUATIONS, threshold=NEURON_THRESHOLD, reset=NEURON_RESET,
            refractory=spec.t_ref * s, method=method, namespace=self._namespace,
            clock=self._clock, name="lnp_neurons*")
        if self.plasticity:
            synapses = b2.Synapses(neurons, neurons, STDP_MODEL, on_pre=STDP_ON_PRE,
                                   on_post=STDP_ON_POST, namespace=self._namespace,
                                   clock=self._clock, name="lnp_synapses*")
        else:
            synapses = b2.Synapses(neurons, neurons, STATIC_MODEL, on_pre=STATIC_ON_PRE,
                                   namespace=self._namespace, clock=self._clock,
                                   name="lnp_synapses*")
        return neurons, synapses

    def _build_inputs(self, b2, spec):
        n_in = int(spec.n_inputs)
        if n_in <= 0:
            return None
        group = b2.SpikeGeneratorGroup(n_in, np.zeros(0, dtype=int), np.zeros(0) * b2.second,
                                       clock=self._clock, name="lnp_input*")
        # a compacted model holds only active neurons: no mask (the same rule as rebuild)
        on_pre = INPUT_ON_PRE if self.masked else drop_variables(INPUT_ON_PRE, MASKS)
        syn = b2.Synapses(group, self.neurons, INPUT_MODEL, on_pre=on_pre,
                          namespace=self._namespace, clock=self._clock,
                          name="lnp_input_synapses*")
        ip = np.asarray(spec.input_pre, dtype=np.int64)
        if ip.size:
            syn.connect(i=ip, j=np.asarray(spec.input_post, dtype=np.int64))
            syn.w[:] = np.asarray(spec.input_w, float) * b2.volt
        return InputLayer(group, syn, n_in)

    # ------------------------------------------------------------------ state access
    @property
    def N(self):
        """Number of recurrent neurons (pruned ones included)."""
        return self.spec.conn.N

    @property
    def n_synapses(self):
        """Number of recurrent synapses connected (pruned ones included)."""
        return self.binding.n_synapses

    def _standalone_ran(self):
        return is_standalone(self._device) and bool(getattr(self._device, "has_been_run", False))

    def export(self):
        """The current structure as a :class:`~brian2_lnp.graph.Connectivity`.

        Weights (after STDP), ``tau_m`` and both masks are read from the
        Brian2 objects (:meth:`Brian2Binding.export`). On a standalone device
        before its run, the values written from Python (by the constructor or
        :meth:`apply`) are returned, which are exactly what the run will start
        from.

        Returns
        -------
        Connectivity
        """
        return self.binding.export()

    def apply(self, conn, stdp_params=None, seed=None):
        """Write a Connectivity into the same Brian2 objects.

        Weights, ``tau_m`` and both masks are overwritten
        (:meth:`Brian2Binding.apply`); synapses appended after the existing
        ones (``conn.pre[S:]``, e.g. by :meth:`Connectivity.add_synapses`) are
        connected with ``synapses.connect(i=, j=)``. New synapses from an
        excitatory neuron are plastic (E->E, E->I) and get STDP parameters from
        ``stdp_params``, else from the model file through
        :func:`brian2_lnp.models.generate.draw_stdp_params`, else (spec built
        by hand, no config) the median of the existing plastic synapses of
        the same (pre type, post type).

        Parameters
        ----------
        conn : Connectivity
            Same N and types; the first ``n_synapses`` synapses in the same order.
        stdp_params : dict, optional
            ``tau_pre, tau_post`` (second) and ``A_plus`` (>= 0), ``A_minus``
            (<= 0) (volt) for the new synapses: a scalar or one entry per new
            synapse each, numbers in SI units or Quantities.
        seed : None, int or Generator
            Seed for drawing STDP parameters of new synapses
            (default: derived from the model seed and the synapse count).

        Raises
        ------
        ApplyError
            If N or the neuron types differ, existing synapses were removed or
            reordered, a weight breaks Dale's law (excitatory presynaptic
            weights >= 0, inhibitory <= 0), a plastic weight lies outside
            [0, w_max] while STDP is on (STDP would clip it), or new synapses
            would duplicate a pair on GeNN.
        ValueError, TypeError
            ``stdp_params`` with missing or unknown keys, wrong dimensions or
            out-of-range values (the message names the key).
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
        try:
            self.binding.check(conn)
        except ApplyError as exc:
            raise _refused(conn, exc)
        S_old = self.binding.n_synapses
        new_pre, new_post = conn.pre[S_old:], conn.post[S_old:]
        rows = None
        if new_pre.size or stdp_params is not None:
            if seed is None and self.spec.config is not None:
                seed = self._stdp.default_seed(self.spec.seed)
            rows = self._stdp.new_rows(conn.types, new_pre, new_post, conn.pre[:S_old],
                                       conn.post[:S_old], given=stdp_params,
                                       config=self.spec.config, seed=seed)
        plastic = np.concatenate([self._stdp.plastic, rows["plastic"] if rows is not None
                                  else np.zeros(0, dtype=bool)])
        self._check_plastic_range(conn, plastic)
        self.binding.apply(conn)
        if rows is not None and new_pre.size:
            self._stdp.append(rows)
        if self.plasticity and conn.n_synapses:
            self._stdp.write(self.synapses, conn.n_synapses, frozen=self._frozen)

    def _check_plastic_range(self, conn, plastic):
        """Where STDP clips (plastic synapses, plasticity on): 0 <= w <= w_max."""
        if not self.plasticity or self._frozen or not plastic.any():
            return
        eff = plastic & conn.effective
        bad = np.flatnonzero(eff & ((conn.w < 0) | (conn.w > self.w_max * (1 + 1e-12))))
        if bad.size:
            k = int(bad[0])
            raise _refused(conn, ApplyError(
                f"conn.w: plastic synapse {k} has weight {conn.w[k]:.6g} V; STDP clips plastic "
                f"weights, so they must lie in [0, w_max] = [0, {self.w_max:.6g}] V "
                f"({bad.size} such synapses). Clip them (e.g. prune with "
                f"step_kwargs={{'noise': {{'w_max': {self.w_max!r}}}}}), or freeze() the model "
                "first if the weights are to stay as they are"))

    def stdp_parameters(self):
        """Per-synapse STDP parameters as written (dict of arrays, SI units)."""
        return self._stdp.as_dict()

    # ------------------------------------------------------------------ input
    @property
    def input_mode(self):
        """Where the input spikes come from: ``"none"`` (no input channels or zero
        rate), ``"poisson"`` (the background drive generated from the seed for each
        run) or ``"explicit"`` (the spike trains given to :meth:`set_input`)."""
        return self._input.mode

    def set_input(self, indices, times):
        """Use these input spike trains instead of the background Poisson input.

        Parameters
        ----------
        indices : array of int
            Input channel of each spike, in ``[0, n_inputs)``.
        times : array of float (second) or Quantity in second
            Spike times (at most one spike per channel per time step). A
            Quantity of another dimension is refused.
        """
        if self.inputs is None:
            raise ValueError("set_input: this model has no input channels (spec.n_inputs = 0)")
        if self._standalone_ran():
            raise RuntimeError("set_input: the standalone device already ran")
        self._input.set_explicit(indices, times)

    def input_spikes(self):
        """The input spike trains fed so far: ``(indices, times in second)``."""
        return self._input.spikes()

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
        self._input.prepare(float(self.network.t_), float(duration))
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

    # ------------------------------------------------------------------ plasticity
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
            plastic = self._stdp.plastic.astype(float)
            self.synapses.plastic[:n] = 0.0 if frozen else plastic[:n]
        self._frozen = bool(frozen)

    # ------------------------------------------------------------------ compaction
    def compact(self, **kwargs):
        """New, smaller Brian2 objects with only active neurons and effective synapses.

        The binding's :meth:`~brian2_lnp.models.binding.Brian2Binding.rebuild`
        (the one mechanism that makes smaller objects) re-creates the neurons
        and recurrent synapses holding only what survives, without the mask
        variables (``neuron_active``, ``synapse_active``: every use becomes
        the constant 1, folded away by Brian2's code generation), so the
        compacted model computes what the surviving network written directly
        in Brian2 computes. Input synapses are re-created only onto surviving
        neurons.

        The new model starts at t = 0 from rest, with the current weights
        (after STDP), ``tau_m``, thresholds and STDP parameters of the kept
        neurons and synapses, all input channels, and the same input:
        explicit input trains are copied, background input is drawn from the
        same seed. Run from t = 0, it produces the same spikes (renumbered) as
        this masked model run from t = 0 on the runtime device. It works on
        runtime and, before the program runs, on standalone devices.

        Without masks, :meth:`apply` on the compacted model silences pruned
        synapses and the synapses of pruned neurons by ``w = 0`` (pruned
        neurons still spike, without effect); compact it again to remove them.

        Parameters
        ----------
        **kwargs
            Override ``input_rate``, ``input_seed``, ``record_spikes`` or
            ``record_state``. The equations (``plasticity``, ``method``,
            ``dt``) are those of this model: for others build
            ``SpikingNetwork(small.spec, ...)``.

        Returns
        -------
        SpikingNetwork
            With ``neuron_index`` (old index of each kept neuron) and
            ``synapse_index`` (old index of each kept synapse).
        """
        import brian2 as b2

        allowed = {"input_rate", "input_seed", "record_spikes", "record_state"}
        same = {"plasticity": self.plasticity, "method": self.method, "dt": self.dt_option}
        for key, value in kwargs.items():
            if key in same and value is not same[key] and value != same[key]:
                raise ValueError(
                    f"compact: {key}={value!r} would change the equations, which compact() "
                    f"copies ({key}={same[key]!r}); build SpikingNetwork(small.spec, "
                    f"{key}=...) from the compacted spec instead")
            if key not in allowed and key not in same:
                raise TypeError(f"compact: unknown option {key!r}; allowed: "
                                f"{sorted(allowed)}")
        if self._standalone_ran():
            raise RuntimeError(
                f"compact: this model already ran on the {self.device_name} device; export() "
                "it, then build the compacted model in a new device session")
        conn = self.export()
        result = self.binding.rebuild(conn, name_suffix="_compact", drop_masks=True,
                                      values=self._rest_state(conn))
        neuron_index, synapse_index = result.neuron_index, result.synapse_index
        new_id = np.full(conn.N, -1, dtype=np.int64)
        new_id[neuron_index] = np.arange(neuron_index.size)
        spec = self.spec
        ip, iq = np.asarray(spec.input_pre, np.int64), np.asarray(spec.input_post, np.int64)
        keep_in = conn.neuron_active[iq] if iq.size else np.zeros(0, dtype=bool)
        st = self._stdp.take(synapse_index)
        small = result.binding.export()
        small.provenance = dict(conn.provenance, compacted=True)
        new_spec = NetworkSpec(
            model=spec.model, conn=small, v_th=np.asarray(spec.v_th)[neuron_index],
            v_rest=spec.v_rest, v_reset=spec.v_reset, t_ref=spec.t_ref, tau_syn=spec.tau_syn,
            w_max=spec.w_max, plastic=st["plastic"], tau_pre=st["tau_pre"],
            tau_post=st["tau_post"], A_plus=st["A_plus"], A_minus=st["A_minus"],
            n_inputs=spec.n_inputs, input_pre=ip[keep_in], input_post=new_id[iq[keep_in]],
            input_w=np.asarray(spec.input_w, float)[keep_in],
            positions=None if spec.positions is None else np.asarray(spec.positions)[neuron_index],
            u_tau=None if spec.u_tau is None else np.asarray(spec.u_tau)[neuron_index],
            seed=spec.seed, config=spec.config, extra=dict(spec.extra or {}))
        opts = dict(input_rate=self.input_rate, input_seed=self.input_seed,
                    record_spikes="spikes" in self.monitors, record_state=False)
        opts.update({k: v for k, v in kwargs.items() if k in allowed})
        net = SpikingNetwork.__new__(SpikingNetwork)
        net._configure(b2, new_spec, self.plasticity, opts["input_rate"], self.dt_option,
                       opts["input_seed"])
        net.method = self.method
        net._frozen = self._frozen
        net.neurons, net.synapses = result.neurons[0], result.synapses[0]
        net.binding = result.binding
        net._finish(b2, opts["record_spikes"], opts["record_state"], masked=False)
        if self.inputs is not None and self.input_mode == "explicit":
            net.set_input(*self.input_spikes())
        net.neuron_index = neuron_index
        net.synapse_index = synapse_index
        return net

    def _rest_state(self, conn):
        """State at rest, for :meth:`compact` (SI values, one per neuron / synapse)."""
        spec, N, S = self.spec, conn.N, conn.n_synapses
        neurons = {"v": np.full(N, spec.v_rest), "I_syn": np.zeros(N),
                   "v_th": np.asarray(spec.v_th, float), "lastspike": np.full(N, -1e4),
                   "not_refractory": np.ones(N, dtype=bool)}
        synapses = {}
        if self.plasticity:
            c = self._stdp.columns
            synapses = {"plastic": np.zeros(S) if self._frozen else c["plastic"][:S].astype(float),
                        "taupre": c["tau_pre"][:S], "taupost": c["tau_post"][:S],
                        "A_plus": c["A_plus"][:S], "A_minus": c["A_minus"][:S],
                        "apre": np.zeros(S), "apost": np.zeros(S), "lastupdate": np.zeros(S),
                        "post.delay": np.zeros(S)}
        synapses["pre.delay"] = np.zeros(S)  # the models have no synaptic delays
        return {"neurons": neurons, "synapses": synapses}

    def __repr__(self):
        c = self.binding.export() if not self._standalone_ran() else None
        counts = (f"N={c.N} ({c.n_active_neurons} active), synapses={c.n_synapses} "
                  f"({c.n_active_synapses} effective)") if c is not None else f"N={self.N}"
        return (f"<SpikingNetwork {self.spec.model} {counts}, inputs={self.spec.n_inputs}, "
                f"device={self.device_name}, plasticity={self.plasticity}>")


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
