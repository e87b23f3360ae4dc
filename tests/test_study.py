"""The study protocol (LNP vs controls): statistics, verdict rule, controls, quick run, resume.

Statistics are checked against hand-computed values; the quick run uses the
125-neuron model on the runtime device with NumPy code generation (no compiler
runs) and tiny task stretches, so it checks the machinery, not the science.
"""
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from brian2_lnp.graph import EXCITATORY
from brian2_lnp.metrics.stats import (
    bootstrap_median_ci,
    holm,
    paired_comparisons,
    verdict,
    wilcoxon_p,
)
from brian2_lnp.protocols import load_protocol
from brian2_lnp.protocols.units import make_connectivity
from brian2_lnp.pruning import random_er, random_prune

NAME = "Chakraborty_2024_study_lnp_vs_controls"
TIMING = ["wall_s", "unit_seconds", "lnp_seconds", "eval_time_s"]
TINY = ["--quick", "--models", "hrsnn_small", "--seeds", "1", "2", "--lnp-iterations", "2",
        "--ap-iterations", "1", "--fields", "stdp_steps=5", "n_fit=12", "n_context=12",
        "n_predict=4", "washout=2", "step=0.005", "--no-progress"]


# ---------------------------------------------------------------------- statistics
def test_holm_matches_a_hand_computed_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max-accumulate 0.06
    got = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(got, [0.03, 0.06, 0.06, 0.02])
    # NaN stays NaN and does not count in the family; values are capped at 1
    np.testing.assert_allclose(holm([0.5, np.nan, 0.6]), [1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="pvalues"):
        holm([0.1, 1.5])


def test_wilcoxon_exact_p_values_by_hand():
    # all 10 differences positive: two-sided exact p = 2 / 2**10
    assert wilcoxon_p(np.arange(1, 11)) == pytest.approx(2 / 1024)
    assert wilcoxon_p(-np.arange(1, 11)) == pytest.approx(2 / 1024)
    # d = 1, -2, 3, 4, 5: W- = 2; subsets of ranks with sum <= 2: {}, {1}, {2} -> 2 * 3 / 32
    assert wilcoxon_p([1, -2, 3, 4, 5]) == pytest.approx(6 / 32)
    assert np.isnan(wilcoxon_p([0, 0, 0])) and np.isnan(wilcoxon_p([]))


def test_bootstrap_interval_of_the_median():
    x = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    med, lo, hi = bootstrap_median_ci(x, n_resamples=2000, seed=0)
    assert med == 3.0 and 1.0 <= lo <= med <= hi <= 5.0
    # deterministic in the seed, shifts with the data, collapses for a constant sample
    assert bootstrap_median_ci(x, 2000, seed=0) == (med, lo, hi)
    np.testing.assert_allclose(bootstrap_median_ci(x + 10, 2000, seed=0), (13, lo + 10, hi + 10))
    assert bootstrap_median_ci([2.0] * 4) == (2.0, 2.0, 2.0)
    assert np.isnan(bootstrap_median_ci([np.nan])[0])
    med1, lo1, hi1 = bootstrap_median_ci([0.7, np.nan])  # one seed: no interval
    assert med1 == 0.7 and np.isnan(lo1) and np.isnan(hi1)


def test_bootstrap_interval_covers_the_true_median_about_95_percent():
    rng = np.random.default_rng(1)
    hits = 0
    for r in range(200):
        _, lo, hi = bootstrap_median_ci(rng.normal(size=10), n_resamples=2000, seed=r)
        hits += lo <= 0.0 <= hi
    # percentile bootstrap of the median at n = 10: close to nominal (binomial sd ~1.5 %)
    assert 0.85 <= hits / 200 <= 0.995


def test_verdict_rule():
    assert verdict(0.1, 0.5, 1, 10) == "reproduces"
    assert verdict(-0.5, -0.1, 1, 10) == "contradicted"
    assert verdict(-0.5, -0.1, -1, 10) == "reproduces"
    assert verdict(0.1, 0.5, -1, 10) == "contradicted"
    assert verdict(-0.1, 0.5, 1, 10) == "not resolved at n = 10"
    assert verdict(0.0, 0.5, 1, 7) == "not resolved at n = 7"  # touching 0 is not excluding it
    assert verdict(np.nan, 1.0, 1, 0) == "no data"
    assert verdict(np.nan, np.nan, 1, 1) == "not resolved at n = 1"
    with pytest.raises(ValueError, match="direction"):
        verdict(0.1, 0.2, 0, 3)


def test_paired_comparisons_on_a_known_table():
    rows = []
    for seed in range(1, 7):
        rows.append(dict(model="A", task="t", method="LNP", seed=seed, SOPs=100.0,
                         NRMSE=0.5 + 0.01 * seed))
        rows.append(dict(model="A", task="t", method="AP", seed=seed, SOPs=400.0,
                         NRMSE=0.7 + 0.01 * seed))
        rows.append(dict(model="A", task="t", method="Unpruned", seed=seed, SOPs=800.0,
                         NRMSE=0.4 + 0.01 * seed))
    df = pd.DataFrame(rows)
    dirs = {("AP", "SOPs"): 1, ("AP", "NRMSE"): -1, ("Unpruned", "SOPs"): 1,
            ("Unpruned", "NRMSE"): 1}
    out = paired_comparisons(df, reference="LNP", others=["AP", "Unpruned"],
                             metrics=["SOPs", "NRMSE"], directions=dirs, n_resamples=500)
    r = out.set_index(["method", "metric"])
    assert r.loc[("AP", "SOPs"), "ratio_median"] == pytest.approx(4.0)
    assert r.loc[("AP", "SOPs"), "median"] == pytest.approx(np.log(4))
    assert r.loc[("AP", "SOPs"), "verdict"] == "reproduces"
    assert r.loc[("AP", "NRMSE"), "median"] == pytest.approx(-0.2)
    assert r.loc[("AP", "NRMSE"), "verdict"] == "reproduces"
    # LNP is worse than unpruned here (+0.1), which is the paper's direction for that claim
    assert r.loc[("Unpruned", "NRMSE"), "verdict"] == "reproduces"
    assert (out["n"] == 6).all()
    # six equal-signed differences: exact p = 2 / 64, Holm over the 2 comparisons per metric
    assert r.loc[("AP", "NRMSE"), "p_wilcoxon"] == pytest.approx(2 / 64)
    assert r.loc[("AP", "NRMSE"), "p_holm"] == pytest.approx(min(1, 2 * 2 / 64))


# ---------------------------------------------------------------------- controls
def test_random_prune_and_type_matched_random_er():
    c = make_connectivity("hrsnn_small", seed=3)
    rp = random_prune(c, 80, 150, seed=0)
    assert rp.n_active_neurons == 80 and rp.n_active_synapses == 150
    assert rp.provenance["synapse_shortfall"] == 0
    assert not (rp.neuron_active & ~c.neuron_active).any()          # a subset of c
    np.testing.assert_array_equal(rp.w, c.w)                          # no reweighting
    big = random_prune(c, 20, 10**6, seed=0)                          # fewer survive
    assert big.provenance["synapse_shortfall"] == 10**6 - big.n_active_synapses
    with pytest.raises(ValueError, match="n_neurons"):
        random_prune(c, c.n_active_neurons + 1, 10)
    g = random_er(c, 50, 200, seed=1, n_excitatory=35)
    assert g.n_active_neurons == 50 and g.n_active_synapses == 200
    assert int((g.types[g.neuron_active] == EXCITATORY).sum()) == 35
    n_exc = int((c.types == EXCITATORY).sum())
    with pytest.raises(ValueError, match="n_excitatory"):
        random_er(c, n_exc + 5, 10, seed=1, n_excitatory=n_exc + 1)
    with pytest.raises(ValueError, match="inhibitory"):
        random_er(c, c.N, 10, seed=1, n_excitatory=0)


# ---------------------------------------------------------------------- protocol
@pytest.fixture
def numpy_codegen(monkeypatch):
    """Runtime device with NumPy code generation: no compiler runs in the quick test."""
    from brian2_lnp.models import devices
    monkeypatch.setattr(devices, "_cython_works", lambda: False)


def _no_timing(df):
    return df.drop(columns=[c for c in TIMING if c in df]).reset_index(drop=True)


def test_quick_study_end_to_end_and_resume(tmp_path, numpy_codegen, monkeypatch):
    mod = load_protocol("study")
    out = mod.main([*TINY, "--no-fig3c", "--out", str(tmp_path)])
    df = out["data"]
    assert len(df) == 2 * 5 and set(df.method) == set(mod.METHODS)
    assert (df.failure.fillna("") == "").all()
    assert sorted(df.seed.unique()) == [1, 2]
    for seed, g in df.groupby("seed"):
        r = g.set_index("method")
        c = make_connectivity("hrsnn_small", seed=int(seed))
        assert r.loc["Unpruned", "n_active_neurons"] == c.n_active_neurons
        assert r.loc["Unpruned", "n_effective_synapses"] == c.n_active_synapses
        for m in ("Random-ER", "Random-prune"):
            assert r.loc[m, "n_active_neurons"] == r.loc["LNP", "n_active_neurons"]
        assert r.loc["Random-ER", "n_effective_synapses"] == r.loc["LNP", "n_effective_synapses"]
        assert r.loc["Random-ER", "n_excitatory_active"] == r.loc["LNP", "n_excitatory_active"]
        assert (r.loc["Random-prune", "n_effective_synapses"]
                + r.loc["Random-prune", "synapse_shortfall"]
                == r.loc["LNP", "n_effective_synapses"])
        assert r.loc["AP", "ap_iterations"] in (0, 1)
    assert (df.SOPs > 0).all() and np.isfinite(df.NRMSE).all()
    # closed loop is not run with the registry's fitted-once readout, and the row says why
    assert df.VPT_closed_loop.isna().all() and df.closed_loop_reason.str.contains("readout").all()
    # the task settings of every row are the registry's defaults with the given fields
    from brian2_lnp.tasks import get_task
    spec = get_task("lorenz63", stdp_steps=5, n_fit=12, n_context=12, n_predict=4, washout=2,
                    step=0.005)
    assert (df.task_spec == repr(spec)).all()
    # analysis files
    pairs = pd.read_csv(tmp_path / "study_paired.csv")
    assert len(pairs) == 4 * 3 and (pairs.n == 2).all()
    assert set(pairs.verdict) <= {"reproduces", "contradicted", "not resolved at n = 2"}
    claims = (tmp_path / "study_claims.md").read_text()
    # the paper section and the one model x task section
    assert claims.count("| LNP uses fewer SOPs than AP |") == 2
    assert "## The paper's claims" in claims and "| 39.1 |" in claims
    table = pd.read_csv(tmp_path / "study_table2.csv")
    assert len(table) == 5 and (table.NRMSE_n == 2).all()
    np.testing.assert_allclose(
        table.set_index("method").loc["LNP", "NRMSE_mean"], df[df.method == "LNP"].NRMSE.mean())
    rows_dir = tmp_path / NAME / "rows"
    per_unit = pd.concat([pd.read_csv(rows_dir / f"HRSNN_lorenz63_s0{s}.csv") for s in (1, 2)],
                         ignore_index=True)
    pd.testing.assert_frame_equal(_no_timing(per_unit)[["method", "SOPs", "NRMSE"]],
                                  _no_timing(df)[["method", "SOPs", "NRMSE"]])
    log = pd.read_csv(tmp_path / "study_units.csv")
    assert sorted(log.key) == ["HRSNN_lorenz63_s01", "HRSNN_lorenz63_s02", "lnp_HRSNN_s01",
                               "lnp_HRSNN_s02"]
    assert (log.seconds > 0).all() and log.finished_utc.notna().all()
    for f in ("study_frontier.png", "study_fig3ab.png"):
        assert os.path.getsize(tmp_path / f) > 1000
    # a second run resumes from the stored units and gives the same table
    again = mod.main([*TINY, "--no-fig3c", "--out", str(tmp_path), "--collect"])
    pd.testing.assert_frame_equal(again["data"], df)
    # each unit's files are written as soon as it finishes, before the next unit runs
    from brian2_lnp.protocols.runner import run_tasks as real_run_tasks
    seen = []

    def spy(tasks, directory=None, **kw):
        inner = kw.pop("on_result")

        def check(t, out, sec):
            inner(t, out, sec)
            seen.append((t.key, (rows_dir / f"{t.key}.json").exists()))
        return real_run_tasks(tasks, directory, on_result=check, **kw)

    from brian2_lnp.protocols import study
    monkeypatch.setattr(study, "run_tasks", spy)
    for f in rows_dir.glob("*_s02*"):
        f.unlink()
    for f in (tmp_path / NAME / "repeats").glob("*_s02*"):
        f.unlink()
    mod.main([*TINY, "--no-fig3c", "--out", str(tmp_path)])
    assert seen == [("lnp_HRSNN_s02", True), ("HRSNN_lorenz63_s02", True)]
    monkeypatch.setattr(study, "run_tasks", real_run_tasks)
    # the rows alone carry the run: without the pickled results nothing is recomputed
    shutil.rmtree(tmp_path / NAME / "repeats")

    def refuse(**kwargs):
        raise AssertionError("a finished unit was recomputed")

    for fn in ("lnp_repeat", "study_task_unit"):
        monkeypatch.setattr(mod, fn, refuse)
    resumed = mod.main([*TINY, "--no-fig3c", "--out", str(tmp_path)])
    pd.testing.assert_frame_equal(_no_timing(resumed["data"]), _no_timing(df))
    rec = json.loads((rows_dir / "HRSNN_lorenz63_s01.json").read_text())
    assert rec["seconds"] > 0 and rec["seed_stream"] >= 1 and "lnp_file" not in rec["kwargs"]
    # a unit stored with other settings is refused, not mixed in
    rec["kwargs"]["N"] = 999
    (rows_dir / "HRSNN_lorenz63_s01.json").write_text(json.dumps(rec))
    with pytest.raises(ValueError, match="other settings"):
        mod.main([*TINY, "--no-fig3c", "--out", str(tmp_path)])


@pytest.mark.slow
def test_recomputing_one_unit_reproduces_its_rows_exactly(tmp_path, numpy_codegen):
    mod = load_protocol("study")
    args = [*TINY, "--seeds", "1", "--out", str(tmp_path)]
    first = mod.main(args)["all_rows"]
    os.remove(tmp_path / NAME / "repeats" / "HRSNN_lorenz63_s01.pkl")
    for f in (tmp_path / NAME / "rows").glob("HRSNN_lorenz63_s01*"):
        f.unlink()
    second = mod.main(args)["all_rows"]
    assert any(m.startswith("LNP@") for m in first.method)  # Fig. 3(c) snapshots scored
    pd.testing.assert_frame_equal(_no_timing(first), _no_timing(second))


def test_the_protocol_docstring_is_the_preregistration_verbatim():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "docs", "study_preregistration.md"), encoding="utf-8") as fh:
        pre = fh.read().strip()
    assert pre in load_protocol("study").__doc__


