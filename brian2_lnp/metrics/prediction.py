"""Forecast metrics: NRMSE, valid prediction time, and the persistence baseline.

Definitions follow 000 section 4.1 ("Evaluation Metric") and Vlachas et al.
(2020): errors are normalised per dimension by that dimension's long-term
standard deviation sigma_j, so each dimension counts equally whatever its scale::

    NRMSE(t) = sqrt( (1/d) sum_j (y_j(t) - yhat_j(t))^2 / sigma_j^2 )
    NRMSE    = sqrt( (1/(T d)) sum_t sum_j (y_j(t) - yhat_j(t))^2 / sigma_j^2 )
    VPT      = (1/lambda_1) * max{ t_f : NRMSE(t) < eps for all t <= t_f }
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..validation import check_int, check_range

__all__ = ["nrmse", "nrmse_series", "vpt", "VPTResult", "persistence_forecast", "long_term_std"]


def _pair(y_true, y_pred):
    yt = np.asarray(y_true, dtype=float)
    yp = np.asarray(y_pred, dtype=float)
    if yt.ndim == 1:
        yt = yt[:, None]
    if yp.ndim == 1:
        yp = yp[:, None]
    if yt.shape != yp.shape or yt.ndim != 2:
        raise ValueError(f"y_true, y_pred: expected equal shapes (T,) or (T, d), got "
                         f"{np.shape(y_true)} and {np.shape(y_pred)}")
    if yt.shape[0] == 0:
        raise ValueError("y_true: empty series")
    return yt, yp


def long_term_std(series):
    """Per-dimension standard deviation of a long reference series (T, d) -> (d,)."""
    s = np.asarray(series, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    if s.shape[0] < 2:
        raise ValueError("series: needs at least 2 samples for a standard deviation")
    return s.std(axis=0)


def _sigma(std, yt):
    if std is None:
        # fall back to the target's own spread; pass the attractor's long-term
        # std (e.g. from the training part) for the paper's definition
        sigma = yt.std(axis=0) if yt.shape[0] > 1 else np.ones(yt.shape[1])
    else:
        sigma = np.broadcast_to(np.asarray(std, dtype=float), (yt.shape[1],)).copy()
    if np.any(~np.isfinite(sigma)) or np.any(sigma <= 0):
        raise ValueError(f"std: every dimension's standard deviation must be finite and > 0, "
                         f"got {sigma}")
    return sigma


def nrmse_series(y_true, y_pred, std=None):
    """NRMSE at each time step, shape (T,).

    Parameters
    ----------
    y_true, y_pred : array, shape (T,) or (T, d)
    std : float or array (d,), optional
        Long-term std of each dimension (see :func:`long_term_std`); default
        the std of ``y_true`` over time.
    """
    yt, yp = _pair(y_true, y_pred)
    sigma = _sigma(std, yt)
    return np.sqrt(np.mean(((yt - yp) / sigma) ** 2, axis=1))


def nrmse(y_true, y_pred, std=None):
    """Root mean squared error normalised per dimension by its long-term std (a scalar).

    Parameters as in :func:`nrmse_series`.
    """
    yt, yp = _pair(y_true, y_pred)
    sigma = _sigma(std, yt)
    return float(np.sqrt(np.mean(((yt - yp) / sigma) ** 2)))


@dataclasses.dataclass(frozen=True)
class VPTResult:
    """Valid prediction time.

    Attributes
    ----------
    steps : int
        Number of leading forecast steps whose NRMSE stays below epsilon.
    time : float or None
        ``steps * dt`` when ``dt`` was given.
    lyapunov_times : float or None
        ``time * lambda_max`` when both ``dt`` and the largest Lyapunov exponent were given.
    censored : bool
        True when the error never exceeded epsilon: the VPT is then at least the
        forecast length, not its true value.
    """

    steps: int
    time: float | None
    lyapunov_times: float | None
    censored: bool


def vpt(y_true, y_pred, std=None, epsilon=0.1, dt=None, lyapunov_exponent=None):
    """Valid prediction time (Vlachas et al. 2020), epsilon = 0.1 as in 000 4.1.

    The forecast ``y_pred[k]`` is the prediction for step k+1 after the last
    observation. VPT is the number of leading steps with NRMSE(t) < epsilon,
    i.e. the index of the first step whose error reaches epsilon.

    Parameters
    ----------
    y_true, y_pred : array, shape (T,) or (T, d)
    std : float or array (d,), optional
        Long-term std per dimension (as in :func:`nrmse_series`).
    epsilon : float
        Threshold (> 0).
    dt : float, optional
        Time between forecast steps (in the system's time unit).
    lyapunov_exponent : float, optional
        Largest Lyapunov exponent (per time unit; > 0) to express VPT in Lyapunov times.

    Returns
    -------
    VPTResult
    """
    epsilon = check_range("epsilon", epsilon, low=0, low_inclusive=False)
    err = nrmse_series(y_true, y_pred, std)
    bad = np.flatnonzero(err >= epsilon)
    censored = bad.size == 0
    steps = int(err.size if censored else bad[0])
    time = lyap = None
    if dt is not None:
        time = steps * check_range("dt", dt, low=0, low_inclusive=False)
        if lyapunov_exponent is not None:
            lyap = time * check_range("lyapunov_exponent", lyapunov_exponent, low=0,
                                      low_inclusive=False)
    elif lyapunov_exponent is not None:
        raise ValueError("lyapunov_exponent: needs dt to convert steps to time")
    return VPTResult(steps, time, lyap, censored)


def persistence_forecast(series, horizon=1):
    """The persistence baseline y(t + horizon) = y(t), aligned with its targets.

    Parameters
    ----------
    series : array, shape (T,) or (T, d)
    horizon : int

    Returns
    -------
    y_pred : ndarray, shape (T - horizon, d)
        ``series[:-horizon]``: the last observed value as the forecast.
    y_true : ndarray, shape (T - horizon, d)
        ``series[horizon:]``: what actually came.
    """
    s = np.asarray(series, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    horizon = check_int("horizon", horizon, low=1)
    if s.shape[0] <= horizon:
        raise ValueError(f"series: needs more than horizon={horizon} samples, got {s.shape[0]}")
    return s[:-horizon], s[horizon:]
