"""LNP Step I (pruning/noise.py): the formula by hand, the statistics of the draws,
the homeostatic diagonal, clipping, and bad input.

Truth: A and C rebuilt here independently of brian2_lnp.dynamics (A from the
documented "weights" coupling, C from scipy's Lyapunov solver), binomial
bounds for the random draws.
"""
import json

import numpy as np
import pytest
import scipy.linalg as sla

from brian2_lnp.graph.connectivity import Connectivity
from brian2_lnp.pruning.noise import noise_prune
from brian2_lnp.pruning.spectral import keep_probabilities, solve_rho

W_SCALE = 1e-3  # linearize's default: volt per unit coupling


def _small_net(seed=0, N=12, S=40):
    rng = np.random.default_rng(seed)
    pre = rng.integers(0, N, S)
    post = rng.integers(0, N, S)
    keep = pre != post
    pre, post = pre[keep], post[keep]
    types = (np.arange(N) >= int(0.8 * N)).astype(int)
    w = rng.uniform(0.05, 0.3, pre.size) * 1e-3 * np.where(types[pre] == 1, -1.0, 1.0)
    tau = rng.uniform(10e-3, 30e-3, N)
    return Connectivity(N, pre, post, w, types=types, tau_m=tau)


def _by_hand(conn, sigma=1.0):
    """A[post, pre] = (w / w_scale) / tau_post, diag -1/tau; C from scipy; score per synapse."""
    N = conn.N
    A = np.zeros((N, N))
    np.add.at(A, (conn.post, conn.pre), conn.w / W_SCALE / conn.tau_m[conn.post])
    A -= np.diag(1.0 / conn.tau_m)
    assert np.max(sla.eigvals(A).real) < 0, "test network must be stable"
    C = sla.solve_continuous_lyapunov(A, -sigma ** 2 * np.eye(N))
    L = conn.w / W_SCALE / conn.tau_m[conn.post]
    i, j = conn.post, conn.pre
    score = np.abs(L) * (C[i, i] + C[j, j] - 2 * np.sign(L) * C[i, j])
    return A, C, L, score


def test_probabilities_match_hand_formula():
    conn = _small_net()
    _, _, L, score = _by_hand(conn)
    rho = 0.7 / np.median(score)
    out, rep = noise_prune(conn, rho=rho, coupling="weights", covariance="exact", seed=1,
                           margin=0.0)
    assert rep.scale == 1.0  # no stabilising rescale: our hand A is A
    p = np.minimum(1.0, rho * score)
    assert rep.expected_kept == pytest.approx(p.sum(), rel=1e-9)
    assert rep.p_max == pytest.approx(p.max()) and rep.p_min == pytest.approx(p.min())
    assert rep.n_p_one == int((p >= 1).sum())
    kept = out.synapse_active
    assert rep.n_kept == kept.sum()
    # kept weights are w / p exactly; pruned weights untouched but inactive
    np.testing.assert_allclose(out.w[kept], conn.w[kept] / p[kept], rtol=1e-9)
    np.testing.assert_array_equal(out.w[~kept], conn.w[~kept])
    assert out.n_synapses == conn.n_synapses and conn.synapse_active.all()
    json.dumps(rep.as_dict())


def test_density_and_unbiased_weights_over_seeds():
    conn = _small_net(seed=2, N=15, S=80)
    n = conn.n_synapses
    density = 0.4
    kept_counts, w_sum = [], np.zeros(n)
    R = 300
    for s in range(R):
        out, rep = noise_prune(conn, density, coupling="weights", covariance="exact", seed=s,
                               margin=0.0, spectral_report=False)
        assert rep.expected_kept == pytest.approx(density * n, rel=1e-9)
        kept_counts.append(rep.n_kept)
        w_sum += np.where(out.synapse_active, out.w, 0.0)
    # mean kept count: sum of independent Bernoullis with mean density*n;
    # its variance is <= n/4 per draw, so 5 standard errors of the mean:
    assert abs(np.mean(kept_counts) - density * n) < 5 * np.sqrt(n / 4 / R)
    # E[w~] = p * w / p = w for every synapse (the 1/p reweighting is unbiased)
    _, _, _, score = _by_hand(conn)
    p, _ = keep_probabilities(score, density=density)
    se = np.abs(conn.w) * np.sqrt((1 - p) / np.maximum(p, 1e-12) / R)
    assert np.all(np.abs(w_sum / R - conn.w) <= 5 * se + 1e-15)


