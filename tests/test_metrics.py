"""Metrics against hand-computed cases and analytic results."""
import os

import numpy as np
import pytest

from brian2_lnp import metrics
from brian2_lnp.metrics import (accuracy, effective_rank, mean_activation, memory_capacity,
                                nrmse, nrmse_series, persistence_forecast, sop_ratio,
                                spike_counts, spike_efficiency, vpt)


# ---------------------------------------------------------------- NRMSE
def test_nrmse_hand_computed_with_given_std():
    y = np.zeros((2, 2))
    # errors (1, 2) and (1, -2), sigma (1, 2): every normalised error is +-1
    yhat = np.array([[1.0, 2.0], [1.0, -2.0]])
    assert nrmse(y, yhat, std=[1.0, 2.0]) == pytest.approx(1.0)
    # one error of 3 among four entries: sqrt(9/4)
    yhat = np.array([[3.0, 0.0], [0.0, 0.0]])
    assert nrmse(y, yhat, std=1.0) == pytest.approx(1.5)
    np.testing.assert_allclose(nrmse_series(y, yhat, std=1.0), [np.sqrt(4.5), 0.0])


def test_nrmse_default_std_is_that_of_the_target():
    y = np.array([1.0, -1.0])  # population std 1
    assert nrmse(y, np.zeros(2)) == pytest.approx(1.0)
    # a dimension with a 10x larger scale and 10x larger error counts the same
    y2 = np.column_stack([y, 10 * y])
    assert nrmse(y2, np.zeros((2, 2))) == pytest.approx(1.0)


def test_nrmse_rejects_bad_input():
    with pytest.raises(ValueError, match="y_true, y_pred"):
        nrmse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="std"):
        nrmse(np.zeros(3), np.zeros(3), std=0.0)


# ---------------------------------------------------------------- VPT
def test_vpt_counts_steps_before_first_exceedance():
    err = np.array([0.01, 0.05, 0.099, 0.2, 0.01])  # step 3 (0-based) is the first >= 0.1
    y = np.zeros((5, 1))
    res = vpt(y, err[:, None], std=1.0, epsilon=0.1, dt=0.01, lyapunov_exponent=0.9)
    assert res.steps == 3 and not res.censored
    assert res.time == pytest.approx(0.03)
    assert res.lyapunov_times == pytest.approx(0.027)


def test_vpt_censored_when_never_exceeded_and_zero_when_first_fails():
    y = np.zeros((4, 2))
    res = vpt(y, np.full((4, 2), 0.05), std=1.0)
    assert res.steps == 4 and res.censored and res.time is None
    assert vpt(y, np.full((4, 2), 0.5), std=1.0).steps == 0
    with pytest.raises(ValueError, match="epsilon"):
        vpt(y, y, std=1.0, epsilon=0.0)
    with pytest.raises(ValueError, match="lyapunov_exponent"):
        vpt(y, y, std=1.0, lyapunov_exponent=0.9)


def test_vpt_of_two_lorenz_trajectories_matches_the_lyapunov_growth():
    # Independent truth: a 1e-8 perturbation grows like exp(0.906 t) on the
    # Lorenz attractor, so it reaches 0.1 sigma after about ln(0.1 sigma / 1e-8)/0.906
    # time units; the measured VPT must be of that order (chaos is irregular: factor 2).
    from brian2_lnp.datasets import lorenz63
    a = lorenz63(n_samples=6000, n_discard=1000, splits=(6000, 0, 0)).train
    b = lorenz63(n_samples=6000, n_discard=0, splits=(6000, 0, 0),
                 initial_state=a[0] + np.array([1e-8, 0, 0])).train
    sigma = a.std(axis=0)
    res = vpt(a, b, std=sigma, dt=0.01, lyapunov_exponent=0.906)
    expected = np.log(0.1 * np.sqrt(np.mean(sigma ** 2)) / 1e-8) / 0.906
    assert 0.5 * expected < res.time < 2.0 * expected
    assert not res.censored


# ---------------------------------------------------------------- persistence
def test_persistence_forecast_aligns_last_value_with_next():
    pred, true = persistence_forecast([1.0, 2.0, 4.0, 7.0])
    np.testing.assert_array_equal(pred.ravel(), [1, 2, 4])
    np.testing.assert_array_equal(true.ravel(), [2, 4, 7])
    pred, true = persistence_forecast(np.arange(10.0), horizon=3)
    np.testing.assert_array_equal(true - pred, 3.0)
    with pytest.raises(ValueError, match="horizon"):
        persistence_forecast([1.0, 2.0], horizon=0)


def test_persistence_error_of_a_random_walk_is_its_step_size():
    rng = np.random.default_rng(1)
    steps = rng.normal(0, 0.5, 20000)
    pred, true = persistence_forecast(np.cumsum(steps))
    assert np.sqrt(np.mean((true - pred) ** 2)) == pytest.approx(0.5, rel=0.02)


