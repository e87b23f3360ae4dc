"""Prediction protocol, series encoding and input-noise robustness.

Runtime device, NumPy code generation, 0.5 ms step, the 125-neuron
hrsnn_small model and short generated signals (named as generated) keep this
fast. The signals are sines sampled at a few points per period, so one step
changes the value a lot (persistence is poor) while the future is fully
determined by the recent past (a network that holds its input for a few steps
can do better).
"""
import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from brian2_lnp.models.network import build_model  # noqa: E402
from brian2_lnp.tasks.prediction import (SeriesEncoding, SeriesReadout,  # noqa: E402
                                         analyse_prediction, present_series,
                                         raw_input_baseline, run_prediction, step_features)
from brian2_lnp.tasks.robustness import (add_noise_snr, measured_snr_db,  # noqa: E402
                                         noise_robustness)


#: numpy code generation and a coarse step keep these runs short (see conftest)
BRIAN2_SETTINGS = {"codegen": "numpy", "dt_ms": 1.0}  # coarse but stable (exponential Euler)


def generated_sine(T, period=10.0, phase=0.0):
    """A generated (not real) sine series, shape (T, 1)."""
    return np.sin(2 * np.pi * np.arange(T) / period + phase)[:, None]


# ----------------------------------------------------------------------------- encoding
def test_population_and_rate_coding_by_hand():
    train = np.array([[0.0], [4.0]])  # range [0, 4]
    enc = SeriesEncoding.fit(train, n_channels=5, step=0.01, dt=1e-4, r_min=2.0, r_max=102.0)
    # centres 0, 1, 2, 3, 4; width = spacing = 1
    r = enc.rates(np.array([[2.0]]))[0]
    expect = 2.0 + 100.0 * np.exp(-((2.0 - np.arange(5)) ** 2) / 2.0)
    np.testing.assert_allclose(r, expect)
    enc2 = SeriesEncoding.fit(train, n_channels=3, step=0.01, dt=1e-4, coding="rate",
                              r_min=0.0, r_max=50.0)
    np.testing.assert_allclose(enc2.rates(np.array([[-1.0], [1.0], [9.0]])),
                               [[0, 0, 0], [12.5, 12.5, 12.5], [50, 50, 50]])
    # mean count of the Poisson trains matches rate x step (independent estimate)
    tr = enc2.spikes(np.full((400, 1), 2.0), t_start=0.0, seed=1)
    counts = np.bincount(tr.indices, minlength=3) / 400
    np.testing.assert_allclose(counts, 25.0 * 0.01, rtol=0.15)


def test_encoding_errors_name_the_parameter():
    with pytest.raises(ValueError, match="n_channels"):
        SeriesEncoding.fit(np.zeros((5, 3)), n_channels=2)
    with pytest.raises(ValueError, match="r_max"):
        SeriesEncoding.fit(np.zeros((5, 1)), n_channels=2, dt=1e-3, r_max=5000.0)
    with pytest.raises(ValueError, match="coding"):
        SeriesEncoding.fit(np.zeros((5, 1)), n_channels=2, coding="latency")


class _Spikes:
    """Stands in for a model: only spike_trains() is used by step_features."""

    def __init__(self, i, t):
        self.i, self.t = np.asarray(i), np.asarray(t, dtype=float)

    def spike_trains(self):
        return self.i, self.t


def test_step_features_by_hand_and_floor():
    # neuron 0 spikes at 5 ms and 12 ms; neuron 1 once at 1 ms
    m = _Spikes([1, 0, 0], [0.001, 0.005, 0.012])
    F = step_features(m, [0, 1], t_start=0.0, n_steps=3, step=0.01, taus=(0.01,), dt=1e-3)
    ends = np.array([0.01, 0.02, 0.03]) - 0.0005
    f0 = [np.exp(-(ends[0] - 0.005) / 0.01),
          np.exp(-(ends[1] - 0.005) / 0.01) + np.exp(-(ends[1] - 0.012) / 0.01),
          np.exp(-(ends[2] - 0.005) / 0.01) + np.exp(-(ends[2] - 0.012) / 0.01)]
    np.testing.assert_allclose(F[:, 0], f0)
    np.testing.assert_allclose(F[:, 1], np.exp(-(ends - 0.001) / 0.01))
    # a spike long ago leaves a trace below the floor: exactly 0, not 1e-30
    far = step_features(_Spikes([0], [0.0]), [0], t_start=1.0, n_steps=2, step=0.01,
                        taus=(0.01,), dt=1e-3)
    assert (far == 0.0).all()


# ----------------------------------------------------------------------------- series readout
def _rotation_series(T, th=0.3, x0=(1.0, 0.0)):
    """x(k+1) = A x(k) exactly, A a rotation by th (generated)."""
    A = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    x = np.zeros((T, 2))
    x[0] = x0
    for k in range(T - 1):
        x[k + 1] = A @ x[k]
    return x