def test_a_task_whose_settings_cannot_run_gives_failure_rows_not_a_crash(tmp_path,
                                                                         numpy_codegen):
    from brian2_lnp.tasks.evaluate import ROW_COLUMNS
    mod = load_protocol("study")
    args = [*TINY, "--seeds", "1", "--no-fig3c", "--out", str(tmp_path)]
    args[args.index("n_fit=12")] = "n_fit=100000"   # longer than the training part
    df = mod.main(args)["data"]
    assert sorted(df.method) == sorted(mod.METHODS)
    assert df.failure.str.contains("n_fit").all() and df.NRMSE.isna().all()
    assert set(ROW_COLUMNS) <= set(df.columns)


def test_quick_study_on_a_task_without_validation_part_runs_ap_on_its_carve(
        tmp_path, numpy_codegen):
    """Google stock has no validation part: AP's stop is decided on the task's validation
    carve (the last 300 training days), never on the test part. The unpruned network's
    validation NRMSE that AP stored equals evaluate() on the same days given to the loader
    as an explicit validation split (an independent path to the same data)."""
    from brian2_lnp.datasets import MissingDataPackageError
    from brian2_lnp.tasks import evaluate, get_task
    try:
        base = get_task("google_stock")
        n_train, _, n_test = base.data.load().splits
    except MissingDataPackageError as exc:
        pytest.skip(str(exc))
    mod = load_protocol("study")
    args = [*TINY, "--seeds", "1", "--tasks", "google_stock", "--no-fig3c",
            "--out", str(tmp_path)]
    df = mod.main(args)["data"]
    assert sorted(df.method) == sorted(mod.METHODS)
    assert (df.failure.fillna("") == "").all(), df.failure.tolist()
    assert np.isfinite(df.NRMSE).all() and (df.SOPs > 0).all()
    ap = df.set_index("method").loc["AP"]
    assert ap["ap_iterations"] in (0, 1) and np.isfinite(ap["ap_validation_nrmse"])
    V = base.validation_carve.steps
    fields = dict(stdp_steps=5, n_fit=12, n_context=12, n_predict=4, washout=2, step=0.005)
    want = evaluate("hrsnn_small", "google_stock", seed=1, split="validation",
                    data_kwargs={"splits": (n_train - V, V, n_test)}, **fields)
    assert ap["ap_validation_nrmse_unpruned"] == want["NRMSE"].iloc[0]
    # the test rows train on the whole training part (no carve) and name no carve
    assert not df.protocol.str.contains("carve|last 300").any()


