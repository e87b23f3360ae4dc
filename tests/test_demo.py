"""Pieces of the demo that can be checked without running it (the full demo is a
slow test in tests/test_cli.py)."""
import numpy as np
import pytest

from brian2_lnp.models.config import load_model
from brian2_lnp.models.generate import generate_network
from brian2_lnp.protocols.demo import DEMO_ENCODING, DEMO_READOUT, activity_matched
from brian2_lnp.tasks import get_task


def test_activity_matched_switches_off_the_least_active_neurons_lowest_index_first():
    conn = generate_network(load_model("hrsnn_small"), seed=0).conn
    conn.neuron_active[[5, 7]] = False
    rates = np.arange(conn.N, dtype=float)[::-1].copy()   # high index = least active
    rates[[10, 11]] = -1.0                                 # tie: both least active
    out = activity_matched(conn, rates, n_active=100)
    assert out.n_active_neurons == 100
    off = np.flatnonzero(~out.neuron_active)
    assert {5, 7, 10, 11} <= set(off)
    # 123 active -> 100: neurons 10 and 11 (rate -1), then the 21 highest indices
    assert set(off) == {5, 7, 10, 11} | set(range(conn.N - 21, conn.N))
    assert out.provenance["method"] == "activity-matched"
    assert conn.n_active_neurons == 123      # the input is not changed


def test_demo_readout_is_a_valid_task_setting():
    task = get_task("lorenz63", **DEMO_READOUT, **DEMO_ENCODING)
    assert task.readout.target == "increment" and task.readout.fit == "train"
    # the encoding the demo's readout was chosen with, whatever the registry's default
    assert (task.encoding.channels_per_dim, task.encoding.r_max) == (20, 1600.0)
    assert task.n_inputs == 60


def test_evaluate_models_gives_each_model_the_row_evaluate_gives_it():
    """Several models in one session (the demo's single compiled program on standalone)
    score exactly as each model evaluated alone with the same settings."""
    pytest.importorskip("brian2")
    from brian2_lnp.models.devices import start_session
    from brian2_lnp.models.network import build_model
    from brian2_lnp.protocols.units import make_connectivity, task_inputs
    from brian2_lnp.tasks import evaluate, evaluate_models

    kw = dict(n_context=60, n_predict=20, washout=10, stdp_steps=20, n_fit=60, dt=1e-3,
              r_max=400.0, channels_per_dim=4, data_kwargs={"n_samples": 2000})
    n_in = task_inputs("lorenz63", channels_per_dim=4)
    conn = make_connectivity("hrsnn_small", seed=0, n_inputs=n_in)
    pruned = activity_matched(conn, np.arange(conn.N, dtype=float), n_active=90)
    start_session("runtime", codegen="numpy", dt=1e-3)
    models = {}
    for label, c in (("unpruned", None), ("pruned", pruned)):
        models[label] = build_model("hrsnn_small", seed=0, n_inputs=n_in, plasticity=True)
        if c is not None:
            models[label].apply(c)
    together = evaluate_models(models, "lorenz63", seed=0, **kw)
    assert list(together.pruning) == ["unpruned", "pruned"]
    assert together.n_active_neurons.tolist() == [conn.n_active_neurons, 90]
    cols = ["NRMSE", "VPT", "NRMSE_persistence", "NRMSE_raw_input", "NRMSE_autoregressive",
            "NRMSE_paper_readout", "SOPs", "spikes"]
    # the second model: simulated after another model in the same session
    alone = evaluate("hrsnn_small", "lorenz63", seed=0, pruning=pruned, codegen="numpy", **kw)
    np.testing.assert_allclose(together[cols].iloc[1].to_numpy(float),
                               alone[cols].iloc[0].to_numpy(float), rtol=1e-9)