def test_seed_reproducible():
    conn = _small_net(seed=3)
    a, _ = noise_prune(conn, 0.5, coupling="weights", seed=7, margin=0.0)
    b, _ = noise_prune(conn, 0.5, coupling="weights", seed=7, margin=0.0)
    c, _ = noise_prune(conn, 0.5, coupling="weights", seed=8, margin=0.0)
    assert a == b and a != c


def _relinearised(conn):
    """A of a network rebuilt by hand from its (written-back) weights and tau_m."""
    N = conn.N
    eff = conn.effective
    A = np.zeros((N, N))
    np.add.at(A, (conn.post[eff], conn.pre[eff]),
              conn.w[eff] / W_SCALE / conn.tau_m[conn.post[eff]])
    return A - np.diag(1.0 / conn.tau_m)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_homeostatic_write_back_is_consistent(seed):
    # Re-linearising the returned network must give -D~ + L~ with
    # D~ = D + Delta: the row sums of A are kept (000 Eq. 2-4 homeostasis),
    # except for neurons whose D~ would be <= 0 (they keep their leak).
    conn = _small_net(seed=4)
    A, _, L, _ = _by_hand(conn)
    out, rep = noise_prune(conn, 0.5, coupling="weights", homeostatic=True, seed=seed,
                           margin=0.0, covariance="exact")
    A2 = _relinearised(out)
    same = np.isclose(A2.sum(axis=1), A.sum(axis=1), rtol=1e-9, atol=1e-9)
    kept_tau = out.tau_m == conn.tau_m
    assert np.all(same | kept_tau)
    assert rep.n_homeostatic_invalid == int((~same).sum())
    # an uncompensated neuron is one whose compensation would need D~ <= 0:
    # Delta = (row sum of A2) - (row sum of A) there, and D + Delta <= 0
    delta = A2.sum(axis=1) - A.sum(axis=1)
    assert np.all((1.0 / conn.tau_m + delta)[~same] <= 0)
    # the couplings are L / p on kept edges (the tau rescaling does not change them)
    kept = out.effective[:conn.n_synapses]
    L_out = out.w[kept] / W_SCALE / out.tau_m[out.post[kept]]
    p = L[kept] / L_out
    assert np.all((p > 0) & (p <= 1 + 1e-12))
    assert not np.allclose(out.tau_m, conn.tau_m)


def test_homeostatic_invalid_diagonal_keeps_tau():
    # Neuron 0 receives one strong inhibitory synapse and one excitatory one;
    # pruning the inhibitory one raises its total input: D~ = D + Delta can hit <= 0.
    conn = Connectivity(3, [1, 2], [0, 0], [30e-3, -30e-3], types=[0, 0, 1],
                        tau_m=[20e-3, 5e-3, 5e-3])
    L = conn.w / W_SCALE / conn.tau_m[conn.post]
    seen = set()
    for s in range(40):
        out, rep = noise_prune(conn, 0.5, coupling="weights", homeostatic=True, seed=s,
                               margin=0.0, covariance="exact", spectral_report=False)
        kept = out.synapse_active
        # p from the written-back coupling: L_out = L / p
        L_out = out.w / W_SCALE / out.tau_m[out.post]
        p = np.where(kept, L / np.where(kept, L_out, 1.0), 1.0)
        D_try = 1 / 20e-3 + np.sum(np.where(kept, L / p, 0.0) - L)
        if D_try <= 0:
            seen.add("invalid")
            assert rep.n_homeostatic_invalid == 1
            assert out.tau_m[0] == conn.tau_m[0]
        else:
            seen.add("valid")
            assert rep.n_homeostatic_invalid == 0
            assert out.tau_m[0] == pytest.approx(1 / D_try)
    assert seen == {"invalid", "valid"}


def test_w_max_clips_and_counts():
    conn = _small_net(seed=5)
    out, rep = noise_prune(conn, 0.3, coupling="weights", w_max=0.4e-3, seed=0, margin=0.0)
    kept = out.synapse_active
    assert np.abs(out.w[kept]).max() <= 0.4e-3 + 1e-15
    free, _ = noise_prune(conn, 0.3, coupling="weights", seed=0, margin=0.0)
    assert rep.n_clipped == int((np.abs(free.w[kept]) > 0.4e-3).sum()) > 0