def test_the_shared_lnp_unit_does_not_depend_on_the_tasks_asked_for(tmp_path):
    """Two processes given different tasks must ask for the same LNP unit (one is stored)."""
    from brian2_lnp.protocols.common import settings_from_args
    mod = load_protocol("study")

    def lnp_task(*tasks):
        args = mod.build_parser().parse_args([*TINY, "--out", str(tmp_path), "--tasks", *tasks])
        settings = settings_from_args(args)
        return mod.units(settings, mod.plan(settings), "hrsnn_small", 1)
    lnp_all, units_all = lnp_task("lorenz63", "rossler")
    lnp_one, units_one = lnp_task("rossler")
    assert lnp_all.key == lnp_one.key and lnp_all.kwargs == lnp_one.kwargs
    assert lnp_all.kwargs["snapshots"]  # Fig. 3(c) needs them
    assert [t.key for t in units_one] == ["HRSNN_rossler_s01"]
    assert units_one[0].kwargs == units_all[1].kwargs
    assert lnp_task("lorenz63")[1][0].kwargs["fig3c"]


def test_claims_markdown_formats_the_paired_rows():
    mod = load_protocol("study")
    base = dict(architecture="HRSNN", task="lorenz63", reference="LNP", n=10, p_holm=0.02)
    pairs = pd.DataFrame([
        dict(base, method="AP", metric="NRMSE", ratio_definition="NRMSE_LNP / NRMSE_AP",
             ratio_median=0.5, ratio_ci_low=0.41, ratio_ci_high=0.62, p_wilcoxon=0.002,
             verdict="reproduces", paper_ratio=0.705 / 1.718),
        dict(base, method="Unpruned", metric="SOPs",
             ratio_definition="SOPs_Unpruned / SOPs_LNP", ratio_median=1.25,
             ratio_ci_low=1.1, ratio_ci_high=1.4, p_wilcoxon=0.004, verdict="reproduces",
             paper_ratio=710.8 / 18.2),
        dict(base, task="rossler", method="Random-ER", metric="NRMSE",
             ratio_definition="NRMSE_LNP / NRMSE_Random-ER", ratio_median=1.1,
             ratio_ci_low=0.9, ratio_ci_high=1.3, p_wilcoxon=0.5,
             verdict="not resolved at n = 10", paper_ratio=np.nan)])
    md = mod.claims_markdown(pairs)
    paper = md.split("## The paper's claims")[1].split("## HRSNN, lorenz63")[0]
    assert ("| LNP's error is lower than AP's | NRMSE_LNP / NRMSE_AP | 0.5 [0.41, 0.62] | "
            "0.002 (0.02) | 10 | reproduces | 0.41 |") in paper
    assert "| 1.25 [1.1, 1.4] |" in paper and "| 39.1 |" in paper
    assert "Random-ER" not in paper  # not a claim of the paper
    rossler = md.split("## HRSNN, rossler")[1]
    assert ("| LNP's error is lower than Random-ER's (same counts) | NRMSE_LNP / NRMSE_Random-ER"
            " | 1.1 [0.9, 1.3] | 0.5 (0.02) | 10 | not resolved at n = 10 |  |") in rossler
    # within a model x task: the pre-registered method order, then SOPs, NRMSE, VPT
    lorenz = md.split("## HRSNN, lorenz63")[1].split("## HRSNN, rossler")[0]
    assert lorenz.index("unpruned network") < lorenz.index("AP's")
    assert "No finished units" in mod.claims_markdown(pairs.iloc[:0])


