"""Largest Lyapunov exponent of a spiking network by two-trajectory divergence.

Seed 000, A.1 steps 1-6: run the network and a copy whose membrane potentials
are perturbed by a tiny amount, with identical input; measure the distance
between the two state trajectories over time; fit an exponential to it; the
rate is the largest Lyapunov exponent.

Implementation (our choices, see docs/dynamics.md):

* Both trajectories live in **one** Brian2 run: the network is duplicated
  into a block-diagonal 2N-neuron model (copy A = neurons 0..N-1, copy B =
  N..2N-1, no synapses between them) and every input synapse is duplicated
  onto both copies, so both receive the very same input spikes. One run
  means one build on cpp_standalone (and GeNN-compatible objects), and no
  way for the two runs to see different random input.
* Step 2: copy B's membrane potentials start at ``v_rest + delta * u``
  with u a random unit vector over the perturbed neurons (seeded).
* Step 4: distance ``d(t) = || v_A(t) - v_B(t) ||_2`` over active neurons
  (volt), from a StateMonitor.
* Step 6: least-squares line through ``log d(t)`` on the fit window
  (default: from ``fit_start`` until d first exceeds ``saturation`` times
  its late-time level, i.e. before the separation saturates at the size of
  the attractor); the slope is the exponent (1/s), with its standard error
  and R^2 as the fit quality. :meth:`SpikingLyapunovResult.plot` draws
  log d(t) with the fit.
* Weights are frozen during the estimate (``plasticity=False`` by default):
  STDP would change the system being measured.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from ..random import as_generator
from ..validation import check_range
from .spec import NetworkSpec

__all__ = ["SpikingLyapunovResult", "spiking_lyapunov", "doubled_spec"]

logger = logging.getLogger(__name__)


@dataclass
class SpikingLyapunovResult:
    """Two-trajectory estimate of the largest Lyapunov exponent.

    Attributes
    ----------
    exponent : float
        Fitted growth rate of the distance, 1/s (NaN if no fit was possible).
    stderr : float
        Standard error of the slope (1/s).
    r_squared : float
        Coefficient of determination of the log-linear fit (fit quality).
    times : ndarray
        Recording times (second).
    distance : ndarray
        ``|| v_A - v_B ||_2`` over active neurons (volt) at each time.
    fit_window : (float, float)
        Start and end (second) of the fitted part.
    intercept : float
        log distance of the fit line at t = 0.
    vanished : bool
        True if the perturbation died out completely (distance exactly 0 at
        the end: both copies reset together); the exponent is then the decay
        rate fitted before that.
    n_fit : int
        Number of points in the fit.
    """

    exponent: float
    stderr: float
    r_squared: float
    times: np.ndarray
    distance: np.ndarray
    fit_window: tuple
    intercept: float
    vanished: bool
    n_fit: int
    info: dict = field(default_factory=dict)

    def plot(self, axes=None):
        """log10 distance over time with the fitted line; returns the Axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots()
        pos = self.distance > 0
        axes.semilogy(self.times[pos] * 1e3, self.distance[pos], lw=1, label="distance")
        if np.isfinite(self.exponent):
            t = np.linspace(*self.fit_window, 50)
            axes.semilogy(t * 1e3, np.exp(self.intercept + self.exponent * t), "--",
                          label=f"fit: {self.exponent:.3g} 1/s, R$^2$={self.r_squared:.3f}")
        axes.set_xlabel("time (ms)")
        axes.set_ylabel("|v_A - v_B| (V)")
        axes.legend()
        return axes


