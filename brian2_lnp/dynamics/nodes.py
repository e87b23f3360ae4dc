"""Lyapunov exponents of a Connectivity's rate surrogate, per node and per edge.

* :func:`rate_lyapunov` - spectrum of the rate surrogate, averaged over a batch
  of input sequences (000 A.1), with per-node exponents.
* :func:`node_exponents` - per-node exponents only (our choice; docs/dynamics.md):
  ``lambda_node_i = sum_m lambda_m <Q_im^2>_t / sum_m <Q_im^2>_t``.
* :func:`lyapunov_matrix` - Lambda_ij of 000 Eq. 1 on every effective synapse.

All work on the effective graph (``conn.compacted()``) and report in the
Connectivity's own indices. Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..random import child_seed
from ..validation import check_int, check_range
from .rate import RateNetwork
from .spectrum import ExponentsArray, kaplan_yorke_dimension, lyapunov_spectrum
from .threads import parallel_map
from .warm import WarmStart, map_rows

__all__ = ["RateLyapunovResult", "rate_lyapunov", "rate_lyapunov_warm", "node_exponents",
           "lyapunov_matrix", "per_node_exponents", "DEFAULT_K", "WARM_TRANSIENT"]

logger = logging.getLogger(__name__)

#: leading exponents computed when ``k=None`` and the network has more units
#: (the full spectrum costs O(n^3) per QR; below this size it is computed in full)
DEFAULT_K = 100


def per_node_exponents(exponents, q2_mean):
    """Per-node exponents from exponents (k,) and time-averaged Q^2 (n, k).

    ``lambda_node_i = sum_m lambda_m q2_im / sum_m q2_im``. A node whose
    weight in all k vectors underflows to 0 gets the smallest exponent
    (its own divergence rate is at most that).
    """
    lam = np.asarray(exponents, dtype=float)
    q2 = np.asarray(q2_mean, dtype=float)
    num = q2 @ lam
    den = q2.sum(axis=1)
    out = np.full(q2.shape[0], lam.min() if lam.size else np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


@dataclass
class RateLyapunovResult(ExponentsArray):
    """Lyapunov analysis of a Connectivity's rate surrogate.

    Attributes
    ----------
    exponents : ndarray (k,)
        Leading exponents in 1/s, descending, averaged over the batch.
    node_exponents : ndarray (conn.N,)
        Per-node exponents in 1/s; NaN for inactive neurons.
    history : ndarray (n_qr, k)
        Batch-averaged running estimates (convergence indicator).
    times : ndarray (n_qr,)
        Seconds of surrogate time of each history row.
    kaplan_yorke : float
        Kaplan-Yorke dimension of ``exponents`` (NaN if k < n and undetermined).
    batch_exponents : ndarray (batch, k)
        Exponents of each input sequence (their spread is an error bar).
    q2_mean : ndarray (n_active, k)
    neuron_index : ndarray (n_active,)
    """

    exponents: np.ndarray
    node_exponents: np.ndarray
    history: np.ndarray
    times: np.ndarray
    kaplan_yorke: float
    batch_exponents: np.ndarray
    q2_mean: np.ndarray
    neuron_index: np.ndarray
    info: dict = field(default_factory=dict)


#: transient steps of a warm-started run (default of ``warm_transient``)
WARM_TRANSIENT = 100


#: the input sequences of a batch are held in memory up to this many bytes; above it
#: they are drawn again, chunk by chunk, as the run proceeds (the same numbers)
INPUT_MEMORY_MAX = 256 * 2**20


class _BatchInputs:
    """The frozen input sequences b(t) of a batch, as ``inputs[t]`` -> (n, batch).

    Member b's stream ``child_seed(base, "rate_lyapunov", b)`` draws its
    (total, n) inputs first, then h0 and Q0. Up to :data:`INPUT_MEMORY_MAX`
    bytes the inputs are stored; above, :meth:`after_inputs` skips through
    them in chunks and ``inputs[t]`` (t increasing) draws them again from a
    fresh copy of each stream in chunks: NumPy generators fill arrays in
    order, so the numbers are the same and the memory stays bounded.
    """

    def __init__(self, base, batch, total, n, input_std):
        self.base, self.batch, self.total, self.n = base, batch, total, n
        self.std = check_range("input_std", input_std, 0, None)
        size = 8 * total * n * batch
        self.chunk = total if size <= INPUT_MEMORY_MAX else max(
            1, INPUT_MEMORY_MAX // (8 * n * batch))
        self.start = None
        self.buf = None

    def _streams(self):
        return [child_seed(self.base, "rate_lyapunov", b) for b in range(self.batch)]

    def _draw(self, rngs, rows):
        """The next ``rows`` inputs of every member, as a (batch, rows, n) array
        (members on worker threads: each has its own stream, and NumPy draws
        without the GIL, so the numbers are the same for any worker count). Each
        member's numbers are drawn straight into its own contiguous slab: the
        same numbers in the same order as drawing a (rows, n) array, without a
        copy into an interleaved layout."""
        out = np.empty((self.batch, rows, self.n))

        def fill(b):
            rngs[b].standard_normal(out=out[b])
            out[b] *= self.std

        parallel_map(fill, range(self.batch))
        return out

    def after_inputs(self):
        """Each member's stream, advanced past its inputs (stores them if they fit)."""
        rngs = self._streams()
        if self.std == 0:
            return rngs
        if self.chunk >= self.total:
            self.buf, self.start = self._draw(rngs, self.total), 0
            return rngs
        for t0 in range(0, self.total, self.chunk):
            self._draw(rngs, min(self.chunk, self.total - t0))
        self.live = self._streams()
        self.next_row = 0
        return rngs

    def __getitem__(self, t):
        if self.std == 0:
            return 0.0
        if self.start is None or not self.start <= t < self.start + self.buf.shape[1]:
            if self.chunk >= self.total or t < self.next_row:
                raise IndexError(f"inputs: step {t} requested out of order")
            while self.next_row <= t:  # skip rows before t (a shortened transient)
                rows = min(self.chunk, self.total - self.next_row)
                self.buf, self.start = self._draw(self.live, rows), self.next_row
                self.next_row += rows
        return self.buf[:, t - self.start, :].T