def test_series_readout_input_term_and_increment_by_hand():
    x = _rotation_series(400)
    noise = np.random.default_rng(0).normal(size=(400, 5))  # features that know nothing
    fixed = {"alphas": (1e-8,)}
    both = SeriesReadout("ridge", inputs="network+input", **fixed).fit(noise[:300], x[:300])
    # the direct input term: [x(k), F(k)] -> x(k+1) is the linear map A, nearly exact
    err = np.abs(both.predict(noise[300:-1], x[300:-1]) - x[301:]).max()
    assert err < 1e-3, err
    np.testing.assert_array_equal(both.design(noise, x), np.hstack([x, noise]))
    # the network-only readout on useless features cannot do this
    net = SeriesReadout("ridge", inputs="network", **fixed).fit(noise[:300], x[:300])
    assert np.abs(net.predict(noise[300:-1], x[300:-1]) - x[301:]).max() > 0.5
    # increment target: a constant feature column gives the mean increment; x(k) is added back
    const = np.ones((400, 1))
    inc = SeriesReadout("ridge", target="increment", **fixed).fit(const[:300], x[:300])
    mean_step = np.mean(x[1:300] - x[:299], axis=0)
    np.testing.assert_allclose(inc.predict(const[300:301], x[300:301]), x[300:301] + mean_step,
                               atol=1e-9)
    assert inc.label == "ridge on network, increment"
    with pytest.raises(ValueError, match="inputs"):
        SeriesReadout(inputs="input")
    with pytest.raises(ValueError, match="F"):
        both.predict(noise[:3], x[:4])


def test_raw_input_baseline_fitted_once_on_another_stretch():
    fit = _rotation_series(200, x0=(0.0, 2.0))
    x = _rotation_series(300)
    pred, err = raw_input_baseline(x, n_context=200, n_predict=50, n_windows=2, washout=5,
                                   readout_kwargs={"alphas": (1e-9,)}, fit_series=fit)
    assert err < 1e-4
    # fitted once: both windows use the same map, so a different context changes nothing
    x2 = x.copy()
    x2[:150] += 5.0
    pred2, _ = raw_input_baseline(x2, n_context=200, n_predict=50, n_windows=2, washout=5,
                                  readout_kwargs={"alphas": (1e-9,)}, fit_series=fit)
    np.testing.assert_array_equal(pred, pred2)


def test_readout_fitted_once_on_a_separate_stretch():
    fit = generated_sine(150, phase=1.0)
    x = generated_sine(160)
    m = build_model("hrsnn_small", seed=1, n_inputs=10, plasticity=False)
    enc = SeriesEncoding.fit(x, 10, step=0.02, dt=float(m.dt), r_max=400.0)
    t_fit = present_series(m, fit, enc, seed=3)
    t_eval = present_series(m, x, enc, seed=4)
    neurons = np.arange(0, 125, 2)
    kw = dict(n_context=60, n_predict=50, n_windows=2, washout=20, readout_neurons=neurons,
              readout_inputs="network+input", target="increment")
    r = analyse_prediction(m, x, enc, t_eval, fit_series=fit, fit_t_start=t_fit, **kw)
    assert r.readout == "ridge on network+input, increment; fitted once on a separate stretch"
    # by hand: one readout on the fit stretch's features, applied to every window
    Ff = step_features(m, neurons, t_fit, 150, 0.02, dt=float(m.dt))
    F = step_features(m, neurons, t_eval, 160, 0.02, dt=float(m.dt))
    ro = SeriesReadout("ridge", "network+input", "increment").fit(Ff, fit, start=20)
    for w in range(2):
        c = 60 + 50 * w
        np.testing.assert_allclose(r.one_step[w], ro.predict(F[c - 1:c + 49], x[c - 1:c + 49]))
    per_window = analyse_prediction(m, x, enc, t_eval, **kw)
    assert per_window.readout.endswith("fitted per window")
    assert not np.allclose(per_window.one_step, r.one_step)
    with pytest.raises(ValueError, match="fit_t_start"):
        analyse_prediction(m, x, enc, t_eval, fit_series=fit, **kw)


