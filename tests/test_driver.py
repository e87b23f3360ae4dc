"""The iterative LNP driver: history, seeding, checkpoint/resume, ablation, bad input."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from brian2_lnp import Connectivity
from brian2_lnp.pruning.driver import (ABLATIONS, STEP_NAMES, CheckpointError, ConvergentSchedule,
                                       FixedSchedule, expected_sops_per_rate, prune)


# ------------------------------------------------------------------ cheap stand-in steps
def _net(N=30, seed=0):
    rng = np.random.default_rng(seed)
    types = (np.arange(N) >= int(0.8 * N)).astype(int)
    A = rng.random((N, N)) < 0.3
    np.fill_diagonal(A, False)
    pre, post = np.nonzero(A)
    w = np.where(types[pre] == 0, 1.0, -4.0) * rng.uniform(0.5, 1.5, pre.size) * 1e-3
    tau = np.where(types == 0, 0.02, 0.01) * rng.uniform(0.5, 1.5, N)
    return Connectivity(N, pre, post, w, types=types, tau_m=tau)


def _noise(conn, *, seed, density, **kw):
    rng = np.random.default_rng(seed)
    keep = conn.synapse_active.copy()
    eff = conn.effective
    keep[eff] = rng.random(int(eff.sum())) < density
    return conn.replace(synapse_active=keep), {"kept": int(keep.sum())}


def _centrality(conn, *, seed, q, **kw):
    act = conn.neuron_active.copy()
    idx = np.flatnonzero(act)
    n = int(np.floor(q * idx.size))
    deg = np.bincount(conn.pre[conn.effective], minlength=conn.N)[idx]
    order = np.argsort(deg + 0.1 * np.random.default_rng(seed).random(idx.size), kind="stable")
    act[idx[order[:n]]] = False
    return conn.replace(neuron_active=act), {"pruned": n}


def _delocalize(conn, *, seed, fraction, original, **kw):
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(conn.neuron_active)
    m = int(round(fraction * conn.n_active_synapses))
    pre, post = rng.choice(idx, m), rng.choice(idx, m)
    w = np.where(conn.types[pre] == 0, 1e-3, -4e-3)
    return conn.add_synapses(pre, post, w), {"added": m}


def _timescales(conn, *, seed, **kw):
    f = np.random.default_rng(seed).uniform(0.9, 1.1)
    return conn.replace(tau_m=conn.tau_m * f), {"factor": f}


FAKE = {"noise": _noise, "centrality": _centrality, "delocalize": _delocalize,
        "timescales": _timescales}


def _lam(conn):
    W = conn.to_matrix().toarray()
    return float(np.max(np.abs(np.linalg.eigvals(W)))) if W.size else float("nan")


def _run(conn=None, **kw):
    kw.setdefault("step_functions", FAKE)
    kw.setdefault("lyapunov", _lam)
    kw.setdefault("seed", 7)
    kw.setdefault("schedule", "fixed")
    kw.setdefault("density", 0.9)
    kw.setdefault("q", 0.05)
    kw.setdefault("delocalize_fraction", 0.02)
    return prune(_net() if conn is None else conn, **kw)


def _same(a, b):
    assert a.connectivity == b.connectivity, a.connectivity.diff(b.connectivity)
    cols = [c for c in a.history.columns if not c.startswith("t_")]
    pd.testing.assert_frame_equal(a.history[cols], b.history[cols])
    assert _no_times(a.reports) == _no_times(b.reports)


def _no_times(obj):
    """Reports minus wall-clock fields (the only thing allowed to differ)."""
    if isinstance(obj, dict):
        return {k: _no_times(v) for k, v in obj.items() if "time" not in k}
    if isinstance(obj, list):
        return [_no_times(v) for v in obj]
    return obj


# ------------------------------------------------------------------ history
def test_history_rows_match_the_networks_seen_by_the_callback():
    seen = {}
    res = _run(iterations=4, callback=lambda k, c, row: seen.__setitem__(k, c.copy()))
    h = res.history
    assert list(h["stage"]) == ["initial"] + ["iteration"] * 4 + ["final"]
    assert list(h["iteration"]) == [0, 1, 2, 3, 4, 4]
    for k, c in seen.items():
        row = h[(h.iteration == k) & (h.stage == "iteration")].iloc[0]
        assert row.neurons == c.n_active_neurons
        assert row.synapses == c.n_active_synapses == row.sops_per_rate
        assert row.lambda_max == pytest.approx(_lam(c))
    # neurons only shrink, Step II with q = 5 % of 30 prunes 1 per iteration
    assert list(h.neurons[:5]) == [30, 29, 28, 27, 26]
    assert (h[["t_noise", "t_centrality", "t_delocalize"]].iloc[1:5] >= 0).all().all()
    assert np.isnan(h.t_timescales.iloc[1:5]).all() and h.t_timescales.iloc[5] >= 0
    assert [r["step"] for r in res.reports[:3]] == ["noise", "centrality", "delocalize"]
    assert res.reports[-1]["step"] == "timescales"


def test_expected_sops_hand_computed():
    # 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 0 (inactive synapse), neuron 3 isolated
    c = Connectivity(4, [0, 0, 1, 2], [1, 2, 2, 0], [1, 1, 1, -1], types="EEIE",
                     synapse_active=[True, True, True, False])
    assert expected_sops_per_rate(c) == 3
    assert expected_sops_per_rate(c, [2.0, 5.0, 7.0, 11.0]) == 2 * 2 + 5
    c2 = c.replace(neuron_active=[True, True, False, True])  # kills 0->2 and 1->2
    assert expected_sops_per_rate(c2, [2.0, 5.0, 7.0, 11.0]) == 2.0
    with pytest.raises(ValueError, match="rates"):
        expected_sops_per_rate(c, [1.0])


# ------------------------------------------------------------------ seeding
def test_same_seed_same_result_and_other_seed_differs():
    a = _run(iterations=3)
    b = _run(iterations=3)
    _same(a, b)
    c = _run(iterations=3, seed=8)
    assert c.connectivity != a.connectivity


# ------------------------------------------------------------------ checkpoint / resume
def test_resume_after_kill_equals_uninterrupted(tmp_path):
    full = _run(iterations=6, checkpoint_dir=tmp_path / "full")

    def kill(k, conn, row):
        if k == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt) as info:
        _run(iterations=6, checkpoint_dir=tmp_path / "cut", callback=kill)
    part = info.value.partial_result
    assert part.history.iteration.max() == 3  # history computed so far is not lost
    state = json.loads((tmp_path / "cut" / "state.json").read_text())
    assert state["completed"] == 3
    assert not [f for f in os.listdir(tmp_path / "cut") if f.endswith(".tmp")]

    calls = []
    resumed = _run(iterations=6, checkpoint_dir=tmp_path / "cut",
                   callback=lambda k, c, r: calls.append(k))
    assert calls == [4, 5, 6]  # nothing lost, nothing repeated
    _same(resumed, full)
    on_disk = pd.read_csv(tmp_path / "cut" / "history.csv")
    assert list(on_disk.iteration) == list(full.history.iteration)
    assert Connectivity.load(tmp_path / "cut" / "final.npz") == full.connectivity


def test_resume_after_complete_shorter_run_continues_pre_step_iv_chain(tmp_path):
    full = _run(iterations=5)
    _run(iterations=2, checkpoint_dir=tmp_path)
    again = _run(iterations=2, checkpoint_dir=tmp_path, callback=lambda *a: pytest.fail("re-ran"))
    _same(again, _run(iterations=2))
    longer = _run(iterations=5, checkpoint_dir=tmp_path)
    _same(longer, full)
    with pytest.raises(ValueError, match="iterations"):
        _run(iterations=3, checkpoint_dir=tmp_path)


def test_resume_refuses_other_configuration(tmp_path):
    _run(iterations=1, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="density"):
        _run(iterations=2, checkpoint_dir=tmp_path, density=0.8)
    with pytest.raises(ValueError, match="seed"):
        _run(iterations=2, checkpoint_dir=tmp_path, seed=9)
    with pytest.raises(ValueError, match="another network"):
        _run(_net(seed=3), iterations=2, checkpoint_dir=tmp_path)
    # seed=None on resume re-uses the stored base seed
    r = _run(iterations=2, checkpoint_dir=tmp_path, seed=None)
    _same(r, _run(iterations=2))


# ------------------------------------------------------------------ ablation and Step IV schedule
def test_steps_switch_off_and_ablation_points():
    for point, steps in ABLATIONS.items():
        called = []
        fns = {k: (lambda f, k: (lambda c, **kw: (called.append(k), f(c, **kw))[1]))(f, k)
               for k, f in FAKE.items()}
        res = _run(iterations=2, steps=steps, step_functions=fns)
        assert set(called) == set(steps), point
        if not steps:
            assert res.connectivity == _net()
    assert ABLATIONS["E"] == STEP_NAMES


def test_timescales_every_k():
    called = []

    def ts(c, *, seed, **kw):
        called.append(len(called))
        return _timescales(c, seed=seed)
    fns = dict(FAKE, timescales=ts)
    res = _run(iterations=6, timescales_every=2, step_functions=fns)
    assert len(called) == 3
    h = res.history
    assert list(h.stage) == ["initial"] + ["iteration"] * 6
    assert list(np.isfinite(h.t_timescales)) == [False, False, True, False, True, False, True]


# ------------------------------------------------------------------ clean stops and errors
def test_empty_network_stops_cleanly_with_history():
    def kill_all_at_3(c, *, seed, q, **kw):
        if c.provenance.get("it", 0) >= 2:
            return c.replace(neuron_active=np.zeros(c.N, bool)), {}
        prov = dict(c.provenance, it=c.provenance.get("it", 0) + 1)
        return c.replace(provenance=prov), {}
    res = _run(iterations=10, step_functions=dict(FAKE, centrality=kill_all_at_3))
    assert res.stopped_early and "empty" in res.message
    assert list(res.history.iteration) == [0, 1, 2, 3]
    assert res.history.neurons.iloc[-1] == 0 and np.isnan(res.history.lambda_max.iloc[-1])


def test_callback_false_stops():
    res = _run(iterations=10, callback=lambda k, c, r: k < 2)
    assert res.stopped_early and list(res.history.iteration) == [0, 1, 2]


def test_step_error_keeps_partial_result():
    def boom(c, *, seed, **kw):
        if c.n_active_neurons < 28:
            raise RuntimeError("boom")
        return _centrality(c, seed=seed, **kw)
    with pytest.raises(RuntimeError) as info:
        _run(iterations=10, step_functions=dict(FAKE, centrality=boom))
    part = info.value.partial_result
    # iterations 1-3 completed (27 neurons left); iteration 4 raised
    assert part.history.iteration.max() == 3
    assert part.connectivity.n_active_neurons == 27 == part.history.neurons.iloc[-1]
    assert part.connectivity.n_active_synapses == part.history.synapses.iloc[-1]


@pytest.mark.parametrize("kw, match", [
    (dict(iterations=0), "iterations"),
    (dict(steps=("noise", "magic")), "steps"),
    (dict(steps=("noise", "noise")), "steps"),
    (dict(density=0.0), "density"),
    (dict(density=1.5), "density"),
    (dict(q=1.0), "q"),
    (dict(timescales_every=0), "timescales_every"),
    (dict(step_kwargs={"magic": {}}), "step_kwargs"),
])
def test_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        _run(**kw)


@pytest.mark.parametrize("kw, match", [
    (dict(steps=None), "steps"),
    (dict(step_kwargs={"centrality": 5}), r"step_kwargs\['centrality'\]"),
    (dict(step_kwargs=[("noise", {})]), "step_kwargs"),
    (dict(callback="print"), "callback"),
])
def test_bad_input_types(kw, match):
    with pytest.raises(TypeError, match=match):
        _run(**kw)


def test_step_one_stability_record_does_not_depend_on_step_two():
    """Step I's abscissa columns are recorded whenever Step I ran (also without Step II),
    and Step II alone runs without them."""
    conn = _net(N=40, seed=3)
    only_noise = prune(conn, iterations=2, steps=("noise",), lyapunov=False, seed=0)
    with_both = prune(conn, iterations=2, steps=("noise", "centrality"), lyapunov=False, seed=0)
    for res in (only_noise, with_both):
        it = res.history[res.history.stage == "iteration"]
        assert np.isfinite(it.abscissa).all() and np.isfinite(it.lin_scale).all()
    only_centrality = prune(conn, iterations=2, steps=("centrality",), lyapunov=False, seed=0)
    assert "abscissa" not in only_centrality.history or \
        only_centrality.history.abscissa.isna().all()


def test_bad_network_type():
    with pytest.raises(TypeError, match="net_or_connectivity"):
        prune(np.zeros((3, 3)))


# ------------------------------------------------------------------ model objects
class _FakeModel:
    """Duck-typed stand-in for the Brian2 layer's network (export / apply)."""

    def __init__(self, conn):
        self.conn = conn
        self.applied = None

    def export(self):
        return self.conn.copy()

    def apply(self, conn):
        self.applied = conn