def doubled_spec(spec, conn=None):
    """A NetworkSpec holding two independent copies of ``spec``'s network.

    Neurons ``0..N-1`` are copy A and ``N..2N-1`` copy B; recurrent synapses
    are duplicated inside each copy; every input synapse is duplicated onto
    both copies (same channel), so both copies get identical input spikes.

    Parameters
    ----------
    spec : NetworkSpec
    conn : Connectivity, optional
        Use these recurrent synapses/masks/tau_m instead of ``spec.conn``
        (e.g. the exported weights after STDP). Must have the same synapse
        count as the spec's per-synapse STDP arrays.
    """
    from ..graph import Connectivity

    c = spec.conn if conn is None else conn
    N, S = c.N, c.n_synapses
    if np.asarray(spec.plastic).size != S:
        raise ValueError(f"conn: has {S} synapses but the spec's STDP arrays have "
                         f"{np.asarray(spec.plastic).size}")

    def two(a):
        a = np.asarray(a)
        return np.concatenate([a, a])

    big = Connectivity(2 * N, np.concatenate([c.pre, c.pre + N]),
                       np.concatenate([c.post, c.post + N]), two(c.w), types=two(c.types),
                       cluster=two(c.cluster), tau_m=two(c.tau_m),
                       neuron_active=two(c.neuron_active), synapse_active=two(c.synapse_active),
                       provenance=dict(c.provenance, doubled_for="spiking_lyapunov"))
    ip = np.asarray(spec.input_post, dtype=np.int64)
    return replace(
        spec, conn=big, v_th=two(spec.v_th), plastic=two(spec.plastic),
        tau_pre=two(spec.tau_pre), tau_post=two(spec.tau_post), A_plus=two(spec.A_plus),
        A_minus=two(spec.A_minus), input_pre=two(spec.input_pre),
        input_post=np.concatenate([ip, ip + N]), input_w=two(spec.input_w),
        positions=None if spec.positions is None else two(spec.positions),
        u_tau=None if spec.u_tau is None else two(spec.u_tau),
        extra=dict(spec.extra or {}))


def _fit(times, dist, fit_start, fit_end, saturation):
    pos = dist > 0
    vanished = bool(dist.size and dist[-1] == 0)
    tail = dist[int(0.8 * dist.size):]
    d_sat = float(np.mean(tail)) if tail.size else np.inf
    t1 = times[-1] if fit_end is None else fit_end
    if fit_end is None and d_sat > 0:
        # stop before saturation: first time d exceeds a fraction of its late level,
        # if the distance grew at all (a decaying perturbation is fitted to the end)
        d0 = dist[np.searchsorted(times, fit_start)] if np.any(times >= fit_start) else 0
        if d_sat > 10 * max(d0, 1e-300):
            over = np.flatnonzero((times >= fit_start) & (dist > saturation * d_sat))
            if over.size:
                t1 = times[over[0]]
    sel = pos & (times >= fit_start) & (times <= t1)
    if sel.sum() < 3:
        return dict(exponent=np.nan, stderr=np.nan, r_squared=np.nan, intercept=np.nan,
                    window=(float(fit_start), float(t1)), n=int(sel.sum()), vanished=vanished)
    from scipy.stats import linregress

    fit = linregress(times[sel], np.log(dist[sel]))
    return dict(exponent=float(fit.slope), stderr=float(fit.stderr),
                r_squared=float(fit.rvalue ** 2), intercept=float(fit.intercept),
                window=(float(times[sel][0]), float(times[sel][-1])), n=int(sel.sum()),
                vanished=vanished)