# ---------------------------------------------------------------- memory capacity
def test_memory_capacity_of_a_shift_register_equals_its_length():
    rng = np.random.default_rng(0)
    T, n = 4000, 5
    u = rng.uniform(-1, 1, T)
    # x_i(t) = u(t - i), i = 1..n: a linear delay line holding exactly n past inputs
    X = np.column_stack([np.roll(u, i) for i in range(1, n + 1)])
    mc, delays, r2 = memory_capacity(X, u, max_delay=15, washout=n, per_delay=True)
    assert mc == pytest.approx(n, abs=0.05)
    assert np.all(r2[:n] > 0.999)
    assert np.all(r2[n:] < 0.01)
    np.testing.assert_array_equal(delays, np.arange(1, 16))


def test_memory_capacity_of_one_linear_leaky_unit_is_one():
    # x(t) = a x(t-1) + u(t-1): r^2 at delay k is a^(2(k-1)) (1 - a^2), summing to 1
    rng = np.random.default_rng(2)
    T, a = 20000, 0.6
    u = rng.standard_normal(T)
    x = np.zeros(T)
    for t in range(1, T):
        x[t] = a * x[t - 1] + u[t - 1]
    mc, _, r2 = memory_capacity(x[:, None], u, max_delay=12, washout=50, per_delay=True)
    k = np.arange(1, 13)
    np.testing.assert_allclose(r2, a ** (2 * (k - 1)) * (1 - a ** 2), atol=0.02)
    assert mc == pytest.approx(1.0, abs=0.05)


def test_memory_capacity_of_unrelated_states_is_near_zero():
    rng = np.random.default_rng(3)
    u = rng.standard_normal(3000)
    X = rng.standard_normal((3000, 5))
    assert memory_capacity(X, u, max_delay=10) < 0.1


def test_memory_capacity_rejects_bad_input():
    with pytest.raises(ValueError, match="states, inputs"):
        memory_capacity(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="test_fraction"):
        memory_capacity(np.zeros((100, 2)), np.zeros(100), max_delay=2, test_fraction=1.0)


# ---------------------------------------------------------------- effective rank
def test_effective_rank_hand_cases():
    assert effective_rank(np.eye(4)) == 4                   # 25 % each: all four needed
    assert effective_rank(np.diag([100.0, 1.0])) == 1       # 100/101 = 0.990 >= 0.99
    assert effective_rank(np.diag([98.0, 1.0, 1.0])) == 2   # 0.98, then exactly 0.99
    assert effective_rank(np.diag([98.0, 1.0, 1.0]), threshold=0.995) == 3
    assert effective_rank(np.outer([1.0, 2.0, 3.0], [1.0, -1.0])) == 1
    assert effective_rank(np.zeros((3, 3))) == 0


def test_effective_rank_is_invariant_under_rotations():
    rng = np.random.default_rng(4)
    U, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    V, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    S = np.zeros((6, 4))
    S[:4, :4] = np.diag([50.0, 30.0, 19.0, 1.0])  # cumulative 0.5, 0.8, 0.99, 1.0
    assert effective_rank(U @ S @ V.T) == 3
    with pytest.raises(ValueError, match="threshold"):
        effective_rank(S, threshold=1.5)


# ---------------------------------------------------------------- activity, efficiency, SOPs
def test_spike_counts_activation_and_efficiency():
    counts = spike_counts([0, 0, 2], N=4)
    np.testing.assert_array_equal(counts, [2, 0, 1, 0])
    assert mean_activation(counts) == pytest.approx(0.75)
    assert mean_activation(counts, neuron_active=[True, False, True, False]) == pytest.approx(1.5)
    assert mean_activation(counts, duration=0.5) == pytest.approx(1.5)  # Hz
    assert spike_efficiency(3.0, [2, 4]) == pytest.approx(1.0)
    assert spike_efficiency(3.0, 1.5) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="counts"):
        spike_efficiency(3.0, [0, 0])
    with pytest.raises(ValueError, match="indices"):
        spike_counts([0, 5], N=4)


def test_sop_ratio_and_accuracy():
    assert sop_ratio(100.0, 25.0) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="sops_pruned"):
        sop_ratio(100.0, 0.0)
    assert accuracy([1, 2, 3, 4], [1, 2, 0, 0]) == pytest.approx(0.5)


def test_sops_exported_only_when_its_module_exists():
    here = os.path.dirname(metrics.__file__)
    has_file = os.path.exists(os.path.join(here, "sops.py"))
    assert ("sops" in metrics.__all__) == has_file
    for name in metrics.__all__:
        assert hasattr(metrics, name)


def test_pure_layers_do_not_import_brian2():
    import subprocess
    import sys
    code = ("import sys; import brian2_lnp.datasets, brian2_lnp.metrics; "
            "sys.exit(1 if 'brian2' in sys.modules else 0)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