def test_model_object_is_exported_pruned_and_applied():
    m = _FakeModel(_net())
    res = _run(m, iterations=2)
    assert m.applied is res.connectivity
    _same(res, _run(iterations=2))


# ------------------------------------------------------------------ the real steps
def test_real_steps_on_small_hrsnn_seeded_and_resumable(tmp_path, interrupted_prune):
    from brian2_lnp.models.generate import generate_network
    conn = generate_network("hrsnn_small", seed=1).conn
    kw = dict(iterations=2, seed=0, lyap_kwargs=dict(k=1, n_steps=300, transient=100),
              step_kwargs={"timescales": {"n_calls": 4},
                           "noise": {"spectral_report": False}})
    a = prune(conn, **kw)
    h = a.history
    assert list(h.stage) == ["initial", "iteration", "iteration", "final"]
    cen = [r for r in a.reports if r["step"] == "centrality"]
    noise = [r for r in a.reports if r["step"] == "noise"]
    # convergent schedule: rho and the betweenness threshold are calibrated at
    # iteration 1 and then fixed
    assert noise[0]["density"] == 0.9 and noise[1]["density"] is None
    assert noise[1]["rho"] == noise[0]["rho"] == h.rho.iloc[1]
    assert cen[0]["quantile"] == 0.02 and cen[1]["quantile"] is None
    assert cen[1]["threshold"] == cen[0]["threshold"] == h.threshold.iloc[2]
    assert list(h.neurons) == [125, 125 - cen[0]["n_pruned"],
                               125 - cen[0]["n_pruned"] - cen[1]["n_pruned"],
                               h.neurons.iloc[2]]
    assert h.synapses.iloc[1] < h.synapses.iloc[0]
    assert np.isfinite(h.lambda_max).all()
    assert a.connectivity.n_active_synapses == h.synapses.iloc[-1]
    assert [r["step"] for r in a.reports] == ["noise", "centrality", "delocalize"] * 2 + [
        "timescales"]
    interrupted_prune(conn, tmp_path, 1, **kw)
    b = prune(conn, checkpoint_dir=tmp_path, **kw)
    _same(a, b)


