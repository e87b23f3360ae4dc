"""Paired statistics over seeds: bootstrap intervals, Wilcoxon tests, Holm's adjustment.

Pure functions (NumPy, SciPy, pandas; no Brian2) for comparing one method with
others when every method was run on the same seeds, as in the study protocol
(docs/study_preregistration.md):

* :func:`bootstrap_median_ci` -- the median of a sample with a percentile
  bootstrap interval (resampling the seeds);
* :func:`wilcoxon_p` -- two-sided Wilcoxon signed-rank p-value of paired differences;
* :func:`holm` -- Holm's step-down adjustment of a family of p-values;
* :func:`verdict` -- "reproduces" / "contradicted" / "not resolved at n = ..." from an
  interval and the direction a claim predicts;
* :func:`paired_comparisons` -- all of the above for a long table of results
  (one row per group x method x seed).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..validation import check_choice, check_int, check_range

__all__ = ["bootstrap_median_ci", "wilcoxon_p", "holm", "verdict", "paired_comparisons",
           "REPRODUCES", "CONTRADICTED"]

REPRODUCES = "reproduces"
CONTRADICTED = "contradicted"


def bootstrap_median_ci(x, n_resamples=10_000, confidence=0.95, seed=0):
    """Median of ``x`` and its percentile bootstrap interval.

    Parameters
    ----------
    x : array_like
        One value per seed (NaN values are dropped).
    n_resamples : int
        Bootstrap resamples (seeds drawn with replacement), >= 1.
    confidence : float in (0, 1)
    seed : int
        Seed of the resampling (``numpy.random.default_rng(seed)``).

    Returns
    -------
    (median, low, high) : tuple of float
        All NaN for an empty sample; for a single value the median and a NaN
        interval (resampling one seed says nothing about the spread).
    """
    n_resamples = check_int("n_resamples", n_resamples, 1)
    check_range("confidence", confidence, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    x = np.asarray(x, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    if x.size == 1:
        return (float(x[0]), np.nan, np.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    medians = np.median(x[idx], axis=1)
    a = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(medians, [a, 100 - a])
    return (float(np.median(x)), float(lo), float(hi))


def wilcoxon_p(d):
    """Two-sided Wilcoxon signed-rank p-value of paired differences ``d``.

    NaN values are dropped; returns NaN when no difference is non-zero (the test
    is undefined) and for an empty sample.
    """
    from scipy.stats import wilcoxon

    d = np.asarray(d, dtype=float).ravel()
    d = d[np.isfinite(d)]
    if d.size == 0 or not np.any(d != 0):
        return np.nan
    return float(wilcoxon(d, alternative="two-sided").pvalue)


def holm(pvalues):
    """Holm's step-down adjusted p-values (family-wise error), NaN left out and kept.

    The i-th smallest of m p-values is multiplied by m - i (i from 0), a running
    maximum keeps the order, and values are capped at 1.
    """
    p = np.asarray(pvalues, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size:
        if np.any((p[ok] < 0) | (p[ok] > 1)):
            raise ValueError("pvalues: must lie in [0, 1]")
        order = ok[np.argsort(p[ok], kind="stable")]
        m = order.size
        adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out[order] = np.minimum(adj, 1.0)
    return out


def verdict(low, high, direction, n):
    """The pre-registered verdict for an interval [low, high] of an effect.

    Parameters
    ----------
    low, high : float
        Interval of the effect (0 = no effect).
    direction : {1, -1}
        Sign of the effect the claim predicts.
    n : int
        Number of paired seeds (named in the "not resolved" verdict).

    Returns
    -------
    str
        "reproduces" when the interval lies strictly on the claim's side of 0,
        "contradicted" when it lies strictly on the other side, otherwise
        "not resolved at n = <n>"; for a NaN interval "no data" (n = 0) or
        "not resolved at n = <n>".
    """
    check_choice("direction", direction, {1, -1})
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no data" if int(n) == 0 else f"not resolved at n = {int(n)}"
    lo, hi = direction * low, direction * high
    lo, hi = min(lo, hi), max(lo, hi)
    if lo > 0:
        return REPRODUCES
    if hi < 0:
        return CONTRADICTED
    return f"not resolved at n = {int(n)}"


def _effect(metric, ref, other):
    """(verdict effect, ratio) per seed: log ratio for SOPs-like costs, else difference."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "SOPs":
            eff = np.log(other / ref)          # > 0: the reference needs fewer SOPs
            return eff, other / ref
        return ref - other, ref / other


