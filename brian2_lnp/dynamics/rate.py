"""Rate surrogate of a spiking network (docs/dynamics.md, after Engelken et al. 2023).

For the effective graph of a :class:`Connectivity` (n active neurons)::

    h_i(t+dt) = (1 - dt/tau_i) h_i(t) + (dt/tau_i) (sum_j W_ij phi(h_j(t)) + b_i(t))

with the dimensionless coupling ``W[post, pre] = gain * w / w_scale`` (w in
volt; ``w_scale`` = 1 mV by default, so a 1 mV synaptic jump is a unit
coupling) and transfer function phi. Its Jacobian::

    J = diag(1 - dt/tau) + diag(dt/tau) W diag(phi'(h))

is never formed: :meth:`RateNetwork.jacobian` returns a LinearOperator that
applies it to an n x k block in O(nnz k + n k).

Pure NumPy/SciPy; no Brian2.
"""
from __future__ import annotations

import logging
import threading

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..random import as_generator
from ..validation import check_range

__all__ = ["RateNetwork", "TRANSFER_FUNCTIONS"]

logger = logging.getLogger(__name__)


def _tanh(h):
    return np.tanh(h)


def _dtanh(h):
    t = np.tanh(h)
    return 1.0 - t * t


def _linear(h):
    return h


def _dlinear(h):
    return np.ones_like(h)


#: name -> (phi, phi'): "tanh" (default; phi'(0) = 1, saturating, the classic
#: chaotic rate network) and "linear" (for checks: the surrogate is then a linear map)
TRANSFER_FUNCTIONS = {"tanh": (_tanh, _dtanh), "linear": (_linear, _dlinear)}


