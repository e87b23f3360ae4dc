"""Task objects: what a task is (data, encoding, readout, protocol) as small frozen values.

A :class:`Task` bundles

* :class:`DataSpec` - which data set (a loader of :mod:`brian2_lnp.datasets`),
  its kind (series or images), and, for series, the largest Lyapunov exponent
  (VPT in Lyapunov times);
* :class:`SeriesEncodingSpec` or :class:`ImageEncodingSpec` - how values become
  Poisson input (channels, rates, presentation time, simulation step);
* :class:`ReadoutSpec` - which neurons are read, through which filters, by
  which trainable map, fitted where, with which penalty;
* :class:`PredictionProtocol` or :class:`ClassificationProtocol` - context,
  horizon, windows, split, closed loop, STDP steps; or image counts,
  presentation and silence.

Every object checks its fields when it is made and names the field and the
allowed range in the error. :data:`TASKS` holds the named tasks the CLI, the
protocols and :func:`~brian2_lnp.tasks.evaluate.evaluate` share;
:func:`get_task` returns one, optionally with some fields replaced.

Default readout and encoding (``ReadoutSpec()``, ``SeriesEncodingSpec()``):
chosen on the Lorenz-63 **validation** split with a 1000-neuron HRSNN
(benchmarks/acceptance_lorenz_readouts.py, its CSVs
``acceptance_lorenz_readouts_validation_ch20.csv`` and
``acceptance_lorenz_validation.csv``): network-only ridge readout fitted once on
5000 training steps after STDP, every active neuron read, filters 5 / 20 / 100
ms, penalty 10 on unscaled features, 20 population channels per dimension,
peak rate 1600 Hz. Each registered series task has its own readout (and, where
its validation run chose one, encoding and training-stretch sizes), picked on
that task's validation data (benchmarks/readout_selection.py, one row per task
in ``readout_selection_summary.csv``; see :data:`SERIES_DEFAULTS`); result rows
name them. The paper's literal protocol (one readout per window fitted
on its 500 context steps, top 10 % betweenness neurons) is
:meth:`ReadoutSpec.paper`.
"""
from __future__ import annotations

import dataclasses

from ..validation import check_choice, check_int, check_range

__all__ = ["DataSpec", "SeriesEncodingSpec", "ImageEncodingSpec", "ReadoutSpec",
           "PredictionProtocol", "ClassificationProtocol", "Task", "TASKS", "get_task",
           "task_names", "PAPER_TAUS", "VALIDATED_TAUS", "readout_from", "READOUT_KEYWORDS",
           "readout_kwargs_fields", "SERIES_DEFAULTS", "ValidationCarve", "training_stretch"]

#: filter time constants (second) of the paper-style readout
PAPER_TAUS = (0.01, 0.05)
#: filter time constants chosen on validation (benchmarks/acceptance_lorenz_readouts.py)
VALIDATED_TAUS = (0.005, 0.02, 0.1)
#: the ridge readout's leave-one-out penalty grid (the library's Readout default)
LOO_ALPHAS = (1e-6, 1e-4, 1e-2, 1.0, 1e2)


def _frozen(cls):
    return dataclasses.dataclass(frozen=True)(cls)


@_frozen
class DataSpec:
    """A data set: loader name in :mod:`brian2_lnp.datasets` and its keyword arguments.

    Parameters
    ----------
    name : str
        Loader, e.g. ``"lorenz63"``.
    kind : {"series", "images"}
    dims : int, optional
        Series dimensions (input channels = ``dims * channels_per_dim``).
    lyapunov_exponent : float, optional
        Largest exponent (per time unit) to report VPT in Lyapunov times.
    kwargs : tuple of (key, value)
        Loader keyword arguments (a tuple so the object stays hashable).
    """

    name: str
    kind: str = "series"
    dims: int | None = None
    lyapunov_exponent: float | None = None
    kwargs: tuple = ()

    def __post_init__(self):
        check_choice("kind", self.kind, {"series", "images"})
        if self.kind == "series":
            check_int("dims", self.dims, 1)
        if self.lyapunov_exponent is not None:
            check_range("lyapunov_exponent", self.lyapunov_exponent, 0.0, low_inclusive=False)
        object.__setattr__(self, "kwargs", tuple(sorted(dict(self.kwargs).items())))

    def load(self):
        """The :class:`~brian2_lnp.datasets.base.Dataset` (loader called with ``kwargs``)."""
        from .. import datasets

        return getattr(datasets, self.name)(**dict(self.kwargs))


