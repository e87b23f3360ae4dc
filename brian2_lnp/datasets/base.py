"""The :class:`Dataset` container and the helpers of the prediction protocol.

Pure NumPy (no Brian2). Every loader in :mod:`brian2_lnp.datasets` returns a
:class:`Dataset`: train / validation / test parts plus a metadata dict that says
where the numbers come from (``generated`` True for integrated ODEs, False for
real recordings), the sampling step and its unit, the split sizes and the units
of each column.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os

import numpy as np

from ..validation import check_choice, check_int

__all__ = ["Dataset", "MissingDataPackageError", "one_step_pairs", "prediction_windows",
           "resolve_splits", "package_path"]

logger = logging.getLogger(__name__)

_PARTS = ("train", "validation", "test")


class MissingDataPackageError(ImportError):
    """An optional package that ships a data set is not installed."""


def package_path(package, *parts, install_hint, caller):
    """Path of a data file shipped inside ``package`` without importing the package.

    ``importlib.util.find_spec`` locates the package on disk; importing it is
    avoided on purpose (brightwind, for example, pins an old pandas in its
    imports although its data files are plain CSV).
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataPackageError(
            f"{caller}() needs the '{package}' package: {install_hint}")
    root = list(spec.submodule_search_locations)[0]
    path = os.path.join(root, *parts)
    if not os.path.exists(path):
        raise MissingDataPackageError(
            f"{caller}(): the '{package}' package is installed but has no file "
            f"{os.path.join(*parts)!r} (looked in {root}); reinstall it: {install_hint}")
    return path


def resolve_splits(n_samples, splits, paper_splits, name="splits"):
    """Check ``splits`` (train, validation, test) against ``n_samples``.

    ``splits=None`` gives ``paper_splits`` when they add up to ``n_samples`` and
    otherwise the same proportions (floored; the remainder goes to test), so a
    short series for a quick test keeps the paper's split ratio.
    """
    n_samples = check_int("n_samples", n_samples, low=3)
    if splits is None:
        if sum(paper_splits) == n_samples:
            return tuple(int(s) for s in paper_splits)
        total = float(sum(paper_splits))
        tr = int(np.floor(n_samples * paper_splits[0] / total))
        va = int(np.floor(n_samples * paper_splits[1] / total))
        return (tr, va, n_samples - tr - va)
    if len(splits) != 3:
        raise ValueError(f"{name}: expected 3 sizes (train, validation, test), got {splits!r}")
    splits = tuple(check_int(f"{name}[{i}]", s, low=0) for i, s in enumerate(splits))
    if splits[0] < 1:
        raise ValueError(f"{name}: the training part must hold at least 1 sample, got {splits}")
    if sum(splits) != n_samples:
        raise ValueError(f"{name}: sizes must add up to n_samples={n_samples}, "
                         f"got {splits} (sum {sum(splits)})")
    return splits


