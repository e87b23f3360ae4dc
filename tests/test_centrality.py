"""Betweenness backends (graph/centrality.py) and LNP Step II (pruning/centrality.py).

Truth comes from hand-computed tiny graphs and from a brute-force count of
shortest paths (networkx all_shortest_paths), independent of Brandes.
"""
import itertools
import json

import numpy as np
import pytest

from brian2_lnp.graph.centrality import available_backends, betweenness
from brian2_lnp.graph.connectivity import Connectivity
from brian2_lnp.pruning.centrality import centrality_prune

BACKENDS = available_backends()
FAST = [b for b in BACKENDS if b != "networkx"]


def _random_conn(N=40, S=250, seed=0, inactive=()):
    rng = np.random.default_rng(seed)
    pre = rng.integers(0, N, S)
    post = rng.integers(0, N, S)
    w = rng.normal(0, 1, S)  # continuous weights: no ties between weighted path lengths
    act = np.ones(N, bool)
    act[list(inactive)] = False
    return Connectivity(N, pre, post, w, neuron_active=act)


def _brute_force(conn, weighted):
    """sum_{s!=v!=t} sigma_st(v)/sigma_st by enumerating every shortest path."""
    import networkx as nx
    sub, nidx, _ = conn.compacted()
    G = nx.DiGraph()
    G.add_nodes_from(range(sub.N))
    for a, b, w in zip(sub.pre, sub.post, sub.w):
        if a == b:
            continue
        if G.has_edge(a, b):
            G[a][b]["mag"] += abs(w)
        else:
            G.add_edge(a, b, mag=abs(w))
    for a, b in G.edges:
        G[a][b]["len"] = 1.0 / G[a][b]["mag"]
    bc = np.zeros(sub.N)
    for s, t in itertools.permutations(range(sub.N), 2):
        if not nx.has_path(G, s, t):
            continue
        paths = list(nx.all_shortest_paths(G, s, t, weight="len" if weighted else None))
        for p in paths:
            for v in p[1:-1]:
                bc[v] += 1.0 / len(paths)
    n = sub.N
    out = np.full(conn.N, np.nan)
    out[nidx] = bc / ((n - 1) * (n - 2))
    return out


def test_path_graph_by_hand():
    # 0 -> 1 -> 2 -> 3: node 1 lies on (0,2), (0,3); node 2 on (0,3), (1,3).
    conn = Connectivity(4, [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0])
    for b in BACKENDS:
        raw = betweenness(conn, backend=b, normalized=False)
        np.testing.assert_allclose(raw, [0, 2, 2, 0], err_msg=b)
        np.testing.assert_allclose(betweenness(conn, backend=b), np.array([0, 2, 2, 0]) / 6)


def test_two_equal_paths_split_credit():
    # 0 -> 1 -> 3 and 0 -> 2 -> 3: each middle node carries half of (0, 3).
    conn = Connectivity(4, [0, 0, 1, 2], [1, 2, 3, 3], [1.0] * 4)
    for b in BACKENDS:
        np.testing.assert_allclose(betweenness(conn, backend=b, normalized=False),
                                   [0, 0.5, 0.5, 0], err_msg=b)


def test_weighted_uses_inverse_magnitude():
    # 0 -> 1 -> 2 strong (|w| = 10 each, length 0.2) vs direct 0 -> 2 weak
    # (|w| = 1, length 1): weighted paths go through 1, unweighted do not.
    conn = Connectivity(3, [0, 1, 0], [1, 2, 2], [10.0, -10.0, 1.0])
    for b in BACKENDS:
        assert betweenness(conn, backend=b, normalized=False)[1] == 0
        assert betweenness(conn, backend=b, weighted=True, normalized=False)[1] == 1


@pytest.mark.parametrize("weighted", [False, True])
def test_matches_brute_force_and_inactive_nan(weighted):
    conn = _random_conn(N=14, S=40, seed=3, inactive=(2, 5))
    truth = _brute_force(conn, weighted)
    for b in BACKENDS:
        bc = betweenness(conn, weighted=weighted, backend=b)
        assert np.isnan(bc[[2, 5]]).all()
        np.testing.assert_allclose(bc, truth, atol=1e-12, err_msg=b)