def spiking_lyapunov(model, duration, *, perturbation=1e-6, perturb=None, seed=None,
                     fit_start=0.0, fit_end=None, saturation=0.1, plasticity=False,
                     input_rate=None, dt=None, input_seed=None):
    """Largest Lyapunov exponent of a spiking network (000 A.1, steps 1-6).

    Builds and runs one Brian2 network holding the model and a perturbed copy
    (see the module docstring) on the current device (runtime or
    cpp_standalone; select it first, e.g. with
    :func:`brian2_lnp.models.devices.use_device`).

    Parameters
    ----------
    model : SpikingNetwork or NetworkSpec
        The network. For a SpikingNetwork its current structure is used
        (``export()``: weights after STDP, masks, tau_m), with its input rate,
        input seed and dt unless given here.
    duration : Quantity or float
        Simulated time (second).
    perturbation : Quantity or float > 0
        Norm of the initial membrane-potential difference (volt; default 1 uV).
    perturb : array of int, optional
        Neurons whose v is perturbed (default: every active neuron).
    seed : None, int or Generator
        Direction of the perturbation.
    fit_start, fit_end : float (second), optional
        Fit window; by default from ``fit_start`` until the distance first
        exceeds ``saturation`` times its late-time mean (when it grew).
    saturation : float in (0, 1]
    plasticity : bool
        Keep STDP on during the estimate (default False: frozen weights).
    input_rate : float (Hz), optional
        Background Poisson rate per input channel; 0 for no input.
    dt : Quantity, optional
        Simulation time step.
    input_seed : int, optional
        Seed of the background input.

    Returns
    -------
    SpikingLyapunovResult
    """
    import brian2 as b2

    from .network import SpikingNetwork

    if isinstance(model, NetworkSpec):
        spec, conn = model, model.conn
    elif isinstance(model, SpikingNetwork):
        spec, conn = model.spec, model.export()
        input_rate = model.input_rate if input_rate is None else input_rate
        input_seed = model.input_seed if input_seed is None else input_seed
        dt = model.dt_option if dt is None else dt
    else:
        raise TypeError(f"model: expected a SpikingNetwork or NetworkSpec, got "
                        f"{type(model).__name__}")
    if hasattr(duration, "dim"):
        duration = float(duration / b2.second)
    duration = check_range("duration", duration, 0, None, low_inclusive=False)
    if hasattr(perturbation, "dim"):
        perturbation = float(perturbation / b2.volt)
    perturbation = check_range("perturbation", perturbation, 0, None, low_inclusive=False)
    saturation = check_range("saturation", saturation, 0, 1, low_inclusive=False)
    fit_start = check_range("fit_start", fit_start, 0, duration, high_inclusive=False)
    N = conn.N
    active = np.flatnonzero(conn.neuron_active)
    idx = active if perturb is None else np.asarray(perturb, dtype=np.int64).ravel()
    if idx.size == 0 or idx.min() < 0 or idx.max() >= N:
        raise ValueError(f"perturb: neuron indices must be non-empty and lie in [0, {N - 1}]")
    if not conn.neuron_active[idx].all():
        raise ValueError("perturb: contains inactive (pruned) neurons")

    big = doubled_spec(spec, conn)
    net = SpikingNetwork(big, plasticity=plasticity, input_rate=input_rate, dt=dt,
                         record_spikes=True, record_state=True,
                         input_seed=spec.seed if input_seed is None else input_seed)
    u = as_generator(seed).standard_normal(idx.size)
    u *= perturbation / np.linalg.norm(u)
    v0 = np.full(2 * N, spec.v_rest)
    v0[N + idx] += u
    net.neurons.v = v0 * b2.volt
    net.run(duration * b2.second)

    mon = net.monitors["state"]
    v = np.asarray(mon.v_)  # (2N, T), volt
    times = np.asarray(mon.t_)
    diff = v[active] - v[N + active]
    dist = np.sqrt(np.sum(diff * diff, axis=0))
    f = _fit(times, dist, fit_start, fit_end, saturation)
    counts = net.spike_counts()
    logger.info("spiking_lyapunov: lambda = %.4g +- %.2g 1/s (R^2 %.3f) over %s s",
                f["exponent"], f["stderr"], f["r_squared"], f["window"])
    return SpikingLyapunovResult(
        exponent=f["exponent"], stderr=f["stderr"], r_squared=f["r_squared"], times=times,
        distance=dist, fit_window=f["window"], intercept=f["intercept"],
        vanished=f["vanished"], n_fit=f["n"],
        info=dict(device=net.device_name, perturbation=perturbation, n_perturbed=int(idx.size),
                  spikes_A=int(counts[:N].sum()), spikes_B=int(counts[N:].sum()),
                  timing=net.last_timing, duration=duration))