def test_only_effective_synapses_are_touched():
    conn = _small_net(seed=6)
    na = conn.neuron_active.copy()
    na[0] = False
    sa = conn.synapse_active.copy()
    sa[:5] = False
    conn = conn.replace(neuron_active=na, synapse_active=sa)
    out, rep = noise_prune(conn, 0.5, coupling="weights", seed=0, margin=0.0)
    assert rep.n_edges == conn.n_active_synapses
    ineff = ~conn.effective
    np.testing.assert_array_equal(out.w[ineff], conn.w[ineff])
    np.testing.assert_array_equal(out.synapse_active[ineff], conn.synapse_active[ineff])
    assert out.tau_m[0] == conn.tau_m[0]


def test_spectral_report_is_attached():
    conn = _small_net(seed=7)
    _, rep = noise_prune(conn, 0.6, coupling="weights", seed=0, margin=0.0, spectral_k=4)
    s = rep.spectral
    assert s.k == 4 and len(s.eig_before) == 4
    A, C, _, _ = _by_hand(conn)
    ev = np.sort_complex(sla.eigvals(A))
    top = ev[np.lexsort((ev.imag, -ev.real))][:4]
    np.testing.assert_allclose(s.eig_before, top, rtol=1e-8)
    assert np.isfinite(s.rel_err_cov) or not s.stable_after
    d = rep.as_dict()
    json.dumps(d)
    assert d["spectral"]["k"] == 4


def test_lyapunov_coupling_runs_with_given_exponents():
    conn = _small_net(seed=8)
    lam = np.linspace(-5.0, 1.0, conn.N)
    out, rep = noise_prune(conn, 0.5, node_exponents=lam, seed=0)
    assert rep.coupling == "lyapunov"
    assert 0 < rep.n_kept < rep.n_edges


def test_lyap_level_fixes_the_lyapunov_matrix_level():
    # the same network with node exponents 10x larger (the spread seen between
    # input seeds of one network): with a given rho the keep probabilities
    # change; with the Lyapunov-matrix level fixed they are the same, since
    # only the pattern of Lambda is used (eps makes the pattern differ slightly)
    conn = _small_net(seed=8)
    lam = np.linspace(-5.0, -1.0, conn.N)
    _, ref = noise_prune(conn, rho=0.05, node_exponents=lam, seed=0, spectral_report=False)
    _, big = noise_prune(conn, rho=0.05, node_exponents=10 * lam, seed=0,
                         spectral_report=False)
    _, fixed = noise_prune(conn, rho=0.05, node_exponents=10 * lam, seed=0,
                           lyap_level=ref.lyap_level, spectral_report=False)
    assert big.lyap_level == pytest.approx(10 * ref.lyap_level, rel=1e-3)
    assert fixed.lyap_level == pytest.approx(big.lyap_level)  # reported before rescaling
    assert abs(big.p_mean - ref.p_mean) > 0.05
    assert fixed.p_mean == pytest.approx(ref.p_mean, rel=1e-3)
    with pytest.raises(ValueError, match="lyap_level"):
        noise_prune(conn, rho=0.05, node_exponents=lam, lyap_level=0.0)


def test_bad_input():
    conn = _small_net()
    for bad in (0.0, -0.2, 1.5, np.nan):
        with pytest.raises(ValueError, match="density"):
            noise_prune(conn, bad, coupling="weights")
    with pytest.raises(ValueError, match="exactly one"):
        noise_prune(conn, coupling="weights")
    with pytest.raises(ValueError, match="exactly one"):
        noise_prune(conn, 0.5, rho=1.0, coupling="weights")
    with pytest.raises(ValueError, match="rho"):
        noise_prune(conn, rho=0.0, coupling="weights")
    with pytest.raises(ValueError, match="w_max"):
        noise_prune(conn, 0.5, coupling="weights", w_max=-1.0)
    with pytest.raises(ValueError, match="covariance"):
        noise_prune(conn, 0.5, coupling="weights", covariance="magic")
    with pytest.raises(ValueError, match="no effective synapse"):
        noise_prune(Connectivity(4, [], [], []), 0.5, coupling="weights")
    dead = conn.replace(neuron_active=np.zeros(conn.N, bool))
    with pytest.raises(ValueError, match="no active neuron"):
        noise_prune(dead, 0.5, coupling="weights")
    nan = conn.copy()
    nan.w[0] = np.nan  # bypassing the constructor's check, as a mutated array would
    with pytest.raises(ValueError, match="conn.w"):
        noise_prune(nan, 0.5, coupling="weights")


