"""Worker threads, batched surrogates and cheap lambda_max (docs/performance.md).

Independent truths: separate single runs of the same map (a batch must equal
them), the same computation on one worker (any worker count must give the same
bits), and the algebra of QR re-orthonormalisation (the first column of Q
evolves alone, so lambda_max of a k = 1 run equals the first column's exponent
of any larger k from the same start column).
"""
import numpy as np
import pytest

from brian2_lnp.dynamics import (RateNetwork, lyapunov_spectrum, rate_lyapunov,
                                 rate_lyapunov_warm)
from brian2_lnp.dynamics.threads import WORKERS_ENV, parallel_map, use_workers, workers
from brian2_lnp.models.config import load_model
from brian2_lnp.models.generate import generate_network


@pytest.fixture(autouse=True)
def always_cut(monkeypatch):
    """Cut even small tangent blocks into worker pieces, so the tests exercise threads."""
    from brian2_lnp.dynamics import spectrum
    monkeypatch.setattr(spectrum, "PARALLEL_MIN_ELEMENTS", 0)


@pytest.fixture(scope="module")
def conn():
    return generate_network(load_model("hrsnn"), N=150, seed=2).conn


def _column_exponent(res, column):
    """Exponent of the given column of Q0 (results are sorted descending)."""
    return res.exponents[list(res.info["order"]).index(column)]


def test_k1_equals_first_column_of_larger_k(conn):
    net = RateNetwork(conn)
    rng = np.random.default_rng(5)
    Q0 = rng.standard_normal((net.n, 20))
    h0 = 0.1 * rng.standard_normal(net.n)
    kw = dict(n_steps=400, transient=100, dt=net.dt, qr_every=10)
    r20 = lyapunov_spectrum(net.step, net.jacobian, h0, k=20, Q0=Q0, **kw)
    r1 = lyapunov_spectrum(net.step, net.jacobian, h0, k=1, Q0=Q0[:, :1], **kw)
    # exact up to rounding (Householder QR for one column, Cholesky QR for 20)
    assert r1.exponents[0] == pytest.approx(_column_exponent(r20, 0), rel=1e-9, abs=1e-9)
    # and the first column really is the leading direction here (not a vacuous check)
    assert _column_exponent(r20, 0) == pytest.approx(r20.exponents[0], abs=1e-9)


def test_lyapunov_objective_defaults_to_one_tangent_vector(conn, monkeypatch):
    from brian2_lnp.dynamics import nodes
    from brian2_lnp.pruning.timescales import lyapunov_objective
    seen = []
    real = nodes.rate_lyapunov

    def spy(c, **kw):
        seen.append(kw.get("k"))
        return real(c, **kw)
    monkeypatch.setattr(nodes, "rate_lyapunov", spy)
    import brian2_lnp.dynamics as dyn
    monkeypatch.setattr(dyn, "rate_lyapunov", spy)
    kw = dict(n_steps=200, transient=50, seed=1)
    v1 = lyapunov_objective(conn, **kw)
    v3 = lyapunov_objective(conn, k=3, **kw)   # a user-given k still wins
    assert seen == [1, 3]
    lam = real(conn, k=1, dt=min(1e-3, 0.5 * conn.tau_m[conn.neuron_active].min()),
               **kw).exponents[0]
    assert v1 == pytest.approx((lam + 1.0) ** 2, rel=1e-12)
    assert np.isfinite(v3)