# ----------------------------------------------------------------------------- protocol
def test_one_step_prediction_of_generated_sine_beats_persistence():
    x = generated_sine(300)
    m = build_model("hrsnn_small", seed=1, n_inputs=10, plasticity=False)
    enc = SeriesEncoding.fit(x, 10, step=0.02, dt=float(m.dt), r_max=400.0)
    r = run_prediction(m, x, enc, n_context=200, n_predict=50, n_windows=2, washout=20,
                       readout_fraction=0.5, seed=0)
    assert r.one_step.shape == r.y_true.shape == (2, 50, 1)
    # persistence on this signal: |x(t+1) - x(t)| is large, by hand ~0.44 (unit std)
    step_err = np.sqrt(np.mean((x[1:] - x[:-1]) ** 2))
    assert r.metrics["nrmse_persistence"] == pytest.approx(step_err, rel=0.1)
    assert r.metrics["nrmse_one_step"] < 0.7 * r.metrics["nrmse_persistence"], r.metrics


def test_closed_loop_runs_shapes_and_first_step_matches_one_step():
    x = generated_sine(80)
    m = build_model("hrsnn_small", seed=1, n_inputs=10, plasticity=False)
    enc = SeriesEncoding.fit(x, 10, step=0.02, dt=float(m.dt), r_max=400.0)
    r = run_prediction(m, x, enc, n_context=70, n_predict=5, n_windows=2, washout=10,
                       readout_fraction=0.5, closed_loop=True, seed=0)
    assert r.closed_loop.shape == r.one_step.shape == (2, 5, 1)
    assert np.isfinite(r.closed_loop).all()
    # the first autonomous step uses the same state and readout as the first
    # one-step forecast: equal only if store()/restore() put the network back
    np.testing.assert_allclose(r.closed_loop[:, 0], r.one_step[:, 0], rtol=1e-10, atol=1e-12)
    assert {"nrmse_closed_loop", "vpt_closed_loop"} <= set(r.metrics)
    assert 0 <= r.metrics["vpt_closed_loop"] <= 5


def test_closed_loop_refused_on_standalone(tmp_path):
    brian2.set_device("cpp_standalone", directory=str(tmp_path), build_on_run=False)
    m = build_model("hrsnn_small", seed=1, n_inputs=10, plasticity=False)
    x = generated_sine(30)
    enc = SeriesEncoding.fit(x, 10, step=0.02, dt=float(m.dt))
    with pytest.raises(NotImplementedError, match="runtime"):
        run_prediction(m, x, enc, n_context=20, n_predict=5, washout=2, closed_loop=True,
                       readout_neurons=[0, 1])


def test_raw_input_baseline_on_a_linear_recursion():
    # x(t+1) = A x(t) exactly (a rotation): a linear readout of the last value is exact
    th = 0.3
    A = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    x = np.zeros((300, 2))
    x[0] = [1.0, 0.0]
    for k in range(299):
        x[k + 1] = A @ x[k]
    pred, err = raw_input_baseline(x, n_context=200, n_predict=50, n_windows=2, washout=5,
                                   readout_kwargs={"alphas": (1e-9, 1e-8)})
    assert pred.shape == (2, 50, 2)
    assert err < 1e-4
    # one lag of a sine cannot tell rising from falling: clearly worse than exact
    _, err1 = raw_input_baseline(generated_sine(300), n_context=200, n_predict=50, lags=1)
    _, err2 = raw_input_baseline(generated_sine(300), n_context=200, n_predict=50, lags=2)
    assert err2 < 1e-3 < err1


# ----------------------------------------------------------------------------- noise
@pytest.mark.parametrize("snr", [50.0, 40.0, 30.0, 20.0, 10.0])
def test_added_noise_has_the_requested_snr(snr):
    rng = np.random.default_rng(0)
    x = np.column_stack([np.sin(np.arange(200_000) * 0.01), 3.0 + rng.standard_normal(200_000)])
    noisy = add_noise_snr(x, snr, seed=1)
    # measured per dimension; std of the estimate ~ 4.3 * sqrt(2 / T) = 0.014 dB
    np.testing.assert_allclose(measured_snr_db(x, noisy), snr, atol=0.1)
    with pytest.raises(ValueError, match="snr_db"):
        add_noise_snr(x, float("nan"))


def test_noise_robustness_error_grows_as_snr_falls():
    x = generated_sine(220, period=10.0)
    m = build_model("hrsnn_small", seed=1, n_inputs=10, plasticity=False)
    enc = SeriesEncoding.fit(x, 10, step=0.02, dt=float(m.dt), r_max=400.0)
    res = noise_robustness(m, x[:150], x[150:220], enc, snr_db=(40.0, 0.0), washout=10,
                           readout_fraction=0.5, seed=0)
    t = res.table
    assert list(t.columns) == ["snr_db", "snr_measured_db", "rmse", "nrmse"]
    assert len(t) == 3 and np.isinf(t.snr_db[0])
    assert abs(t.snr_measured_db[1] - 40.0) < 1.5 and abs(t.snr_measured_db[2]) < 1.5
    # 0 dB noise (noise as strong as the signal) must hurt the trained readout
    assert t.rmse[2] > 1.3 * t.rmse[0], t