@_frozen
class SeriesEncodingSpec:
    """How a series becomes Poisson input (see :class:`~brian2_lnp.tasks.SeriesEncoding`).

    Parameters
    ----------
    channels_per_dim : int
        Input channels per series dimension, >= 1 (default 20, chosen on validation).
    coding : {"population", "rate"}
    r_max : float
        Peak rate (Hz) of a channel, in (0, 1/dt] (default 1600, chosen on validation).
    step : float
        Presentation time of one series step (second), >= dt.
    dt : float
        Simulation time step (second), > 0.
    """

    channels_per_dim: int = 20
    coding: str = "population"
    r_max: float = 1600.0
    step: float = 0.02
    dt: float = 1e-4

    def __post_init__(self):
        check_int("channels_per_dim", self.channels_per_dim, 1)
        check_choice("coding", self.coding, {"population", "rate"})
        check_range("dt", self.dt, 0.0, low_inclusive=False)
        check_range("step", self.step, self.dt)
        check_range("r_max", self.r_max, 0.0, 1.0 / self.dt, low_inclusive=False)

    def fit(self, train):
        """The :class:`~brian2_lnp.tasks.SeriesEncoding` scaled to ``train`` (T, d)."""
        from .prediction import SeriesEncoding

        n = self.channels_per_dim * (1 if train.ndim == 1 else train.shape[1])
        return SeriesEncoding.fit(train, n, step=self.step, dt=self.dt, coding=self.coding,
                                  r_max=self.r_max)


@_frozen
class ImageEncodingSpec:
    """How images become Poisson input: block pooling and the rate of a full pixel.

    Parameters
    ----------
    pool : int
        Block-mean pooling factor, >= 1 (fewer input channels for small networks).
    max_rate : float
        Rate (Hz) of a pixel at full intensity, in [0, 1/dt].
    dt : float
        Simulation time step (second), > 0.
    """

    pool: int = 1
    max_rate: float = 100.0
    dt: float = 1e-4

    def __post_init__(self):
        check_int("pool", self.pool, 1)
        check_range("dt", self.dt, 0.0, low_inclusive=False)
        check_range("max_rate", self.max_rate, 0.0, 1.0 / self.dt)


