"""Input channels of a SpikingNetwork and the schedule of their spike trains.

Input is a ``SpikeGeneratorGroup`` fed with spike trains pre-generated in
NumPy (identical on every device, supported by Brian2GeNN): either explicit
trains (:meth:`InputSchedule.set_explicit`) or a background Poisson drive
drawn window by window from the seed and the window start.
"""
from __future__ import annotations

import numpy as np

from ..random import child_seed
from ..validation import check_range, to_si
from .encoders import poisson_spike_trains

__all__ = ["InputLayer", "InputSchedule", "default_input_rate", "DEFAULT_INPUT_DRIVE"]

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


def check_input_rate(input_rate, dt):
    """``input_rate`` (Hz, or a Quantity in Hz) as a float in [0, 1/dt]."""
    rate = to_si("input_rate", input_rate, "Hz")
    if rate.ndim:
        raise ValueError(f"input_rate: one rate for every channel (a scalar), got shape "
                         f"{rate.shape}")
    return check_range("input_rate", float(rate), 0.0, 1.0 / float(dt))


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


class InputSchedule:
    """Which spikes the input channels send: none, background Poisson, or explicit trains.

    Parameters
    ----------
    layer : InputLayer or None
    rate : float
        Background rate per channel (Hz); 0 disables the background drive.
    seed : int or None
        Seed of the background drive.
    dt : float
        Time step (second); background trains are on this grid.
    """

    def __init__(self, layer, rate, seed, dt):
        self.layer = layer
        self.rate = float(rate)
        self.seed = seed
        self.dt = float(dt)
        self.mode = "poisson" if self.rate > 0 else "none"
        self.indices = np.zeros(0, dtype=np.int64)
        self.times = np.zeros(0)
        self._until = 0.0  # background input generated up to here (second)

    def set_explicit(self, indices, times):
        """Use these trains (channel indices, times in second or a Quantity)."""
        if self.layer is None:
            raise ValueError("set_input: this model has no input channels (spec.n_inputs = 0)")
        idx = np.asarray(indices)
        if idx.size and (idx.dtype.kind not in "iu" and not (
                idx.dtype.kind == "f" and np.all(idx == np.round(idx)))):
            raise TypeError(f"indices: input channel numbers must be integers, got dtype "
                            f"{idx.dtype}")
        idx = idx.astype(np.int64).ravel()
        t = to_si("times", times, "second").ravel()
        if idx.size != t.size:
            raise ValueError(f"indices, times: must have the same length, got {idx.size}, {t.size}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.layer.n_channels):
            raise ValueError("indices: input channels must lie in "
                             f"[0, {self.layer.n_channels - 1}]")
        if t.size and (not np.isfinite(t).all() or t.min() < 0):
            raise ValueError("times: must be finite and >= 0 (second)")
        self.mode = "explicit"
        self.indices, self.times = idx, t
        self._push()

    def prepare(self, t0, duration):
        """Before a run of ``duration`` from ``t0``: extend the background drive if needed."""
        if self.layer is None or self.mode != "poisson":
            return
        dt = self.dt
        k0, k1 = int(round(t0 / dt)), int(round((t0 + duration) / dt))
        start = max(k0, int(round(self._until / dt)))
        if k1 <= start:
            return
        seed = child_seed(self.seed if self.seed is not None else 0, "background_input", start)
        trains = poisson_spike_trains(np.full(self.layer.n_channels, self.rate), dt,
                                      step=(k1 - start) * dt, t_start=start * dt, seed=seed)
        self.indices = np.concatenate([self.indices, trains.indices])
        self.times = np.concatenate([self.times, trains.times])
        self._until = k1 * dt
        self._push()

    def spikes(self):
        """``(indices, times in second)`` fed so far (copies)."""
        return self.indices.copy(), self.times.copy()

    def _push(self):
        import brian2 as b2

        order = np.lexsort((self.indices, self.times))
        self.indices, self.times = self.indices[order], self.times[order]
        self.layer.group.set_spikes(self.indices, self.times * b2.second)
