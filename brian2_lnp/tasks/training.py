"""Unsupervised heterogeneous STDP training of the recurrent layer, in Brian2.

The model's own plastic synapses (E->E, E->I; 002 Eq. 3-5, per-synapse
``taupre``, ``taupost``, ``A_plus``, ``A_minus``) learn while the task's
encoded input drives the network. The weights live in the model's
``Synapses`` object, so training writes them into the model itself:
:meth:`SpikingNetwork.export` afterwards returns the trained weights, and every
later run (prediction, classification) uses them.

:func:`freeze` switches plasticity off (and back on) by setting the
per-synapse ``plastic`` flag of the STDP model to 0: the update rule
``w = g * clip(w + trace) + (1 - g) * w`` then keeps each weight bit for bit.
On a standalone device the flag assignment is recorded into the program, so
"train, freeze, evaluate" compiles to one program (see
:func:`brian2_lnp.tasks.prediction.deferred_build`).

This is the training interface the design asks for ("fit on a task, return a
trained model"): :func:`train_stdp` takes the model and the task input and
returns a :class:`TrainingReport`; a surrogate-gradient trainer can follow the
same shape.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..models.encoders import SpikeTrains
from .common import quiet_past_spikes, seconds
from .prediction import present_series

__all__ = ["freeze", "is_frozen", "train_stdp", "TrainingReport"]

logger = logging.getLogger(__name__)


def freeze(model, frozen=True):
    """Switch STDP off (``frozen=True``) or back on: :meth:`SpikingNetwork.freeze`."""
    model.freeze(frozen)


def is_frozen(model):
    """True when the model's weights cannot change during a run."""
    return model.frozen


@dataclasses.dataclass
class TrainingReport:
    """What :func:`train_stdp` did.

    Attributes
    ----------
    t_start, duration : float
        Training window (second).
    w_before : ndarray
        Recurrent weights (volt) before training, in Connectivity order.
    frozen_after : bool
    model : SpikingNetwork
    """

    t_start: float
    duration: float
    w_before: np.ndarray
    frozen_after: bool
    model: object

    def w_after(self):
        """Weights now (readable on standalone only after the program ran)."""
        return self.model.export().w

    def summary(self):
        """Dict: synapses changed, mean |dw| (volt), mean w before/after, spikes during training."""
        w1 = self.w_after()
        dw = w1 - self.w_before
        i, t = self.model.spike_trains()
        n_sp = int(np.count_nonzero((t >= self.t_start) & (t < self.t_start + self.duration)))
        return {"n_changed": int(np.count_nonzero(dw)), "mean_abs_dw": float(np.mean(np.abs(dw)))
                if dw.size else 0.0, "mean_w_before": float(np.mean(self.w_before))
                if dw.size else 0.0, "mean_w_after": float(np.mean(w1)) if dw.size else 0.0,
                "training_spikes": n_sp}


def train_stdp(model, inputs, *, encoding=None, duration=None, seed=None, freeze_after=True):
    """Train the recurrent layer with its heterogeneous STDP on the task's input.

    Parameters
    ----------
    model : SpikingNetwork
        Built with ``plasticity=True``.
    inputs : array (T, d) or SpikeTrains or (indices, times)
        A series (with ``encoding``, presented step by step from the current
        time) or already encoded input spike trains with times relative to
        the start of training (second).
    encoding : SeriesEncoding, optional
        Required for a series.
    duration : float or Quantity, optional
        Training time (second); default the series length times the step, or
        ``SpikeTrains.duration``.
    seed : None, int or Generator
        Seed of the Poisson trains (series input).
    freeze_after : bool
        Freeze the weights after training (so evaluation runs do not change
        them). With ``False`` STDP stays on.

    Returns
    -------
    TrainingReport
    """
    import brian2 as b2

    if not model.plasticity:
        raise ValueError("model: was built with plasticity=False; build it with "
                         "plasticity=True to train with STDP")
    freeze(model, frozen=False)
    w_before = model.export().w.copy()
    t0 = float(model.network.t / b2.second)
    if encoding is not None:
        X = np.asarray(inputs, dtype=float)
        t0 = round(t0 / encoding.dt) * encoding.dt
        present_series(model, X, encoding, t_start=t0, seed=seed, run=False)
        dur = X.shape[0] * encoding.step if duration is None else seconds("duration", duration)
    else:
        if isinstance(inputs, SpikeTrains):
            idx, times = inputs.indices, inputs.times
            dur = inputs.duration if duration is None else seconds("duration", duration)
        else:
            idx, times = inputs
            if duration is None:
                raise ValueError("duration: required for (indices, times) input")
            dur = seconds("duration", duration)
        idx = np.asarray(idx, dtype=np.int64)
        times = np.asarray(times, dtype=float) + t0
        i_old, t_old = model.input_spikes()
        with quiet_past_spikes():
            model.set_input(np.concatenate([i_old[t_old < t0], idx]),
                            np.concatenate([t_old[t_old < t0], times]))
    if dur <= 0:
        raise ValueError(f"duration: must be > 0 second, got {dur}")
    with quiet_past_spikes():
        model.run(dur * b2.second)
    if freeze_after:
        freeze(model, True)
    logger.info("train_stdp: %.3f s of STDP from t=%.3f s (frozen after: %s)", dur, t0,
                freeze_after)
    return TrainingReport(t0, dur, w_before, bool(freeze_after), model)
