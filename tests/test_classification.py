"""Image classification protocol: pooling, spike-count features, MNIST-5k subset.

Runtime device, NumPy code generation, 1 ms step. The test shortens the
presentation and silence to 50 ms each (the protocol's default is 100 + 100
ms) and pools 28x28 digits to 7x7 (49 input channels) so the 125-neuron
network runs in seconds.
"""
import numpy as np
import pytest
from scipy import stats

brian2 = pytest.importorskip("brian2")

from brian2_lnp.models.network import build_model  # noqa: E402
from brian2_lnp.tasks.classification import (image_features, pool_images,  # noqa: E402
                                             run_classification)


#: numpy code generation and a coarse step keep these runs short (see conftest)
BRIAN2_SETTINGS = {"codegen": "numpy", "dt_ms": 1.0}


def test_pool_images_by_hand():
    img = np.arange(16, dtype=float).reshape(1, 4, 4)
    np.testing.assert_allclose(pool_images(img, 2)[0], [[2.5, 4.5], [10.5, 12.5]])
    assert pool_images(np.zeros((2, 5, 5)), 2).shape == (2, 2, 2)  # cropped to 4x4
    with pytest.raises(ValueError, match="pool"):
        pool_images(np.zeros((1, 4, 4)), 0)


def test_mnist5k_subset_beats_chance_and_features_are_window_counts():
    from brian2_lnp.datasets import mnist5k

    try:
        d = mnist5k()
    except ImportError as exc:  # MissingDataPackageError
        pytest.skip(str(exc))
    (Xtr, ytr), (Xte, yte) = d.train, d.test
    n_tr, n_te = 100, 60
    P, Q = pool_images(Xtr[:n_tr], 4), pool_images(Xte[:n_te], 4)
    m = build_model("hrsnn_small", seed=1, n_inputs=P[0].size, plasticity=False)
    r = run_classification(m, (P, ytr[:n_tr]), (Q, yte[:n_te]), presentation=0.05,
                           silence=0.05, max_intensity=255.0, readout_fraction=1.0, seed=0)
    # chance is 10 %; P(>= k correct of 60 by guessing) must be tiny
    k = int(round(r.accuracy * n_te))
    assert stats.binom.sf(k - 1, n_te, 0.1) < 1e-4, r.accuracy
    assert r.mean_rate > 0
    # features = spikes in each [start, start + 50 ms) window, counted independently
    i, t = m.spike_trains()
    F = image_features(m, r.readout_neurons, r.t_start, 3, 0.05, 0.05)
    for n in range(3):
        lo = r.t_start + n * 0.1
        for c, neuron in enumerate(r.readout_neurons[:20]):
            sel = (i == neuron) & (t >= lo - 1e-9) & (t < lo + 0.05 - 1e-9)
            assert F[n, c] == sel.sum()


def test_classification_input_errors():
    m = build_model("hrsnn_small", seed=1, n_inputs=10, plasticity=False)
    imgs = np.zeros((4, 7, 7))
    with pytest.raises(ValueError, match="input"):
        run_classification(m, (imgs, np.arange(4)), (imgs, np.arange(4)), readout_neurons=[0])
    with pytest.raises(ValueError, match="presentation"):
        run_classification(m, (imgs, np.arange(4)), (imgs, np.arange(4)), presentation=0.0,
                           readout_neurons=[0])
