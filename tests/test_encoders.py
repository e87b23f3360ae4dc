"""Rate encoders: Poisson statistics, scaling, image windows, and feeding a Brian2 model."""
import numpy as np
import pytest
from scipy import stats

from brian2_lnp.models.encoders import encode_images, encode_timeseries, poisson_spike_trains

DT = 1e-4


def _grid_checks(trains, dt=DT):
    i, t = trains
    k = np.round(t / dt)
    assert np.allclose(k * dt, t, rtol=0, atol=1e-12)  # on the time grid
    assert np.all(np.diff(t) >= 0)  # sorted by time
    assert np.unique(np.stack([i, k.astype(int)]), axis=1).shape[1] == i.size  # <= 1 per step


def _binom_ok(count, n_steps, rate, dt=DT, alpha=1e-4):
    """Two-sided exact binomial test of a channel's spike count against rate * dt."""
    return stats.binomtest(int(count), int(n_steps), rate * dt).pvalue > alpha


def test_poisson_rates_and_reproducibility():
    rates = np.array([0.0, 5.0, 50.0, 400.0])
    tr = poisson_spike_trains(rates, DT, step=2.0, seed=1)
    _grid_checks(tr)
    counts = np.bincount(tr.indices, minlength=4)
    assert counts[0] == 0
    for c, r in zip(counts[1:], rates[1:]):
        assert _binom_ok(c, 20000, r)
    again = poisson_spike_trains(rates, DT, step=2.0, seed=1)
    assert np.array_equal(again.indices, tr.indices) and np.array_equal(again.times, tr.times)
    other = poisson_spike_trains(rates, DT, step=2.0, seed=2)
    assert not np.array_equal(other.times, tr.times)
    # the test has power: a 20% wrong rate is rejected
    assert not _binom_ok(counts[3], 20000, 480.0)


def test_t_start_offsets_times():
    tr = poisson_spike_trains([100.0], DT, step=0.5, t_start=0.25, seed=0)
    assert tr.times.min() >= 0.25 and tr.times.max() < 0.75


def test_timeseries_minmax_scaling():
    # dimension 0 goes low -> high; dimension 1 is constant (sits at r_min)
    X = np.array([[0.0, 3.0], [1.0, 3.0], [0.5, 3.0]])
    tr = encode_timeseries(X, step=1.0, dt=DT, r_min=10.0, r_max=200.0, n_per_dim=2, seed=3)
    assert tr.n_channels == 4
    _grid_checks(tr)
    i, t = tr
    expected = {0: [10.0, 200.0, 105.0], 1: [10.0, 10.0, 10.0]}
    for ch in range(4):
        for k in range(3):
            n = np.sum((i == ch) & (t >= k) & (t < k + 1))
            assert _binom_ok(n, 10000, expected[ch // 2][k]), (ch, k, n)


def test_timeseries_posneg():
    X = np.array([[2.0], [-1.0]])
    tr = encode_timeseries(X, step=1.0, dt=DT, r_min=0.0, r_max=300.0, mode="posneg", seed=4)
    assert tr.n_channels == 2
    i, t = tr
    # step 0: x=+2 (scale 2) -> + channel 300 Hz, - channel 0; step 1: x=-1 -> - channel 150 Hz
    assert _binom_ok(np.sum((i == 0) & (t < 1)), 10000, 300.0)
    assert np.sum((i == 1) & (t < 1)) == 0
    assert np.sum((i == 0) & (t >= 1)) == 0
    assert _binom_ok(np.sum((i == 1) & (t >= 1)), 10000, 150.0)


def test_timeseries_bounds_from_training_split():
    tr = encode_timeseries(np.array([[5.0]]), step=1.0, dt=DT, r_min=0.0, r_max=100.0,
                           bounds=(0.0, 10.0), seed=5)
    assert _binom_ok(tr.indices.size, 10000, 50.0)


def test_images_on_off_windows():
    img = np.zeros((2, 2, 2), dtype=np.uint8)
    img[0] = [[255, 0], [51, 255]]
    img[1] = [[0, 255], [0, 0]]
    tr = encode_images(img, dt=DT, max_rate=100.0, seed=6)
    _grid_checks(tr)
    assert tr.n_channels == 4 and tr.duration == pytest.approx(0.4)
    i, t = tr
    # nothing during the 100 ms silences
    assert not np.any(((t >= 0.1) & (t < 0.2)) | (t >= 0.3))
    # pixels at 0 never spike; image 0 pixel 2 at 51/255 -> 20 Hz
    assert not np.any((i == 1) & (t < 0.1)) and not np.any((i == 0) & (t >= 0.2))
    assert _binom_ok(np.sum((i == 2) & (t < 0.1)), 1000, 20.0)
    # rate proportional to intensity, checked over many images of the same kind
    many = np.repeat(img[:1], 200, axis=0)
    tm = encode_images(many, dt=DT, max_rate=100.0, seed=7)
    counts = np.bincount(tm.indices, minlength=4)
    for ch, r in enumerate([100.0, 0.0, 20.0, 100.0]):
        assert _binom_ok(counts[ch], 200 * 1000, r) if r else counts[ch] == 0


def test_encoder_errors():
    with pytest.raises(ValueError, match="rates"):
        poisson_spike_trains([20000.0], DT, step=0.1)
    with pytest.raises(ValueError, match="step"):
        poisson_spike_trains([1.0], DT, step=1.5e-4)
    with pytest.raises(ValueError, match="mode"):
        encode_timeseries(np.zeros((3, 1)), 0.01, DT, mode="log")
    with pytest.raises(ValueError, match="r_max"):
        encode_timeseries(np.zeros((3, 1)), 0.01, DT, r_min=10, r_max=5)
    with pytest.raises(ValueError, match="images"):
        encode_images(-np.ones((1, 2, 2)), DT)


def test_quantities_accepted():
    brian2 = pytest.importorskip("brian2")
    a = poisson_spike_trains([50.0], 0.1 * brian2.ms, step=1 * brian2.second, seed=1)
    b = poisson_spike_trains([50 * brian2.Hz], DT, step=1.0, seed=1)
    assert np.array_equal(a.times, b.times)
    with pytest.raises(ValueError, match="dt"):
        poisson_spike_trains([50.0], 0.1 * brian2.mV, step=1.0)


def test_encoded_input_reaches_the_brian2_model():
    brian2 = pytest.importorskip("brian2")
    from brian2_lnp.models.network import build_model

    old = brian2.prefs.codegen.target
    brian2.prefs.codegen.target = "numpy"
    try:
        net = build_model("hrsnn_small", seed=1)
        X = np.sin(np.linspace(0, 3, 20))[:, None] * np.ones((1, net.inputs.n_channels))
        tr = encode_timeseries(X, step=5e-3, dt=float(net.dt), r_max=300.0, seed=2)
        net.set_input(*tr)
        mon = brian2.SpikeMonitor(net.inputs.group)
        net.network.add(mon)  # the model's objects are ordinary Brian2 objects
        net.run(100 * brian2.ms)
        assert mon.i[:].size == tr.indices.size > 0
        assert np.array_equal(mon.i[:], tr.indices)
        assert np.allclose(mon.t_[:], tr.times, atol=1e-12)
    finally:
        brian2.prefs.codegen.target = old