def rate_lyapunov(conn, *, k=None, n_steps=2000, transient=500, qr_every=10, batch=1,
                  dt=None, phi="tanh", w_scale=1e-3, gain=1.0, input_std=0.1, seed=None):
    """Lyapunov spectrum and per-node exponents of a Connectivity's rate surrogate.

    Parameters
    ----------
    conn : Connectivity
    k : int, optional
        Leading exponents to compute; default the full spectrum if the
        network has at most :data:`DEFAULT_K` active neurons, else DEFAULT_K.
        Per-node exponents then weight only these k vectors.
    n_steps, transient, qr_every : int
        See :func:`~brian2_lnp.dynamics.lyapunov_spectrum` (steps of ``dt``).
    batch : int >= 1
        Number of input sequences (and initial states); exponents, Q^2 and
        histories are averaged over them (000 A.1).
    dt : float, optional
        Surrogate time step in second (< min tau_m); default
        ``min(1 ms, min(tau_m) / 2)``.
    phi, w_scale, gain :
        See :class:`~brian2_lnp.dynamics.RateNetwork`.
    input_std : float >= 0
        Std of the frozen white-noise input b_i(t) of each sequence
        (dimensionless, like W phi).
    seed : None, int or Generator

    Returns
    -------
    RateLyapunovResult
        ``info["state"]`` is the :class:`~brian2_lnp.dynamics.warm.WarmStart`
        for a warm start of a later run (:func:`rate_lyapunov_warm`).
    """
    return _rate_lyapunov(conn, k=k, n_steps=n_steps, transient=transient,
                          qr_every=qr_every, batch=batch, dt=dt, phi=phi, w_scale=w_scale,
                          gain=gain, input_std=input_std, seed=seed)


