"""The pure-NumPy network generator (brian2_lnp.models.generate).

Statistical tests use p-value thresholds of 1e-3 (or 5 standard errors) with
fixed seeds, so a correct generator fails them with negligible probability
while a wrong formula (other lambda, missing C, swapped E/I) fails clearly.
"""
import time

import numpy as np
import pytest
import scipy.stats as st
from scipy.spatial.distance import cdist
from scipy.special import polygamma

from brian2_lnp.graph import Connectivity
from brian2_lnp.models.config import load_model
from brian2_lnp.models.generate import (draw_stdp_params, generate_network, grid_positions,
                                        grid_shape, tau_m_from_quantiles, tau_m_groups)
from brian2_lnp.models.spec import NetworkSpec

P_MIN = 1e-3


@pytest.fixture(scope="module")
def big_hrsnn():
    """The full 5000-neuron HRSNN (also times the generator)."""
    t0 = time.perf_counter()
    spec = generate_network("hrsnn", seed=11)
    return spec, time.perf_counter() - t0


@pytest.fixture(scope="module")
def mid_chrsnn():
    """2000 neurons in 4 clusters (chrsnn_small's per-cluster Gammas), sparse inside."""
    cfg = load_model("chrsnn_small", N=2000, **{"clusters.p_intra": 0.01,
                                                "clusters.bridges_per_pair": 100})
    return generate_network(cfg, seed=5)


def gamma_se(shape, scale, n):
    """Standard errors of the MLE of (shape, scale) from the Fisher information."""
    info = n * np.array([[polygamma(1, shape), 1 / scale], [1 / scale, shape / scale**2]])
    return np.sqrt(np.diag(np.linalg.inv(info)))


# ----------------------------------------------------------------------------- spec fields
@pytest.mark.parametrize("name", ["hrsnn_small", "chrsnn_small"])
def test_spec_fields_are_filled_and_consistent(name):
    spec = generate_network(name, seed=0)
    assert isinstance(spec, NetworkSpec) and isinstance(spec.conn, Connectivity)
    cfg = spec.config
    N, S = spec.N, spec.conn.n_synapses
    assert spec.model == cfg.model and N == cfg.N and S > 0
    for arr in (spec.plastic, spec.tau_pre, spec.tau_post, spec.A_plus, spec.A_minus):
        assert arr.shape == (S,)
    assert spec.v_th.shape == spec.u_tau.shape == (N,)
    assert spec.input_pre.shape == spec.input_post.shape == spec.input_w.shape
    assert spec.n_inputs == cfg.input.n_channels
    assert spec.v_rest == cfg.neuron.v_rest and spec.tau_syn == cfg.neuron.tau_syn
    assert spec.t_ref == cfg.neuron.t_ref and spec.v_reset == cfg.neuron.v_reset
    assert spec.w_max == cfg.stdp.w_max
    assert spec.extra["input_rate"] == cfg.input.rate == 20.0
    assert spec.conn.provenance["seed"] == spec.seed == 0
    assert (spec.positions is not None) == (name.startswith("hrsnn"))
    # no self-connections, no duplicate synapses
    c = spec.conn
    assert not np.any(c.pre == c.post)
    assert np.unique(c.pre * N + c.post).size == S
    # thresholds above rest and reset for every neuron
    assert np.all(spec.v_th > max(spec.v_rest, spec.v_reset))
    # membrane time constants follow the quantile map exactly
    for idx, shape, scale in tau_m_groups(spec).values():
        np.testing.assert_array_equal(c.tau_m[idx], tau_m_from_quantiles(spec.u_tau[idx],
                                                                         shape, scale))


# ----------------------------------------------------------------------------- E:I and Dale
@pytest.mark.parametrize("N, n_exc", [(125, 100), (7, 6), (12, 10), (13, 10), (3, 2)])
def test_excitatory_count_is_round_of_four_fifths(N, n_exc):
    # hand-computed: 7*0.8 = 5.6 -> 6; 12*0.8 = 9.6 -> 10; 13*0.8 = 10.4 -> 10; 3*0.8 = 2.4 -> 2
    for model in ("hrsnn_small", "chrsnn_small"):
        over = {"clusters.K": 1, "clusters.tau_m": [{"shape": 3, "scale": "5*ms"}]} \
            if model.startswith("c") else {}
        spec = generate_network(load_model(model, N=N, **over), seed=1)
        t = spec.conn.types
        assert (t == 0).sum() == n_exc and (t == 1).sum() == N - n_exc
        # E first, then I: contiguous subgroups for the Brian2 layer
        assert np.all(np.diff(t) >= 0)


