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
    """wind_speed has no validation split: the AR order is chosen on the task's validation
    carve (the last 200 of its 500 training steps) and the map fitted on the rest (the row
    would otherwise have no AR)."""
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
    assert get_task("wind_speed").validation_carve.steps == 200
    want = autoregressive_baseline(train[:300], train[300:], test,
                                   get_task("wind_speed", **kw).protocol, dt_series=1.0)
    assert row["NRMSE_autoregressive"] == pytest.approx(want["nrmse"], rel=1e-12)
    assert row["autoregressive_lags"] == want["lags"]


CARVED = [n for n in SERIES if TASKS[n].validation_carve is not None]


def test_the_tasks_without_a_validation_part_are_the_carved_ones():
    assert sorted(CARVED) == ["google_stock", "wind_speed"]
    for name in SERIES:
        if name not in CARVED:
            assert _data(name).splits[1] > 0


@pytest.mark.parametrize("name", CARVED)
def test_validation_carve_is_the_readout_selection_stretch(name):
    """split="validation" on a task without a validation part: the last V training steps
    (bit for bit what the loader gives with explicit splits T - V / V / test), the
    training stretch of the registry's rule on the remaining T - V steps, and the same
    V and stretch as the validation run that chose the task's defaults."""
    import numpy as np

    from brian2_lnp.tasks import get_task, training_stretch
    from brian2_lnp.tasks.evaluate import _task_data

    base, data = TASKS[name], _data(name)
    carve = base.validation_carve
    T, _, n_test = data.splits
    run, got = _task_data(get_task(name, split="validation", n_context=100))
    explicit = get_task(name, data_kwargs=dict(dict(base.data.kwargs),
                                               splits=(T - carve.steps, carve.steps, n_test)))
    ref = explicit.data.load().normalised()
    assert got["train"].tobytes() == np.asarray(ref.train).tobytes()
    assert got["eval"].tobytes() == np.asarray(ref.validation).tobytes()
    assert got["carve"] and str(carve.steps) in got["carve"]
    assert (run.protocol.stdp_steps, run.readout.n_fit) == training_stretch(T - carve.steps)
    assert (run.protocol.stdp_steps, run.readout.n_fit) == (carve.stdp_steps, carve.n_fit)
    s = pd.read_csv(os.path.join(BENCH, "readout_selection_summary.csv")).set_index("task")
    sel = pd.read_csv(os.path.join(BENCH, s.loc[name, "csv"])).iloc[0]
    assert sel["n_validation"] == carve.steps and sel["n_train"] == T - carve.steps
    assert (sel["stdp_steps"], sel["n_fit"]) == (carve.stdp_steps, carve.n_fit)
    # the test split is not carved: the whole training part, the registered stretch
    run_test, got_test = _task_data(base)
    assert run_test is base and got_test["train"].shape[0] == T and got_test["carve"] is None


def test_validation_carve_rules_and_errors():
    from brian2_lnp.tasks import ValidationCarve, get_task

    _data("google_stock")  # skips without the data package
    gs = get_task("google_stock", split="validation")
    # stretch sizes given explicitly replace the carve's; the others stay the carve's
    run, _ = get_task(gs, stdp_steps=5).load_data()
    assert (run.protocol.stdp_steps, run.readout.n_fit) == (5, gs.validation_carve.n_fit)
    run, data = get_task(gs, validation_carve=ValidationCarve(100)).load_data()
    assert data.splits == (866, 100, 568) and run.protocol.stdp_steps == 322
    with pytest.raises(ValueError, match="split.*validation_carve"):
        get_task(gs, validation_carve=None).load_data()
    with pytest.raises(ValueError, match="validation_carve: steps"):
        get_task(gs, validation_carve=ValidationCarve(965)).load_data()
    with pytest.raises(ValueError, match="steps"):
        ValidationCarve(0)
    with pytest.raises(ValueError, match="own validation part"):
        ValidationCarve(10).apply(get_task("rossler").data.load())
    with pytest.raises(ValueError, match="only for series"):
        get_task("mnist5k", validation_carve=ValidationCarve(10))
    # a task with its own validation part is never carved
    run, data = get_task("rossler", split="validation", validation_carve=ValidationCarve(10)
                         ).load_data()
    assert "validation_carve" not in data.metadata and data.splits[1] == 1000


def test_a_protocol_longer_than_the_scored_part_is_refused_before_any_simulation():
    """wind_speed's carve has 200 validation steps, its registered protocol needs 600."""
    from brian2_lnp.tasks.evaluate import _task_data
    from brian2_lnp.tasks import get_task

    _data("wind_speed")
    with pytest.raises(ValueError, match="n_context.*validation part of 'wind_speed' has 200"):
        _task_data(get_task("wind_speed", split="validation"))
    run, data = _task_data(get_task("wind_speed", split="validation", n_context=100))
    assert data["eval"].shape[0] == 200
