"""Time-series prediction with a Brian2 spiking network (000 section 4.1 protocol).

Each series step is presented for ``step`` (default 20 ms) as Poisson rates on
the model's input channels (:class:`SeriesEncoding`); the features of a step
are the readout neurons' exponentially filtered spike trains, at one or more
time constants, sampled at the end of the step (just before the next step
starts). The readout (:class:`~brian2_lnp.tasks.readout.Readout`, ridge or the
n -> 20 -> out MLP) maps the features after step k to the value of step k+1.

Protocol (000 4.1: "trained using 500 timesteps ... predict the following
100"): for each window the readout is fitted on the 500 context steps (minus
a washout) and predicts the next 100 steps,

* one-step-ahead: the true series keeps driving the network, each prediction
  uses the features after the true previous step. All input is known in
  advance, so this runs as a single simulation on every device;
* closed loop (autonomous): after the context, each prediction is encoded and
  fed back as the next input step. The input depends on the run, so this needs
  Python between steps: **runtime device only** (cpp_standalone compiles its
  input spike trains into the program before the run; re-running the binary
  per step with ``device.run(run_args=...)`` would restart from t = 0).
  Windows after the first are handled with ``Network.store()/restore()`` so
  the network continues from the state reached under the true input.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..metrics import nrmse, vpt
from ..models.devices import deferred_build, is_standalone
from ..models.encoders import poisson_spike_trains
from ..random import child_seed
from ..validation import check_choice, check_int, check_range
from .common import as_2d, base_seed, now, quiet_past_spikes, seconds, snap
from .features import spike_features
from .readout import Readout, select_readout_neurons
from .specs import PAPER_TAUS, PredictionProtocol, readout_from

__all__ = ["SeriesEncoding", "PredictionResult", "present_series", "step_features",
           "run_prediction", "analyse_prediction", "deferred_build", "raw_input_baseline",
           "SeriesReadout", "DEFAULT_TAUS", "READOUT_INPUTS", "TARGETS", "Scoring",
           "prediction_options", "window_metrics"]

logger = logging.getLogger(__name__)

#: time constants (second) of the exponential filters whose outputs form the features
#: (the paper-style readout's)
DEFAULT_TAUS = PAPER_TAUS
#: what a prediction readout sees: the network's features only, or x(k) and the features
READOUT_INPUTS = ("network", "network+input")
#: what a prediction readout is fitted to: x(k+1), or the increment x(k+1) - x(k)
TARGETS = ("value", "increment")


# --------------------------------------------------------------------------- encoding
@dataclasses.dataclass
class SeriesEncoding:
    """How a (T, d) series becomes Poisson rates on ``n_channels`` input channels.

    ``coding="population"`` (default, our choice): each dimension owns
    ``m = n_channels // d`` channels with Gaussian tuning curves whose centres
    are evenly spaced over the dimension's training range ``[lo, hi]``:
    ``rate_c = r_min + (r_max - r_min) * exp(-(x - c)^2 / (2 s^2))``,
    ``s = width * (hi - lo) / (m - 1)`` (Bohte et al. 2002 style).
    ``coding="rate"``: each channel of dimension j fires at
    ``r_min + (r_max - r_min) * clip((x - lo) / (hi - lo), 0, 1)``.
    Channels beyond ``d * m`` stay silent.

    Build with :meth:`fit` from the training part so test data are scaled the
    same way.
    """

    n_channels: int
    step: float
    dt: float
    lo: np.ndarray
    hi: np.ndarray
    coding: str = "population"
    r_min: float = 0.0
    r_max: float = 200.0
    width: float = 1.0

    @classmethod
    def fit(cls, train, n_channels, step=0.02, dt=1e-4, coding="population", r_min=0.0,
            r_max=200.0, width=1.0):
        """An encoding scaled to the range of ``train`` (T, d).

        Parameters
        ----------
        train : array (T,) or (T, d)
            Series whose per-dimension min and max set the scale.
        n_channels : int
            Input channels of the model (at least d).
        step : float or Quantity
            Presentation time of one series step (second), a multiple of ``dt``.
        dt : float or Quantity
            Simulation time step (second).
        coding : {"population", "rate"}
        r_min, r_max : float
            Baseline and peak rate (Hz), ``0 <= r_min <= r_max <= 1/dt``.
        width : float
            Tuning width in units of the centre spacing (population coding), > 0.
        """
        X = as_2d("train", train)
        step, dt = seconds("step", step), seconds("dt", dt)
        check_range("dt", dt, 0.0, low_inclusive=False)
        check_range("step", step, dt)
        n_channels = check_int("n_channels", n_channels, X.shape[1])
        check_choice("coding", coding, {"population", "rate"})
        r_min = check_range("r_min", r_min, 0.0)
        r_max = check_range("r_max", r_max, r_min, 1.0 / dt)
        width = check_range("width", width, 0.0, low_inclusive=False)
        lo, hi = X.min(axis=0), X.max(axis=0)
        hi = np.where(hi > lo, hi, lo + 1.0)
        return cls(n_channels, step, dt, lo, hi, coding, r_min, r_max, width)

    @property
    def per_dim(self):
        return self.n_channels // self.lo.size

    def rates(self, X):
        """Rates (Hz), shape (T, n_channels), for a series (T, d)."""
        X = as_2d("X", X)
        d = self.lo.size
        if X.shape[1] != d:
            raise ValueError(f"X: expected {d} dimensions like the fitted series, got {X.shape[1]}")
        m = self.per_dim
        out = np.zeros((X.shape[0], self.n_channels))
        span = self.hi - self.lo
        for j in range(d):
            x = X[:, j:j + 1]
            if self.coding == "rate":
                u = np.clip((x - self.lo[j]) / span[j], 0.0, 1.0)
                r = np.repeat(u, m, axis=1)
            else:
                centres = self.lo[j] + span[j] * (np.arange(m) / max(m - 1, 1))
                s = self.width * span[j] / max(m - 1, 1)
                r = np.exp(-((x - centres[None, :]) ** 2) / (2.0 * s * s))
            out[:, j * m:(j + 1) * m] = self.r_min + (self.r_max - self.r_min) * r
        return out

    def spikes(self, X, t_start, seed=None):
        """Poisson trains ``(indices, times)`` presenting X from ``t_start`` (second)."""
        return poisson_spike_trains(self.rates(X), self.dt, step=self.step, t_start=t_start,
                                    seed=seed)


# --------------------------------------------------------------------------- running
def present_series(model, X, encoding, t_start=None, seed=None, run=True):
    """Append the encoded series to the model's input and (optionally) run it.

    Parameters
    ----------
    model : SpikingNetwork
    X : array (T, d)
    encoding : SeriesEncoding
    t_start : float, optional
        Start of the presentation (second); default the network's current time.
    seed : None, int or Generator
        Seed of the Poisson trains.
    run : bool
        Run the network for ``T * encoding.step`` afterwards.

    Returns
    -------
    float
        The start time used (second).
    """
    import brian2 as b2

    if model.inputs is None:
        raise ValueError("model: has no input channels (build it with n_inputs >= 1)")
    if model.inputs.n_channels != encoding.n_channels:
        raise ValueError(f"encoding.n_channels: must equal the model's {model.inputs.n_channels} "
                         f"input channels, got {encoding.n_channels}")
    if abs(float(model.dt) - encoding.dt) > 1e-12:
        raise ValueError(f"encoding.dt: must equal the model's dt={float(model.dt)} s, "
                         f"got {encoding.dt}")
    X = as_2d("X", X)
    t0 = now(model) if t_start is None else float(t_start)
    # snap to the dt grid (t may carry rounding from previous runs)
    t0 = round(t0 / encoding.dt) * encoding.dt
    tr = encoding.spikes(X, t0, seed)
    i_old, t_old = model.input_spikes()
    if model.input_mode != "explicit":  # background Poisson was generated for past runs only
        keep = t_old < t0
        i_old, t_old = i_old[keep], t_old[keep]
    with quiet_past_spikes():
        model.set_input(np.concatenate([i_old, tr.indices]), np.concatenate([t_old, tr.times]))
        if run:
            model.run(X.shape[0] * encoding.step * b2.second)
    return t0


def step_features(model, neurons, t_start, n_steps, step, taus=DEFAULT_TAUS, dt=1e-4,
                  floor=1e-6):
    """Readout features at the end of each presented step.

    Parameters
    ----------
    model : SpikingNetwork
        With a spike monitor.
    neurons : array of int
        Readout neurons.
    t_start : float
        Start of the first step (second).
    n_steps : int
    step : float
        Step duration (second).
    taus : sequence of float
        Filter time constants (second); one block of columns per tau.
    dt : float
        Simulation step (second): features are read at ``end - dt/2`` so a
        spike in the first time step of the next step is not counted.
    floor : float
        Filter values below this are set to 0 (numerical hygiene for the
        readout's standardisation; see the comment in the code).

    Returns
    -------
    ndarray, shape (n_steps, len(taus) * len(neurons))
    """
    i, t = model.spike_trains()
    ts = t_start + (np.arange(n_steps) + 1) * step - 0.5 * dt
    F = np.hstack([spike_features(i, t, np.asarray(neurons), ts, method="exp", tau=tau)
                   for tau in taus])
    # A trace below floor (last spike more than ~14 tau ago) is set to exactly 0.
    # Otherwise a neuron silent through a readout's fitting window leaves a column
    # of values like 1e-30 whose tiny variance the readout's standardisation divides
    # by, and the first spike after the window becomes a 1e30-sized input.
    F[F < floor] = 0.0
    return F


# --------------------------------------------------------------------------- readout
class SeriesReadout:
    """One-step series readout: the state after step k -> the value of step k+1.

    Parameters
    ----------
    kind : {"ridge", "mlp"}
        The trainable map (:class:`~brian2_lnp.tasks.readout.Readout`).
    inputs : {"network", "network+input"}
        ``"network"`` (default, the paper's readout): the readout neurons'
        features after step k only; the network is the only path from the input
        to the forecast. ``"network+input"``: the features together with the exact
        value x(k) presented during step k, i.e. the standard reservoir-computing
        readout ``W_out [u(k); x(k)]`` with a direct input term (Jaeger 2001;
        Lukosevicius 2012). Its gain over the same readout on x(k) alone
        (:func:`raw_input_baseline` with ``lags=1``) is what the network adds.
    target : {"value", "increment"}
        ``"value"``: fitted to x(k+1). ``"increment"``: fitted to x(k+1) - x(k),
        and x(k) is added back to the output. Note that the forecast then uses
        the exact x(k) whatever ``inputs`` is (with ``inputs="network"`` it is
        persistence plus a network correction).
    seed : None, int or Generator
        MLP initialisation.
    **readout_kwargs
        Passed to :class:`~brian2_lnp.tasks.readout.Readout` (e.g. ``alphas``).
    """

    def __init__(self, kind="ridge", inputs="network", target="value", seed=None,
                 **readout_kwargs):
        self.kind = check_choice("kind", kind, {"ridge", "mlp"})
        self.inputs = check_choice("inputs", inputs, set(READOUT_INPUTS))
        self.target = check_choice("target", target, set(TARGETS))
        self.readout = Readout(kind=kind, task="regression", seed=seed, **readout_kwargs)

    @property
    def label(self):
        """Short honest name, e.g. ``"ridge on network+input, increment"``."""
        return f"{self.kind} on {self.inputs}, {self.target}"

    def design(self, F, X):
        """Rows of the readout's input: ``F`` or ``[X, F]`` (k-th row: state after step k)."""
        F = np.asarray(F, dtype=float)
        X = as_2d("X", X)
        if F.ndim != 2 or F.shape[0] != X.shape[0]:
            raise ValueError(f"F: expected ({X.shape[0]}, n_features) like X, got {F.shape}")
        return np.hstack([X, F]) if self.inputs == "network+input" else F

    def fit(self, F, X, start=0):
        """Fit on the rows ``start .. T-2`` of features ``F`` (T, n) and series ``X`` (T, d).

        Row k (features after step k, value x(k)) is mapped to x(k+1), or to
        x(k+1) - x(k). Returns self.
        """
        X = as_2d("X", X)
        start = check_int("start", start, 0, X.shape[0] - 3)
        Z = self.design(F, X)
        y = X[start + 1:] - (X[start:-1] if self.target == "increment" else 0.0)
        self.readout.fit(Z[start:-1], y)
        return self

    def predict(self, F, X):
        """Forecast of x(k+1) for every row k of ``F`` and ``X``, shape (T, d)."""
        X = as_2d("X", X)
        out = self.readout.predict(self.design(F, X))
        out = out.reshape(X.shape[0], -1)
        return out + X if self.target == "increment" else out


# --------------------------------------------------------------------------- results
@dataclasses.dataclass
class PredictionResult:
    """Outcome of :func:`run_prediction` (series in the units given, e.g. z-scored).

    Attributes
    ----------
    y_true : ndarray (W, n_predict, d)
    one_step : ndarray (W, n_predict, d)
        One-step-ahead predictions.
    closed_loop : ndarray (W, n_predict, d) or None
        Autonomous predictions (runtime only).
    persistence : ndarray (W, n_predict, d)
        y(t+1) = y(t) on the same targets.
    metrics : dict
        ``nrmse_one_step``, ``vpt_one_step`` (mean steps), ``nrmse_closed_loop``,
        ``vpt_closed_loop`` (steps) and ``vpt_closed_loop_lyap`` (Lyapunov
        times, when known), ``nrmse_persistence``, ``vpt_persistence``.
    readout_neurons : ndarray of int
    sim_time : float
        Simulated seconds of the evaluation (after any previous runs).
    t_start : float
        Start time of the evaluation presentation (second).
    readout : str
        How the forecasts were made (:attr:`SeriesReadout.label` and where the
        readout was fitted), e.g. ``"ridge on network, value; fitted per window"``.
    """

    y_true: np.ndarray
    one_step: np.ndarray
    closed_loop: np.ndarray | None
    persistence: np.ndarray
    metrics: dict
    readout_neurons: np.ndarray
    sim_time: float
    t_start: float
    readout: str = ""


@dataclasses.dataclass(frozen=True)
class Scoring:
    """How forecasts are scored.

    Parameters
    ----------
    std : tuple of float, optional
        Long-term std per dimension for NRMSE / VPT (default 1: a z-scored series).
    epsilon : float
        VPT threshold on the normalised error (0.1, Vlachas et al. 2020), > 0.
    dt_series : float, optional
        Series time step, to report VPT in Lyapunov times (Lorenz-63: 0.01).
    lyapunov_exponent : float, optional
        Largest Lyapunov exponent (Lorenz-63: 0.906).
    """

    std: tuple | None = None
    epsilon: float = 0.1
    dt_series: float | None = None
    lyapunov_exponent: float | None = None

    def __post_init__(self):
        check_range("epsilon", self.epsilon, 0.0, low_inclusive=False)
        if self.std is not None:
            object.__setattr__(self, "std", tuple(float(v) for v in np.ravel(self.std)))

    def std_for(self, d):
        return np.ones(d) if self.std is None else np.broadcast_to(np.asarray(self.std), (d,))


SCORING_KEYWORDS = ("std", "epsilon", "dt_series", "lyapunov_exponent")
PROTOCOL_KEYWORDS = ("n_context", "n_predict", "n_windows", "washout", "closed_loop")


def prediction_options(protocol=None, readout=None, scoring=None, **keywords):
    """(PredictionProtocol, ReadoutSpec, Scoring) from option objects and keywords.

    Keywords are the names of earlier versions: ``n_context``, ``n_predict``,
    ``n_windows``, ``washout``, ``closed_loop`` (protocol), ``std``,
    ``epsilon``, ``dt_series``, ``lyapunov_exponent`` (scoring), and the readout
    keywords of :func:`~brian2_lnp.tasks.specs.readout_from`. Without a
    ``readout`` the paper's readout is used (top 10 %, filters 10 / 50 ms,
    leave-one-out ridge on z-scored features).
    """
    proto = {k: keywords.pop(k) for k in PROTOCOL_KEYWORDS if k in keywords}
    score = {k: keywords.pop(k) for k in SCORING_KEYWORDS if k in keywords}
    protocol = dataclasses.replace(protocol or PredictionProtocol(), **proto)
    scoring = dataclasses.replace(scoring or Scoring(), **score)
    return protocol, readout_from(readout, **keywords), scoring


def window_metrics(prefix, y_true, y_pred, std, epsilon, dt_series, lyap):
    """``nrmse_<prefix>``, ``vpt_<prefix>`` (mean steps over windows) and ``vpt_<prefix>_lyap``."""
    out = {f"nrmse_{prefix}": float(nrmse(y_true.reshape(-1, y_true.shape[-1]),
                                          y_pred.reshape(-1, y_pred.shape[-1]), std=std))}
    v = [vpt(a, b, std=std, epsilon=epsilon, dt=dt_series, lyapunov_exponent=lyap)
         for a, b in zip(y_true, y_pred)]
    out[f"vpt_{prefix}"] = float(np.mean([r.steps for r in v]))
    if v[0].lyapunov_times is not None:
        out[f"vpt_{prefix}_lyap"] = float(np.mean([r.lyapunov_times for r in v]))
    return out


def run_prediction(model, series, encoding, protocol=None, readout=None, *, readout_neurons=None,
                   seed=None, scoring=None, **keywords):
    """Run the 000 section 4.1 prediction protocol on a Brian2 model.

    The series (use a z-scored one, e.g. ``Dataset.normalised().test``) is
    presented from the network's current time on. Window ``w`` has context
    ``series[w*n_predict : w*n_predict + n_context]`` and future the next
    ``n_predict`` steps. The readout of each window is fitted on its context
    (features after step k -> value of step k+1, the first ``washout`` steps of
    the context skipped) and predicts the future.

    Parameters
    ----------
    model : SpikingNetwork
        Typically with frozen weights (``plasticity=False`` or
        :func:`~brian2_lnp.tasks.training.freeze`).
    series : array (T, d)
        At least ``n_context + n_windows * n_predict`` steps.
    encoding : SeriesEncoding
    protocol : PredictionProtocol, optional
        Context, horizon, windows, washout, closed loop (also runs the
        autonomous forecast, runtime device only). Default: 500 / 100 / 1 / 50.
    readout : ReadoutSpec or {"ridge", "mlp"}, optional
        Default: the paper's readout (:meth:`ReadoutSpec.paper`).
    readout_neurons : array of int, optional
        Default: the top ``readout.fraction`` of active neurons by betweenness.
    seed : None, int or Generator
        Seeds the Poisson trains and the MLP.
    scoring : Scoring, optional
        std, VPT threshold, series step and Lyapunov exponent.
    **keywords
        The keyword names of earlier versions (:func:`prediction_options`),
        e.g. ``n_context=200, taus=(0.01,), readout_kwargs={"alphas": (1.0,)}``.

    Returns
    -------
    PredictionResult
    """
    proto, ro, scoring = prediction_options(protocol, readout, scoring, **keywords)
    X = as_2d("series", series)
    if X.shape[0] < proto.n_steps:
        raise ValueError(f"series: needs n_context + n_windows * n_predict = {proto.n_steps} "
                         f"steps, got {X.shape[0]}")
    X = X[:proto.n_steps]
    if proto.closed_loop and is_standalone():
        raise NotImplementedError(
            "closed_loop: the prediction must be fed back as input during the run, which "
            "cpp_standalone/genn cannot do (their input trains are compiled before the run); "
            "use the runtime device for closed-loop prediction")
    bseed = base_seed(seed)
    if readout_neurons is None:
        readout_neurons = select_readout_neurons(model.export(), fraction=ro.fraction)
    neurons = np.asarray(readout_neurons, dtype=np.int64)
    new_readout = _readout_factory(ro, bseed)
    t0 = snap(now(model), encoding.dt)
    auto = None
    if not proto.closed_loop:
        with deferred_build(model):
            present_series(model, X, encoding, t_start=t0, seed=child_seed(bseed, "input", 0))
    else:
        auto = _closed_loop(model, X, encoding, t0, neurons, proto, ro, new_readout, bseed)
    return _analyse(model, X, t0, encoding, neurons, proto, ro.taus, new_readout, scoring,
                    auto)


def _closed_loop(model, X, encoding, t0, neurons, proto, ro, new_readout, bseed):
    """True input up to each context end, then autonomous steps from a stored state."""
    step, dt, n_predict = encoding.step, encoding.dt, proto.n_predict
    auto = np.zeros((proto.n_windows, n_predict, X.shape[1]))
    done = 0
    for w in range(proto.n_windows):
        c_end = w * n_predict + proto.n_context
        present_series(model, X[done:c_end], encoding, t_start=t0 + done * step,
                       seed=child_seed(bseed, "input", done))
        done = c_end
        F = step_features(model, neurons, t0, c_end, step, ro.taus, dt)
        fitted = new_readout(w).fit(F[w * n_predict + proto.washout:c_end],
                                    X[w * n_predict + proto.washout:c_end])
        model.network.store("lnp_closed_loop")
        i_saved, t_saved = model.input_spikes()
        x_next = fitted.predict(F[c_end - 1:c_end], X[c_end - 1:c_end])
        for k in range(n_predict):
            auto[w, k] = x_next[0]
            if k == n_predict - 1:
                break
            tk = present_series(model, x_next, encoding, t_start=t0 + (c_end + k) * step,
                                seed=child_seed(bseed, "auto", w, k))
            f = step_features(model, neurons, tk, 1, step, ro.taus, dt)
            x_next = fitted.predict(f, x_next)
        model.network.restore("lnp_closed_loop")
        with quiet_past_spikes():
            model.set_input(i_saved, t_saved)
    present_series(model, X[done:], encoding, t_start=t0 + done * step,
                   seed=child_seed(bseed, "input", done))
    return auto


def _analyse(model, X, t0, encoding, neurons, proto, taus, new_readout, scoring, auto=None,
             fit=None):
    """Fit the readout (per window, or once on ``fit = (F, X, start)``) and score."""
    d = X.shape[1]
    n_context, n_predict, n_windows, washout = (proto.n_context, proto.n_predict,
                                                proto.n_windows, proto.washout)
    F = step_features(model, neurons, t0, proto.n_steps, encoding.step, taus, encoding.dt)
    one = np.zeros((n_windows, n_predict, d))
    y_true = np.zeros((n_windows, n_predict, d))
    pers = np.zeros((n_windows, n_predict, d))
    ro = None if fit is None else new_readout("fit").fit(*fit)
    for w in range(n_windows):
        c0, c_end = w * n_predict, w * n_predict + n_context
        if fit is None:
            ro = new_readout(w).fit(F[c0 + washout:c_end], X[c0 + washout:c_end])
        one[w] = ro.predict(F[c_end - 1:c_end - 1 + n_predict], X[c_end - 1:c_end - 1 + n_predict])
        y_true[w] = X[c_end:c_end + n_predict]
        pers[w] = X[c_end - 1:c_end - 1 + n_predict]
    args = (scoring.std_for(d), scoring.epsilon, scoring.dt_series, scoring.lyapunov_exponent)
    m = {}
    m.update(window_metrics("one_step", y_true, one, *args))
    m.update(window_metrics("persistence", y_true, pers, *args))
    if auto is not None:
        m.update(window_metrics("closed_loop", y_true, auto, *args))
    where = "fitted per window" if fit is None else "fitted once on a separate stretch"
    return PredictionResult(y_true, one, auto, pers, m, np.asarray(neurons),
                            proto.n_steps * encoding.step, t0, f"{ro.label}; {where}")


def analyse_prediction(model, series, encoding, t_start, protocol=None, readout=None, *,
                       readout_neurons, seed=None, scoring=None, fit_series=None,
                       fit_t_start=None, **keywords):
    """Score the one-step protocol on a run that already presented ``series`` from ``t_start``.

    For standalone devices, where the presentation (:func:`present_series`,
    possibly after STDP training) is scheduled inside one
    :func:`~brian2_lnp.models.devices.deferred_build` and the spikes can be
    read only after the build. Parameters as in :func:`run_prediction`, and

    fit_series : array (T_fit, d), optional
        A stretch presented from ``fit_t_start`` (second) in the same run, e.g.
        part of the training split. If given, the readout is fitted **once** on
        it (its first ``washout`` steps skipped) and predicts every window; the
        windows' contexts are then only a washout. Default: the 000 4.1
        protocol, one readout per window fitted on its ``n_context`` steps.

    Returns
    -------
    PredictionResult
    """
    proto, ro, scoring = prediction_options(protocol, readout, scoring, **keywords)
    X = as_2d("series", series)[:proto.n_steps]
    d = X.shape[1]
    new_readout = _readout_factory(ro, base_seed(seed))
    fit = None
    if fit_series is not None:
        if fit_t_start is None:
            raise ValueError("fit_t_start: needed with fit_series (start of its presentation)")
        Xf = as_2d("fit_series", fit_series)
        if Xf.shape[1] != d:
            raise ValueError(f"fit_series: expected {d} dimensions, got {Xf.shape[1]}")
        Ff = step_features(model, readout_neurons, float(fit_t_start), Xf.shape[0],
                           encoding.step, ro.taus, encoding.dt)
        fit = (Ff, Xf, proto.washout)
    return _analyse(model, X, float(t_start), encoding, readout_neurons, proto, ro.taus,
                    new_readout, scoring, fit=fit)


def _readout_factory(ro, bseed):
    """``new_readout(w)``: a fresh SeriesReadout of spec ``ro`` seeded for window (or fit) ``w``."""

    def new_readout(w):
        return SeriesReadout(ro.kind, ro.inputs, ro.target,
                             seed=child_seed(bseed, "readout", w), **ro.readout_kwargs)

    return new_readout


def raw_input_baseline(series, *, readout="ridge", n_context=500, n_predict=100, n_windows=1,
                       washout=50, lags=1, std=None, seed=None, readout_kwargs=None,
                       fit_series=None):
    """The same readout fitted on the raw input window instead of spike features.

    For each window (as in :func:`run_prediction`), the readout maps the
    last ``lags`` exact series values ``x[k-lags+1..k]`` to ``x[k+1]``; it is
    fitted on the context and predicts the future one step ahead. With
    ``fit_series`` it is fitted once on that series instead (as
    :func:`analyse_prediction` with ``fit_series``).

    Returns
    -------
    (y_pred (W, n_predict, d), nrmse)
    """
    X = as_2d("series", series)
    d = X.shape[1]
    lags = check_int("lags", lags, 1)
    n_context = check_int("n_context", n_context, lags + 2)
    washout = max(check_int("washout", washout, 0, n_context - 2), lags - 1)
    need = n_context + n_windows * n_predict
    if X.shape[0] < need:
        raise ValueError(f"series: needs {need} steps, got {X.shape[0]}")
    std = np.ones(d) if std is None else np.broadcast_to(np.asarray(std, float), (d,))
    # row k holds x[k-lags+1 .. k] (rows before lags-1 are never used)

    def lagged(A):
        return np.hstack([np.roll(A, s, axis=0) for s in range(lags)])

    def new_readout(w):
        return Readout(kind=readout, task="regression", seed=child_seed(
            seed if isinstance(seed, int) else 0, "raw", w), **(readout_kwargs or {}))

    Z = lagged(X)
    if fit_series is not None:
        Xf = as_2d("fit_series", fit_series)
        if Xf.shape[1] != d or Xf.shape[0] < washout + 2:
            raise ValueError(f"fit_series: expected (> {washout + 1}, {d}), got {Xf.shape}")
        ro_once = new_readout("fit").fit(lagged(Xf)[washout:-1], Xf[washout + 1:])
    out = np.zeros((n_windows, n_predict, d))
    truth = np.zeros_like(out)
    for w in range(n_windows):
        c0, c_end = w * n_predict, w * n_predict + n_context
        if fit_series is not None:
            ro = ro_once
        else:
            ro = new_readout(w).fit(Z[c0 + washout:c_end - 1], X[c0 + washout + 1:c_end])
        out[w] = ro.predict(Z[c_end - 1:c_end - 1 + n_predict])
        truth[w] = X[c_end:c_end + n_predict]
    return out, float(nrmse(truth.reshape(-1, d), out.reshape(-1, d), std=std))
