"""Lyapunov matrix, linearised network and noise covariance (brian2_lnp.dynamics).

Independent truths used: the formula of 000 Eq. 1 evaluated by hand and by a
plain-Python set implementation; analytic spectra of ring graphs; the
closed-form covariance C = -sigma^2 A^-1 / 2 of a symmetric A; the exact
stationary covariance of the sampling scheme (discrete Lyapunov equation).
"""
import numpy as np
import pytest
import scipy.linalg as sla

from brian2_lnp.dynamics import (UnstableNetworkError, covariance, linearize, lyapunov_matrix,
                                 scheme_stationary_covariance, spectral_abscissa)
from brian2_lnp.graph import Connectivity


# ----------------------------------------------------------------------------- helpers
def five_node():
    """0->1, 1->2, 2->0, 3->2, 4->3 effective; 1->4 switched off (synapse_active False)."""
    pre = [0, 1, 2, 3, 4, 1]
    post = [1, 2, 0, 2, 3, 4]
    w = [1e-3, -2e-3, 1e-3, 0.5e-3, -1e-3, 1e-3]
    act = [True, True, True, True, True, False]
    return Connectivity(5, pre, post, w, synapse_active=act,
                        tau_m=[0.02, 0.01, 0.03, 0.02, 0.025])


def lam_by_sets(conn, node_exp, eps):
    """Eq. 1 with explicit Python sets (independent of the sparse implementation)."""
    eff = conn.effective
    nbr = {i: set() for i in range(conn.N)}
    for a, b, e in zip(conn.pre, conn.post, eff):
        if e:
            nbr[a].add(b)
            nbr[b].add(a)
    out = []
    for a, b, e in zip(conn.pre, conn.post, eff):
        if not e:
            out.append(np.nan)
            continue
        S = nbr[a] | nbr[b] | {a, b}
        out.append(len(S) / sum(1.0 / (abs(node_exp[m]) + eps) for m in S))
    return np.array(out)


def random_conn(N, p, seed, sym=False, uniform_tau=None):
    rng = np.random.default_rng(seed)
    M = rng.random((N, N)) < p
    np.fill_diagonal(M, False)
    if sym:
        M = np.triu(M)
        M = M | M.T
    pre, post = np.nonzero(M)
    types = (rng.random(N) < 0.2).astype(int)
    w = np.where(types[pre] == 1, -4.0, 1.0) * rng.gamma(2.0, 0.5e-3, pre.size)
    if sym:  # symmetric weights: W[i, j] = W[j, i]
        Wm = np.zeros((N, N))
        Wm[pre, post] = np.abs(w)
        Wm = np.triu(Wm) + np.triu(Wm).T
        w = Wm[pre, post]
    tau = np.full(N, uniform_tau) if uniform_tau else rng.gamma(5.0, 4e-3, N) + 5e-3
    return Connectivity(N, pre, post, w, types=types, tau_m=tau)


# ----------------------------------------------------------------------------- Lambda
def test_lyapunov_matrix_by_hand():
    conn = five_node()
    node_exp = np.array([-2.0, 0.5, -1.0, 3.0, 0.0])
    eps = 1e-3
    lam = lyapunov_matrix(conn, node_exp, eps=eps)
    # Edge 0->1: N(0) = {1, 2}, N(1) = {0, 2} (1->4 is off), so S = {0, 1, 2}.
    hand01 = 3.0 / (1 / 2.001 + 1 / 0.501 + 1 / 1.001)
    assert lam[0] == pytest.approx(hand01, rel=1e-12)
    # Edge 4->3: N(4) = {3}, N(3) = {2, 4}: S = {2, 3, 4}; lambda_4 = 0 -> eps guard.
    hand43 = 3.0 / (1 / 1.001 + 1 / 3.001 + 1 / 0.001)
    assert lam[4] == pytest.approx(hand43, rel=1e-12)
    assert np.isnan(lam[5])  # synapse 1->4 is not effective
    np.testing.assert_allclose(lam, lam_by_sets(conn, node_exp, eps), rtol=1e-12)


