"""`NetworkSpec`: everything needed to build a model in Brian2, as plain NumPy.

Produced by :func:`brian2_lnp.models.generate.generate_network` (pure NumPy,
seeded) and consumed by the Brian2 layer (:mod:`brian2_lnp.models.network`),
which turns it into NeuronGroups and Synapses. All values are unit-free SI
floats (volt, second); units are attached at the Brian2 edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..graph import Connectivity

__all__ = ["NetworkSpec"]


@dataclass
class NetworkSpec:
    """A generated network, before it becomes Brian2 objects.

    Attributes
    ----------
    model : str
        "hrsnn" or "chrsnn".
    conn : Connectivity
        Recurrent neurons and synapses (w in volt, tau_m in second), types
        (0 = E, 1 = I), cluster ids, masks, provenance (seed, model file).
    v_th : array (N,)
        Per-neuron firing threshold, volt.
    v_rest, v_reset, t_ref, tau_syn : float
        Resting and reset potential (volt), refractory period and synaptic
        current decay time constant (second), shared by all neurons.
    w_max : float
        Upper bound of plastic weights, volt.
    plastic : array of bool (S,)
        True for synapses under STDP (E->E and E->I).
    tau_pre, tau_post, A_plus, A_minus : array (S,)
        Per-synapse STDP trace time constants (second) and amplitudes (volt;
        A_minus < 0). Zero where ``plastic`` is False.
    n_inputs : int
        Number of input (encoding) channels.
    input_pre, input_post : array of int
        Input channel -> recurrent neuron synapses.
    input_w : array (n_input_synapses,)
        Their weights, volt.
    positions : array (N, 3) or None
        Grid coordinates (HRSNN); None when the model has no geometry.
    u_tau : array (N,)
        Per-neuron uniforms in (0, 1) behind the quantile-mapped tau_m
        (tau_i = F^-1(u_i)); kept so re-drawing a distribution keeps ranks.
    seed : int or None
    config : Any
        The validated model configuration the spec came from.
    """

    model: str
    conn: Connectivity
    v_th: np.ndarray
    v_rest: float
    v_reset: float
    t_ref: float
    tau_syn: float
    w_max: float
    plastic: np.ndarray
    tau_pre: np.ndarray
    tau_post: np.ndarray
    A_plus: np.ndarray
    A_minus: np.ndarray
    n_inputs: int
    input_pre: np.ndarray
    input_post: np.ndarray
    input_w: np.ndarray
    positions: Optional[np.ndarray] = None
    u_tau: Optional[np.ndarray] = None
    seed: Optional[int] = None
    config: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def N(self):
        return self.conn.N