def test_batch_members_equal_separate_runs(conn):
    net = RateNetwork(conn)
    rng = np.random.default_rng(7)
    B, k = 3, 4
    H0 = 0.1 * rng.standard_normal((net.n, B))
    Q0 = rng.standard_normal((net.n, B * k))
    kw = dict(n_steps=300, transient=50, dt=net.dt, qr_every=7, k=k)
    calls = {"n": 0}

    def jac(h):
        calls["n"] += 1
        return net.jacobian(h)
    with use_workers(1):
        batch = lyapunov_spectrum(net.step, jac, H0, Q0=Q0, **kw)
        batch_calls = calls["n"]
        calls["n"] = 0
        single = [lyapunov_spectrum(net.step, jac, H0[:, b], Q0=Q0[:, b * k:(b + 1) * k], **kw)
                  for b in range(B)]
        single_calls = calls["n"]
    for b in range(B):
        np.testing.assert_allclose(batch[b].exponents, single[b].exponents, rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(batch[b].q2_mean, single[b].q2_mean, rtol=1e-10,
                                   atol=1e-14)
        np.testing.assert_allclose(batch[b].info["final_state"], single[b].info["final_state"],
                                   rtol=1e-12, atol=1e-14)
    # one Jacobian (one sparse product) per step for the whole batch instead of B
    assert batch_calls == 350 and single_calls == B * 350


def test_rate_lyapunov_batch_keeps_member_streams(conn):
    """Member 0 of a batch is the batch-1 run with the same seed (same stream)."""
    kw = dict(k=2, n_steps=200, transient=50, seed=11)
    one = rate_lyapunov(conn, batch=1, **kw)
    four = rate_lyapunov(conn, batch=4, **kw)
    np.testing.assert_allclose(four.batch_exponents[0], one.batch_exponents[0], rtol=1e-12)
    assert not np.allclose(four.batch_exponents[1], four.batch_exponents[0])


@pytest.mark.parametrize("k,batch", [(7, 1), (2, 3), (1, 4)])
def test_rate_lyapunov_identical_for_any_worker_count(conn, k, batch):
    out = []
    for w in (1, 2, 3):
        with use_workers(w):
            r = rate_lyapunov(conn, k=k, batch=batch, n_steps=150, transient=30, seed=4)
        out.append((r.batch_exponents, r.node_exponents, r.history))
    for other in out[1:]:
        for a, b in zip(out[0], other):
            assert np.array_equal(a, b, equal_nan=True)


def test_workers_setting(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert workers() >= 1
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert workers() == 3
    with use_workers(1):
        assert workers() == 1
    assert workers() == 3
    monkeypatch.setenv(WORKERS_ENV, "zero")
    with pytest.raises(ValueError, match=WORKERS_ENV):
        workers()
    with pytest.raises(ValueError, match="workers"):
        with use_workers(0):
            pass


def test_parallel_map_order_and_errors():
    with use_workers(2):
        assert parallel_map(lambda x: x * x, range(6)) == [0, 1, 4, 9, 16, 25]
        done = []

        def f(x):
            done.append(x)
            if x == 1:
                raise KeyError(x)
            return x
        with pytest.raises(KeyError):
            parallel_map(f, range(4))
        assert sorted(done) == [0, 1, 2, 3]   # every piece ran before the error surfaced
    with use_workers(1):
        done.clear()
        with pytest.raises(KeyError):
            parallel_map(f, range(4))
        assert done == [0, 1, 2, 3]


def test_sampled_covariance_identical_for_any_worker_count(conn):
    from brian2_lnp.dynamics import covariance, linearize
    lin = linearize(conn, coupling="weights")
    out = []
    for w in (1, 2, 3):
        with use_workers(w):
            c = covariance(lin, method="sampled", seed=9, n_samples=120)
        out.append(c)
    for c in out[1:]:
        assert np.array_equal(c.diag, out[0].diag)
        assert np.array_equal(c.edge_cov, out[0].edge_cov)
        assert c.info["n_samples"] == out[0].info["n_samples"]
    # and it estimates the exact covariance (independent truth)
    ex = covariance(lin, method="exact")
    s = np.sign(lin.L_edge)
    rel = np.median(np.abs(out[0].edge_terms(s) / ex.edge_terms(s) - 1))
    assert rel < 0.1


def test_timescales_identical_for_any_worker_count(conn):
    from brian2_lnp.pruning.timescales import optimize_timescales
    reps = []
    for w in (1, 2):
        with use_workers(w):
            new, rep = optimize_timescales(conn, n_calls=6, seed=3, n_steps=150, transient=50)
        reps.append((new.tau_m, rep.y, rep.objective_before))
    assert np.array_equal(reps[0][0], reps[1][0])
    assert reps[0][1] == reps[1][1] and reps[0][2] == reps[1][2]


# ------------------------------------------------------------------ warm starts
def test_map_rows_keeps_shared_neurons_and_cold_rows_of_new_ones():
    from brian2_lnp.dynamics.warm import map_rows
    old_index = np.array([0, 2, 3, 7])
    old = np.arange(8.0).reshape(4, 2)
    new_index = np.array([2, 5, 7])
    cold = -np.ones((3, 2))
    out = map_rows(old_index, old, new_index, cold, "test")
    np.testing.assert_array_equal(out, [[2, 3], [-1, -1], [6, 7]])
    # another column count (other settings): cold start
    assert map_rows(old_index, old[:, :1], new_index, cold, "test") is cold


def test_warm_surrogate_run_starts_aligned(conn):
    """Linear surrogate: the exponents are log|eigenvalues| of its constant Jacobian.

    A warm start from an earlier run's tangent vectors is already aligned with
    the leading directions, so with a short transient it is closer to the exact
    spectrum than a cold (random) start with the same transient.
    """
    from brian2_lnp.dynamics.warm import WarmStart
    net = RateNetwork(conn, phi="linear")
    mu = np.sort(np.abs(np.linalg.eigvals(net.jacobian_dense(np.zeros(net.n)))))[::-1]
    exact = np.log(mu[:3]) / net.dt
    kw = dict(k=3, n_steps=60, phi="linear", qr_every=5)
    first = rate_lyapunov(conn, transient=400, seed=1, **kw)
    st = first.info["state"]
    assert isinstance(st, WarmStart) and st.surrogate_Q.shape == (net.n, 3)
    warm = rate_lyapunov_warm(conn, st, transient=400, warm_transient=0, seed=2, **kw)
    cold = rate_lyapunov(conn, transient=0, seed=2, **kw)
    assert warm.info["warm"] and warm.info["run_transient"] == 0
    assert not cold.info["warm"]
    err_w = np.abs(warm.exponents - exact).max()
    err_c = np.abs(cold.exponents - exact).max()
    assert err_w < 0.5 * err_c
    # reproducible, and rows of dropped neurons are dropped
    again = rate_lyapunov_warm(conn, st, transient=400, warm_transient=0, seed=2, **kw)
    assert np.array_equal(warm.exponents, again.exponents)
    keep = conn.neuron_active.copy()
    keep[np.flatnonzero(keep)[:2]] = False
    smaller = rate_lyapunov_warm(conn.replace(neuron_active=keep), st, transient=400,
                                 warm_transient=0, seed=2, **kw)
    assert smaller.info["state"].surrogate_Q.shape == (net.n - 2, 3)


def test_warm_chains_halve_burn_in_and_stay_unbiased(conn):
    from brian2_lnp.dynamics import covariance, linearize
    lin = linearize(conn, coupling="weights")
    cold = covariance(lin, method="sampled", seed=1, rtol=None, n_samples=200)
    warm = covariance(lin, method="sampled", seed=2, rtol=None, n_samples=200,
                      warm=cold.info["state"])
    assert warm.info["warm"] and not cold.info["warm"]
    assert warm.info["n_burn"] == pytest.approx(0.5 * cold.info["n_burn"], abs=1)
    ex = covariance(lin, method="exact")
    s = np.sign(lin.L_edge)
    for c in (cold, warm):
        est, truth = c.edge_terms(s), ex.edge_terms(s)
        rel_err = np.median(np.abs(est / truth - 1))
        rel_se = np.median(c.stderr(s) / np.abs(est))
        assert rel_err < 3 * rel_se   # within the estimator's own error bar


def test_driver_carries_warm_state_and_resumes_identically(tmp_path, interrupted_prune):
    from brian2_lnp.models.generate import generate_network
    from brian2_lnp.pruning import prune
    conn = generate_network("hrsnn_small", seed=4).conn
    kw = dict(iterations=3, steps=("noise", "centrality", "delocalize"), seed=5,
              lyap_kwargs=dict(n_steps=100, transient=20), lambda_seeds=2,
              step_kwargs={"noise": {"k": 5, "n_steps": 150, "transient": 60,
                                     "warm_transient": 10, "covariance": "sampled",
                                     "n_samples": 60, "spectral_report": False}})
    full = prune(conn, **kw)
    assert full.carry.warm is not None and full.carry.warm.has_chains
    assert full.carry.warm.has_surrogate
    interrupted_prune(conn, tmp_path, 2, **kw)
    carry_file = next(f for f in __import__("os").listdir(tmp_path) if f.startswith("carry_"))
    with np.load(tmp_path / carry_file) as data:
        assert "warm_chains" in data.files and "warm_surrogate_Q" in data.files
    resumed = prune(conn, checkpoint_dir=tmp_path, **kw)
    assert resumed.connectivity == full.connectivity
    np.testing.assert_array_equal(resumed.carry.warm.chains, full.carry.warm.chains)
    np.testing.assert_array_equal(resumed.carry.warm.surrogate_Q, full.carry.warm.surrogate_Q)


def test_batch_inputs_drawn_in_chunks_are_the_same_numbers(conn, monkeypatch):
    """Above INPUT_MEMORY_MAX the inputs are re-drawn chunk by chunk: same results."""
    from brian2_lnp.dynamics import nodes
    kw = dict(k=2, batch=3, n_steps=120, transient=40, seed=8)
    stored = rate_lyapunov(conn, **kw)
    first = stored.info["state"]
    warm_stored = rate_lyapunov_warm(conn, first, warm_transient=7, **kw)
    monkeypatch.setattr(nodes, "INPUT_MEMORY_MAX", 8 * conn.N * 3 * 13)  # 13-row chunks
    chunked = rate_lyapunov(conn, **kw)
    warm_chunked = rate_lyapunov_warm(conn, first, warm_transient=7, **kw)
    assert np.array_equal(stored.batch_exponents, chunked.batch_exponents)
    assert np.array_equal(stored.node_exponents, chunked.node_exponents, equal_nan=True)
    assert np.array_equal(warm_stored.batch_exponents, warm_chunked.batch_exponents)


def test_parallel_map_works_in_a_forked_child():
    import multiprocessing as mp
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork start method")
    with use_workers(2):
        assert parallel_map(abs, [-1, -2]) == [1, 2]   # the parent's pool exists now
        ctx = mp.get_context("fork")
        with ctx.Pool(1) as pool:
            assert pool.apply_async(_child_map).get(timeout=60) == [1, 4, 9]


def _child_map():
    with use_workers(2):
        return parallel_map(lambda x: x * x, [1, 2, 3])