# ---------------------------------------------------------------------- rerun of a stored unit

#: what the stand-in LNP unit below computes (a test changes it to mimic other bits)
_UNIT_VALUE = {"x": 0.1}


def _stand_in_lnp_unit():
    import time
    return {"history": pd.DataFrame({"neurons": [10, 9], "abscissa": [-0.5, _UNIT_VALUE["x"]],
                                     "t_noise": [time.perf_counter(), 0.0]})}


def test_fig3c_table_puts_each_seeds_final_network_at_final():
    mod = load_protocol("study")
    row = dict(architecture="HRSNN", task="lorenz63", SOPs=1.0, n_active_neurons=900)
    df = pd.DataFrame([dict(row, seed=s, method=m, iteration=k, NRMSE=e)
                       for s, stop in ((1, 12), (2, 30))
                       for m, k, e in (("Unpruned", 0, 1.0), ("LNP@10", 10, 2.0 * s),
                                       ("Random-ER@10", 10, 3.0), ("LNP", stop, 4.0 * s),
                                       ("Random-ER", stop, 5.0))]
                      + [dict(row, seed=2, method="LNP@20", iteration=20, NRMSE=6.0),
                         dict(row, seed=1, method="AP", iteration=np.nan, NRMSE=9.0)])
    t = mod.fig3c_table(df).set_index(["curve", "snapshot"])
    assert list(t.loc["LNP"].index) == ["0", "10", "20", "final"]
    assert list(t.loc["Random-ER"].index) == ["0", "10", "final"]
    assert t.loc[("LNP", "final"), "NRMSE_mean"] == 6.0  # (4 + 8) / 2, stopped at 12 and 30
    assert t.loc[("LNP", "final"), "iteration_mean"] == 21.0
    assert t.loc[("LNP", "20"), "NRMSE_n"] == 1
    assert t.loc[("Random-ER", "0"), "NRMSE_mean"] == 1.0  # the unpruned start of both