def test_lyapunov_matrix_inactive_neuron_and_random_graph():
    conn = five_node().replace(neuron_active=np.array([1, 1, 1, 1, 0], bool))
    node_exp = np.array([-2.0, 0.5, -1.0, 3.0, np.nan])  # NaN allowed for the inactive one
    lam = lyapunov_matrix(conn, node_exp, eps=1e-2)
    assert np.isnan(lam[4]) and np.isnan(lam[5])
    np.testing.assert_allclose(lam, lam_by_sets(conn, np.nan_to_num(node_exp), 1e-2), rtol=1e-12)
    big = random_conn(60, 0.1, seed=3)
    ne = np.random.default_rng(4).normal(-5, 10, 60)
    np.testing.assert_allclose(lyapunov_matrix(big, ne, eps=1e-3),
                               lam_by_sets(big, ne, 1e-3), rtol=1e-10)


def test_lyapunov_matrix_bad_input():
    conn = five_node()
    with pytest.raises(ValueError, match="eps"):
        lyapunov_matrix(conn, np.zeros(5), eps=0)
    with pytest.raises(ValueError, match="node_exponents"):
        lyapunov_matrix(conn, np.zeros(4))
    with pytest.raises(ValueError, match="node_exponents"):
        lyapunov_matrix(conn, np.array([0, np.nan, 0, 0, 0.0]))


# ----------------------------------------------------------------------------- linearize
@pytest.mark.parametrize("coupling", ["lyapunov", "weights", "modulated"])
def test_linearize_structure(coupling):
    conn = five_node()
    node_exp = np.array([-2.0, 0.5, -1.0, 3.0, 0.0])
    lin = linearize(conn, coupling=coupling, node_exponents=node_exp, stabilize=False,
                    w_scale=2e-3, gain=1.5)
    lam = lyapunov_matrix(conn, node_exp)
    eff = np.flatnonzero(conn.effective)
    np.testing.assert_array_equal(lin.synapse_index, eff)
    expected = np.diag(-1.0 / conn.tau_m)
    for k in eff:
        i, j = conn.pre[k], conn.post[k]
        weight = 1.5 * conn.w[k] / 2e-3 / conn.tau_m[j]
        if coupling == "lyapunov":
            val = np.sign(conn.w[k]) * lam[k]
        elif coupling == "weights":
            val = weight
        else:
            val = weight * lam[k] / lam[eff].mean()
        expected[j, i] += val  # receiver row
    np.testing.assert_allclose(lin.A.toarray(), expected, rtol=1e-12)
    np.testing.assert_allclose(lin.D, 1.0 / conn.tau_m)
    assert lin.scale == 1.0 and lin.coupling == coupling
    assert lin.abscissa == pytest.approx(np.max(np.linalg.eigvals(expected).real))


def test_linearize_scaling_matches_analytic_ring():
    # Undirected ring, every node the same exponent -> Lambda = c on every edge,
    # L = c * adjacency, eigenvalues -d + 2 c s cos(2 pi k / n): abscissa -d + 2 c s.
    n, d_tau, lam_node, eps, margin = 12, 0.02, 40.0, 1e-3, 0.1
    pre = np.r_[np.arange(n), (np.arange(n) + 1) % n]
    post = np.r_[(np.arange(n) + 1) % n, np.arange(n)]
    conn = Connectivity(n, pre, post, np.full(2 * n, 1e-3), tau_m=np.full(n, d_tau))
    lin = linearize(conn, node_exponents=np.full(n, lam_node), eps=eps, margin=margin,
                    scale_tol=1e-4)
    d, c = 1 / d_tau, lam_node + eps
    s_star = (d - margin * d) / (2 * c)
    assert lin.scale == pytest.approx(s_star, abs=3e-4)
    assert lin.scale <= s_star
    assert lin.abscissa <= -margin * d
    np.testing.assert_allclose(lin.L_edge, lin.scale * c)
    # unscaled it is unstable, and the covariance refuses it
    raw = linearize(conn, node_exponents=np.full(n, lam_node), stabilize=False)
    assert raw.scale == 1.0 and raw.abscissa == pytest.approx(-d + 2 * c) and not raw.stable
    with pytest.raises(UnstableNetworkError, match="not stable"):
        covariance(raw)