class RateNetwork:
    """Discrete-time rate surrogate of the effective graph of a Connectivity.

    Parameters
    ----------
    conn : Connectivity
    dt : float, optional
        Time step in second; must be below the smallest tau_m. Default
        ``min(1 ms, min(tau_m) / 2)`` (HRSNN draws can have tau_m below 1 ms).
    phi : {"tanh", "linear"} or (callable, callable)
        Transfer function and its derivative.
    w_scale : float > 0
        Volt per unit of dimensionless coupling (default 1 mV).
    gain : float > 0
        Multiplies the dimensionless couplings (default 1).

    Attributes
    ----------
    W : scipy.sparse.csr_matrix (n, n)
        ``W[post, pre]``, dimensionless; parallel synapses summed.
    tau : ndarray (n,)
        tau_m of the active neurons (second).
    neuron_index : ndarray of int (n,)
        Connectivity index of each unit.
    """

    def __init__(self, conn, *, dt=None, phi="tanh", w_scale=1e-3, gain=1.0):
        if conn.n_active_neurons == 0:
            raise ValueError("conn: has no active neurons; no rate surrogate to build")
        sub, self.neuron_index, self.synapse_index = conn.compacted()
        self.n = sub.N
        self.tau = sub.tau_m.copy()
        if dt is None:
            dt = min(1e-3, 0.5 * float(self.tau.min()))
        self.dt = check_range("dt", dt, 0, float(self.tau.min()), low_inclusive=False,
                              high_inclusive=False)
        self.w_scale = check_range("w_scale", w_scale, 0, None, low_inclusive=False)
        self.gain = check_range("gain", gain, 0, None, low_inclusive=False)
        if isinstance(phi, str):
            if phi not in TRANSFER_FUNCTIONS:
                raise ValueError(f"phi: must be one of {sorted(TRANSFER_FUNCTIONS)} or a "
                                 f"(phi, dphi) pair of callables, got {phi!r}")
            self.phi_name = phi
            self.phi, self.dphi = TRANSFER_FUNCTIONS[phi]
        else:
            try:
                self.phi, self.dphi = phi
            except (TypeError, ValueError):
                raise TypeError("phi: expected a name or a (phi, dphi) pair of callables")
            self.phi_name = getattr(self.phi, "__name__", "custom")
        W = sp.coo_matrix((self.gain * sub.w / self.w_scale, (sub.post, sub.pre)),
                          shape=(self.n, self.n)).tocsr()
        W.sum_duplicates()
        self.W = W
        self.a = 1.0 - self.dt / self.tau   # leak factor per step
        self.c = self.dt / self.tau          # input factor per step
        # c folded into W once (the Jacobian product then needs one temporary less)
        self._cW = (sp.diags(self.c) @ W).tocsr()
        # the pattern of the one-member Jacobian diag(a) + cW diag(phi'(h)): cW's entries
        # and the diagonal in one CSR (a self-synapse gives a second entry on the diagonal,
        # which the sparse product sums), so that each step's Jacobian is one sparse
        # product with values a_part + w_part * phi'(h)[col], computed in O(nnz)
        cw = self._cW.tocoo()
        rows = np.concatenate([cw.row, np.arange(self.n)])
        cols = np.concatenate([cw.col, np.arange(self.n)])
        order = np.lexsort((cols, rows))
        self._jac_indices = cols[order].astype(np.int32)
        self._jac_indptr = np.concatenate(
            [[0], np.cumsum(np.bincount(rows, minlength=self.n))]).astype(np.int32)
        self._jac_w = np.concatenate([cw.data, np.zeros(self.n)])[order]
        self._jac_a = np.concatenate([np.zeros(cw.nnz), self.a])[order]

    # --------------------------------------------------------------- dynamics
    def step(self, h, b=0.0):
        """One step of the surrogate from state ``h`` with input ``b`` (scalar or (n,)).

        ``h`` may be an (n, m) block of m independent states (``b`` then
        scalar, (n,) or (n, m)).
        """
        if np.ndim(h) == 2:
            return self.a[:, None] * h + self.c[:, None] * (self.W @ self.phi(h) + b)
        return self.a * h + self.c * (self.W @ self.phi(h) + b)

    def jacobian(self, h):
        """LinearOperator of the step's Jacobian at ``h`` (input does not enter it).

        For an (n, m) block of states the operator applies member b's Jacobian
        to the columns ``[b*j, (b+1)*j)`` of an (n, m*j) block (one sparse
        product for all members; see :func:`~brian2_lnp.dynamics.lyapunov_spectrum`).

        Two routes, chosen by the block's width only (so a result never depends
        on threads or workers): a narrow block (``j * n <= nnz``, e.g. the k = 1
        runs of lambda_max) is pushed as ``a V + cW (phi'(h) V)``, one sparse
        product for all members and no per-step matrix; a wide block (the
        k = 100 node exponents) goes through member b's Jacobian
        ``diag(a) + cW diag(phi'(h_b))`` built as one CSR with values in O(nnz)
        (built once per operator, shared by the threads that push its pieces).
        """
        d = self.dphi(h)
        n = self.n
        d = d if d.ndim == 2 else d[:, None]
        m = d.shape[1]
        nnz = self._jac_indices.size
        built = []
        lock = threading.Lock()

        def members():
            with lock:
                if not built:
                    built.extend(sp.csr_matrix(
                        (self._jac_a + self._jac_w * d[self._jac_indices, b],
                         self._jac_indices, self._jac_indptr), shape=(n, n))
                        for b in range(m))
            return built

        def matmat(V):
            V = np.asarray(V, dtype=float)
            j, rem = divmod(V.shape[1], m)
            if rem:
                raise ValueError(f"V: {V.shape[1]} columns do not split into {m} members")
            if j * n <= nnz:
                dV = V * (np.repeat(d, j, axis=1) if j > 1 else d)
                return self.a[:, None] * V + self._cW @ dV
            Js = members()
            if m == 1:
                return Js[0] @ V
            return np.hstack([Js[b] @ V[:, b * j:(b + 1) * j] for b in range(m)])

        def matvec(v):
            if m != 1:
                raise ValueError("jacobian: a batch Jacobian applies to blocks, not vectors")
            return matmat(np.asarray(v, dtype=float).reshape(n, 1))[:, 0]

        return spla.LinearOperator((n, n), matvec=matvec, matmat=matmat, dtype=float)

    def jacobian_dense(self, h):
        """Dense Jacobian (for tests and tiny networks only)."""
        d = self.dphi(h)
        return np.diag(self.a) + self.c[:, None] * (self.W.toarray() * d[None, :])

    def inputs(self, n_steps, input_std=0.0, seed=None):
        """A frozen white-noise input sequence b (n_steps, n), std ``input_std``."""
        input_std = check_range("input_std", input_std, 0, None)
        if input_std == 0:
            return np.zeros((n_steps, self.n))
        return input_std * as_generator(seed).standard_normal((n_steps, self.n))

    def simulate(self, n_steps, h0=None, b=None, seed=None, record=True):
        """Run the surrogate.

        Parameters
        ----------
        n_steps : int
        h0 : array (n,), optional
            Initial state; small random (std 0.1) from ``seed`` if not given.
        b : array (n_steps, n) or (n,) or float, optional
            Input; 0 if not given.
        record : bool
            Return the whole trajectory (n_steps + 1, n) if True, else the final state.
        """
        rng = as_generator(seed)
        h = 0.1 * rng.standard_normal(self.n) if h0 is None else np.array(h0, dtype=float)
        b = 0.0 if b is None else np.asarray(b, dtype=float)
        seq = b.ndim == 2
        if seq and b.shape[0] < n_steps:
            raise ValueError(f"b: needs at least n_steps={n_steps} rows, got {b.shape[0]}")
        traj = [h] if record else None
        for t in range(n_steps):
            h = self.step(h, b[t] if seq else b)
            if record:
                traj.append(h)
        return np.array(traj) if record else h