def test_density_one_keeps_everything():
    conn = _small_net(seed=9)
    out, rep = noise_prune(conn, 1.0, coupling="weights", seed=0, margin=0.0)
    assert out.synapse_active.all() and rep.n_kept == rep.n_edges
    np.testing.assert_allclose(out.w, conn.w)


def test_disconnected_graph_is_fine():
    # two disjoint rings: C is block diagonal; pruning works per block
    ring = [(i, (i + 1) % 5) for i in range(5)]
    pre = [a for a, b in ring] + [a + 5 for a, b in ring]
    post = [b for a, b in ring] + [b + 5 for a, b in ring]
    conn = Connectivity(10, pre, post, [0.5e-3] * 10, tau_m=np.full(10, 20e-3))
    out, rep = noise_prune(conn, 0.5, coupling="weights", seed=0, margin=0.0)
    assert rep.expected_kept == pytest.approx(5.0)


# ---------------------------------------------------------------- solve_rho
def test_solve_rho_exact():
    rng = np.random.default_rng(0)
    s = rng.exponential(size=500)
    s[:20] = 0.0
    for target in (1.0, 37.5, 250.0, 479.0, 480.0):
        rho = solve_rho(s, target)
        assert np.minimum(1, rho * s).sum() == pytest.approx(target, rel=1e-12)
    with pytest.raises(ValueError, match="target"):
        solve_rho(s, 481)


def test_keep_probabilities_more_than_positive_edges(caplog):
    s = np.array([0.0, 0.0, 1.0, 2.0])
    p, rho = keep_probabilities(s, density=0.9)
    np.testing.assert_array_equal(p, [0, 0, 1, 1])
    assert "positive" in caplog.text
    with pytest.raises(ValueError, match="score"):
        keep_probabilities(np.zeros(3), density=0.5)
    with pytest.raises(ValueError, match="NaN"):
        keep_probabilities(np.array([1.0, np.nan]), density=0.5)


def test_sample_keep_pairs_share_one_draw():
    from brian2_lnp.pruning.spectral import sample_keep
    m = 200
    pairs = np.concatenate([np.arange(m, 2 * m), np.arange(m)])
    p = np.full(2 * m, 0.5)
    keep = sample_keep(p, np.random.default_rng(0), pairs)
    np.testing.assert_array_equal(keep[:m], keep[m:])
    assert 0.35 < keep[:m].mean() < 0.65


def test_same_seed_same_pruning_when_node_exponents_are_computed_inside():
    # no node_exponents given: the Lyapunov coupling computes them from a rate
    # surrogate whose random inputs must follow the call's seed
    from brian2_lnp.models import generate_network
    conn = generate_network("hrsnn_small", seed=3).conn
    opts = dict(density=0.7, n_steps=60, transient=20, k=5)
    a, _ = noise_prune(conn, seed=11, **opts)
    b, _ = noise_prune(conn, seed=11, **opts)
    assert a == b