@_frozen
class ReadoutSpec:
    """Which neurons are read, how, and where the readout is fitted.

    Parameters
    ----------
    kind : {"ridge", "mlp"}
    fraction : float
        Fraction of active neurons read out (top betweenness), in (0, 1].
    taus : tuple of float
        Exponential filter time constants (second) of the prediction features, > 0.
    inputs : {"network", "network+input"}
        Features only (the paper's readout) or the exact input x(k) as well.
    target : {"value", "increment"}
    fit : {"train", "window"}
        "train": fitted once on ``n_fit`` training steps after STDP (default,
        better on validation); "window": one readout per window fitted on its
        context (the paper's 000 4.1 protocol).
    n_fit : int
        Training steps presented for ``fit="train"``, >= 3.
    alphas : tuple of float
        Ridge penalties, > 0: one value is used as given, several are chosen
        among by leave-one-out on the fitting data.
    standardize : bool
        Z-score the features with the fitting statistics first.
    raw_lags : int
        Past values the raw-input ridge baseline reads, >= 1.
    """

    kind: str = "ridge"
    fraction: float = 1.0
    taus: tuple = VALIDATED_TAUS
    inputs: str = "network"
    target: str = "value"
    fit: str = "train"
    n_fit: int = 5000
    alphas: tuple = (10.0,)
    standardize: bool = False
    raw_lags: int = 1

    def __post_init__(self):
        check_choice("kind", self.kind, {"ridge", "mlp"})
        check_range("fraction", self.fraction, 0.0, 1.0, low_inclusive=False)
        taus = tuple(float(check_range("taus", t, 0.0, low_inclusive=False)) for t in self.taus)
        if not taus:
            raise ValueError("taus: must hold at least one time constant")
        object.__setattr__(self, "taus", taus)
        check_choice("inputs", self.inputs, {"network", "network+input"})
        check_choice("target", self.target, {"value", "increment"})
        check_choice("fit", self.fit, {"train", "window"})
        check_int("n_fit", self.n_fit, 3)
        alphas = tuple(float(check_range("alphas", a, 0.0, low_inclusive=False))
                       for a in self.alphas)
        if not alphas:
            raise ValueError("alphas: must hold at least one penalty")
        object.__setattr__(self, "alphas", alphas)
        object.__setattr__(self, "standardize", bool(self.standardize))
        check_int("raw_lags", self.raw_lags, 1)

    @classmethod
    def paper(cls, **overrides):
        """The paper's readout: top 10 %, per-window fit on the context, LOO ridge."""
        kw = dict(fraction=0.1, taus=PAPER_TAUS, fit="window", alphas=LOO_ALPHAS,
                  standardize=True)
        kw.update(overrides)
        return cls(**kw)

    @property
    def readout_kwargs(self):
        """Keyword arguments of :class:`~brian2_lnp.tasks.readout.Readout`."""
        return {"alphas": self.alphas, "standardize": self.standardize}

    @property
    def label(self):
        """Short description for result rows, e.g. ``"ridge alpha=10 unscaled, 100% ..."``."""
        a = ("LOO" if len(self.alphas) > 1 else f"{self.alphas[0]:g}")
        taus = "/".join(f"{1e3 * t:g}" for t in self.taus)
        return (f"{self.kind} alpha={a} {'z-scored' if self.standardize else 'unscaled'}, "
                f"{self.fraction:.0%} neurons, taus {taus} ms, on {self.inputs} -> "
                f"{self.target}, fitted {'once' if self.fit == 'train' else 'per window'}")


@_frozen
class PredictionProtocol:
    """One-step / closed-loop prediction windows on a z-scored split.

    Parameters
    ----------
    n_context : int
        Steps before each window's forecast, >= 2 (500 in the paper).
    n_predict : int
        Forecast horizon per window, >= 1 (100 in the paper).
    n_windows : int
        Windows, >= 1 (window w starts ``w * n_predict`` steps later).
    washout : int
        First context (or fitting) steps skipped, in [0, n_context - 2].
    split : {"test", "validation", "train"}
    closed_loop : bool
        Also forecast autonomously (runtime device only).
    stdp_steps : int
        Training steps presented with STDP on, >= 0.
    """

    n_context: int = 500
    n_predict: int = 100
    n_windows: int = 1
    washout: int = 50
    split: str = "test"
    closed_loop: bool = False
    stdp_steps: int = 500

    def __post_init__(self):
        check_int("n_context", self.n_context, 2)
        check_int("n_predict", self.n_predict, 1)
        check_int("n_windows", self.n_windows, 1)
        check_int("washout", self.washout, 0, self.n_context - 2)
        check_choice("split", self.split, {"test", "validation", "train"})
        object.__setattr__(self, "closed_loop", bool(self.closed_loop))
        check_int("stdp_steps", self.stdp_steps, 0)

    @property
    def n_steps(self):
        """Steps of the evaluation presentation: ``n_context + n_windows * n_predict``."""
        return self.n_context + self.n_windows * self.n_predict