def rate_lyapunov_warm(conn, warm, *, warm_transient=WARM_TRANSIENT, **kwargs):
    """:func:`rate_lyapunov` started from the state of an earlier run.

    Parameters
    ----------
    conn : Connectivity
    warm : WarmStart or None
        Final states and tangent block of an earlier run (``info["state"]`` of
        its result) on a network sharing neurons with this one: they replace
        the cold-start draws on the rows of the shared neurons (new neurons
        keep theirs; the block is re-orthonormalised), and the transient is
        shortened to ``warm_transient`` steps. The random streams are consumed
        as in a cold run (the short transient uses the last inputs of the cold
        one), so a warm run is as reproducible as a cold one. None: a cold run.
    warm_transient : int >= 0 or None
        Transient of a warm-started run (default :data:`WARM_TRANSIENT`);
        None ignores ``warm``.
    **kwargs
        The keywords of :func:`rate_lyapunov`.

    Returns
    -------
    RateLyapunovResult
        ``info["warm"]`` says whether the run started warm.
    """
    return _rate_lyapunov(conn, warm=warm, warm_transient=warm_transient, **kwargs)


def _rate_lyapunov(conn, *, k=None, n_steps=2000, transient=500, qr_every=10, batch=1,
                   dt=None, phi="tanh", w_scale=1e-3, gain=1.0, input_std=0.1, seed=None,
                   warm=None, warm_transient=None):
    net = RateNetwork(conn, dt=dt, phi=phi, w_scale=w_scale, gain=gain)
    n = net.n
    k = (n if n <= DEFAULT_K else DEFAULT_K) if k is None else check_int("k", k, 1, n)
    batch = check_int("batch", batch, 1)
    n_steps = check_int("n_steps", n_steps, 1)
    transient = check_int("transient", transient, 0)
    input_std = check_range("input_std", input_std, 0, None)
    base = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(base, np.random.Generator):
        base = int(base.integers(2**63))
    # each input sequence keeps its own stream (inputs, h0, Q0 drawn in that order),
    # whatever the batch size; the batch then runs as one block (n x batch states,
    # n x batch*k tangent vectors): one sparse product per step instead of batch
    total = transient + n_steps
    inputs = _BatchInputs(base, batch, total, n, input_std)
    h0 = np.empty((n, batch))
    Q0 = np.empty((n, batch * k))
    for b, rng in enumerate(inputs.after_inputs()):
        h0[:, b] = 0.1 * rng.standard_normal(n)
        Q0[:, b * k:(b + 1) * k] = rng.standard_normal((n, k))
    is_warm = warm is not None and warm_transient is not None and warm.has_surrogate
    if is_warm:
        h0 = map_rows(warm.surrogate_index, warm.surrogate_h, net.neuron_index, h0,
                      "surrogate state")
        # new neurons' rows on the scale of an orthonormal column's entries
        Q0 = map_rows(warm.surrogate_index, warm.surrogate_Q, net.neuron_index,
                      Q0 / np.sqrt(n), "tangent vectors")
        run_transient = min(check_int("warm_transient", warm_transient, 0), transient)
    else:
        run_transient = transient
    # a shortened transient uses the last inputs of the cold one (same stream)
    counter = {"t": transient - run_transient}

    def step(h):
        t = counter["t"]
        counter["t"] = t + 1
        return net.step(h, inputs[t])

    runs = lyapunov_spectrum(step, net.jacobian, h0, n_steps=n_steps, dt=net.dt, k=k,
                             transient=run_transient, qr_every=qr_every, Q0=Q0)
    state = WarmStart(surrogate_index=net.neuron_index.copy(),
                      surrogate_h=np.column_stack([r.info["final_state"] for r in runs]),
                      surrogate_Q=np.hstack([r.info["final_Q"] for r in runs]))
    lams = [r.exponents for r in runs]
    q2s = [r.q2_mean for r in runs]
    hists = [r.history for r in runs]
    res = runs[0]
    lam = np.mean(lams, axis=0)
    q2 = np.mean(q2s, axis=0)
    nodes = np.full(conn.N, np.nan)
    nodes[net.neuron_index] = per_node_exponents(lam, q2)
    return RateLyapunovResult(
        exponents=lam, node_exponents=nodes, history=np.mean(hists, axis=0),
        times=res.times, kaplan_yorke=kaplan_yorke_dimension(lam),
        batch_exponents=np.array(lams), q2_mean=q2, neuron_index=net.neuron_index,
        info=dict(k=k, n_steps=n_steps, transient=transient, qr_every=qr_every, batch=batch,
                  dt=net.dt, phi=net.phi_name, w_scale=w_scale, gain=gain, input_std=input_std,
                  run_transient=run_transient, warm=bool(is_warm), state=state))


