"""Generated chaotic time series: Lorenz-63, Rossler and two-level Lorenz-96.

All three are integrated here with a fixed-step classical fourth-order
Runge-Kutta scheme (000 A.4 says RK4 for Lorenz and Rossler) and are labelled
``generated=True`` with their parameters, initial state and seed. Time is in
the systems' own (dimensionless) time unit.

Initial states: the extracted text of 000 lost the initial-state values, so
the defaults here are our choice (documented in docs/tasks.md). ``seed=None``
uses the default initial state exactly, so the series is deterministic; an
int or Generator adds a Gaussian perturbation of std ``perturbation`` to it,
which gives an independent realisation of the same attractor.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..random import as_generator
from ..validation import check_int, check_range
from .base import Dataset, resolve_splits

__all__ = ["rk4", "lorenz63", "rossler", "lorenz96", "Lorenz96System", "lorenz63_rhs",
           "rossler_rhs", "lorenz96_rhs"]

logger = logging.getLogger(__name__)

#: 000 A.4.1, Table 3 (docs/tasks.md)
LORENZ63_PAPER = dict(n_samples=20000, dt=0.01, splits=(11250, 3750, 5000))
#: 000 A.4.2, Table 5
ROSSLER_PAPER = dict(n_samples=12700, dt=0.03, n_discard=7700, splits=(3000, 1000, 1000))


def rk4(rhs, x0, dt, n_steps, sample_every=1):
    """Integrate ``dx/dt = rhs(x)`` with classical fixed-step RK4.

    Parameters
    ----------
    rhs : callable
        ``rhs(x) -> dx/dt`` for a state array ``x``.
    x0 : array
        Initial state (returned as sample 0).
    dt : float
        Integration step.
    n_steps : int
        Number of samples to return (including ``x0``).
    sample_every : int
        Integration steps between consecutive returned samples.

    Returns
    -------
    ndarray, shape (n_steps, len(x0))
    """
    dt = check_range("dt", dt, low=0, low_inclusive=False)
    n_steps = check_int("n_steps", n_steps, low=1)
    sample_every = check_int("sample_every", sample_every, low=1)
    x = np.array(x0, dtype=float)
    out = np.empty((n_steps,) + x.shape)
    out[0] = x
    half = 0.5 * dt
    for n in range(1, n_steps):
        for _ in range(sample_every):
            k1 = rhs(x)
            k2 = rhs(x + half * k1)
            k3 = rhs(x + half * k2)
            k4 = rhs(x + dt * k3)
            x = x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        if not np.all(np.isfinite(x)):
            raise FloatingPointError(f"rk4: the state diverged at step {n} (dt={dt} too large?)")
        out[n] = x
    return out


def lorenz63_rhs(sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    """Right-hand side of the Lorenz (1963) system."""
    def f(s):
        x, y, z = s
        return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])
    return f


def rossler_rhs(a=0.2, b=0.2, c=5.7):
    """Right-hand side of the Rossler (1976) system."""
    def f(s):
        x, y, z = s
        return np.array([-y - z, x + a * y, b + z * (x - c)])
    return f


def lorenz96_rhs(K=8, J=32, F=20.0, h=1.0, b=10.0, c=10.0):
    """Right-hand side of the two-level Lorenz (1996) system on a flat state.

    State layout: ``[X_0 .. X_{K-1}, Y_{0,0} .. Y_{J-1,0}, Y_{0,1}, ...]``;
    the fast variables form one ring of length J*K (Lorenz 1996; Thornes et al. 2017)::

        dX_k/dt    = -X_{k-1}(X_{k-2} - X_{k+1}) - X_k + F - (h c / b) sum_j Y_{j,k}
        dY_{j,k}/dt = -c b Y_{j+1,k}(Y_{j+2,k} - Y_{j-1,k}) - c Y_{j,k} + (h c / b) X_k
    """
    hcb = h * c / b
    cb = c * b
    k = np.arange(K)
    km1, km2, kp1 = (k - 1) % K, (k - 2) % K, (k + 1) % K
    n = np.arange(K * J)
    # fast ring indices, offset by K into the flat state (fancy indexing beats np.roll here)
    jp1, jp2, jm1 = K + (n + 1) % (K * J), K + (n + 2) % (K * J), K + (n - 1) % (K * J)
    owner = n // J

    def f(s):
        X, Y = s[:K], s[K:]
        out = np.empty_like(s)
        out[:K] = (-s[km1] * (s[km2] - s[kp1]) - X + F
                   - hcb * Y.reshape(K, J).sum(axis=1))
        out[K:] = -cb * s[jp1] * (s[jp2] - s[jm1]) - c * Y + hcb * X[owner]
        return out
    return f


def _initial(default, initial_state, seed, perturbation, size):
    x0 = np.array(default if initial_state is None else initial_state, dtype=float).ravel()
    if x0.size != size:
        raise ValueError(f"initial_state: expected {size} values, got {x0.size}")
    if not np.all(np.isfinite(x0)):
        raise ValueError("initial_state: values must be finite")
    perturbation = check_range("perturbation", perturbation, low=0)
    if seed is not None:
        x0 = x0 + perturbation * as_generator(seed).standard_normal(size)
    return x0


def _seed_record(seed):
    if seed is None or isinstance(seed, (int, np.integer)):
        return None if seed is None else int(seed)
    return repr(seed)


def lorenz63(n_samples=20000, dt=0.01, splits=None, sigma=10.0, rho=28.0, beta=8.0 / 3.0,
             initial_state=(1.0, 1.0, 1.0), n_discard=0, seed=None, perturbation=1e-3):
    """Lorenz-63 series as in 000 A.4.1 (Table 3).

    Parameters
    ----------
    n_samples : int
        Samples kept (20000 in the paper).
    dt : float
        RK4 step = sampling step (0.01 in the paper).
    splits : (int, int, int), optional
        Train / validation / test sizes, consecutive in time. Default: the
        paper's 11250 / 3750 / 5000, or the same proportions for another
        ``n_samples``.
    sigma, rho, beta : float
        The classical chaotic parameters (10, 28, 8/3).
    initial_state : 3 floats
        Our choice (the paper's value was lost in extraction).
    n_discard : int
        Samples integrated and dropped first (0: the paper discards none for Lorenz).
    seed : None, int or Generator
        None: use ``initial_state`` exactly. Otherwise perturb it by
        N(0, perturbation^2) per coordinate.
    perturbation : float
        Std of that perturbation.

    Returns
    -------
    Dataset
        Time series of shape (T, 3), columns x, y, z.
    """
    n_samples = check_int("n_samples", n_samples, low=3)
    n_discard = check_int("n_discard", n_discard, low=0)
    splits = resolve_splits(n_samples, splits, LORENZ63_PAPER["splits"])
    x0 = _initial((1.0, 1.0, 1.0), initial_state, seed, perturbation, 3)
    data = rk4(lorenz63_rhs(sigma, rho, beta), x0, dt, n_samples + n_discard)[n_discard:]
    meta = dict(
        source="generated: Lorenz (1963) system integrated with fixed-step RK4 "
               "(setup of 000 A.4.1 / Xu et al. 2018a)",
        generated=True, step=float(dt), step_unit="model time unit",
        columns=["x", "y", "z"], units=["dimensionless"] * 3,
        parameters=dict(sigma=sigma, rho=rho, beta=beta, dt=float(dt), integrator="RK4",
                        n_discard=n_discard),
        initial_state=x0.tolist(), seed=_seed_record(seed),
        paper_setting=(n_samples == LORENZ63_PAPER["n_samples"] and dt == LORENZ63_PAPER["dt"]),
    )
    return _split_series("lorenz63", data, splits, meta)


def rossler(n_samples=12700, dt=0.03, n_discard=7700, splits=None, a=0.2, b=0.2, c=5.7,
            initial_state=(1.0, 1.0, 1.0), seed=None, perturbation=1e-3):
    """Rossler series as in 000 A.4.2 (Table 5).

    ``n_samples`` counts all generated samples including the ``n_discard``
    transient ones, as the paper's table does (12700 generated, 7700
    discarded, 3000 / 1000 / 1000 kept). ``a, b, c`` are the classical chaotic
    values 0.2, 0.2, 5.7 (the paper's values were lost in extraction: our
    choice). Other parameters as in :func:`lorenz63`.

    Returns
    -------
    Dataset
        Time series of shape (n_samples - n_discard, 3), columns x, y, z.
    """
    n_samples = check_int("n_samples", n_samples, low=3)
    n_discard = check_int("n_discard", n_discard, low=0, high=n_samples - 3)
    kept = n_samples - n_discard
    splits = resolve_splits(kept, splits, ROSSLER_PAPER["splits"])
    x0 = _initial((1.0, 1.0, 1.0), initial_state, seed, perturbation, 3)
    data = rk4(rossler_rhs(a, b, c), x0, dt, n_samples)[n_discard:]
    meta = dict(
        source="generated: Rossler (1976) system integrated with fixed-step RK4 "
               "(setup of 000 A.4.2 / Xu et al. 2018b)",
        generated=True, step=float(dt), step_unit="model time unit",
        columns=["x", "y", "z"], units=["dimensionless"] * 3,
        parameters=dict(a=a, b=b, c=c, dt=float(dt), integrator="RK4", n_generated=n_samples,
                        n_discard=n_discard),
        initial_state=x0.tolist(), seed=_seed_record(seed),
        paper_setting=(n_samples == ROSSLER_PAPER["n_samples"] and dt == ROSSLER_PAPER["dt"]
                       and n_discard == ROSSLER_PAPER["n_discard"]),
    )
    return _split_series("rossler", data, splits, meta)


@dataclasses.dataclass(frozen=True)
class Lorenz96System:
    """Parameters of the two-level Lorenz (1996) system, validated at construction.

    K slow variables, J fast ones per slow one, forcing F, coupling h, amplitude
    ratio b and time-scale ratio c. Defaults are the values of Thornes et al.
    (2017): K=8, J=32, F=20, h=1, b=c=10.
    """

    K: int = 8
    J: int = 32
    F: float = 20.0
    h: float = 1.0
    b: float = 10.0
    c: float = 10.0

    def __post_init__(self):
        object.__setattr__(self, "K", check_int("K", self.K, low=4))
        object.__setattr__(self, "J", check_int("J", self.J, low=3))
        for name in ("F", "h"):
            object.__setattr__(self, name, check_range(name, getattr(self, name), None, None))
        for name in ("b", "c"):
            object.__setattr__(self, name, check_range(name, getattr(self, name), 0.0, None,
                                                       low_inclusive=False))


def lorenz96(n_samples=10000, dt=0.005, sample_every=2, n_discard=2000, splits=None,
             system=None, variables="slow", initial_state=None, seed=None, perturbation=1e-3):
    """Multiscale (two-level) Lorenz-96 series (Lorenz 1996; Thornes et al. 2017).

    Parameters
    ----------
    n_samples : int
        Samples kept after the discarded transient.
    dt : float
        RK4 integration step (the fast variables need a small one; 0.005).
    sample_every : int
        Integration steps per returned sample (sampling step = dt * sample_every).
    n_discard : int
        Returned-rate samples integrated and dropped first (transient).
    splits : (int, int, int), optional
        Default 60 % / 20 % / 20 %, consecutive in time (our choice: no paper
        gives a split for this system).
    system : Lorenz96System or dict, optional
        K, J, F, h, b, c (default: Thornes et al. 2017, K=8, J=32, F=20, h=1,
        b=c=10); a dict is passed to :class:`Lorenz96System`.
    variables : {"slow", "all"}
        Return only X (K columns) or X and all Y (K + K*J columns).
    initial_state : array of K + K*J floats, optional
        Default: X_k = F with X_0 = F + 0.01 (Lorenz 1996) and Y = 0.
    seed, perturbation
        As in :func:`lorenz63`.

    Returns
    -------
    Dataset
    """
    n_samples = check_int("n_samples", n_samples, low=3)
    n_discard = check_int("n_discard", n_discard, low=0)
    if system is None:
        system = Lorenz96System()
    elif isinstance(system, dict):
        system = Lorenz96System(**system)
    elif not isinstance(system, Lorenz96System):
        raise TypeError(f"system: expected a Lorenz96System or a dict of its fields "
                        f"(K, J, F, h, b, c), got {type(system).__name__}")
    K, J, F, h, b, c = dataclasses.astuple(system)
    if variables not in ("slow", "all"):
        raise ValueError(f"variables: must be one of ['all', 'slow'], got {variables!r}")
    splits = resolve_splits(n_samples, splits, (3, 1, 1))
    default = np.zeros(K + K * J)
    default[:K] = F
    default[0] += 0.01
    x0 = _initial(default, initial_state, seed, perturbation, K + K * J)
    data = rk4(lorenz96_rhs(K, J, F, h, b, c), x0, dt, n_samples + n_discard,
               sample_every=sample_every)[n_discard:]
    cols = [f"X{k}" for k in range(K)]
    if variables == "slow":
        data = data[:, :K]
    else:
        cols += [f"Y{j}_{k}" for k in range(K) for j in range(J)]
    meta = dict(
        source="generated: two-level Lorenz (1996) system, parameters of Thornes et al. "
               "(2017), integrated with fixed-step RK4",
        generated=True, step=float(dt * sample_every), step_unit="model time unit",
        columns=cols, units=["dimensionless"] * len(cols),
        parameters=dict(K=K, J=J, F=F, h=h, b=b, c=c, dt=float(dt), sample_every=sample_every,
                        integrator="RK4", n_discard=n_discard, variables=variables),
        initial_state=x0.tolist(), seed=_seed_record(seed), paper_setting=False,
    )
    return _split_series("lorenz96", data, splits, meta)


def _split_series(name, data, splits, meta):
    tr, va, _ = splits
    return Dataset(name, "timeseries", data[:tr], data[tr:tr + va], data[tr + va:],
                   metadata=meta)
