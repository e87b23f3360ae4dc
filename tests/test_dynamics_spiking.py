"""Two-trajectory Lyapunov estimate of the spiking network (000 A.1 steps 1-6).

Independent truths: with no effective synapses and no input, each membrane
perturbation decays as exp(-t / tau_m) (exponential Euler is exact for this
linear ODE), so d(t) = sqrt(sum_i u_i^2 exp(-2 t / tau_i)) and, for uniform
tau_m, the exponent is exactly -1/tau_m. The cpp_standalone device must give
the runtime device's answer.
"""
import dataclasses

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brian2_lnp.models.config import load_model  # noqa: E402
from brian2_lnp.models.generate import generate_network  # noqa: E402
from brian2_lnp.models.lyapunov_spiking import doubled_spec, spiking_lyapunov  # noqa: E402


@pytest.fixture
def numpy_target():
    """NumPy code generation: no compilation, fast for these tiny networks."""
    old = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    yield
    b2.prefs.codegen.target = old


def small_spec(N=40, seed=1):
    return generate_network(load_model("hrsnn_small"), N=N, seed=seed)


def silent(spec, tau):
    c = spec.conn
    return dataclasses.replace(spec, conn=c.replace(synapse_active=np.zeros(c.n_synapses, bool),
                                                    tau_m=tau))


def test_uncoupled_decay_is_minus_one_over_tau(numpy_target):
    spec = small_spec()
    res = spiking_lyapunov(silent(spec, np.full(spec.conn.N, 0.02)), 0.04, input_rate=0,
                           seed=0)
    assert res.exponent == pytest.approx(-50.0, rel=1e-6)
    assert res.r_squared == pytest.approx(1.0, abs=1e-9)
    assert res.distance[0] == pytest.approx(1e-6, rel=1e-9)
    assert res.info["spikes_A"] == 0 and not res.vanished


def test_heterogeneous_decay_curve_matches_analytic(numpy_target):
    spec = small_spec()
    N = spec.conn.N
    tau = np.random.default_rng(3).uniform(0.005, 0.05, N)
    res = spiking_lyapunov(silent(spec, tau), 0.03, input_rate=0, perturbation=2e-6, seed=5)
    u = np.random.default_rng(5).standard_normal(N)
    u *= 2e-6 / np.linalg.norm(u)
    t = res.times
    expected = np.sqrt(np.sum(u[:, None] ** 2 * np.exp(-2 * t[None, :] / tau[:, None]), axis=0))
    np.testing.assert_allclose(res.distance, expected, rtol=1e-6)
    # the fitted rate lies between the slowest and fastest single-neuron decay
    assert -1 / tau.min() < res.exponent < -1 / tau.max()


def test_network_with_input_and_perturb_subset(numpy_target):
    spec = small_spec(N=60)
    res = spiking_lyapunov(spec, 0.1, seed=0, perturb=[0, 5, 7])
    assert np.isfinite(res.exponent) and np.isfinite(res.stderr)
    assert 0 <= res.r_squared <= 1
    assert res.info["spikes_A"] > 0  # the input drives the network
    assert res.distance[0] == pytest.approx(1e-6, rel=1e-9)
    import matplotlib
    matplotlib.use("Agg")
    ax = res.plot()
    assert len(ax.lines) == 2


def test_doubled_spec_structure():
    spec = small_spec(N=20)
    big = doubled_spec(spec)
    N, S = spec.conn.N, spec.conn.n_synapses
    assert big.conn.N == 2 * N and big.conn.n_synapses == 2 * S
    np.testing.assert_array_equal(big.conn.pre[S:], spec.conn.pre + N)
    np.testing.assert_array_equal(big.conn.w[S:], spec.conn.w)
    # each input synapse drives both copies from the same channel
    n_in = np.asarray(spec.input_pre).size
    np.testing.assert_array_equal(big.input_pre[n_in:], spec.input_pre)
    np.testing.assert_array_equal(big.input_post[n_in:], np.asarray(spec.input_post) + N)


def test_bad_arguments():
    spec = small_spec(N=20)
    with pytest.raises(ValueError, match="perturbation"):
        spiking_lyapunov(spec, 0.01, perturbation=0)
    with pytest.raises(ValueError, match="duration"):
        spiking_lyapunov(spec, -1.0)
    with pytest.raises(ValueError, match="perturb"):
        spiking_lyapunov(spec, 0.01, perturb=[100])
    with pytest.raises(TypeError, match="model"):
        spiking_lyapunov("hrsnn", 0.01)


@pytest.mark.slow
@pytest.mark.standalone
def test_cpp_standalone_matches_runtime(tmp_path):
    from brian2_lnp.models.devices import use_device

    spec = small_spec(N=40)
    old = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    try:
        rt = spiking_lyapunov(spec, 0.05, seed=0)
    finally:
        b2.prefs.codegen.target = old
    b2.device.reinit()
    b2.device.activate()
    use_device("cpp_standalone", directory=str(tmp_path / "sa"))
    sa = spiking_lyapunov(spec, 0.05, seed=0)
    assert sa.info["device"] == "cpp_standalone"
    assert sa.info["spikes_A"] == rt.info["spikes_A"]
    np.testing.assert_allclose(sa.distance, rt.distance, rtol=1e-6, atol=1e-12)
    assert sa.exponent == pytest.approx(rt.exponent, rel=1e-6)