@pytest.mark.parametrize("weighted", [False, True])
def test_backends_agree_exact(weighted):
    conn = _random_conn(N=120, S=900, seed=7)
    ref = betweenness(conn, weighted=weighted, backend="networkx")
    assert np.nanmax(ref) > 0
    for b in FAST:
        np.testing.assert_allclose(betweenness(conn, weighted=weighted, backend=b), ref,
                                   atol=1e-12, err_msg=b)


def test_pivots_same_set_for_networkx_and_igraph():
    if "igraph" not in BACKENDS:
        pytest.skip("igraph not installed")
    conn = _random_conn(N=100, S=700, seed=1)
    a = betweenness(conn, pivots=20, backend="networkx", seed=5)
    b = betweenness(conn, pivots=20, backend="igraph", seed=5)
    np.testing.assert_allclose(a, b, atol=1e-12)
    c = betweenness(conn, pivots=20, backend="igraph", seed=6)
    assert not np.allclose(a, c)  # the seed does choose the pivots


def test_pivot_estimate_unbiased():
    # Mean over seeds of the pivot estimate approaches the exact value: the
    # n/k scaling is right (a wrong scale would be off by a factor n/k = 5).
    conn = _random_conn(N=60, S=400, seed=2)
    exact = betweenness(conn, backend="networkx")
    ests = [betweenness(conn, pivots=12, backend="networkx", seed=s) for s in range(60)]
    mean = np.mean(ests, axis=0)
    rel = np.abs(mean.sum() - exact.sum()) / exact.sum()
    assert rel < 0.05
    assert np.corrcoef(mean, exact)[0, 1] > 0.95
    # networkit has its own estimator: statistically the same quantity
    if "networkit" in BACKENDS:
        nk = np.mean([betweenness(conn, pivots=12, backend="networkit", seed=s)
                      for s in range(60)], axis=0)
        assert abs(nk.sum() - exact.sum()) / exact.sum() < 0.1
        assert np.corrcoef(nk, exact)[0, 1] > 0.9


def test_pivots_at_least_n_is_exact():
    conn = _random_conn(N=30, S=150, seed=4)
    np.testing.assert_allclose(betweenness(conn, pivots=30, seed=1, backend="networkx"),
                               betweenness(conn, backend="networkx"))


def test_bad_arguments():
    conn = _random_conn()
    with pytest.raises(ValueError, match="backend"):
        betweenness(conn, backend="graph-tool")
    with pytest.raises(ValueError, match="pivots"):
        betweenness(conn, pivots=0)
    with pytest.raises(TypeError, match="pivots"):
        betweenness(conn, pivots=2.5)


# ---------------------------------------------------------------- Step II
def _star_plus_chain():
    # hub 0 relays between 1..4 (in-spokes 1,2 -> 0 -> 3,4); chain 5 -> 6 -> 7.
    pre = [1, 2, 0, 0, 5, 6]
    post = [0, 0, 3, 4, 6, 7]
    return Connectivity(8, pre, post, [1.0] * 6)


def test_centrality_prune_q_removes_lowest():
    conn = _star_plus_chain()
    bc = betweenness(conn, backend="networkx")
    # raw: node 0 relays 4 pairs, node 6 one pair, everyone else 0
    np.testing.assert_allclose(bc * 42, [4, 0, 0, 0, 0, 0, 1, 0])
    out, rep = centrality_prune(conn, q=0.75, seed=0)  # floor(0.75*8) = 6
    assert rep.n_pruned == 6
    assert set(np.flatnonzero(out.neuron_active)) == {0, 6}
    assert rep.n_effective_synapses_after == 0
    # original untouched, arrays never deleted
    assert conn.neuron_active.all() and out.n_synapses == conn.n_synapses
    json.dumps(rep.as_dict())