def test_linearize_inactive_and_bad_input():
    conn = random_conn(30, 0.2, seed=1)
    act = np.ones(30, bool)
    act[[3, 7]] = False
    conn = conn.replace(neuron_active=act)
    ne = np.full(30, -10.0)
    lin = linearize(conn, node_exponents=ne)
    np.testing.assert_array_equal(lin.neuron_index, np.flatnonzero(act))
    np.testing.assert_array_equal(lin.synapse_index, np.flatnonzero(conn.effective))
    assert lin.A.shape == (28, 28) and lin.stable
    with pytest.raises(ValueError, match="coupling"):
        linearize(conn, coupling="bogus", node_exponents=ne)
    with pytest.raises(ValueError, match="margin"):
        linearize(conn, node_exponents=ne, margin=1.5)
    with pytest.raises(ValueError, match="lyap_matrix"):
        linearize(conn, lyap_matrix=np.ones(3))


def test_spectral_abscissa_arpack_matches_dense():
    import scipy.sparse as sp
    from brian2_lnp.dynamics import linear as linmod
    rng = np.random.default_rng(0)
    n = 300
    A = sp.random(n, n, density=0.05, random_state=1) * 0.3 - sp.diags(rng.uniform(1, 2, n))
    dense = spectral_abscissa(A)
    old = linmod.DENSE_EIG_MAX
    try:
        linmod.DENSE_EIG_MAX = 10
        sparse = spectral_abscissa(A)
    finally:
        linmod.DENSE_EIG_MAX = old
    assert sparse == pytest.approx(dense, abs=1e-6)


# ----------------------------------------------------------------------------- covariance
def test_exact_covariance_symmetric_analytic():
    conn = random_conn(40, 0.15, seed=2, sym=True, uniform_tau=0.02)
    lin = linearize(conn, coupling="weights", gain=0.3)
    A = lin.A.toarray()
    np.testing.assert_allclose(A, A.T, atol=1e-12)
    for sigma in (1.0, 0.3):
        cov = covariance(lin, sigma=sigma, method="exact")
        analytic = -0.5 * sigma ** 2 * np.linalg.inv(A)
        np.testing.assert_allclose(cov.matrix, analytic, rtol=1e-8, atol=1e-12)
        s = np.sign(lin.L_edge)
        r, c = lin.rows, lin.cols
        np.testing.assert_allclose(cov.edge_terms(s),
                                   analytic[r, r] + analytic[c, c] - 2 * s * analytic[r, c],
                                   rtol=1e-8)
        assert np.all(cov.stderr(s) == 0)
    with pytest.raises(ValueError, match="signs"):
        cov.edge_terms(np.ones(3))
    with pytest.raises(ValueError, match="method"):
        covariance(lin, method="fast")
    with pytest.raises(ValueError, match="sigma"):
        covariance(lin, sigma=-1)


