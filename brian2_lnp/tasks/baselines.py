"""Yardsticks that need no network: a linear autoregression on the series, and
chance and a ridge classifier on the pixels for image tasks.

Every prediction row is scored beside persistence (x(k+1) = x(k)), the same
ridge readout on the raw input (:func:`~brian2_lnp.tasks.prediction.raw_input_baseline`)
and :func:`autoregressive_baseline`; every classification row beside
:func:`pixel_baselines`.
"""
from __future__ import annotations

import numpy as np

from ..metrics import accuracy, nrmse, vpt
from ..validation import check_int
from .common import as_2d
from .readout import Readout

__all__ = ["AR_LAGS", "lagged", "autoregressive_baseline", "pixel_baselines"]

#: autoregression orders tried on the validation split
AR_LAGS = (1, 2, 3, 5, 10, 20)


def lagged(X, lags):
    """Rows ``[x(k), x(k-1), ..., x(k-lags+1)]`` for k >= lags-1, shape (T-lags+1, lags*d)."""
    X = as_2d("X", X)
    lags = check_int("lags", lags, 1, X.shape[0])
    T = X.shape[0] - lags + 1
    return np.hstack([X[lags - 1 - s:lags - 1 - s + T] for s in range(lags)])


def _fit_ar(train, lags, alphas):
    Z = lagged(train, lags)[:-1]
    return Readout(kind="ridge", task="regression", alphas=alphas).fit(Z, train[lags:])


def _one_step(ro, X, lags, start):
    """One-step forecasts of x(k+1) for k = start-1 .. T-2 (needs start >= lags)."""
    Z = lagged(X[start - lags:-1], lags)
    return ro.predict(Z)


def autoregressive_baseline(train, validation, series, protocol, *, lags=AR_LAGS,
                            n_fit=5000, alphas=(1e-6, 1e-4, 1e-2, 1.0), dt_series=None,
                            epsilon=0.1):
    """Linear autoregression on the last k values, k chosen on the validation split.

    For every k in ``lags`` a ridge map (leave-one-out penalty over ``alphas``)
    from ``x(k), ..., x(k-lags+1)`` to ``x(k+1)`` is fitted on the first
    ``n_fit`` training steps and scored one step ahead on the validation
    split; the k with the lowest validation NRMSE is then scored on the
    protocol's predicted steps of ``series`` (the targets the network is
    scored on), with the true past as input.

    Returns
    -------
    dict
        ``lags`` (chosen k), ``nrmse``, ``vpt`` (mean steps over windows),
        ``validation`` ({k: NRMSE}).
    """
    train, validation, series = (as_2d("train", train), as_2d("validation", validation),
                                 as_2d("series", series))
    train = train[:check_int("n_fit", n_fit, 3)]
    usable = [k for k in lags if k + 2 < min(train.shape[0], validation.shape[0])
              and k <= protocol.n_context]
    if not usable:
        raise ValueError(f"lags: none of {tuple(lags)} fits the data lengths")
    ones = np.ones(series.shape[1])   # the series are z-scored, as for the network's rows
    scores = {}
    for k in usable:
        ro = _fit_ar(train, k, alphas)
        scores[k] = float(nrmse(validation[max(usable):],
                                _one_step(ro, validation, k, max(usable)), std=ones))
    best = min(scores, key=scores.get)
    ro = _fit_ar(train, best, alphas)
    errs, vpts = [], []
    for w in range(protocol.n_windows):
        c_end = w * protocol.n_predict + protocol.n_context
        truth = series[c_end:c_end + protocol.n_predict]
        pred = _one_step(ro, series[:c_end + protocol.n_predict], best, c_end)
        errs.append((truth, pred))
        vpts.append(vpt(truth, pred, std=ones, epsilon=epsilon, dt=dt_series).steps)
    truth = np.concatenate([e[0] for e in errs])
    pred = np.concatenate([e[1] for e in errs])
    return {"lags": best, "nrmse": float(nrmse(truth, pred, std=ones)), "vpt": float(np.mean(vpts)),
            "validation": scores}


def pixel_baselines(train, test, seed=None):
    """(chance, ridge) test accuracies for an image task.

    Chance: always the most frequent training label. Ridge: a ridge classifier
    (leave-one-out penalty, z-scored pixels) on the (pooled) pixel values.
    """
    Xtr, ytr = np.asarray(train[0], float), np.asarray(train[1])
    Xte, yte = np.asarray(test[0], float), np.asarray(test[1])
    labels, counts = np.unique(ytr, return_counts=True)
    chance = float(np.mean(yte == labels[np.argmax(counts)]))
    ro = Readout(kind="ridge", task="classification", seed=seed)
    ro.fit(Xtr.reshape(len(Xtr), -1), ytr)
    return chance, float(accuracy(yte, ro.predict(Xte.reshape(len(Xte), -1))))
