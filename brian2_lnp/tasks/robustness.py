"""Robustness to input noise: forecast error vs input SNR (000 B.1 table).

Definition (ours; 000 B.1 gives the SNR levels, not the noise model):
Gaussian white noise is added to each input dimension j independently with
variance ``P_j / 10^(SNR/10)``, where ``P_j = mean_t x_j(t)^2`` is the mean
power of that dimension of the series the noise is added to (for a z-scored
series, its variance around the training mean). The measured SNR,
``10 log10(P_j / mean_t n_j(t)^2)``, is reported next to the requested one.

Protocol (:func:`noise_robustness`): the readout is fitted once on a clean
context (features after step k -> clean value of step k+1), then the network
is driven by the clean test stretch and then by noisy versions of it, one
per SNR level (the first ``washout`` steps of each are not scored); the
trained readout predicts the *clean* next value. All segments are presented in one
run, so this works on cpp_standalone too.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..metrics import nrmse
from ..random import as_generator, child_seed
from ..validation import check_int, check_range
from ..models.devices import deferred_build
from .common import as_2d, base_seed, now
from .prediction import present_series, step_features
from .readout import Readout, select_readout_neurons
from .specs import readout_from

__all__ = ["add_noise_snr", "measured_snr_db", "noise_robustness", "RobustnessResult",
           "PAPER_SNR_DB"]

logger = logging.getLogger(__name__)

#: SNR levels of 000 B.1 (dB)
PAPER_SNR_DB = (50.0, 40.0, 30.0, 20.0, 10.0)


def add_noise_snr(series, snr_db, seed=None):
    """The series plus Gaussian noise at the requested SNR per dimension.

    Parameters
    ----------
    series : array (T,) or (T, d)
    snr_db : float
        Requested signal-to-noise ratio in dB; noise variance per dimension
        ``mean_t x_j^2 / 10^(snr_db / 10)``.
    seed : None, int or Generator

    Returns
    -------
    ndarray, same shape as ``series``
    """
    x = np.asarray(series, dtype=float)
    X = as_2d("series", x)
    snr_db = float(check_range("snr_db", snr_db, -100.0, 200.0))
    power = np.mean(X ** 2, axis=0)
    sigma = np.sqrt(power / 10.0 ** (snr_db / 10.0))
    noisy = X + as_generator(seed).standard_normal(X.shape) * sigma
    return noisy.reshape(x.shape)


def measured_snr_db(clean, noisy):
    """Measured SNR per dimension (dB): ``10 log10(mean x^2 / mean (noisy - x)^2)``."""
    C, Nn = as_2d("clean", clean), as_2d("noisy", noisy)
    if C.shape != Nn.shape:
        raise ValueError(f"clean, noisy: shapes differ ({C.shape} vs {Nn.shape})")
    return 10.0 * np.log10(np.mean(C ** 2, axis=0) / np.mean((Nn - C) ** 2, axis=0))


@dataclasses.dataclass
class RobustnessResult:
    """Error vs SNR; ``table`` is a pandas DataFrame with columns
    ``snr_db`` (requested; inf = clean), ``snr_measured_db`` (mean over dimensions),
    ``rmse`` (in the series units) and ``nrmse``."""

    table: object
    readout_neurons: np.ndarray


def noise_robustness(model, context, test, encoding, *, snr_db=PAPER_SNR_DB, readout="ridge",
                     washout=50, readout_neurons=None, std=None, seed=None, before=None,
                     **keywords):
    """RMSE of the one-step forecast vs input SNR, with a readout trained on clean input.

    Parameters
    ----------
    model : SpikingNetwork
    context : array (T_c, d)
        Clean series on which the readout is fitted (e.g. 500 steps).
    test : array (T_t, d)
        Clean test stretch; it is presented clean once and then once per SNR
        level with noise, each time predicting the clean next value after
        ``washout`` steps.
    encoding : SeriesEncoding
    snr_db : sequence of float
    readout : ReadoutSpec or {"ridge", "mlp"}
        Default the paper's readout; its kind, fraction, filters, penalty and
        scaling are used.
    readout_neurons : array of int, optional
    std : array (d,), optional
        Normalisation of ``nrmse`` (default 1).
    seed : None, int or Generator
    before : callable, optional
        ``before(model)`` runs first, in the same run / standalone program
        (e.g. ``lambda m: train_stdp(m, train[:500], encoding=enc)``).
    **keywords
        ``taus``, ``readout_fraction``, ``readout_kwargs`` (the names of earlier
        versions, see :func:`~brian2_lnp.tasks.specs.readout_from`).

    Returns
    -------
    RobustnessResult
    """
    import pandas as pd

    spec = readout_from(readout, **keywords)
    C, T = as_2d("context", context), as_2d("test", test)
    d = C.shape[1]
    washout = check_int("washout", washout, 0)
    if T.shape[0] < washout + 2 or C.shape[0] < washout + 2:
        raise ValueError(f"context, test: need more than washout + 1 = {washout + 1} steps")
    std = np.ones(d) if std is None else np.broadcast_to(np.asarray(std, float), (d,))
    base = base_seed(seed)
    levels = [float(s) for s in snr_db]
    if readout_neurons is None:
        readout_neurons = select_readout_neurons(model.export(), fraction=spec.fraction)
    neurons = np.asarray(readout_neurons, dtype=np.int64)
    segments = [("clean-context", np.inf, C), ("clean-test", np.inf, T)]
    for k, s in enumerate(levels):
        segments.append(("noisy", s, add_noise_snr(T, s, seed=child_seed(base, "noise", k))))
    starts = []
    with deferred_build(model):
        if before is not None:
            before(model)
        t = now(model)
        for k, (_, _, X) in enumerate(segments):
            starts.append(present_series(model, X, encoding, t_start=t,
                                         seed=child_seed(base, "input", k)))
            t = starts[-1] + X.shape[0] * encoding.step
    feats = [step_features(model, neurons, t0, X.shape[0], encoding.step, spec.taus,
                           encoding.dt)
             for t0, (_, _, X) in zip(starts, segments)]
    ro = Readout(kind=spec.kind, task="regression", seed=child_seed(base, "readout"),
                 **spec.readout_kwargs)
    ro.fit(feats[0][washout:-1], C[washout + 1:])
    rows = []
    for (name, s, X), F in zip(segments[1:], feats[1:]):
        pred = ro.predict(F[washout:-1])
        true = T[washout + 1:]
        rows.append({"snr_db": s,
                     "snr_measured_db": (np.inf if name == "clean-test"
                                         else float(np.mean(measured_snr_db(T, X)))),
                     "rmse": float(np.sqrt(np.mean((pred - true) ** 2))),
                     "nrmse": float(nrmse(true, pred, std=std))})
    return RobustnessResult(pd.DataFrame(rows), neurons)