def test_sampling_scheme_has_no_discretisation_bias():
    # Implicit midpoint (Cayley): stationary covariance = continuous C for any step h,
    # also with the K Jacobi sweeps actually run. Euler-Maruyama is biased O(h) (contrast).
    conn = random_conn(30, 0.2, seed=5)
    lin = linearize(conn, node_exponents=np.full(30, -20.0))
    C = covariance(lin, method="exact").matrix
    scale = np.abs(C).max()
    for h in (1e-3, 1e-2, 0.1):
        Ch = scheme_stationary_covariance(lin.A, 1.0, h)
        assert np.abs(Ch - C).max() / scale < 1e-9
    from brian2_lnp.dynamics.covariance import _cayley_setup
    _, _, _, h = _cayley_setup(lin, 0.25)  # the row-sum step, where K sweeps are guaranteed
    CK = scheme_stationary_covariance(lin.A, 1.0, h, sweeps=15, D=lin.D)
    assert np.abs(CK - C).max() / scale < 1e-6
    A = lin.A.toarray()
    M = np.eye(30) + h * A
    C_em = sla.solve_discrete_lyapunov(M, h * np.eye(30))
    assert np.abs(C_em - C).max() / scale > 1e-3  # the bias the scheme avoids


def test_step_grows_beyond_row_sum_bound_within_sweep_radius():
    # mixed-sign couplings: the Jacobi sweep radius is far below the row-sum bound,
    # so the chosen step is larger than the guaranteed one and still meets rho <= q
    from brian2_lnp.dynamics.covariance import _cayley_setup, jacobi_radius
    conn = random_conn(300, 0.05, seed=9)
    lin = linearize(conn, node_exponents=np.random.default_rng(2).normal(-20, 8, 300))
    _, L, h, h_safe = _cayley_setup(lin, 0.5)
    assert h > 2 * h_safe
    assert jacobi_radius(L, lin.D, h) <= 0.5
    assert jacobi_radius(L, lin.D, h_safe) <= 0.5
    # the ARPACK estimate agrees with dense eigenvalues
    d = 0.5 * h / (1 + 0.5 * h * lin.D)
    dense = np.abs(np.linalg.eigvals(d[:, None] * L.toarray())).max()
    assert jacobi_radius(L, lin.D, h) == pytest.approx(dense, rel=1e-2)
    cov = covariance(lin, method="sampled", n_samples=20, seed=1)
    assert cov.info["h"] == pytest.approx(h) and cov.info["sweeps"] is None
    assert 1 <= cov.info["mean_sweeps"] <= cov.info["max_sweeps"]
    fixed = covariance(lin, method="sampled", n_samples=20, seed=1, sweeps=30)
    assert fixed.info["h"] == pytest.approx(h_safe) and fixed.info["sweeps"] == 30


def test_sampled_statistically_consistent_with_scheme():
    # Per-edge z-scores against the scheme's exact stationary covariance are ~N(0, 1)
    # (up to the 8-group t-distribution of the stderr): most |z| < 3.
    conn = random_conn(25, 0.2, seed=6)
    lin = linearize(conn, node_exponents=np.full(25, -15.0))
    cov = covariance(lin, method="sampled", n_samples=400, seed=11, rtol=None)
    Ch = scheme_stationary_covariance(lin.A, 1.0, cov.info["h"], sweeps=cov.info["sweeps"],
                                      D=lin.D)
    s = np.sign(lin.L_edge)
    r, c = lin.rows, lin.cols
    truth = Ch[r, r] + Ch[c, c] - 2 * s * Ch[r, c]
    z = (cov.edge_terms(s) - truth) / cov.stderr(s)
    assert np.mean(np.abs(z) < 3) > 0.9
    assert np.median(np.abs(cov.edge_terms(s) / truth - 1)) < 0.1
    # more samples -> smaller standard error (about 1/sqrt(samples))
    cov4 = covariance(lin, method="sampled", n_samples=1600, seed=12, rtol=None)
    ratio = np.median(cov.stderr(s)) / np.median(cov4.stderr(s))
    assert 1.3 < ratio < 3.5


