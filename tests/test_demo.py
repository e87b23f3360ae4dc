"""Pieces of the demo that can be checked without running it (the full demo is a
slow test in tests/test_cli.py)."""
import numpy as np

from brian2_lnp.models.config import load_model
from brian2_lnp.models.generate import generate_network
from brian2_lnp.protocols.demo import DEMO_READOUT, activity_matched
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
    task = get_task("lorenz63", **DEMO_READOUT)
    assert task.readout.target == "increment" and task.readout.fit == "train"