def test_four_to_one_in_big_network(big_hrsnn):
    spec, _ = big_hrsnn
    assert (spec.conn.types == 0).sum() == 4000 and (spec.conn.types == 1).sum() == 1000


@pytest.mark.parametrize("name", ["hrsnn_small", "chrsnn_small"])
def test_dales_law(name):
    spec = generate_network(name, seed=2)
    c = spec.conn
    from_e = c.types[c.pre] == 0
    assert from_e.any() and (~from_e).any()
    assert np.all(c.w[from_e] > 0) and np.all(c.w[~from_e] < 0)
    assert np.all(spec.input_w > 0)


def test_weight_magnitudes_follow_gamma(big_hrsnn):
    """|w| per pathway ~ Gamma(mean = |weights.XY|, cv = weights.cv) (KS test)."""
    spec, _ = big_hrsnn
    cfg, c = spec.config, spec.conn
    cv = cfg.weights.cv
    for key, (a, b) in {"EE": (0, 0), "IE": (1, 0), "II": (1, 1)}.items():
        sel = (c.types[c.pre] == a) & (c.types[c.post] == b)
        mean = abs(cfg.weights[key])
        ref = st.gamma(a=1 / cv**2, scale=mean * cv**2)
        w = np.abs(c.w[sel])
        if key == "EE":  # plastic weights are clipped at w_max: test below it
            n_at_max = int((np.abs(c.w[spec.plastic]) == cfg.stdp.w_max).sum())
            assert spec.extra["n_weights_clipped"] == n_at_max
            w = w[w < cfg.stdp.w_max]
            p = st.kstest(w, lambda x: ref.cdf(x) / ref.cdf(cfg.stdp.w_max)).pvalue
        else:
            p = st.kstest(w, ref.cdf).pvalue
        assert p > P_MIN, (key, p)


# ----------------------------------------------------------------------------- tau_m
def test_gamma_tau_m_recovered_from_draws(big_hrsnn):
    """Per-population tau_m: KS against the configured Gamma and an MLE fit within 5 SE."""
    spec, _ = big_hrsnn
    c = spec.conn
    for pop, code in (("E", 0), ("I", 1)):
        g = spec.config.neuron.tau_m[pop]
        x = c.tau_m[c.types == code]
        assert st.kstest(x, st.gamma(a=g["shape"], scale=g["scale"]).cdf).pvalue > P_MIN
        k, _, theta = st.gamma.fit(x, floc=0)
        se_k, se_theta = gamma_se(g["shape"], g["scale"], x.size)
        assert abs(k - g["shape"]) < 5 * se_k, (pop, k)
        assert abs(theta - g["scale"]) < 5 * se_theta, (pop, theta)
    assert c.tau_m[c.types == 0].mean() > c.tau_m[c.types == 1].mean()


def test_tau_m_from_quantiles_5000_draws():
    rng = np.random.default_rng(0)
    u = rng.random(5000)
    shape, scale = 2.5, 0.012
    x = tau_m_from_quantiles(u, shape, scale)
    assert st.kstest(x, st.gamma(a=shape, scale=scale).cdf).pvalue > P_MIN
    k, _, theta = st.gamma.fit(x, floc=0)
    se = gamma_se(shape, scale, 5000)
    assert abs(k - shape) < 5 * se[0] and abs(theta - scale) < 5 * se[1]
    # hand check: the median of Gamma(1, theta) (exponential) is theta*ln 2
    assert tau_m_from_quantiles([0.5], 1.0, 0.02)[0] == pytest.approx(0.02 * np.log(2))


