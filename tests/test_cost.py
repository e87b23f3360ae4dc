"""The simulation cost model (brian2_lnp.metrics.cost): fitting, prediction, errors."""
import numpy as np
import pytest

from brian2_lnp.metrics.cost import (FEATURES, CostCoefficients, CostCounts, cost_features,
                                     fit_cost_model, predict_cost)


def _counts(rng, n):
    out = []
    for N in rng.integers(300, 5000, n):
        S = int(N * rng.uniform(5, 12))
        out.append(CostCounts(n_neurons=int(N), n_synapses=S, n_input_synapses=int(N * 20),
                              spikes=float(N * rng.uniform(5, 40)),
                              input_rate=float(rng.uniform(10, 40))))
    return out


def test_features_are_the_documented_terms():
    c = CostCounts(n_neurons=1000, n_synapses=9000, n_input_synapses=20000, spikes=2e4,
                   input_rate=20.0)
    # 1, neurons, recurrent events = spikes x mean out-degree, input events
    assert np.array_equal(cost_features(c), [1.0, 1000.0, 2e4 * 9.0, 20000 * 20.0])
    assert cost_features([c, c]).shape == (2, len(FEATURES))


def test_fit_recovers_known_coefficients_and_predicts_new_networks():
    rng = np.random.default_rng(0)
    true = CostCoefficients(per_second=0.3, per_neuron=2e-4, per_event=3e-8,
                            per_input_event=1e-8)
    train, test = _counts(rng, 12), _counts(rng, 5)
    times = predict_cost(train, true) * rng.uniform(0.98, 1.02, 12)  # 2 % noise
    fitted = fit_cost_model(train, times, device="runtime", note="synthetic")
    assert fitted.n_points == 12 and fitted.residual < 0.02 and fitted.device == "runtime"
    pred, ref = predict_cost(test, fitted), predict_cost(test, true)
    assert np.all(np.abs(pred / ref - 1) < 0.05)
    assert np.all(fitted.as_array() >= 0)
    assert CostCoefficients.from_dict(fitted.to_dict()) == fitted


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"counts.spikes: must lie in \[0.0, inf"):
        CostCounts(n_neurons=10, n_synapses=10, n_input_synapses=0, spikes=-1, input_rate=1)
    c = _counts(np.random.default_rng(1), 3)
    with pytest.raises(ValueError, match="at least 4 measurements"):
        fit_cost_model(c, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="times: one per counts"):
        fit_cost_model(_counts(np.random.default_rng(1), 5), [1.0, 2.0])
    with pytest.raises(TypeError, match="coefficients: expected CostCoefficients"):
        predict_cost(c[0], {"per_second": 1})
    with pytest.raises(ValueError, match="unknown keys"):
        CostCoefficients.from_dict({"per_second": 1, "colour": 2})
