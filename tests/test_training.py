"""STDP training in Brian2: weights change where plastic, stay put when frozen.

Runtime device with NumPy code generation (no compilation) and a 0.5 ms step
to keep the suite fast on a shared machine.
"""
import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from brian2_lnp.models.encoders import poisson_spike_trains  # noqa: E402
from brian2_lnp.models.network import build_model  # noqa: E402
from brian2_lnp.tasks.training import freeze, is_frozen, train_stdp  # noqa: E402


#: numpy code generation and a coarse step keep these runs short (see conftest)
BRIAN2_SETTINGS = {"codegen": "numpy", "dt_ms": 0.5}


def _drive(seed, duration=0.2, rate=60.0, n=10):
    return poisson_spike_trains(np.full(n, rate), 5e-4, step=duration, seed=seed)


def _model():
    return build_model("hrsnn_small", seed=3, n_inputs=10, plasticity=True)


def test_stdp_changes_plastic_weights_only():
    m = _model()
    plastic = m.stdp_parameters()["plastic"]
    rep = train_stdp(m, _drive(0))
    s = rep.summary()
    assert s["training_spikes"] > 50  # the network was active while learning
    w0, w1 = rep.w_before, rep.w_after()
    changed = w1 != w0
    assert changed[plastic].mean() > 0.2, "STDP should move many plastic weights"
    assert not changed[~plastic].any(), "static (inhibitory) synapses must keep their weight"
    w_max = m.spec.w_max
    assert (w1[plastic] >= 0).all() and (w1[plastic] <= w_max + 1e-12).all()
    assert is_frozen(m)


def test_freeze_keeps_weights_and_unfreeze_learns_again():
    m = _model()
    train_stdp(m, _drive(0), freeze_after=True)
    w_frozen = m.export().w.copy()
    # more input while frozen: spikes happen, weights do not move (bit for bit)
    more = _drive(1)
    train_stdp_input = (more.indices, more.times)
    i_old, t_old = m.input_spikes()
    t_now = float(m.network.t / brian2.second)
    m.set_input(np.concatenate([i_old, more.indices]), np.concatenate([t_old, more.times + t_now]))
    n_before = m.spike_counts().sum()
    m.run(0.2 * brian2.second)
    assert m.spike_counts().sum() - n_before > 50
    np.testing.assert_array_equal(m.export().w, w_frozen)
    # the same kind of input with STDP back on changes them again (the control)
    rep = train_stdp(m, train_stdp_input, duration=0.2, freeze_after=False)
    assert np.count_nonzero(rep.w_after() != w_frozen) > 0
    assert not is_frozen(m)


def test_training_errors_name_the_problem():
    m = build_model("hrsnn_small", seed=3, n_inputs=10, plasticity=False)
    freeze(m)  # a static model is already frozen
    assert is_frozen(m)
    with pytest.raises(ValueError, match="plasticity"):
        freeze(m, frozen=False)
    with pytest.raises(ValueError, match="plasticity"):
        train_stdp(m, _drive(0))
    m2 = _model()
    with pytest.raises(ValueError, match="duration"):
        train_stdp(m2, (np.array([0]), np.array([0.0])))


def test_compact_keeps_a_frozen_model_frozen():
    m = _model()
    freeze(m)
    small = m.compact()
    assert is_frozen(small)
    assert np.all(np.asarray(small.synapses.plastic[:]) == 0)
