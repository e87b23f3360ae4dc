"""A cost model of the Brian2 simulation: wall time per simulated second from network counts.

The simulation of a network such as the HRSNN spends its time in four places
(per simulated second, at a fixed ``dt``):

* a fixed cost per time step (scheduling, clocks; on runtime the Python loop
  over code objects), independent of the network: ``per_second``;
* the state update, threshold and reset of every neuron at every step:
  ``per_neuron`` x active neurons;
* one ``on_pre`` (and, with STDP, one ``on_post``) update per recurrent
  synaptic event: ``per_event`` x spikes x effective synapses / active
  neurons (spikes times the mean out-degree);
* one update per input synaptic event: ``per_input_event`` x input synapses
  x input rate per channel.

So ``time = per_second + per_neuron * n_neurons + per_event * events +
per_input_event * input_events`` (seconds of wall time per second of
biological time). The coefficients depend on the machine, the Brian2 device
and code generation target, the compiler and the equations: measure them
where they are used (``benchmarks/bench_simulation.py`` fits them with
:func:`fit_cost_model` and prints them; ``benchmarks/RESULTS_simulation.md``
records the values measured on one machine, which are not a claim about any
other). Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..validation import check_range

__all__ = ["CostCounts", "CostCoefficients", "cost_features", "predict_cost", "fit_cost_model",
           "FEATURES"]

#: names of the model's terms, in the order of the coefficients
FEATURES = ("per_second", "per_neuron", "per_event", "per_input_event")


@dataclasses.dataclass(frozen=True)
class CostCounts:
    """What a network does per second of simulated time.

    Parameters
    ----------
    n_neurons : int
        Active (simulated) recurrent neurons.
    n_synapses : int
        Effective recurrent synapses.
    n_input_synapses : int
        Input synapses (onto simulated neurons).
    spikes : float
        Recurrent spikes per second of simulated time (all neurons together).
    input_rate : float
        Spikes per second of each input channel (Hz).
    """

    n_neurons: int
    n_synapses: int
    n_input_synapses: int
    spikes: float
    input_rate: float

    def __post_init__(self):
        for name in ("n_neurons", "n_synapses", "n_input_synapses", "spikes", "input_rate"):
            check_range(f"counts.{name}", getattr(self, name), 0.0)


@dataclasses.dataclass(frozen=True)
class CostCoefficients:
    """Fitted coefficients (seconds of wall time per simulated second, per unit).

    ``device`` and ``note`` say where they were measured (device, code
    generation, machine, load); ``residual`` is the root-mean-square relative
    error of the fit on its own data, ``n_points`` the number of
    measurements it was fitted on.
    """

    per_second: float
    per_neuron: float
    per_event: float
    per_input_event: float
    device: str = ""
    note: str = ""
    residual: float = float("nan")
    n_points: int = 0

    def as_array(self):
        return np.array([getattr(self, f) for f in FEATURES], dtype=float)

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        """From :meth:`to_dict` (e.g. read back from JSON)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"coefficients: unknown keys {unknown}; allowed {sorted(known)}")
        return cls(**d)


def cost_features(counts):
    """The model's terms for ``counts`` (a CostCounts or a sequence of them).

    Returns
    -------
    ndarray, shape (len(FEATURES),) or (n, len(FEATURES))
    """
    single = isinstance(counts, CostCounts)
    items = [counts] if single else list(counts)
    for c in items:
        if not isinstance(c, CostCounts):
            raise TypeError(f"counts: expected CostCounts, got {type(c).__name__}")
    rows = []
    for c in items:
        out_degree = c.n_synapses / c.n_neurons if c.n_neurons else 0.0
        rows.append([1.0, float(c.n_neurons), float(c.spikes) * out_degree,
                     float(c.n_input_synapses) * float(c.input_rate)])
    X = np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))
    return X[0] if single else X


def predict_cost(counts, coefficients):
    """Predicted wall time (second) per second of simulated time.

    Parameters
    ----------
    counts : CostCounts or sequence of CostCounts
        Of the network to predict (e.g. the pruned one: active neurons,
        effective synapses, input synapses left, and its expected spikes).
    coefficients : CostCoefficients
        Measured on the machine and device of interest (:func:`fit_cost_model`).

    Returns
    -------
    float or ndarray
    """
    if not isinstance(coefficients, CostCoefficients):
        raise TypeError(f"coefficients: expected CostCoefficients, got "
                        f"{type(coefficients).__name__}")
    return cost_features(counts) @ coefficients.as_array()


def fit_cost_model(counts, times, device="", note=""):
    """Least-squares fit of the coefficients to measured times.

    Non-negative least squares on relative errors (each row divided by its
    time, so small and large networks count alike; every term is a cost, so
    coefficients are >= 0).

    Parameters
    ----------
    counts : sequence of CostCounts
    times : array of float
        Measured wall time per simulated second of each network (second).
    device, note : str
        Recorded with the coefficients.

    Returns
    -------
    CostCoefficients
    """
    from scipy.optimize import nnls

    X = cost_features(list(counts))
    t = np.asarray(times, dtype=float).ravel()
    if t.size != X.shape[0]:
        raise ValueError(f"times: one per counts entry ({X.shape[0]}), got {t.size}")
    if t.size < len(FEATURES):
        raise ValueError(f"counts: at least {len(FEATURES)} measurements are needed to fit "
                         f"{len(FEATURES)} coefficients, got {t.size}")
    if not (np.isfinite(t).all() and (t > 0).all()):
        raise ValueError("times: must be finite and > 0 (second)")
    A = X / t[:, None]
    scale = np.abs(A).max(axis=0)
    scale[scale == 0] = 1.0  # a term absent from every measurement: coefficient 0
    coef, _ = nnls(A / scale, np.ones_like(t))
    coef = coef / scale
    rel = X @ coef / t - 1.0
    return CostCoefficients(*map(float, coef), device=str(device), note=str(note),
                            residual=float(np.sqrt(np.mean(rel ** 2))), n_points=int(t.size))
