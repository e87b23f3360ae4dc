"""Baselines: activity pruning (000 A.3) and Erdos-Renyi graphs matched to LNP counts."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from brian2_lnp import Connectivity
from brian2_lnp.pruning.baselines import activity_prune, random_er, random_matching


def _net(N=20, seed=0, p=0.3):
    rng = np.random.default_rng(seed)
    types = (np.arange(N) >= int(0.8 * N)).astype(int)
    A = rng.random((N, N)) < p
    np.fill_diagonal(A, False)
    pre, post = np.nonzero(A)
    w = np.where(types[pre] == 0, 1.0, -1.0) * np.where(
        types[pre] == 0, rng.uniform(1, 2, pre.size), rng.uniform(5, 6, pre.size)) * 1e-3
    return Connectivity(N, pre, post, w, types=types, tau_m=rng.uniform(0.01, 0.03, N))


# ------------------------------------------------------------------ activity pruning
RATES = np.arange(20, dtype=float)  # neuron i fires at i Hz


def _rate_share(conn):
    """Share of the total rate carried by the active neurons (higher is better)."""
    return RATES[conn.neuron_active].sum() / RATES.sum()


def test_activity_prune_hand_computed_stop_at_tolerance():
    # 25 % of the *current* active neurons (floor) per iteration:
    # 20 -> prune {0..4}: share 180/190 = 0.947; 15 -> prune {5,6,7}: 162/190 = 0.853;
    # 12 -> prune {8,9,10}: 135/190 = 0.711 < 0.8: the 3rd candidate fails and
    # the 2nd is returned.
    conn = _net()
    out, rep = activity_prune(conn, lambda c: RATES, _rate_share, fraction=0.25,
                              max_iterations=10, tolerance=0.8, seed=0)
    assert rep.stop_reason == "tolerance"
    assert np.array_equal(np.flatnonzero(~out.neuron_active), np.arange(8))
    assert rep.pruned == [[0, 1, 2, 3, 4], [5, 6, 7]]
    h = rep.history
    np.testing.assert_allclose(h.score, [1, 180 / 190, 162 / 190, 135 / 190])
    assert list(h.accepted) == [True, True, True, False]
    assert list(h.neurons) == [20, 15, 12, 9]
    assert rep.baseline_score == 1.0 and rep.threshold == pytest.approx(0.8)


def test_activity_prune_max_iterations_and_retraining():
    conn = _net()
    calls = []

    def train(c):
        calls.append(c.n_active_neurons)
        return c.replace(w=c.w * 2)
    out, rep = activity_prune(conn, lambda c: RATES, _rate_share, train, fraction=0.1,
                              max_iterations=2, tolerance=0.0)
    assert rep.stop_reason == "max_iterations"
    # unpruned once, then after each pruning (floor(0.1 * 20) = 2, floor(0.1 * 18) = 1)
    assert calls == [20, 18, 17]
    np.testing.assert_allclose(out.w, conn.w * 8)
    assert out.n_active_neurons == 17


def test_activity_prune_loss_direction():
    conn = _net()
    loss = lambda c: 1.0 / _rate_share(c)  # noqa: E731 -- rises as neurons go
    out, rep = activity_prune(conn, lambda c: RATES, loss, fraction=0.25, tolerance=0.8,
                              greater_is_better=False)
    # loss <= 1/0.8 <=> share >= 0.8: the same stop as the score version
    assert np.array_equal(np.flatnonzero(~out.neuron_active), np.arange(8))
    assert rep.threshold == pytest.approx(1 / 0.8)


def test_activity_prune_ties_broken_by_seed():
    conn = _net()
    flat = lambda c: np.ones(c.N)  # noqa: E731
    a, _ = activity_prune(conn, flat, lambda c: 1.0, fraction=0.25, max_iterations=1, seed=1)
    b, _ = activity_prune(conn, flat, lambda c: 1.0, fraction=0.25, max_iterations=1, seed=1)
    assert a == b and a.n_active_neurons == 15
    picks = {tuple(np.flatnonzero(~activity_prune(conn, flat, lambda c: 1.0, fraction=0.25,
                                                  max_iterations=1, seed=s)[0].neuron_active))
             for s in range(5)}
    assert len(picks) > 1


@pytest.mark.parametrize("kw, match", [
    (dict(fraction=0.0), "fraction"), (dict(fraction=1.0), "fraction"),
    (dict(max_iterations=0), "max_iterations"), (dict(tolerance=1.5), "tolerance"),
])
def test_activity_prune_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        activity_prune(_net(), lambda c: RATES, _rate_share, **kw)


def test_activity_prune_bad_activity_length():
    with pytest.raises(ValueError, match="activity_fn"):
        activity_prune(_net(), lambda c: np.ones(3), _rate_share)


# ------------------------------------------------------------------ random matching
def test_random_matching_conn_counts_dale_and_weight_pools():
    conn = _net(N=40, p=0.2)
    act = np.ones(40, bool)
    act[[1, 7, 35]] = False
    conn = conn.replace(neuron_active=act)
    g = random_matching(conn, seed=3)
    assert g.n_active_neurons == conn.n_active_neurons
    assert g.n_active_synapses == conn.n_active_synapses
    assert np.array_equal(g.neuron_active, conn.neuron_active)
    pre, post, w = g.edges()
    assert (pre != post).all()
    assert len(set(zip(pre.tolist(), post.tolist()))) == pre.size
    assert ((w > 0) == (g.types[pre] == 0)).all()  # Dale's law
    cp, _, cw = conn.edges()
    for t in (0, 1):
        pool = set(np.abs(cw[conn.types[cp] == t]).tolist())
        assert set(np.abs(w[g.types[pre] == t]).tolist()) <= pool
    assert random_matching(conn, seed=3) == g
    assert random_matching(conn, seed=4) != g


def test_random_matching_weight_distribution_ks():
    conn = _net(N=120, p=0.3, seed=1)
    g = random_matching(conn, seed=0)
    cp, _, cw = conn.edges()
    gp, _, gw = g.edges()
    for t in (0, 1):
        p = stats.ks_2samp(np.abs(gw[g.types[gp] == t]), np.abs(cw[conn.types[cp] == t])).pvalue
        assert p > 1e-3


def test_er_pairs_are_uniform_chi_square():
    # G(n=4, m=3): each of the 12 ordered pairs is present with probability 1/4
    ref = _net(N=4, p=1.0)
    rng = np.random.default_rng(0)
    counts = np.zeros((4, 4))
    R = 3000
    for _ in range(R):
        g = random_er(ref, 4, 3, rng)
        np.add.at(counts, (g.pre, g.post), 1)
    assert np.all(np.diag(counts) == 0)
    obs = counts[~np.eye(4, dtype=bool)]
    assert obs.sum() == 3 * R
    assert stats.chisquare(obs).pvalue > 1e-3


def test_random_matching_history_rows():
    conn = _net(N=30)
    hist = pd.DataFrame({"neurons": [30, 25, 20], "synapses": [200, 120, 60]})
    gs = random_matching(hist, seed=1, original=conn)
    assert [g.n_active_neurons for g in gs] == [30, 25, 20]
    assert [g.n_active_synapses for g in gs] == [200, 120, 60]
    with pytest.raises(ValueError, match="original"):
        random_matching(hist, seed=1)
    with pytest.raises(ValueError, match="n_synapses"):
        random_matching(pd.DataFrame({"neurons": [3], "synapses": [7]}), original=conn)


def test_random_matching_from_prune_result():
    from brian2_lnp.pruning.driver import prune

    def drop(c, *, seed, density, **kw):
        keep = c.synapse_active.copy()
        keep[np.flatnonzero(c.effective)[::3]] = False
        return c.replace(synapse_active=keep), {}
    res = prune(_net(N=30), iterations=3, steps=("noise",), step_functions={"noise": drop},
                lyapunov=False, seed=0)
    gs = random_matching(res, seed=2)
    assert [g.n_active_synapses for g in gs] == list(res.history.synapses)
    assert [g.n_active_neurons for g in gs] == list(res.history.neurons)