def node_exponents(conn, *, k=None, n_steps=2000, transient=500, qr_every=10, batch=1,
                   phi="tanh", seed=None, **kwargs):
    """Per-node Lyapunov exponents (1/s) of a Connectivity's rate surrogate.

    ``lambda_node_i = sum_m lambda_m <Q_im^2>_t / sum_m <Q_im^2>_t`` over the
    k leading Lyapunov vectors (docs/dynamics.md). Same parameters as
    :func:`rate_lyapunov` (extra keywords passed on).

    Returns
    -------
    ndarray (conn.N,)
        NaN for inactive neurons.
    """
    return rate_lyapunov(conn, k=k, n_steps=n_steps, transient=transient, qr_every=qr_every,
                         batch=batch, phi=phi, seed=seed, **kwargs).node_exponents


def lyapunov_matrix(conn, node_exponents, *, eps=1e-3):
    """Lambda_ij of 000 Eq. 1 for every effective synapse i -> j.

    ``Lambda_ij`` = harmonic mean of ``|lambda_m| + eps`` over
    ``m in N(i) U N(j) U {i, j}``, where N(.) are the undirected
    neighbourhoods in the effective graph (a neuron is a neighbour of i if
    an effective synapse joins them in either direction).

    Parameters
    ----------
    conn : Connectivity
    node_exponents : array (conn.N,)
        Per-node exponents (1/s); only active neurons' values are used and
        they must be finite.
    eps : float > 0
        Guard so a node with exponent 0 does not send the harmonic mean to 0.

    Returns
    -------
    ndarray (conn.n_synapses,)
        Lambda per synapse (1/s); NaN for non-effective synapses.
    """
    eps = check_range("eps", eps, 0, None, low_inclusive=False)
    lam = np.asarray(node_exponents, dtype=float).ravel()
    if lam.shape != (conn.N,):
        raise ValueError(f"node_exponents: must have length conn.N={conn.N}, got {lam.size}")
    if not np.isfinite(lam[conn.neuron_active]).all():
        raise ValueError("node_exponents: must be finite for every active neuron")
    sub, neuron_index, synapse_index = conn.compacted()
    n = sub.N
    out = np.full(conn.n_synapses, np.nan)
    if sub.n_synapses == 0:
        return out
    inv = 1.0 / (np.abs(lam[neuron_index]) + eps)
    # undirected neighbourhood plus self: U = (A + A^T + I) > 0
    A = sp.coo_matrix((np.ones(sub.n_synapses), (sub.pre, sub.post)), shape=(n, n)).tocsr()
    U = ((A + A.T + sp.identity(n, format="csr")) > 0).astype(float).tocsr()
    i, j = sub.pre, sub.post
    # |S_i u S_j| and sum over it = |S_i| + |S_j| - |S_i n S_j| (inclusion-exclusion);
    # the intersection is a row-wise product of two sparse row selections: O(E * degree).
    common = U[i].multiply(U[j]).tocsr()
    cnt = (np.asarray(U.sum(axis=1)).ravel()[i] + np.asarray(U.sum(axis=1)).ravel()[j]
           - np.asarray(common.sum(axis=1)).ravel())
    ssum = (U @ inv)[i] + (U @ inv)[j] - common @ inv
    out[synapse_index] = cnt / ssum
    return out