def training_stretch(n_train):
    """The registry's training stretch for ``n_train`` training steps: ``(stdp_steps, n_fit)``.

    STDP on the first ``min(500, n_train // 3)`` steps, the fitted-once readout on
    the next ``min(5000, n_train - stdp_steps)`` (the rule fixed in
    benchmarks/readout_selection.py; every registered series task's ``stdp_steps``
    and ``n_fit`` follow it, and so does each :class:`ValidationCarve`).
    """
    n_train = check_int("n_train", n_train, 2)
    stdp = min(500, n_train // 3)
    return stdp, min(5000, n_train - stdp)


@_frozen
class ValidationCarve:
    """The validation part of a series task whose data set has none (google_stock, wind_speed).

    With ``split="validation"``, such a task trains on its training part minus
    the last ``steps`` steps and is scored on those ``steps`` steps; the test
    part is never read. The z-scoring and the input encoding use the shortened
    training part only. The training stretch of that run is ``stdp_steps`` STDP
    steps, then ``n_fit`` readout-fitting steps (:func:`training_stretch` of the
    shortened part for the registered tasks; None: the task's own value). A task
    whose ``stdp_steps`` / ``n_fit`` were given explicitly (:meth:`Task.replace`)
    keeps those. Data sets with their own validation part are never carved.

    Parameters
    ----------
    steps : int
        Validation steps V taken from the end of the training part, >= 1.
    stdp_steps : int, optional
        STDP steps of the carved run, >= 0.
    n_fit : int, optional
        Readout-fitting steps of the carved run, >= 3.
    """

    steps: int
    stdp_steps: int | None = None
    n_fit: int | None = None

    def __post_init__(self):
        check_int("steps", self.steps, 1)
        if self.stdp_steps is not None:
            check_int("stdp_steps", self.stdp_steps, 0)
        if self.n_fit is not None:
            check_int("n_fit", self.n_fit, 3)

    def fits(self, n_train):
        """True if a training part of ``n_train`` steps keeps >= 2 steps after the carve."""
        return 1 <= self.steps <= n_train - 2

    def apply(self, dataset):
        """``dataset`` with its validation part carved from the end of its training part.

        Raises
        ------
        ValueError
            The data set has a validation part of its own, or its training part
            is too short to keep at least 2 training steps.
        """
        from ..datasets import Dataset

        n_train, n_val = dataset.splits[:2]
        if n_val:
            raise ValueError(f"validation_carve: {dataset.name} has its own validation part "
                             f"({n_val} steps); the carve is only for data sets without one")
        if not self.fits(n_train):
            raise ValueError(f"validation_carve: steps must lie in [1, {n_train - 2}] (the "
                             f"training part of {dataset.name} has {n_train} steps), got "
                             f"{self.steps}")
        cut = n_train - self.steps
        meta = {k: v for k, v in dataset.metadata.items() if k != "splits"}
        meta["validation_carve"] = f"validation = last {self.steps} of {n_train} training steps"
        dates = meta.get("dates")
        if isinstance(dates, dict) and "train" in dates:
            meta["dates"] = dict(dates, train=dates["train"][:cut],
                                 validation=dates["train"][cut:])
        train = dataset.train
        return Dataset(dataset.name, dataset.kind, train[:cut], train[cut:], dataset.test,
                       metadata=meta)

    @property
    def stretch(self):
        """The task fields this carve sets (``stdp_steps``, ``n_fit``; None ones left out)."""
        return {k: v for k, v in (("stdp_steps", self.stdp_steps), ("n_fit", self.n_fit))
                if v is not None}


@_frozen
class ClassificationProtocol:
    """Images presented one after another, training images first.

    Parameters
    ----------
    n_train, n_test : int
        First images of the training and test parts, >= 2 and >= 1.
    presentation : float
        Seconds with input per image, > 0.
    silence : float
        Seconds without input after each image, >= 0.
    """

    n_train: int = 500
    n_test: int = 200
    presentation: float = 0.1
    silence: float = 0.1

    def __post_init__(self):
        check_int("n_train", self.n_train, 2)
        check_int("n_test", self.n_test, 1)
        check_range("presentation", self.presentation, 0.0, low_inclusive=False)
        check_range("silence", self.silence, 0.0)


@_frozen
class Task:
    """A named task: data, encoding, readout and protocol.

    Use :meth:`replace` (or :func:`get_task` with keywords) for variants; the
    keywords are the field names of the parts, e.g. ``n_context=200``,
    ``fraction=0.1``, ``pool=4`` (see :data:`FIELD_OWNER`).

    ``defaults_from`` says where the task's readout and encoding defaults come
    from (e.g. the validation run that chose them); result rows name it in
    their ``settings`` column when those defaults are used.

    ``validation_carve`` (series only): what ``split="validation"`` means when
    the data set has no validation part (:class:`ValidationCarve`; None: such a
    task cannot be run on validation). :meth:`load_data` applies it.
    """

    name: str
    data: DataSpec
    encoding: SeriesEncodingSpec | ImageEncodingSpec
    readout: ReadoutSpec
    protocol: PredictionProtocol | ClassificationProtocol
    defaults_from: str = "given"
    validation_carve: ValidationCarve | None = None

    def __post_init__(self):
        series = self.data.kind == "series"
        want = ((SeriesEncodingSpec, PredictionProtocol) if series
                else (ImageEncodingSpec, ClassificationProtocol))
        for field, typ in zip(("encoding", "protocol"), want):
            if not isinstance(getattr(self, field), typ):
                raise TypeError(f"{field}: a {self.data.kind} task needs a {typ.__name__}, "
                                f"got {type(getattr(self, field)).__name__}")
        if not isinstance(self.readout, ReadoutSpec):
            raise TypeError(f"readout: expected a ReadoutSpec, got "
                            f"{type(self.readout).__name__}")
        if self.validation_carve is not None:
            if not isinstance(self.validation_carve, ValidationCarve):
                raise TypeError(f"validation_carve: expected a ValidationCarve or None, got "
                                f"{type(self.validation_carve).__name__}")
            if not series:
                raise ValueError("validation_carve: only for series tasks")

    @property
    def is_prediction(self):
        return self.data.kind == "series"

    @property
    def n_inputs(self):
        """Input channels of a model for this task (None for images: the pixel count)."""
        return self.encoding.channels_per_dim * self.data.dims if self.is_prediction else None

    def replace(self, **fields):
        """A copy with fields of the parts replaced (``Task.replace(n_context=200)``).

        ``data_kwargs`` replaces the loader keyword arguments; a part given
        whole (``readout=ReadoutSpec.paper()``, ``validation_carve=...``)
        replaces that part first. Training-stretch sizes given here
        (``stdp_steps``, ``n_fit``, or a whole protocol / readout) also hold in a
        carved validation run: they replace the carve's own.
        """
        given = set(fields)
        parts = {p: fields.pop(p) for p in ("data", "encoding", "readout", "protocol",
                                            "validation_carve") if p in fields}
        t = dataclasses.replace(self, **parts) if parts else self
        carve = t.validation_carve
        if carve is not None:
            keep = {"stdp_steps": not given & {"stdp_steps", "protocol"},
                    "n_fit": not given & {"n_fit", "readout"}}
            if not all(keep.values()):
                t = dataclasses.replace(t, validation_carve=dataclasses.replace(
                    carve, **{k: None for k, v in keep.items() if not v}))
        if "data_kwargs" in fields:
            kw = fields.pop("data_kwargs") or {}
            t = dataclasses.replace(t, data=dataclasses.replace(t.data, kwargs=tuple(kw.items())))
        per_part = {}
        for key, value in fields.items():
            part = next((p for p in ("encoding", "readout", "protocol")
                         if key in {f.name for f in dataclasses.fields(getattr(t, p))}), None)
            if part is None:
                raise TypeError(f"{key}: not a field of task {self.name!r} (its fields: "
                                f"{sorted(t.field_names())})")
            per_part.setdefault(part, {})[key] = value
        return dataclasses.replace(t, **{p: dataclasses.replace(getattr(t, p), **kw)
                                         for p, kw in per_part.items()})

    def field_names(self):
        """Names accepted by :meth:`replace`."""
        out = {"data_kwargs", "validation_carve"}
        for p in ("encoding", "readout", "protocol"):
            out |= {f.name for f in dataclasses.fields(getattr(self, p))}
        return out

    def load_data(self):
        """The task as it runs and its :class:`~brian2_lnp.datasets.base.Dataset`.

        Returns ``(task, dataset)``. For ``split="validation"`` on a series
        whose data set has no validation part, the :class:`ValidationCarve`
        applies: ``dataset`` has the carved parts and ``task`` the carve's
        training-stretch sizes. Otherwise ``(self, self.data.load())``.

        Raises
        ------
        ValueError
            ``split="validation"`` on a data set without a validation part and
            a task without ``validation_carve``.
        """
        data = self.data.load()
        if (not self.is_prediction or self.protocol.split != "validation"
                or data.splits[1] > 0):
            return self, data
        carve = self.validation_carve
        if carve is None:
            raise ValueError(
                f"split: the data of task {self.name!r} have no validation part (splits "
                f"{data.splits}) and the task has no validation_carve; pass "
                f"validation_carve=ValidationCarve(steps=...) or split='test'")
        stretch = carve.stretch
        task = dataclasses.replace(
            self, protocol=dataclasses.replace(self.protocol, **{
                k: v for k, v in stretch.items() if k == "stdp_steps"}),
            readout=dataclasses.replace(self.readout, **{
                k: v for k, v in stretch.items() if k == "n_fit"}))
        return task, carve.apply(data)


#: where the series tasks' defaults were chosen (one row per task)
VALIDATION_RECORD = "chosen on validation: benchmarks/readout_selection_summary.csv"


def _series(name, dims, lyap=None, readout=None, protocol=None, encoding=None,
            validation_carve=None):
    """A series task with its own readout / protocol / encoding fields (SERIES_DEFAULTS)."""
    return Task(name, DataSpec(name, "series", dims, lyap), SeriesEncodingSpec(**(encoding or {})),
                ReadoutSpec(**(readout or {})), PredictionProtocol(**(protocol or {})),
                defaults_from=VALIDATION_RECORD,
                validation_carve=(ValidationCarve(**validation_carve) if validation_carve
                                  else None))


def _images(name):
    return Task(name, DataSpec(name, "images"), ImageEncodingSpec(), ReadoutSpec.paper(),
                ClassificationProtocol(), defaults_from="paper")


#: Per-task readout, protocol and encoding fields (where they differ from ``ReadoutSpec()``,
#: ``PredictionProtocol()``, ``SeriesEncodingSpec()``). The readout (target, filters,
#: penalty, scaling) and the encoding are each task's pick on validation data
#: (benchmarks/readout_selection.py: hrsnn, N = 1000, seed 0, 24 fitted-once readout
#: candidates per encoding; readout_selection_summary.csv holds the picks).
#: The training stretch follows the rule fixed there: of the T training steps, STDP
#: on the first min(500, T // 3), the readout fitted on the next min(5000, T - STDP).
#: google_stock's 568 test days cannot hold a 500-step context and a 100-step
#: window, so its context is 168 (568 = 168 + 4 x 100); with the fitted-once
#: readout the context is only a washout.
#: google_stock and wind_speed have no validation part (the paper's splits are
#: train / test): ``validation_carve`` is the validation stretch the readout
#: selection carved from the end of their training part (V = 300 of 966 steps,
#: V = 200 of 500), with the training stretch of the same rule on the remaining
#: 666 / 300 steps; ``split="validation"`` uses exactly that (ValidationCarve).
SERIES_DEFAULTS = {
    "lorenz63": dict(readout=dict(target="increment", taus=(0.005, 0.02, 0.1), alphas=(10.0,),
                                  standardize=False),
                     encoding=dict(channels_per_dim=20, r_max=3200.0)),
    "rossler": dict(readout=dict(target="increment", taus=(0.005, 0.02, 0.1), alphas=(10.0,),
                                 standardize=False, n_fit=2500),
                    encoding=dict(channels_per_dim=10, r_max=1600.0)),
    "lorenz96": dict(readout=dict(target="increment", taus=(0.005, 0.02, 0.1), alphas=(10.0,),
                                  standardize=True),
                     encoding=dict(channels_per_dim=10, r_max=1600.0)),
    "google_stock": dict(readout=dict(target="increment", taus=(0.01, 0.05), alphas=(100.0,),
                                      standardize=True, n_fit=644),
                         protocol=dict(stdp_steps=322, n_context=168),
                         encoding=dict(channels_per_dim=40, r_max=1600.0),
                         validation_carve=dict(steps=300, stdp_steps=222, n_fit=444)),
    "wind_speed": dict(readout=dict(target="increment", taus=(0.01, 0.05), alphas=(100.0,),
                                    standardize=True, n_fit=334),
                       protocol=dict(stdp_steps=166),
                       encoding=dict(channels_per_dim=10, r_max=1600.0),
                       validation_carve=dict(steps=200, stdp_steps=100, n_fit=200)),
}

#: the named tasks; Lyapunov exponents: Lorenz-63 0.906, Rossler (a=b=0.2, c=5.7)
#: 0.0714 (Sprott 2003)
TASKS = {t.name: t for t in (
    _series("lorenz63", 3, 0.906, **SERIES_DEFAULTS["lorenz63"]),
    _series("rossler", 3, 0.0714, **SERIES_DEFAULTS["rossler"]),
    _series("lorenz96", 8, **SERIES_DEFAULTS["lorenz96"]),
    _series("google_stock", 1, **SERIES_DEFAULTS["google_stock"]),
    _series("wind_speed", 1, **SERIES_DEFAULTS["wind_speed"]),
    _images("mnist5k"), _images("fashion_mnist"))}


def task_names(kind=None):
    """Registered task names (``kind``: "series", "images" or None for all)."""
    return tuple(n for n, t in TASKS.items() if kind is None or t.data.kind == kind)


def get_task(task, **fields):
    """A registered task by name (or a Task as is), with ``fields`` replaced.

    Raises
    ------
    ValueError
        Unknown name (the message lists the registered ones).
    """
    if isinstance(task, Task):
        return task.replace(**fields) if fields else task
    check_choice("task", task, set(TASKS))
    return TASKS[task].replace(**fields) if fields else TASKS[task]


#: keyword names of the lower-level task functions -> ReadoutSpec fields
READOUT_KEYWORDS = {"taus": "taus", "readout_fraction": "fraction",
                    "readout_inputs": "inputs", "target": "target"}


def readout_kwargs_fields(readout_kwargs):
    """ReadoutSpec fields from the ``readout_kwargs`` dict of earlier versions."""
    rk = dict(readout_kwargs or {})
    unknown = set(rk) - {"alphas", "standardize"}
    if unknown:
        raise TypeError(f"readout_kwargs: only 'alphas' and 'standardize' are readout "
                        f"settings, got {sorted(unknown)}")
    return rk


def readout_from(readout=None, **keywords):
    """A :class:`ReadoutSpec` from a spec, a kind name or None, and keyword settings.

    ``readout``: a ReadoutSpec (used as is), ``"ridge"`` / ``"mlp"`` or None
    (the paper's readout, :meth:`ReadoutSpec.paper`, of that kind). Keywords
    (the names of earlier versions): ``taus``, ``readout_fraction``,
    ``readout_inputs``, ``target``, and ``readout_kwargs`` (a dict with
    ``alphas`` and / or ``standardize``).

    Raises
    ------
    TypeError
        A keyword that is not one of these.
    """
    spec = (readout if isinstance(readout, ReadoutSpec)
            else ReadoutSpec.paper(**({"kind": readout} if readout is not None else {})))
    fields = {}
    for key, value in keywords.items():
        if key == "readout_kwargs":
            fields.update(readout_kwargs_fields(value))
        elif key in READOUT_KEYWORDS:
            fields[READOUT_KEYWORDS[key]] = value
        else:
            raise TypeError(f"{key}: unexpected keyword argument (readout settings: "
                            f"{sorted(READOUT_KEYWORDS) + ['readout_kwargs']})")
    return dataclasses.replace(spec, **fields) if fields else spec