def test_edge_gain_of_the_lyapunov_coupling_by_hand():
    # L_ij = gain_ij * sign(w_ij) * Lambda_ij; Lambda by hand (harmonic mean of
    # |lambda| + eps over the undirected neighbourhoods of i and j), C from
    # scipy, p = min(1, rho * |L| * terms) with the given rho
    conn = _small_net(seed=2)
    N = conn.N
    lam = np.linspace(-3.0, 1.0, N)  # per-node exponents (1/s)
    eps = 1e-3
    U = np.eye(N, dtype=bool)
    U[conn.pre, conn.post] = U[conn.post, conn.pre] = True
    Lam = np.array([1.0 / np.mean(1.0 / (np.abs(lam[U[i] | U[j]]) + eps))
                    for i, j in zip(conn.pre, conn.post)])
    gain = np.random.default_rng(0).uniform(1.0, 3.0, conn.n_synapses)
    L = gain * np.sign(conn.w) * Lam
    A = np.zeros((N, N))
    np.add.at(A, (conn.post, conn.pre), L)
    A -= np.diag(1.0 / conn.tau_m)
    assert np.max(sla.eigvals(A).real) < 0  # stable: no stability factor involved
    C = sla.solve_continuous_lyapunov(A, -np.eye(N))
    i, j = conn.post, conn.pre
    score = np.abs(L) * (C[i, i] + C[j, j] - 2 * np.sign(L) * C[i, j])
    rho = 0.8 / np.median(score)
    p = np.minimum(1.0, rho * score)
    _, rep = noise_prune(conn, rho=rho, node_exponents=lam, edge_gain=gain, margin=0.0,
                         covariance="exact", seed=0, spectral_report=False)
    assert rep.scale == 1.0
    assert rep.expected_kept == pytest.approx(p.sum(), rel=1e-9)
    assert rep.p_min == pytest.approx(p.min(), rel=1e-9)
    assert rep.n_p_one == int((p >= 1).sum())
    # without the gain the same rho keeps fewer synapses (gain >= 1 raises every score)
    _, rep1 = noise_prune(conn, rho=rho, node_exponents=lam, margin=0.0,
                          covariance="exact", seed=0, spectral_report=False)
    assert rep1.expected_kept < rep.expected_kept
    with pytest.raises(ValueError, match="edge_gain"):
        noise_prune(conn, rho=rho, coupling="weights", edge_gain=gain)
    with pytest.raises(ValueError, match="edge_gain"):
        noise_prune(conn, rho=rho, node_exponents=lam, edge_gain=gain[:3])


def test_running_exponents_by_hand():
    from brian2_lnp.dynamics.warm import WarmStart, running_exponents
    mean, st = running_exponents(None, [0, 2, 5], [1.0, -2.0, 4.0])
    np.testing.assert_array_equal(mean, [1.0, -2.0, 4.0])
    np.testing.assert_array_equal(st["exponent_count"], [1, 1, 1])
    # neuron 0 is gone, 7 is new; 2 and 5 average with their first estimate
    mean, st = running_exponents(WarmStart(**st), [2, 5, 7], [0.0, 2.0, 9.0])
    np.testing.assert_array_equal(mean, [-1.0, 3.0, 9.0])
    np.testing.assert_array_equal(st["exponent_index"], [2, 5, 7])
    np.testing.assert_array_equal(st["exponent_sum"], [-2.0, 6.0, 9.0])
    np.testing.assert_array_equal(st["exponent_count"], [2, 2, 1])


def test_average_exponents_prunes_with_the_mean_of_the_estimates():
    # call 2 with average_exponents uses (estimate 1 + estimate 2) / 2: the same
    # pruning as giving that mean as node_exponents with call 2's seed
    from brian2_lnp.models import generate_network
    conn = generate_network("hrsnn_small", seed=3).conn
    opts = dict(density=0.7, n_steps=60, transient=20, k=5, covariance="exact",
                spectral_report=False)
    _, r1 = noise_prune(conn, seed=11, average_exponents=True, **opts)
    _, alone = noise_prune(conn, seed=12, average_exponents=True, **opts)
    out, r2 = noise_prune(conn, seed=12, average_exponents=True, warm=r1.warm, **opts)
    assert (r1.exponents_averaged, alone.exponents_averaged, r2.exponents_averaged) == (1, 1, 2)
    np.testing.assert_array_equal(r2.warm.exponent_sum,
                                  r1.warm.exponent_sum + alone.warm.exponent_sum)
    lam = np.zeros(conn.N)
    lam[r2.warm.exponent_index] = r2.warm.exponent_sum / 2
    ref, _ = noise_prune(conn, seed=12, node_exponents=lam, **opts)
    assert out == ref
    assert out != noise_prune(conn, seed=12, **opts)[0]  # the average changed something


def test_average_exponents_must_be_a_bool():
    from brian2_lnp.pruning.schedules import ConvergentSchedule
    with pytest.raises(TypeError, match="average_exponents"):
        ConvergentSchedule(average_exponents="yes")
    with pytest.raises(TypeError, match="average_exponents"):
        noise_prune(_small_net(seed=8), 0.5, node_exponents=np.ones(12), average_exponents=1)