def test_real_steps_stop_cleanly_when_pruned_empty():
    # a 6-neuron ring (+ chords) with Step I keeping 30 % per iteration runs out of
    # synapses within a few iterations; the driver must stop with a message and
    # keep the history, never pass an empty network to a step
    N = 6
    pre = np.r_[np.arange(N), [0, 2, 4]]
    post = np.r_[(np.arange(N) + 1) % N, [3, 5, 1]]
    types = [0, 0, 0, 0, 1, 0]
    w = np.where(np.asarray(types)[pre] == 0, 2e-3, -4e-3)
    conn = Connectivity(N, pre, post, w, types=types, tau_m=np.full(N, 0.02))
    res = prune(conn, iterations=50, steps=("noise",), density=0.3, seed=1, lyapunov=False,
                schedule="fixed",
                step_kwargs={"noise": {"n_steps": 200, "transient": 50}})
    assert res.stopped_early and "empty" in res.message
    h = res.history
    assert h.synapses.iloc[-1] == 0 and (np.diff(h.synapses) <= 0).all()
    assert len(h) < 51 and res.connectivity.n_active_synapses == 0


def test_brian2_model_round_trip():
    # the Brian2 layer's network: export -> pure driver -> apply; exporting
    # again must give exactly the pruned Connectivity (masks, new synapses, tau_m)
    from brian2_lnp.models.network import build_model
    net = build_model("hrsnn_small", seed=1)
    res = _run(net, iterations=2, lyapunov=False)
    assert res.connectivity.n_synapses > res.original.n_synapses  # Step III added some
    again = net.export()
    assert again == res.connectivity, again.diff(res.connectivity)