def test_sampling_stops_at_requested_precision():
    conn = random_conn(200, 0.05, seed=10)
    lin = linearize(conn, node_exponents=np.random.default_rng(4).normal(-20, 8, 200))
    s = np.sign(lin.L_edge)
    loose = covariance(lin, method="sampled", seed=5, rtol=0.05, n_samples=2000)
    tight = covariance(lin, method="sampled", seed=5, rtol=0.015, n_samples=2000)
    for cov, rtol in ((loose, 0.05), (tight, 0.015)):
        assert cov.info["n_samples"] < 2000  # stopped early...
        assert cov.info["median_rel_stderr"] <= rtol  # ...at the requested precision
        assert np.median(cov.stderr(s) / np.abs(cov.edge_terms(s))) == pytest.approx(
            cov.info["median_rel_stderr"])
    assert tight.info["n_samples"] > 2 * loose.info["n_samples"]
    full = covariance(lin, method="sampled", seed=5, rtol=None, n_samples=120)
    assert full.info["n_samples"] == 120 and np.isnan(full.info["median_rel_stderr"])
    with pytest.raises(ValueError, match="rtol"):
        covariance(lin, method="sampled", rtol=0)


@pytest.mark.parametrize("N", [200, pytest.param(500, marks=pytest.mark.slow),
                               pytest.param(1000, marks=pytest.mark.slow)])
def test_sampled_vs_exact(N):
    conn = random_conn(N, 10.0 / N, seed=7)
    lin = linearize(conn, node_exponents=np.random.default_rng(8).normal(-20, 8, N))
    exact = covariance(lin, method="auto")
    assert exact.method == "exact"
    sampled = covariance(lin, method="sampled", seed=3)
    assert sampled.matrix is None
    s = np.sign(lin.L_edge)
    e_ex, e_s, se = exact.edge_terms(s), sampled.edge_terms(s), sampled.stderr(s)
    assert np.all(np.isfinite(e_s)) and np.all(e_s > 0)
    assert np.median(np.abs(e_s / e_ex - 1)) < 0.1
    assert np.mean(np.abs(e_s - e_ex) < 4 * se + 0.01 * e_ex) > 0.9
    assert np.corrcoef(e_s, e_ex)[0, 1] > 0.9


def test_unknown_options_are_refused():
    conn = random_conn(20, 0.2, seed=1)
    with pytest.raises(TypeError, match="n_stepz"):
        linearize(conn, node_exponents=np.full(20, -5.0), n_stepz=3)
    with pytest.raises(TypeError, match="h_factor"):
        covariance(conn, node_exponents=np.full(20, -5.0), h_factor=0.1)


def test_auto_switches_to_sampled_above_threshold(monkeypatch):
    import importlib
    # the module, not the function
    covmod = importlib.import_module("brian2_lnp.dynamics.covariance")
    conn = random_conn(40, 0.15, seed=4)
    lin = linearize(conn, node_exponents=np.full(40, -10.0))
    assert covariance(lin, method="auto").method == "exact"
    monkeypatch.setattr(covmod, "AUTO_EXACT_MAX", 39)
    cov = covmod.covariance(lin, method="auto", seed=0, n_samples=50)
    assert cov.method == "sampled" and cov.matrix is None
    assert np.all(np.isfinite(cov.edge_terms(np.sign(lin.L_edge))))


def test_no_synapses_gives_uncoupled_covariance():
    # A = -D: C = sigma^2 / (2 D) on the diagonal, no edges, both routes finite
    tau = np.array([0.01, 0.02, 0.05])
    conn = Connectivity(3, [0], [1], [1e-3], tau_m=tau, synapse_active=[False])
    lin = linearize(conn, node_exponents=np.zeros(3))
    assert lin.L_edge.size == 0 and lin.scale == 1.0
    cov = covariance(lin, method="exact", sigma=2.0)
    np.testing.assert_allclose(cov.matrix, np.diag(4.0 * tau / 2), rtol=1e-12)
    samp = covariance(lin, method="sampled", sigma=2.0, seed=1, n_samples=2000)
    assert samp.edge_terms(np.zeros(0)).size == 0
    np.testing.assert_allclose(samp.diag, 4.0 * tau / 2, rtol=0.15)