def paired_comparisons(df, *, reference, others, metrics, directions, by=("model", "task"),
                       pair_on="seed", holm_by=("model", "metric"), n_resamples=10_000,
                       confidence=0.95, seed=0):
    """Paired comparisons of ``reference`` with each of ``others``, per group and metric.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table: columns ``by``, ``method``, ``pair_on`` and the metrics.
    reference : str
        The method compared (e.g. "LNP").
    others : sequence of str
        Methods it is compared with.
    metrics : sequence of str
        Columns. "SOPs" is compared as ``log(SOPs_M / SOPs_ref)`` (ratio column:
        ``SOPs_M / SOPs_ref``); every other metric as the difference
        ``ref - M`` (ratio column: ``ref / M``).
    directions : dict
        ``(method, metric) -> 1 or -1``: the sign of the effect the claim predicts.
    by : sequence of str
        Grouping columns (one comparison per group).
    pair_on : str
        Column pairing the rows of two methods (the seed).
    holm_by : sequence of str
        Columns of the output defining a family for Holm's adjustment.
    n_resamples, confidence, seed :
        Bootstrap settings (:func:`bootstrap_median_ci`).

    Returns
    -------
    pandas.DataFrame
        One row per group x method x metric: ``n`` (seeds with both values),
        ``effect`` (definition), ``median``, ``ci_low``, ``ci_high``, ``ratio``
        (definition in ``ratio_definition``), ``ratio_median``, ``ratio_ci_low``,
        ``ratio_ci_high``, ``p_wilcoxon``, ``p_holm``, ``direction``, ``verdict``.
    """
    by = list(by)
    missing = set(by + ["method", pair_on] + list(metrics)) - set(df.columns)
    if missing:
        raise ValueError(f"df: missing column(s) {sorted(missing)}")
    rows = []
    for key, g in df.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        ref = g[g.method == reference].set_index(pair_on)
        for method in others:
            oth = g[g.method == method].set_index(pair_on)
            seeds = ref.index.intersection(oth.index)
            for metric in metrics:
                a = ref.loc[seeds, metric].to_numpy(dtype=float)
                b = oth.loc[seeds, metric].to_numpy(dtype=float)
                eff, ratio = _effect(metric, a, b)
                ok = np.isfinite(eff)
                n = int(ok.sum())
                med, lo, hi = bootstrap_median_ci(eff[ok], n_resamples, confidence, seed)
                rmed, rlo, rhi = bootstrap_median_ci(ratio[ok & np.isfinite(ratio)],
                                                     n_resamples, confidence, seed)
                d = directions[(method, metric)]
                rows.append({**dict(zip(by, key)), "reference": reference, "method": method,
                             "metric": metric, "n": n,
                             "effect": (f"log({metric}_{method} / {metric}_{reference})"
                                        if metric == "SOPs"
                                        else f"{metric}_{reference} - {metric}_{method}"),
                             "median": med, "ci_low": lo, "ci_high": hi,
                             "ratio_definition": (f"{metric}_{method} / {metric}_{reference}"
                                                  if metric == "SOPs"
                                                  else f"{metric}_{reference} / {metric}_{method}"),
                             "ratio_median": rmed, "ratio_ci_low": rlo, "ratio_ci_high": rhi,
                             "p_wilcoxon": wilcoxon_p(eff[ok]), "direction": d,
                             "verdict": verdict(lo, hi, d, n)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = np.nan
    for idx in out.groupby(list(holm_by), sort=False).groups.values():
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p_wilcoxon"].to_numpy())
    return out