# ------------------------------------------------------------------ convergent schedule
def _rule_noise(conn, *, seed, density=None, rho=None, **kw):
    """The documented Step I rule with a hand-checkable score |w| (mV):
    p = min(1, rho |w|), keep with probability p, reweight w / p."""
    eff = np.flatnonzero(conn.effective)
    score = np.abs(conn.w[eff]) * 1e3
    if rho is None:  # calibrate: sum(p) = density * n (bisection, like solve_rho)
        lo, hi = 0.0, 1e6
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if np.minimum(1, mid * score).sum() < density * eff.size \
                else (lo, mid)
        rho = hi
    p = np.minimum(1.0, rho * score)
    keep = np.random.default_rng(seed).random(eff.size) < p
    act, w = conn.synapse_active.copy(), conn.w.copy()
    act[eff[~keep]] = False
    w[eff[keep]] /= p[keep]
    return conn.replace(synapse_active=act, w=w), {"rho": rho}


def _keep_all(conn, *, seed, **kw):
    return conn, {}


def test_convergent_rule_stops_at_the_hand_computed_point():
    # 4-cycle with |w| = 1, 2, 4, 8 mV and rho = 1/4 per mV: p = 1/4, 1/2, 1, 1.
    # A synapse kept at iteration 1 has |w / p| = 4 mV, so p = 1 ever after:
    # whatever the draws, nothing changes after iteration 1, and with
    # patience 3 the driver stops after iteration 1 + 3 = 4 -- or after
    # iteration 3 when the draws of iteration 1 kept both uncertain synapses
    # (probability 1/8), so that iteration 1 already changed nothing.
    conn = Connectivity(4, [0, 1, 2, 3], [1, 2, 3, 0], np.array([1, 2, 4, 8]) * 1e-3)
    sched = ConvergentSchedule(rho=0.25, patience=3)
    for seed in range(6):
        res = prune(conn, iterations=50, steps=("noise",), schedule=sched, seed=seed,
                    lyapunov=False, step_functions={"noise": _rule_noise})
        h = res.history
        assert res.converged and res.stopped_early and "converged" in res.message
        if h.synapses.iloc[1] < 4:
            assert list(h.iteration) == [0, 1, 2, 3, 4]
            assert list(h.unchanged) == [0, 0, 1, 2, 3]
        else:
            assert list(h.iteration) == [0, 1, 2, 3]
            assert list(h.unchanged) == [0, 1, 2, 3]
        assert (h.synapses.iloc[1:] == h.synapses.iloc[1]).all()
        # the two sure synapses (p = 1) are always there
        assert res.connectivity.synapse_active[2:].all()
        assert (h.rho.iloc[1:] == 0.25).all()
    # the same rule with a fixed density each iteration (the old schedule)
    # keeps pruning: it never stops by itself
    res = prune(conn, iterations=8, steps=("noise",), schedule=FixedSchedule(density=0.75),
                seed=0, lyapunov=False, step_functions={"noise": _rule_noise})
    h = res.history
    assert not res.converged and h.synapses.iloc[-1] < h.synapses.iloc[1]


