"""Parameter distributions of the model files, sampled by quantile mapping.

Every heterogeneous parameter (membrane time constants, thresholds, STDP
constants, weights) is described in a model file by a small mapping such as
``{dist: gamma, shape: 3, scale: "8*ms"}``. This module turns such a mapping
(already converted to SI floats by :mod:`brian2_lnp.models.config`) into a
:class:`Distribution` that draws values as ``F^-1(u)`` from uniforms ``u``.

Drawing through the inverse CDF (quantile mapping) means a neuron keeps its
rank when the distribution's parameters change: the same ``u_i`` mapped
through a new ``F^-1`` gives the re-drawn value (needed by LNP Step IV).

Pure NumPy/SciPy: no Brian2 import.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats as st

from ..validation import check_range

__all__ = ["Distribution", "U_EPS", "uniforms", "tau_m_from_quantiles", "DIST_PARAMS"]

#: Uniforms are kept inside [U_EPS, 1 - U_EPS]. U_EPS = Phi(-6): a normal
#: distribution is then cut at +-6 standard deviations, so every
#: distribution has hard, checkable bounds (e.g. thresholds above reset),
#: while the cut tails hold ~2e-9 of the mass and no test can see them.
U_EPS = float(st.norm.cdf(-6.0))

#: parameters of each distribution family, in the order they are documented
DIST_PARAMS = {
    "gamma": ("shape", "scale"),
    "normal": ("mean", "std"),
    "uniform": ("low", "high"),
    "constant": ("value",),
}


def uniforms(rng, size):
    """Uniforms in the open interval, clipped to [U_EPS, 1 - U_EPS]."""
    return np.clip(rng.random(size), U_EPS, 1.0 - U_EPS)


@dataclass(frozen=True)
class Distribution:
    """A one-dimensional distribution from a model file, parameters in SI units.

    Parameters
    ----------
    dist : {"gamma", "normal", "uniform", "constant"}
    params : dict
        ``gamma``: shape (dimensionless, > 0), scale (> 0, the quantity's unit);
        ``normal``: mean, std (>= 0); ``uniform``: low, high (low <= high);
        ``constant``: value.
    """

    dist: str
    params: tuple  # ((name, value), ...) so the dataclass stays hashable

    @classmethod
    def make(cls, dist, **params):
        return cls(dist, tuple((k, float(params[k])) for k in DIST_PARAMS[dist]))

    def __getitem__(self, key):
        return dict(self.params)[key]

    def as_dict(self):
        return dict(self.params)

    # -- the scipy object behind it ------------------------------------------
    def _frozen(self):
        p = dict(self.params)
        if self.dist == "gamma":
            return st.gamma(a=p["shape"], scale=p["scale"])
        if self.dist == "normal":
            return st.norm(loc=p["mean"], scale=p["std"])
        if self.dist == "uniform":
            return st.uniform(loc=p["low"], scale=p["high"] - p["low"])
        raise ValueError(f"{self.dist}: no scipy distribution")

    def ppf(self, u):
        """Quantile function F^-1(u) (a degenerate case gives its single value)."""
        u = np.asarray(u, dtype=float)
        p = dict(self.params)
        if self.dist == "constant":
            return np.full(u.shape, p["value"])
        if self.dist == "normal" and p["std"] == 0:
            return np.full(u.shape, p["mean"])
        if self.dist == "uniform" and p["high"] == p["low"]:
            return np.full(u.shape, p["low"])
        return self._frozen().ppf(u)

    def sample(self, rng, size):
        """``size`` draws as F^-1(u) with uniforms from ``rng``."""
        return self.ppf(uniforms(rng, size))

    @property
    def mean(self):
        p = dict(self.params)
        if self.dist == "constant":
            return p["value"]
        if self.dist == "normal":
            return p["mean"]
        if self.dist == "uniform":
            return 0.5 * (p["low"] + p["high"])
        return p["shape"] * p["scale"]

    @property
    def bounds(self):
        """(lowest, highest) value any draw can take (uniforms are clipped)."""
        lo, hi = self.ppf(np.array([U_EPS, 1.0 - U_EPS]))
        return float(lo), float(hi)


def tau_m_from_quantiles(u, shape, scale):
    """Membrane time constants by quantile mapping, tau_i = F^-1(u_i).

    F is the CDF of Gamma(shape, scale). Because F^-1 is increasing, the order
    of the returned values follows the order of ``u`` whatever the
    parameters: re-mapping the same ``u`` with new (shape, scale) keeps each
    neuron's rank (LNP Step IV).

    Parameters
    ----------
    u : array_like
        Per-neuron uniforms, each strictly inside (0, 1).
    shape : float or array_like
        Gamma shape k > 0 (dimensionless). Arrays broadcast against ``u``.
    scale : float or array_like
        Gamma scale theta > 0, in second (mean = shape * scale).

    Returns
    -------
    tau : numpy.ndarray
        Time constants in second, the broadcast shape of the inputs.

    Examples
    --------
    >>> tau_m_from_quantiles([0.5], 2.0, 0.01)   # median of Gamma(2, 10 ms)
    array([0.01678347])
    """
    u = np.asarray(u, dtype=float)
    if u.size and not (np.all(u > 0) and np.all(u < 1)):
        raise ValueError("u: quantiles must lie in the open interval (0, 1)")
    shape_a = np.asarray(shape, dtype=float)
    scale_a = np.asarray(scale, dtype=float)
    for name, arr in (("shape", shape_a), ("scale", scale_a)):
        if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
            raise ValueError(f"{name}: Gamma {name} must lie in (0, inf), got {arr.tolist()!r}")
    if shape_a.ndim == 0:
        check_range("shape", float(shape_a), 0, None, low_inclusive=False)
    return st.gamma.ppf(u, a=shape_a, scale=scale_a)
