"""The registered series tasks: their defaults run on their own data and are the picks
recorded by the validation runs (benchmarks/readout_selection.py)."""
import os

import pandas as pd
import pytest

from brian2_lnp.datasets import MissingDataPackageError
from brian2_lnp.tasks import TASKS, task_names

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
SERIES = task_names("series")


def _data(name):
    try:
        return TASKS[name].data.load()
    except MissingDataPackageError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", SERIES)
def test_defaults_fit_the_task_data(name):
    """STDP + fitting stretch inside the training part, the protocol inside the test part,
    following the stated rule (STDP on min(500, T // 3) steps, fit on min(5000, T - STDP))."""
    task, data = TASKS[name], _data(name)
    T = len(data.train)
    stdp, n_fit = task.protocol.stdp_steps, task.readout.n_fit
    assert stdp == min(500, T // 3)
    assert n_fit == min(5000, T - stdp)
    assert stdp + n_fit <= T
    assert task.protocol.n_steps <= len(data.test)
    assert task.readout.fit == "train"


@pytest.mark.parametrize("name", SERIES)
def test_defaults_are_the_validation_pick(name):
    """The registered encoding and readout are the task's pick in the validation summary
    (benchmarks/readout_selection.py --summarise), that pick is the lowest validation NRMSE
    of the run it names, and the task says where its defaults come from."""
    summary = pd.read_csv(os.path.join(BENCH, "readout_selection_summary.csv"))
    assert name in set(summary["task"]), f"no validation run recorded for {name!r}"
    s = summary[summary["task"] == name].iloc[0]
    run = pd.read_csv(os.path.join(BENCH, s["csv"]))
    once = run[run["fitted"] == "once"]
    assert bool(run["pick"].iloc[0]) and run["NRMSE"].iloc[0] == once["NRMSE"].min()
    assert (run.iloc[0][["target", "taus", "alpha", "scaling", "NRMSE"]].tolist()
            == s[["target", "taus", "alpha", "scaling", "NRMSE"]].tolist())
    task = TASKS[name]
    ro, enc = task.readout, task.encoding
    assert ro.target == s["target"]
    assert ro.taus == tuple(float(t) for t in s["taus"].split())
    assert ro.alphas == (float(s["alpha"]),)
    assert ro.standardize == (s["scaling"] == "per column")
    assert ro.fraction == 1.0 and ro.inputs == "network"
    assert (enc.channels_per_dim, enc.r_max) == (s["channels_per_dim"], s["r_max"])
    assert "readout_selection" in task.defaults_from


def test_rows_name_where_the_defaults_come_from():
    from brian2_lnp.tasks.evaluate import _settings

    rossler = TASKS["rossler"]
    assert _settings(rossler)["settings"] == (
        "defaults (chosen on validation: benchmarks/readout_selection_summary.csv)")
    # a protocol change keeps the readout and encoding defaults (the protocol column says it)
    row = _settings(rossler.replace(n_context=200))
    assert row["settings"] == _settings(rossler)["settings"] and "200 context" in row["protocol"]
    assert _settings(rossler.replace(alphas=(1.0,)))["settings"] == "given"
    assert _settings(rossler.replace(r_max=800.0))["settings"] == "given"
    assert _settings(TASKS["mnist5k"])["settings"] == "defaults (paper)"


def test_a_task_without_validation_split_still_gets_its_autoregression_yardstick():
    """wind_speed has no validation split: the AR order is chosen on the last fifth of the
    training part and the map fitted on the rest (the row would otherwise have no AR)."""
    pytest.importorskip("brian2")
    import numpy as np

    from brian2_lnp.tasks import evaluate, get_task
    from brian2_lnp.tasks.baselines import autoregressive_baseline

    data = _data("wind_speed").normalised()
    kw = dict(n_context=60, n_predict=20, washout=10, stdp_steps=20, n_fit=60, dt=1e-3,
              r_max=400.0, channels_per_dim=4)
    row = evaluate("hrsnn_small", "wind_speed", training="none", seed=0, codegen="numpy",
                   **kw).iloc[0]
    train, test = np.asarray(data.train), np.asarray(data.test)
    want = autoregressive_baseline(train[:400], train[400:], test,
                                   get_task("wind_speed", **kw).protocol, dt_series=1.0)
    assert row["NRMSE_autoregressive"] == pytest.approx(want["nrmse"], rel=1e-12)
    assert row["autoregressive_lags"] == want["lags"]