def test_convergent_rho_calibrated_once_from_density():
    conn = _net()
    calls = []

    def spy(c, *, seed, **kw):
        calls.append({k: kw.get(k) for k in ("density", "rho")})
        return _rule_noise(c, seed=seed, **kw)
    res = prune(conn, iterations=3, steps=("noise",), density=0.7, seed=0, lyapunov=False,
                step_functions={"noise": spy})
    rho = res.history.rho.iloc[1]
    assert calls[0] == {"density": 0.7, "rho": None}
    assert calls[1:] == [{"density": None, "rho": rho}] * 2
    assert res.carry.rho == rho


def test_step_iii_adds_in_proportion_to_removals():
    seen = []

    def spy(c, *, seed, M, **kw):
        seen.append(M)
        from brian2_lnp.pruning import delocalize
        return delocalize(c, M, seed=seed, **kw)
    res = prune(_net(), iterations=3, steps=("noise", "delocalize"), seed=1, lyapunov=False,
                delocalize_fraction=0.5,
                schedule=ConvergentSchedule(density=0.8, max_share=1.0),
                step_functions={"noise": _rule_noise, "delocalize": spy})
    h = res.history
    assert seen == [int(round(0.5 * r)) for r in h.removed.iloc[1:]]
    assert list(h.added.iloc[1:]) == seen  # every requested synapse was admissible here
    # with the default spread limit (5 %) no neuron touches more than
    # max(1, floor(0.05 * total)) added synapses
    capped = prune(_net(), iterations=3, steps=("noise", "delocalize"), seed=1,
                   lyapunov=False, delocalize_fraction=0.5,
                   schedule=ConvergentSchedule(density=0.8),
                   step_functions={"noise": _rule_noise})
    total = int(capped.history.added.sum())
    assert 0 < total and capped.carry.added_touches.max() <= max(1, int(0.05 * total))