def test_centrality_prune_ties_broken_by_seed():
    conn = _star_plus_chain()
    picks = {tuple(centrality_prune(conn, q=0.25, seed=s)[1].pruned) for s in range(20)}
    assert len(picks) > 1  # 6 zero-centrality neurons, 2 pruned: not always the same
    for p in picks:
        assert not set(p) & {0, 6}
    a = centrality_prune(conn, q=0.25, seed=3)[1].pruned
    assert a == centrality_prune(conn, q=0.25, seed=3)[1].pruned


def test_centrality_prune_threshold():
    conn = _star_plus_chain()
    out, rep = centrality_prune(conn, threshold=2 / 42)
    assert set(np.flatnonzero(out.neuron_active)) == {0}
    assert rep.threshold == pytest.approx(2 / 42)
    with pytest.raises(ValueError, match="threshold"):
        centrality_prune(conn, threshold=1.0)


def test_centrality_prune_skips_inactive_and_bad_input():
    conn = _random_conn(N=30, S=200, seed=9, inactive=(0, 1, 2))
    out, rep = centrality_prune(conn, q=0.1, seed=0)
    assert rep.n_active_before == 27 and rep.n_pruned == 2
    assert not set(rep.pruned) & {0, 1, 2}
    with pytest.raises(ValueError, match="q"):
        centrality_prune(conn, q=1.0)
    with pytest.raises(ValueError, match="q"):
        centrality_prune(conn, q=-0.1)
    with pytest.raises(ValueError, match="exactly one"):
        centrality_prune(conn)
    with pytest.raises(ValueError, match="exactly one"):
        centrality_prune(conn, q=0.1, threshold=0.1)
    dead = conn.replace(neuron_active=np.zeros(30, bool))
    with pytest.raises(ValueError, match="no active neuron"):
        centrality_prune(dead, q=0.1)
    empty = Connectivity(5, [], [], [])
    with pytest.raises(ValueError, match="no effective synapse"):
        centrality_prune(empty, q=0.1)


def test_disconnected_graph_is_fine():
    # Two disjoint chains: unreachable pairs contribute nothing (documented).
    conn = Connectivity(6, [0, 1, 3, 4], [1, 2, 4, 5], [1.0] * 4)
    for b in BACKENDS:
        np.testing.assert_allclose(betweenness(conn, backend=b, normalized=False),
                                   [0, 1, 0, 0, 1, 0])


def test_dead_end_rule_prunes_sources_and_sinks_until_none_is_left():
    from brian2_lnp.pruning.centrality import dead_end_neurons
    # cycle 0 -> 1 -> 2 -> 0; 3 -> 0 (3 has no input); 1 -> 4 -> 5 (5 has no
    # output; once 5 is gone, 4 has none either); 6 has only a self-loop
    pre, post = [0, 1, 2, 3, 1, 4, 6], [1, 2, 0, 0, 4, 5, 6]
    conn = Connectivity(7, pre, post, np.full(7, 1e-3))
    assert dead_end_neurons(conn).tolist() == [3, 5, 6]
    out, rep = centrality_prune(conn, threshold=0.0, dead_ends=True)
    assert sorted(rep.pruned) == [3, 4, 5, 6] and rep.n_dead_ends == 4
    assert np.flatnonzero(out.neuron_active).tolist() == [0, 1, 2]
    # without the rule only the centrality threshold acts (nothing below 0)
    out2, rep2 = centrality_prune(conn, threshold=0.0)
    assert rep2.n_pruned == 0 and out2.n_active_neurons == 7


def test_quantile_calibrates_the_threshold():
    rng = np.random.default_rng(3)
    A = rng.random((30, 30)) < 0.15
    np.fill_diagonal(A, False)
    pre, post = np.nonzero(A)
    conn = Connectivity(30, pre, post, np.full(pre.size, 1e-3))
    bc = betweenness(conn, normalized=True)
    out, rep = centrality_prune(conn, quantile=0.2)
    assert rep.threshold == pytest.approx(np.quantile(bc, 0.2))
    assert sorted(rep.pruned) == np.flatnonzero(bc < rep.threshold).tolist()
    with pytest.raises(ValueError, match="exactly one"):
        centrality_prune(conn, q=0.1, quantile=0.2)