def test_pruning_evolution_carries_a_stopped_seeds_last_network_forward():
    mod = load_protocol("study")
    evo = pd.DataFrame(dict(architecture="HRSNN", method="LNP", task="(task-agnostic)",
                            seed=[1, 1, 1, 2, 2], iteration=[0, 1, 2, 0, 1],
                            neurons=[100, 90, 80, 100, 95], synapses=[50, 40, 30, 50, 45]))
    out = mod.carried_forward(evo)
    s2 = out[out.seed == 2].set_index("iteration")
    assert list(s2.neurons) == [100, 95, 95] and list(s2.synapses) == [50, 45, 45]
    assert list(s2.carried) == [False, False, True]
    assert not out[out.seed == 1].carried.any() and len(out) == 6
    mean = out.groupby("iteration").neurons.mean()
    assert mean[2] == (80 + 95) / 2


def test_a_stored_unit_rerun_for_its_result_must_reproduce_its_tables(tmp_path, monkeypatch):
    from brian2_lnp.protocols import Task
    from brian2_lnp.protocols.study import UnitMismatch, UnitRows, table_difference

    store, cache = UnitRows(tmp_path / "rows"), tmp_path / "repeats"
    task = Task("lnp_STANDIN_s01", _stand_in_lnp_unit, {})
    run = dict(n_jobs=1, resume=True, progress=False)
    store.run([task], cache, **run)
    stored = store.read(task.key, "history")
    assert store.record(task.key)["blas"]  # the BLAS kernel that made it, e.g. "openblas ..."
    # rerun (no cached result) with the same values: accepted, the stored files kept
    (cache / f"{task.key}.pkl").unlink()
    store.run([task], cache, **run)
    pd.testing.assert_frame_equal(store.read(task.key, "history"), stored)
    # the same unit giving other bits (as another BLAS kernel can) stops the run
    (cache / f"{task.key}.pkl").unlink()
    monkeypatch.setitem(_UNIT_VALUE, "x", 0.1 + 1e-15)
    with pytest.raises(UnitMismatch, match=r"'abscissa' from row 1.*OPENBLAS_CORETYPE"):
        store.run([task], cache, **run)
    pd.testing.assert_frame_equal(store.read(task.key, "history"), stored)
    # the comparison itself: timing columns ignored, shapes and columns reported
    assert table_difference(stored, stored.assign(t_noise=5.0)) is None
    assert "stored rows" in table_difference(stored, stored.iloc[:1])
    assert "only one" in table_difference(stored, stored.assign(extra=1))