def test_health_columns_against_networkx():
    import networkx as nx
    from brian2_lnp.pruning.health import graph_health
    rng = np.random.default_rng(5)
    A = rng.random((40, 40)) < 0.04
    np.fill_diagonal(A, False)
    pre, post = np.nonzero(A)
    act = np.ones(40, bool)
    act[:3] = False
    conn = Connectivity(40, pre, post, np.full(pre.size, 1e-3), neuron_active=act)
    G = nx.DiGraph()
    G.add_nodes_from(np.flatnonzero(act))
    G.add_edges_from((int(a), int(b)) for a, b, _ in zip(*conn.edges()))
    h = graph_health(conn)
    assert h["scc_fraction"] == pytest.approx(
        max(len(s) for s in nx.strongly_connected_components(G)) / G.number_of_nodes())
    assert h["in_degree_0"] == sum(d == 0 for _, d in G.in_degree())
    assert h["out_degree_0"] == sum(d == 0 for _, d in G.out_degree())
    assert h["isolated"] == nx.number_of_isolates(G)


def test_step_kwargs_unknown_key_names_the_step_and_allowed_keys():
    with pytest.raises(ValueError, match=r"step_kwargs\['noise'\].*magic.*allowed.*w_scale"):
        prune(_net(), iterations=1, step_kwargs={"noise": {"magic": 1}})
    with pytest.raises(ValueError, match=r"centrality.*set by the driver"):
        prune(_net(), iterations=1, step_kwargs={"centrality": {"q": 0.5}})


def test_step_i_options_reach_noise_prune_identically():
    # prune(step_kwargs={"noise": ...}) and a direct noise_prune call with the
    # same keywords and the same stream give the same network
    from brian2_lnp.pruning import noise_prune
    from brian2_lnp.random import child_seed
    conn = _net(N=20)
    opts = dict(w_scale=2e-3, k=4, n_steps=80, transient=20, input_std=0.2,
                covariance="exact", spectral_report=False)
    res = prune(conn, iterations=1, steps=("noise",), schedule=FixedSchedule(density=0.7),
                seed=3, lyapunov=False, step_kwargs={"noise": opts})
    direct, _ = noise_prune(conn, 0.7, seed=child_seed(3, 1, "noise"), **opts)
    assert res.connectivity == direct
    other, _ = noise_prune(conn, 0.7, seed=child_seed(3, 1, "noise"),
                           **dict(opts, w_scale=1e-3))
    assert other != direct  # the option does reach the surrogate


# ------------------------------------------------------------------ real steps, converging
_CHEAP = {"noise": {"k": 10, "n_steps": 200, "transient": 50, "spectral_report": False}}


@pytest.mark.parametrize("model", ["hrsnn_small", "chrsnn_small"])
def test_converges_on_hrsnn_and_chrsnn(model):
    from brian2_lnp.models.generate import generate_network
    conn = generate_network(model, seed=2).conn
    res = prune(conn, iterations=40, steps=("noise", "centrality", "delocalize"), seed=0,
                schedule=ConvergentSchedule(patience=4), lyapunov=False, step_kwargs=_CHEAP)
    h = res.history
    assert res.converged, res.message
    tail = h.iloc[-5:]
    assert (tail.neurons.diff().abs().iloc[1:] <= 1e-3 * tail.neurons.iloc[0]).all()
    assert (tail.synapses.diff().abs().iloc[1:] <= 1e-3 * tail.synapses.iloc[0]).all()
    assert h.unchanged.iloc[-1] == 4
    # a sparse, connected network remains (not the geometric collapse of the
    # fixed schedule)
    last = h.iloc[-1]
    assert last.synapses >= 0.5 * h.synapses.iloc[0]
    assert last.scc_fraction >= 0.9 and last.in_degree_0 == 0 and last.out_degree_0 == 0
    assert (h.abscissa.iloc[1:] < 0).all()


