"""Plotting helper for Lyapunov spectra (000 A.7: lambda_i against i/N).

matplotlib is imported lazily, so the dynamics package works without a display.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_spectra"]


def plot_spectra(spectra, labels=None, *, N=None, axes=None, zero_line=True, **plot_kwargs):
    """Plot several Lyapunov spectra as lambda_i against i/N on one axis.

    Parameters
    ----------
    spectra : sequence of array-like or LyapunovResult / RateLyapunovResult, or one of them
        Exponents (1/s), any order (sorted descending here).
    labels : sequence of str, optional
        Legend entries, one per spectrum.
    N : int or sequence of int, optional
        System size(s) for the normalised index i/N. Default: the number of
        exponents of each spectrum (correct for full spectra; pass N for
        k-leading spectra so they occupy [0, k/N]).
    axes : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when not given.
    zero_line : bool
        Draw the lambda = 0 line (chaos above, contraction below).
    **plot_kwargs
        Passed to ``Axes.plot`` for every spectrum.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if hasattr(spectra, "exponents") or (isinstance(spectra, np.ndarray) and spectra.ndim == 1):
        spectra = [spectra]
    elif len(spectra) and np.isscalar(spectra[0]):  # one plain list of numbers
        spectra = [spectra]
    spectra = [np.sort(np.asarray(getattr(s, "exponents", s), dtype=float).ravel())[::-1]
               for s in spectra]
    if labels is not None and len(labels) != len(spectra):
        raise ValueError(f"labels: need one per spectrum ({len(spectra)}), got {len(labels)}")
    if N is None:
        Ns = [s.size for s in spectra]
    elif np.ndim(N) == 0:
        Ns = [int(N)] * len(spectra)
    else:
        Ns = [int(n) for n in N]
        if len(Ns) != len(spectra):
            raise ValueError(f"N: need one size per spectrum ({len(spectra)}), got {len(Ns)}")
    for s, n in zip(spectra, Ns):
        if n < s.size:
            raise ValueError(f"N: must be >= the number of exponents ({s.size}), got {n}")
    if axes is None:
        _, axes = plt.subplots()
    for idx, (s, n) in enumerate(zip(spectra, Ns)):
        label = None if labels is None else labels[idx]
        axes.plot(np.arange(1, s.size + 1) / n, s, label=label, **plot_kwargs)
    if zero_line:
        axes.axhline(0.0, color="0.5", lw=0.8, ls="--")
    axes.set_xlabel("i / N")
    axes.set_ylabel(r"$\lambda_i$ (1/s)")
    if labels is not None:
        axes.legend()
    return axes
