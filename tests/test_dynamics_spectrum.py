"""Lyapunov spectra (QR method), the rate surrogate and per-node exponents.

Independent truths: published spectra of the Henon map (0.42, -1.62) and
Lorenz-63 (0.906, 0, -14.57); exact phase-space contraction (sum of
exponents = log|det J| for Henon, = -(sigma + 1 + beta) for Lorenz); the
real parts of the eigenvalues of a linear ODE; finite differences of the
maps; a Jacobian-free two-trajectory (Benettin) estimate on the rate network.
"""
import numpy as np
import pytest

from brian2_lnp.dynamics import (RateNetwork, kaplan_yorke_dimension, lyapunov_spectrum,
                                 node_exponents, ode_map, per_node_exponents, rate_lyapunov)
from brian2_lnp.graph import Connectivity


def henon():
    a, b = 1.4, 0.3
    return (lambda x: np.array([1 - a * x[0] ** 2 + x[1], b * x[0]]),
            lambda x: np.array([[-2 * a * x[0], 1.0], [b, 0.0]]))


def lorenz(sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    def f(x):
        return np.array([sigma * (x[1] - x[0]), x[0] * (rho - x[2]) - x[1],
                         x[0] * x[1] - beta * x[2]])

    def jac(x):
        return np.array([[-sigma, sigma, 0.0], [rho - x[2], -1.0, -x[0]], [x[1], x[0], -beta]])
    return f, jac


def test_henon_spectrum():
    step, jac = henon()
    res = lyapunov_spectrum(step, jac, [0.1, 0.1], n_steps=40000, transient=1000, seed=0)
    assert res.exponents[0] == pytest.approx(0.419, abs=0.01)
    assert res.exponents[1] == pytest.approx(-1.623, abs=0.01)
    # |det J| = b at every step, so the sum is log(0.3) to rounding
    assert res.exponents.sum() == pytest.approx(np.log(0.3), abs=1e-9)
    assert np.asarray(res).shape == (2,) and res[0] == res.max
    assert res.history.shape == (40000, 2)
    assert res.kaplan_yorke == pytest.approx(1 + 0.419 / 1.623, abs=0.01)


def test_lorenz_spectrum_and_k_leading():
    f, jac = lorenz()
    step, J = ode_map(f, jac, 0.01)
    x0 = np.array([1.0, 1.0, 20.0])
    res = lyapunov_spectrum(step, J, x0, n_steps=20000, dt=0.01, transient=500, seed=1)
    lam = res.exponents
    assert lam[0] == pytest.approx(0.906, abs=0.06)
    assert lam[1] == pytest.approx(0.0, abs=0.03)
    assert lam[2] == pytest.approx(-14.57, abs=0.06)
    assert lam.sum() == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-3)  # trace of the Jacobian
    assert res.kaplan_yorke == pytest.approx(2 + (lam[0] + lam[1]) / abs(lam[2]), rel=1e-12)
    # convergence indicator: the running estimate settles
    late = res.history[len(res.history) // 2:, 2]
    assert np.ptp(late) < 0.2
    # k = 1 follows the same leading direction -> the same largest exponent
    one = lyapunov_spectrum(step, J, x0, n_steps=20000, dt=0.01, k=1, transient=500, seed=1)
    assert one.exponents[0] == pytest.approx(lam[0], abs=1e-3)
    assert np.isnan(one.kaplan_yorke)  # truncated spectrum never turns negative


def test_linear_ode_exponents_are_real_parts():
    rng = np.random.default_rng(3)
    S = rng.normal(size=(4, 4))
    # eigenvalues -0.5, -1 +/- 3i, -2.5 (a rotating pair shares its real part)
    B = np.array([[-0.5, 0, 0, 0], [0, -1.0, 3.0, 0], [0, -3.0, -1.0, 0], [0, 0, 0, -2.5]])
    A = S @ B @ np.linalg.inv(S)
    step, J = ode_map(lambda x: A @ x, lambda x: A, 0.01)
    res = lyapunov_spectrum(step, J, rng.normal(size=4), n_steps=20000, dt=0.01, transient=500,
                            qr_every=10, seed=2)
    np.testing.assert_allclose(res.exponents, [-0.5, -1.0, -1.0, -2.5], atol=0.01)


def test_linear_map_sparse_jacobian():
    import scipy.sparse as sp
    M = sp.diags([0.5, 2.0, -1.5, 0.1]).tocsr()
    res = lyapunov_spectrum(lambda x: M @ x, lambda x: M, np.ones(4), n_steps=50, k=3,
                            transient=100, seed=0)
    np.testing.assert_allclose(res.exponents, np.log([2.0, 1.5, 0.5]), atol=1e-12)


def test_ode_map_jacobian_is_derivative_of_rk4_step():
    f, jac = lorenz()
    step, J = ode_map(f, jac, 0.02)
    x = np.array([3.0, -2.0, 25.0])
    Jop = J(x).matmat(np.eye(3))
    fd = np.empty((3, 3))
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1e-6
        fd[:, j] = (step(x + e) - step(x - e)) / 2e-6
    np.testing.assert_allclose(Jop, fd, rtol=1e-6, atol=1e-7)


def test_kaplan_yorke_hand_values():
    assert kaplan_yorke_dimension([1.0, -0.5, -2.0]) == pytest.approx(2 + 0.5 / 2.0)
    assert kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert kaplan_yorke_dimension([0.5, -1.0]) == pytest.approx(1.5)


def test_bad_arguments():
    step, jac = henon()
    with pytest.raises(ValueError, match="n_steps"):
        lyapunov_spectrum(step, jac, [0.1, 0.1], n_steps=0)
    with pytest.raises(ValueError, match="k"):
        lyapunov_spectrum(step, jac, [0.1, 0.1], n_steps=5, k=3)
    with pytest.raises(ValueError, match="dt"):
        lyapunov_spectrum(step, jac, [0.1, 0.1], n_steps=5, dt=0)


# ----------------------------------------------------------------------------- rate surrogate
def chaotic_conn(N=100, p=0.2, g=5.0, seed=0):
    """Random signed network; 1 mV = unit coupling, std so the bulk radius is g."""
    rng = np.random.default_rng(seed)
    M = rng.random((N, N)) < p
    np.fill_diagonal(M, False)
    pre, post = np.nonzero(M)
    w = rng.normal(0, g / np.sqrt(N * p), pre.size) * 1e-3
    tau = rng.uniform(10e-3, 30e-3, N)
    return Connectivity(N, pre, post, w, tau_m=tau)


def test_rate_step_and_jacobian_by_hand():
    conn = Connectivity(3, [0, 1, 2], [1, 2, 0], [1e-3, -2e-3, 0.5e-3], tau_m=[0.01, 0.02, 0.04])
    net = RateNetwork(conn, dt=1e-3, gain=2.0)
    h = np.array([0.3, -0.2, 0.1])
    W = np.zeros((3, 3))
    W[1, 0], W[2, 1], W[0, 2] = 2.0, -4.0, 1.0  # W[post, pre] = gain * w / 1 mV
    tau = np.array([0.01, 0.02, 0.04])
    expected = (1 - 1e-3 / tau) * h + (1e-3 / tau) * (W @ np.tanh(h) + 0.5)
    np.testing.assert_allclose(net.step(h, 0.5), expected, rtol=1e-14)
    Jd = net.jacobian_dense(h)
    Jh = np.diag(1 - 1e-3 / tau) + (1e-3 / tau)[:, None] * W * (1 - np.tanh(h) ** 2)[None, :]
    np.testing.assert_allclose(Jd, Jh, rtol=1e-14)
    V = np.random.default_rng(0).normal(size=(3, 2))
    np.testing.assert_allclose(net.jacobian(h).matmat(V), Jh @ V, rtol=1e-13)
    with pytest.raises(ValueError, match="dt"):
        RateNetwork(conn, dt=0.05)
    with pytest.raises(ValueError, match="phi"):
        RateNetwork(conn, phi="relu")


def test_rate_jacobian_agrees_with_two_trajectory_estimate():
    conn = chaotic_conn()
    net = RateNetwork(conn, dt=1e-3)
    rng = np.random.default_rng(9)
    h0 = 0.1 * rng.standard_normal(net.n)
    for _ in range(1000):  # shared transient: both estimates follow the same trajectory
        h0 = net.step(h0)
    n_steps = 6000
    res = lyapunov_spectrum(net.step, net.jacobian, h0, n_steps=n_steps, dt=1e-3, k=3,
                            qr_every=5, seed=4)
    lam1 = res.exponents[0]
    assert lam1 > 5.0  # g = 5: chaotic
    # Benettin two-trajectory estimate, no Jacobian: renormalise the separation each step
    h, d0 = h0.copy(), 1e-8
    u = rng.standard_normal(net.n)
    g = h + d0 * u / np.linalg.norm(u)
    logs = 0.0
    for _ in range(n_steps):
        h, g = net.step(h), net.step(g)
        d = np.linalg.norm(g - h)
        logs += np.log(d / d0)
        g = h + (g - h) * (d0 / d)
    brute = logs / (n_steps * 1e-3)
    assert brute == pytest.approx(lam1, rel=0.03)
    # the Connectivity-level entry point (its own trajectories) gives a similar value.
    # Finite-time lambda_1 over 6 s depends on the initial state: 12 seeds of
    # rate_lyapunov gave 8.2 to 12.1 1/s (seed streams 1 and 2), this trajectory 13.6,
    # so the check is "same chaotic regime", averaged over a batch of 3 trajectories
    viaconn = rate_lyapunov(conn, k=3, n_steps=n_steps, transient=1000, input_std=0.0, seed=4,
                            batch=3)
    assert viaconn.exponents[0] == pytest.approx(lam1, rel=0.5)


def test_node_exponents_decoupled_linear_network():
    # No synapses, linear phi: h_i -> (1 - dt/tau_i) h_i, node i's exponent is
    # log(1 - dt/tau_i)/dt exactly, and the Lyapunov vectors are the axes.
    tau = np.array([0.01, 0.02, 0.03, 0.05, 0.08])
    conn = Connectivity(5, [], [], [], tau_m=tau,
                        neuron_active=[True, True, False, True, True])
    ne = node_exponents(conn, n_steps=300, transient=4000, qr_every=1, phi="linear", seed=0,
                        input_std=0.0)
    expected = np.log(1 - 1e-3 / tau) / 1e-3
    assert np.isnan(ne[2])
    np.testing.assert_allclose(ne[[0, 1, 3, 4]], expected[[0, 1, 3, 4]], rtol=1e-6)


def test_rate_lyapunov_full_spectrum_identities_and_batch():
    conn = chaotic_conn(N=30, seed=2)
    res = rate_lyapunov(conn, n_steps=1500, transient=300, batch=2, seed=5)
    assert res.exponents.shape == (30,) and np.all(np.diff(res.exponents) <= 0)
    assert res.batch_exponents.shape == (2, 30)
    np.testing.assert_allclose(res.exponents, res.batch_exponents.mean(axis=0))
    # full spectrum: Q orthogonal, so rows and columns of <Q^2> sum to 1 and
    # the per-node exponents sum to the sum of the exponents
    np.testing.assert_allclose(res.q2_mean.sum(axis=0), 1, atol=1e-10)
    np.testing.assert_allclose(res.q2_mean.sum(axis=1), 1, atol=1e-10)
    assert res.node_exponents.sum() == pytest.approx(res.exponents.sum(), rel=1e-9)
    assert res.history.shape[1] == 30 and np.isfinite(res.kaplan_yorke)
    # same seed, same answer
    again = rate_lyapunov(conn, n_steps=1500, transient=300, batch=2, seed=5)
    np.testing.assert_array_equal(res.exponents, again.exponents)


def test_per_node_exponents_formula():
    lam = np.array([1.0, -2.0])
    q2 = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(per_node_exponents(lam, q2), [-0.5, 1.0, -2.0])


def test_plot_spectra_returns_axes_with_normalised_index():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from brian2_lnp.dynamics import plot_spectra

    fig, ax = plt.subplots()
    out = plot_spectra([[1.0, -1.0, 0.0, -3.0], np.array([0.5, -2.0])], labels=["a", "b"],
                       N=[4, 8], axes=ax)
    assert out is ax
    x0, y0 = ax.lines[0].get_data()
    np.testing.assert_allclose(x0, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(y0, [1.0, 0.0, -1.0, -3.0])  # sorted descending
    np.testing.assert_allclose(ax.lines[1].get_data()[0], [1 / 8, 2 / 8])
    with pytest.raises(ValueError, match="labels"):
        plot_spectra([[1.0], [2.0]], labels=["x"], axes=ax)
    plt.close(fig)


def test_qr_cholesky_and_householder_paths_agree():
    # positive_qr uses CholeskyQR2 on well-conditioned blocks and Householder otherwise;
    # both must give the unique thin QR with positive diag R
    from brian2_lnp.dynamics.spectrum import positive_qr
    rng = np.random.default_rng(3)
    for cond_exp in (2, 12):  # condition ~1e2 (Cholesky path) and ~1e12 (fallback)
        M = rng.standard_normal((300, 20)) * np.logspace(0, cond_exp, 20)[None, :]
        Q, r = positive_qr(M)
        Qh, Rh = np.linalg.qr(M)
        s = np.sign(np.diag(Rh))
        np.testing.assert_allclose(Q.T @ Q, np.eye(20), atol=1e-12)
        np.testing.assert_allclose(r, np.abs(np.diag(Rh)), rtol=1e-8)
        np.testing.assert_allclose(Q, Qh * s, atol=1e-8)