def test_quantile_mapping_keeps_ranks():
    spec = generate_network("hrsnn_small", seed=4)
    for idx, shape, scale in tau_m_groups(spec).values():
        old = spec.conn.tau_m[idx]
        new = tau_m_from_quantiles(spec.u_tau[idx], shape * 3.0, scale / 5.0)
        np.testing.assert_array_equal(np.argsort(old), np.argsort(new))
        assert not np.allclose(old, new)
    # the same through a changed config: every neuron keeps its rank within its population
    other = generate_network(load_model("hrsnn_small", **{"neuron.tau_m.E.shape": 8,
                                                          "neuron.tau_m.E.scale": "2*ms"}),
                             seed=4)
    E = spec.conn.types == 0
    np.testing.assert_array_equal(np.argsort(spec.conn.tau_m[E]), np.argsort(other.conn.tau_m[E]))
    np.testing.assert_array_equal(spec.conn.tau_m[~E], other.conn.tau_m[~E])


def test_tau_m_groups_needs_a_config():
    spec = generate_network("hrsnn_small", seed=0)
    spec.config = None
    with pytest.raises(ValueError, match="^spec_or_config: "):
        tau_m_groups(spec)


@pytest.mark.parametrize("u, shape, scale, field", [
    ([0.0, 0.5], 3, 0.01, "u"), ([1.0], 3, 0.01, "u"), ([0.5], 0, 0.01, "shape"),
    ([0.5], 3, -0.01, "scale"), ([0.5], np.nan, 0.01, "shape"),
])
def test_tau_m_from_quantiles_errors(u, shape, scale, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        tau_m_from_quantiles(u, shape, scale)


def test_thresholds_are_heterogeneous_and_follow_config():
    spec = generate_network("hrsnn_small", N=2000, seed=8)
    d = spec.config.neuron.v_th
    assert st.kstest(spec.v_th, st.norm(loc=d["mean"], scale=d["std"]).cdf).pvalue > P_MIN
    np.testing.assert_array_equal(spec.v_th, d.ppf(spec.extra["u_th"]))


# ----------------------------------------------------------------------------- connectivity
def _distance_profile_chi2(spec):
    """Observed vs expected synapse counts per (pathway, squared distance) bin."""
    c, cfg = spec.conn, spec.config
    pos = spec.positions
    D2 = np.rint(cdist(pos, pos, "sqeuclidean")).astype(np.int64)  # integer on a unit grid
    A = np.zeros((c.N, c.N), dtype=bool)
    A[c.pre, c.post] = True
    lam = cfg.connectivity["lambda"]
    out = {}
    for key, (a, b) in {"EE": (0, 0), "EI": (0, 1), "IE": (1, 0), "II": (1, 1)}.items():
        rows, cols = np.flatnonzero(c.types == a), np.flatnonzero(c.types == b)
        d2 = D2[np.ix_(rows, cols)]
        hit = A[np.ix_(rows, cols)]
        not_self = rows[:, None] != cols[None, :]
        d2, hit = d2[not_self], hit[not_self]
        chi2, dof, zmax = 0.0, 0, 0.0
        tail_obs, tail_exp = 0, 0.0
        for v in np.unique(d2):
            sel = d2 == v
            n = int(sel.sum())
            p = cfg.connectivity.C[key] * np.exp(-v / lam**2)
            obs = int(hit[sel].sum())
            if n * p >= 5:
                var = n * p * (1 - p)
                chi2 += (obs - n * p) ** 2 / var
                dof += 1
                zmax = max(zmax, abs(obs - n * p) / np.sqrt(var))
            else:  # sparse far bins, pooled: a sum of rare Bernoullis ~ Poisson
                tail_obs += obs
                tail_exp += n * p
        tail_p = 2 * min(st.poisson.cdf(tail_obs, tail_exp), st.poisson.sf(tail_obs - 1, tail_exp))
        out[key] = (chi2, dof, zmax, tail_p)
    return out


def test_connection_probability_matches_distance_formula():
    """P(i->j) = C_type exp(-(D/lambda)^2), checked per pathway and distance bin."""
    spec = generate_network("hrsnn_small", N=1500, seed=21)
    for key, (chi2, dof, zmax, tail_p) in _distance_profile_chi2(spec).items():
        assert dof >= 4, key
        assert st.chi2.sf(chi2, dof) > P_MIN, (key, chi2, dof)
        assert zmax < 5, key
        assert tail_p > P_MIN, key


def test_distance_profile_test_detects_wrong_lambda():
    """The check above has power: a network built with another lambda fails it."""
    spec = generate_network(load_model("hrsnn_small", N=1500, connectivity__lambda=2.4),
                            seed=21)
    spec.config = load_model("hrsnn_small", N=1500)  # claim lambda = 2
    res = _distance_profile_chi2(spec)
    assert min(st.chi2.sf(chi2, dof) for chi2, dof, _, _ in res.values()) < 1e-6


def test_connectivity_limits_hand_computed():
    # C = 0 everywhere: no synapses; C = 1 and a huge lambda: every ordered pair but i->i
    zero = {f"connectivity.C.{k}": 0.0 for k in ("EE", "EI", "IE", "II")}
    assert generate_network(load_model("hrsnn_small", N=30, **zero), seed=0).conn.n_synapses == 0
    full = {f"connectivity.C.{k}": 1.0 for k in ("EE", "EI", "IE", "II")}
    spec = generate_network(load_model("hrsnn_small", N=30, connectivity__lambda=1e9, **full),
                            seed=0)
    assert spec.conn.n_synapses == 30 * 29
    # only E->E: every synapse joins two E neurons
    only_ee = dict(zero, **{"connectivity.C.EE": 1.0})
    c = generate_network(load_model("hrsnn_small", N=30, connectivity__lambda=1e9, **only_ee),
                         seed=0).conn
    assert c.n_synapses == 24 * 23 and np.all(c.types[c.pre] == 0) and np.all(c.types[c.post] == 0)


def test_grid_placement():
    assert grid_shape(125) == (5, 5, 5)
    assert grid_shape(100) == (5, 5, 4)
    assert grid_shape(5000) == (18, 17, 17)
    assert grid_shape(1) == (1, 1, 1) and grid_shape(2) == (2, 1, 1)
    for N in range(1, 400):
        s = grid_shape(N)
        assert np.prod(s) >= N and max(s) - min(s) <= 1 and (max(s) - 1) ** 3 < N
        pos = grid_positions(N)
        assert np.unique(pos, axis=0).shape[0] == N
        assert np.all(pos.max(axis=0) < np.array(s))
    spec = generate_network("hrsnn_small", seed=3)
    pos = spec.positions
    assert np.unique(pos, axis=0).shape[0] == 125 and pos.min() == 0 and pos.max() == 4
    # E and I both spread through the whole grid (sites are assigned in random order)
    I = spec.conn.types == 1
    assert pos[I, 0].min() <= 1 and pos[I, 0].max() >= 3


def test_generation_is_fast_for_5000(big_hrsnn):
    spec, seconds = big_hrsnn
    assert spec.N == 5000
    # vectorised blockwise sampling takes ~2 s on one core; an N^2 Python loop takes minutes
    assert seconds < 30, seconds


# ----------------------------------------------------------------------------- STDP
def test_stdp_on_e_synapses_only(big_hrsnn):
    spec, _ = big_hrsnn
    c, st_cfg = spec.conn, spec.config.stdp
    from_e = c.types[c.pre] == 0
    np.testing.assert_array_equal(spec.plastic, from_e)
    for name in ("tau_pre", "tau_post", "A_plus", "A_minus"):
        assert np.all(getattr(spec, name)[~from_e] == 0)
    assert np.all(spec.A_plus[from_e] > 0) and np.all(spec.A_minus[from_e] < 0)
    for name, sign in (("tau_pre", 1), ("tau_post", 1), ("A_plus", 1), ("A_minus", -1)):
        d = st_cfg[name]
        ref = st.gamma(a=d["shape"], scale=d["scale"])
        assert st.kstest(sign * getattr(spec, name)[from_e], ref.cdf).pvalue > P_MIN, name
    # E->I synapses are plastic too
    assert np.any(from_e & (c.types[c.post] == 1))


def test_draw_stdp_params_for_new_synapses():
    cfg = load_model("hrsnn_small")
    pre = np.array([0, 0, 1, 1, 0])
    post = np.array([0, 1, 0, 1, 0])
    a = draw_stdp_params(cfg, pre, post, seed=9)
    b = draw_stdp_params(cfg, pre, post, seed=9)
    np.testing.assert_array_equal(a["plastic"], [True, True, False, False, True])
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert np.all(a["tau_pre"][a["plastic"]] > 0) and np.all(a["A_minus"][a["plastic"]] < 0)
    assert np.all(a["tau_post"][~a["plastic"]] == 0)
    with pytest.raises(ValueError, match="^pre_types: "):
        draw_stdp_params(cfg, [2], [0], seed=1)
    with pytest.raises(ValueError, match="pre_types, post_types"):
        draw_stdp_params(cfg, [0, 1], [0], seed=1)


# ----------------------------------------------------------------------------- input
def test_input_fraction_p_in():
    cfg = load_model("hrsnn_small", **{"input.p_in": 0.2})
    spec = generate_network(cfg, seed=6, n_inputs=400)
    N, k = spec.N, 25  # round(0.2 * 125)
    assert spec.n_inputs == 400
    counts = np.bincount(spec.input_pre, minlength=400)
    assert np.all(counts == k)
    # distinct targets per channel
    assert np.unique(spec.input_pre * N + spec.input_post).size == spec.input_pre.size
    # every recurrent neuron equally likely: per-neuron counts ~ 400 * 0.2 = 80
    per_neuron = np.bincount(spec.input_post, minlength=N)
    assert st.chisquare(per_neuron).pvalue > P_MIN
    assert per_neuron[spec.conn.types == 1].sum() > 0  # I neurons receive input too
    np.testing.assert_array_equal(spec.input_w, cfg.input.w)


def test_n_inputs_argument():
    assert generate_network("hrsnn_small", seed=1, n_inputs=0).input_pre.size == 0
    with pytest.raises(TypeError, match="^n_inputs: "):
        generate_network("hrsnn_small", seed=1, n_inputs=2.5)
    with pytest.raises(ValueError, match="^n_inputs: "):
        generate_network("hrsnn_small", seed=1, n_inputs=-1)
    with pytest.raises(ValueError, match="^N: "):
        generate_network("hrsnn_small", seed=1, N=0)


# ----------------------------------------------------------------------------- seeds
def _assert_same(a, b):
    assert a.conn == b.conn, a.conn.diff(b.conn)
    for name in ("v_th", "plastic", "tau_pre", "tau_post", "A_plus", "A_minus", "input_pre",
                 "input_post", "input_w", "u_tau"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("name", ["hrsnn_small", "chrsnn_small"])
def test_same_seed_same_spec_different_seed_different(name):
    a, b = generate_network(name, seed=123), generate_network(name, seed=123)
    _assert_same(a, b)
    c = generate_network(name, seed=124)
    assert set(a.conn.diff(c.conn)) >= {"pre", "post", "w", "tau_m"}
    assert not np.array_equal(a.v_th, c.v_th)
    # a seed of None is recorded and reproduces the network
    d = generate_network(name, seed=None)
    _assert_same(d, generate_network(name, seed=d.seed))
    # a Generator is accepted and consumed reproducibly
    _assert_same(generate_network(name, seed=np.random.default_rng(5)),
                 generate_network(name, seed=np.random.default_rng(5)))
    with pytest.raises(ValueError, match="^seed: "):
        generate_network(name, seed=-1)


def test_sub_streams_are_independent():
    base = generate_network("hrsnn_small", seed=7)
    # other STDP distributions: connectivity, weights, tau_m, thresholds, inputs unchanged
    s = generate_network(load_model("hrsnn_small", **{"stdp.A_plus.scale": "0.02*mV"}), seed=7)
    assert s.conn == base.conn
    np.testing.assert_array_equal(s.tau_pre, base.tau_pre)
    assert np.allclose(s.A_plus, 2 * base.A_plus) and np.any(s.A_plus != base.A_plus)
    # another tau_m distribution: the graph and weights do not move
    t = generate_network(load_model("hrsnn_small", **{"neuron.tau_m.I.scale": "3*ms"}), seed=7)
    assert t.conn.diff(base.conn) == ["tau_m"]
    np.testing.assert_array_equal(t.u_tau, base.u_tau)
    # more input channels: the recurrent network is identical
    assert generate_network("hrsnn_small", seed=7, n_inputs=3).conn == base.conn


# ----------------------------------------------------------------------------- CHRSNN
def test_chrsnn_cluster_tau_means(mid_chrsnn):
    spec = mid_chrsnn
    c = spec.conn
    dists = spec.config.clusters.tau_m
    assert np.bincount(c.cluster).tolist() == [500, 500, 500, 500]
    means = []
    for k, d in enumerate(dists):
        x = c.tau_m[c.cluster == k]
        mu, sd = d["shape"] * d["scale"], np.sqrt(d["shape"]) * d["scale"]
        assert abs(x.mean() - mu) < 5 * sd / np.sqrt(x.size), k
        assert st.kstest(x, st.gamma(a=d["shape"], scale=d["scale"]).cdf).pvalue > P_MIN
        means.append(x.mean())
        # each cluster holds both populations in about 4:1
        assert (c.types[c.cluster == k] == 0).sum() == 400
    assert np.all(np.diff(means) > 0)  # configured means 6 < 15 < 30 < 45 ms


def test_chrsnn_intra_probability(mid_chrsnn):
    spec = mid_chrsnn
    c = spec.conn
    same = c.cluster[c.pre] == c.cluster[c.post]
    p = spec.config.clusters.p_intra["EE"]  # scalar override: same for all pathways
    n_pairs = 4 * 500 * 499
    obs = int(same.sum())
    assert abs(obs - n_pairs * p) < 5 * np.sqrt(n_pairs * p * (1 - p))


def test_chrsnn_inter_edges_minority_and_small_world():
    spec = generate_network("chrsnn_small", seed=3)
    c = spec.conn
    inter = c.cluster[c.pre] != c.cluster[c.post]
    assert 0 < inter.sum() < 0.5 * c.n_synapses
    assert inter.sum() == spec.extra["n_inter"]
    # the whole network is one weakly connected component (clusters are bridged)
    import scipy.sparse.csgraph as csg
    n_comp, _ = csg.connected_components(c.to_matrix(), directed=True, connection="weak")
    assert n_comp == 1


def test_chrsnn_rewiring_probability():
    """Without rewiring all bridges join ring neighbours; with p_rewire the fraction
    landing on non-neighbour clusters is p * (K - 3) / (K - 1) (K=8, k=2)."""
    over = {"clusters.K": 8, "clusters.tau_m": [{"shape": 3, "scale": "5*ms"}] * 8,
            "clusters.p_intra": 0.0, "clusters.bridges_per_pair": 200}
    ring = {(a, (a + s) % 8) for a in range(8) for s in (1, -1)}

    def far_fraction(p, seed):
        spec = generate_network(load_model("chrsnn_small", N=800, **over,
                                           **{"clusters.p_rewire": p}), seed=seed)
        c = spec.conn
        pairs = list(zip(c.cluster[c.pre].tolist(), c.cluster[c.post].tolist()))
        assert all(a != b for a, b in pairs)  # p_intra = 0: only bridges
        far = np.array([pq not in ring for pq in pairs])
        return far.mean(), far.size

    frac0, _ = far_fraction(0.0, 1)
    assert frac0 == 0.0
    p = 0.3
    frac, n = far_fraction(p, 2)
    expect = p * 5 / 7
    assert abs(frac - expect) < 5 * np.sqrt(expect * (1 - expect) / n), (frac, expect)


def test_chrsnn_cluster_rule_form():
    cfg = load_model("chrsnn", N=300, **{"clusters.K": 3})
    spec = generate_network(cfg, seed=0)
    groups = tau_m_groups(spec)
    scales = [g[2] for g in groups.values()]
    # geometric spacing from scale_from to scale_to (hand-computed: 2, sqrt(30), 15 ms)
    np.testing.assert_allclose(scales, [2e-3, np.sqrt(2e-3 * 15e-3), 15e-3])
    assert spec.positions is None and set(np.unique(spec.conn.cluster)) == {0, 1, 2}