@pytest.mark.parametrize("average", [False, True])
def test_resume_after_kill_in_a_converging_run_is_identical(tmp_path, interrupted_prune,
                                                            average):
    from brian2_lnp.models.generate import generate_network
    conn = generate_network("hrsnn_small", seed=4).conn
    kw = dict(iterations=30, steps=("noise", "centrality", "delocalize"), seed=5,
              schedule=ConvergentSchedule(patience=3, average_exponents=average),
              lyap_kwargs=dict(n_steps=100, transient=20), lambda_seeds=2,
              step_kwargs=_CHEAP)
    full = prune(conn, **kw)
    assert full.converged
    interrupted_prune(conn, tmp_path, 2, **kw)
    resumed = prune(conn, checkpoint_dir=tmp_path, **kw)
    _same(resumed, full)
    assert resumed.converged and resumed.message == full.message
    np.testing.assert_array_equal(resumed.carry.edge_gain, full.carry.edge_gain)
    np.testing.assert_array_equal(resumed.carry.added_touches, full.carry.added_touches)
    averaged = [r["exponents_averaged"] for r in full.reports if r["step"] == "noise"]
    if average:  # neurons never return, so iteration k averages k estimates of each
        assert averaged == [float(k) for k in range(1, len(averaged) + 1)]
    else:
        assert all(v is None or np.isnan(v) for v in averaged)


def test_kill_between_checkpoint_files_loses_nothing(tmp_path, monkeypatch):
    # a kill after iteration 3's network file is written but before state.json
    # is replaced: the directory still describes iteration 2, and resuming gives
    # exactly the uninterrupted result
    full = _run(iterations=5, schedule=ConvergentSchedule(), steps=("noise", "delocalize"),
                step_functions={"noise": _rule_noise, "delocalize": _keep_all})
    from brian2_lnp.pruning.driver import Checkpoint
    real = Checkpoint._write_state
    count = {"n": 0}

    def dying(self, rows):
        count["n"] += 1
        if count["n"] == 4:  # initial, 1, 2 written; die while recording 3
            raise KeyboardInterrupt
        return real(self, rows)
    monkeypatch.setattr(Checkpoint, "_write_state", dying)
    with pytest.raises(KeyboardInterrupt):
        _run(iterations=5, checkpoint_dir=tmp_path, schedule=ConvergentSchedule(),
             steps=("noise", "delocalize"),
             step_functions={"noise": _rule_noise, "delocalize": _keep_all})
    monkeypatch.setattr(Checkpoint, "_write_state", real)
    assert json.loads((tmp_path / "state.json").read_text())["completed"] == 2
    resumed = _run(iterations=5, checkpoint_dir=tmp_path, schedule=ConvergentSchedule(),
                   steps=("noise", "delocalize"),
                   step_functions={"noise": _rule_noise, "delocalize": _keep_all})
    _same(resumed, full)


@pytest.mark.parametrize("victim, how", [("state.json", "truncate"), ("state.json", "garbage"),
                                         ("conn", "truncate"), ("carry", "truncate"),
                                         ("original.npz", "truncate")])
def test_corrupt_checkpoint_names_the_file_and_the_way_out(tmp_path, victim, how):
    _run(iterations=2, checkpoint_dir=tmp_path)
    if victim in ("conn", "carry"):
        victim = next(f for f in os.listdir(tmp_path) if f.startswith(victim + "_"))
    path = tmp_path / victim
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if how == "truncate" else b"\x00\xffnot json")
    with pytest.raises(CheckpointError) as info:
        _run(iterations=3, checkpoint_dir=tmp_path)
    msg = str(info.value)
    assert victim in msg and f"delete {tmp_path}" in msg