@dataclasses.dataclass
class Dataset:
    """A data set split into train, validation and test parts.

    Parameters
    ----------
    name : str
        Short name (e.g. ``"lorenz63"``); substitutes say so in the name.
    kind : {"timeseries", "images"}
        Time series hold arrays of shape (T, d); images hold tuples ``(X, y)``.
    train, validation, test : ndarray or tuple of ndarray
        The parts. A part can be empty (length 0) when the source has none.
    metadata : dict
        At least ``source`` (str), ``generated`` (bool), ``step`` (float or None),
        ``step_unit`` (str or None), ``splits`` (tuple of 3 ints), ``units``
        (list of str, one per column; or the pixel unit for images) and
        ``columns`` (list of str). Generated series also record ``parameters``,
        ``initial_state`` and ``seed``.
    """

    name: str
    kind: str
    train: object
    validation: object
    test: object
    metadata: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        check_choice("kind", self.kind, {"timeseries", "images"})
        self.metadata = dict(self.metadata)
        self.metadata["splits"] = tuple(self._len(p) for p in self.parts())

    # ------------------------------------------------------------------ views
    def _len(self, part):
        return int(len(part[0]) if self.kind == "images" else len(part))

    def parts(self):
        """The three parts in order (train, validation, test)."""
        return (self.train, self.validation, self.test)

    def part(self, which):
        """One part by name: ``"train"``, ``"validation"`` or ``"test"``."""
        check_choice("part", which, set(_PARTS))
        return getattr(self, which)

    @property
    def source(self):
        """Where the data come from (a package file, an ODE, a user path)."""
        return self.metadata.get("source")

    @property
    def generated(self):
        """True for series integrated here, False for real recorded data."""
        return bool(self.metadata.get("generated"))

    @property
    def step(self):
        """Sampling step (in :attr:`step_unit`), or None for images."""
        return self.metadata.get("step")

    @property
    def step_unit(self):
        return self.metadata.get("step_unit")

    @property
    def splits(self):
        """Sizes of (train, validation, test)."""
        return self.metadata["splits"]

    @property
    def units(self):
        return self.metadata.get("units")

    @property
    def columns(self):
        return self.metadata.get("columns")

    def series(self):
        """Time series only: the three parts joined back in time order, shape (T, d)."""
        self._need_timeseries("series")
        return np.concatenate(self.parts(), axis=0)

    def _need_timeseries(self, what):
        if self.kind != "timeseries":
            raise TypeError(f"{what}: only defined for time series, this is {self.kind!r} "
                            f"({self.name})")

    # ------------------------------------------------------------------ normalisation
    def normalised(self):
        """A copy z-scored per column with the *training* mean and std.

        Only training statistics are used so nothing about the validation or
        test parts leaks into the scaling. The statistics are stored in
        ``metadata["normalisation"]`` and :meth:`denormalise` undoes the map.
        A constant training column (std 0) is only centred.
        """
        self._need_timeseries("normalised")
        if "normalisation" in self.metadata:
            raise ValueError(f"normalised: {self.name} is already normalised")
        if len(self.train) < 2:
            raise ValueError("normalised: the training part needs at least 2 samples")
        mean = self.train.mean(axis=0)
        std = self.train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        meta = dict(self.metadata)
        meta["normalisation"] = {"method": "z-score (train statistics)",
                                 "mean": mean.tolist(), "std": std.tolist()}
        meta["units"] = ["standard units"] * self.train.shape[1]
        meta["original_units"] = self.metadata.get("units")
        return Dataset(self.name, self.kind, *((p - mean) / std for p in self.parts()),
                       metadata=meta)

    def denormalise(self, values):
        """Map z-scored values (..., d) back to the original units."""
        norm = self.metadata.get("normalisation")
        if norm is None:
            raise ValueError(f"denormalise: {self.name} is not normalised")
        return np.asarray(values) * np.asarray(norm["std"]) + np.asarray(norm["mean"])

    # ------------------------------------------------------------------ protocol helpers
    def windows(self, part="train", n_context=500, n_predict=100, stride=None):
        """Prediction-protocol windows of one part (see :func:`prediction_windows`)."""
        self._need_timeseries("windows")
        return prediction_windows(self.part(part), n_context, n_predict, stride)

    def pairs(self, part="train", lags=1, horizon=1):
        """One-step-ahead (input, target) pairs of one part (see :func:`one_step_pairs`)."""
        self._need_timeseries("pairs")
        return one_step_pairs(self.part(part), lags, horizon)

    def __repr__(self):
        tag = "generated" if self.generated else "real"
        return (f"Dataset({self.name!r}, {self.kind}, {tag}, splits={self.splits}, "
                f"step={self.step} {self.step_unit or ''})")


def _as_series(series):
    arr = np.asarray(series, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"series: expected shape (T,) or (T, d), got {arr.shape}")
    return arr


def one_step_pairs(series, lags=1, horizon=1):
    """(input, target) pairs for ``horizon``-step-ahead prediction.

    Parameters
    ----------
    series : array, shape (T,) or (T, d)
    lags : int
        Number of past samples in each input (the current one included).
    horizon : int
        How far ahead the target lies (1 = next sample).

    Returns
    -------
    X : ndarray, shape (T - lags - horizon + 1, lags * d)
        Row n holds ``series[n : n + lags]`` flattened oldest first.
    Y : ndarray, shape (T - lags - horizon + 1, d)
        Row n is ``series[n + lags - 1 + horizon]``.
    """
    s = _as_series(series)
    lags = check_int("lags", lags, low=1)
    horizon = check_int("horizon", horizon, low=1)
    n = s.shape[0] - lags - horizon + 1
    if n < 1:
        raise ValueError(f"series: needs more than lags + horizon - 1 = {lags + horizon - 1} "
                         f"samples, got {s.shape[0]}")
    idx = np.arange(n)[:, None] + np.arange(lags)[None, :]
    X = s[idx].reshape(n, lags * s.shape[1])
    Y = s[np.arange(n) + lags - 1 + horizon]
    return X, Y


def prediction_windows(series, n_context=500, n_predict=100, stride=None):
    """Windows of the paper's protocol: observe ``n_context`` steps, predict the next ``n_predict``.

    000 section 4.1: "the network is trained using 500 timesteps of the datasets
    and is subsequently used to predict the following 100 timesteps".

    Parameters
    ----------
    series : array, shape (T,) or (T, d)
    n_context, n_predict : int
    stride : int, optional
        Start-to-start distance of consecutive windows; default ``n_predict``
        (the predicted stretches tile the series without overlap).

    Returns
    -------
    context : ndarray, shape (W, n_context, d)
    future : ndarray, shape (W, n_predict, d)
        ``future[w]`` directly follows ``context[w]`` in time.
    """
    s = _as_series(series)
    n_context = check_int("n_context", n_context, low=1)
    n_predict = check_int("n_predict", n_predict, low=1)
    stride = n_predict if stride is None else check_int("stride", stride, low=1)
    span = n_context + n_predict
    if s.shape[0] < span:
        raise ValueError(f"series: needs at least n_context + n_predict = {span} samples, "
                         f"got {s.shape[0]}")
    starts = np.arange(0, s.shape[0] - span + 1, stride)
    ctx = s[starts[:, None] + np.arange(n_context)[None, :]]
    fut = s[starts[:, None] + n_context + np.arange(n_predict)[None, :]]
    return ctx, fut
