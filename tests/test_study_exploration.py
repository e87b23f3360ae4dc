"""The exploration protocol (LNP variants on the validation split): design, machinery, resume.

The quick run uses the 125-neuron model on the runtime device with NumPy code
generation (no compiler runs), 2 LNP iterations and tiny task stretches: it
checks the machinery (one row per seed x network, matched controls, the split
scored, the paired table, resume from rows), not the science.
"""
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from brian2_lnp.metrics.stats import bootstrap_median_ci
from brian2_lnp.protocols import load_protocol
from brian2_lnp.protocols.registry import protocol_aliases
from brian2_lnp.protocols.study import UnitRows, validation_unit
from brian2_lnp.protocols.units import make_connectivity
from brian2_lnp.pruning import ABLATIONS, ConvergentSchedule, prune

NAME = "Chakraborty_2024_study_exploration"
FIELDS = ["stdp_steps=5", "n_fit=12", "n_context=12", "n_predict=4", "washout=2", "step=0.005"]
TINY = ["--quick", "--fields", *FIELDS, "--no-progress"]


@pytest.fixture
def numpy_codegen(monkeypatch):
    """Runtime device with NumPy code generation: no compiler runs in the quick test."""
    from brian2_lnp.models import devices
    monkeypatch.setattr(devices, "_cython_works", lambda: False)


def _repo():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------- design
def test_the_protocol_docstring_is_the_preregistration_verbatim():
    with open(os.path.join(_repo(), "docs", "study_exploration_preregistration.md"),
              encoding="utf-8") as fh:
        pre = fh.read().strip()
    assert pre in load_protocol("study_exploration").__doc__


def test_both_study_protocols_are_found_by_their_short_names(tmp_path, monkeypatch):
    assert load_protocol("study").__name__.endswith("study_lnp_vs_controls")
    assert load_protocol("study_exploration").__name__.endswith("study_exploration")
    # aliases are read from the source, without importing the file
    f = tmp_path / "x_one.py"
    f.write_text('raise RuntimeError("imported")\nALIASES = ("Short", "other")\n')
    assert protocol_aliases(str(f)) == ("short", "other")
    (tmp_path / "x_two.py").write_text("ALIASES = 'short'\n")
    assert protocol_aliases(str(tmp_path / "x_two.py")) == ("short",)
    assert protocol_aliases(str(tmp_path / "missing.py")) == ()
    monkeypatch.setenv("BRIAN2_LNP_PROTOCOLS", str(tmp_path))
    from brian2_lnp.protocols.registry import ProtocolNotFoundError
    with pytest.raises(ProtocolNotFoundError, match="2 protocols"):
        load_protocol("short")  # two files claim it: an error naming both, not a guess


def test_each_variant_is_the_study_recipe_with_exactly_one_change():
    mod = load_protocol("study_exploration")
    from brian2_lnp.protocols.units import plastic_lnp_options
    base = plastic_lnp_options("hrsnn", False, iterations=100)
    opts = {v: mod.variant_options(v, "hrsnn", False, 100, 20) for v in mod.VARIANTS}
    assert opts["default"] == base
    changed = {v: {k for k in set(o) | set(base) if o.get(k) != base.get(k)}
               for v, o in opts.items()}
    assert changed == {"default": set(), "no-II": {"steps"}, "no-II-III": {"steps"},
                       "no-IV": {"steps"}, "coupling-weights": {"step_kwargs"},
                       "no-averaging": {"schedule"},
                       "fixed-schedule": {"schedule", "iterations"}}
    assert opts["no-II"]["steps"] == ("noise", "delocalize", "timescales") == ABLATIONS["E'"]
    assert opts["no-II-III"]["steps"] == ("noise", "timescales")
    assert opts["no-IV"]["steps"] == ("noise", "centrality", "delocalize")
    assert opts["coupling-weights"]["step_kwargs"]["noise"] == dict(base["step_kwargs"]["noise"],
                                                                    coupling="weights")
    assert opts["no-averaging"]["schedule"] == ConvergentSchedule(average_exponents=False)
    assert opts["fixed-schedule"]["schedule"] == "fixed"
    assert opts["fixed-schedule"]["iterations"] == 20 and base["iterations"] == 100
    with pytest.raises(ValueError, match="variant"):
        mod.variant_options("no-I", "hrsnn", False, 100, 20)


def test_the_variants_options_reach_prune(monkeypatch):
    """What prune() receives from each variant, recorded in its history (one iteration)."""
    mod = load_protocol("study_exploration")
    c = make_connectivity("hrsnn_small", seed=1)
    seen = {}
    import brian2_lnp.pruning.driver as driver
    real = driver.run_iteration

    def spy(ctx, *args, **kwargs):
        seen["schedule"], seen["steps"] = ctx.schedule, ctx.steps
        seen["noise"] = ctx.step_kwargs.get("noise", {})
        return real(ctx, *args, **kwargs)

    monkeypatch.setattr(driver, "run_iteration", spy)
    for v, check in (("no-averaging", lambda: not seen["schedule"].average_exponents),
                     ("fixed-schedule", lambda: seen["schedule"].name == "fixed"),
                     ("coupling-weights", lambda: seen["noise"]["coupling"] == "weights"),
                     ("no-IV", lambda: seen["steps"] == ("noise", "centrality", "delocalize"))):
        kw = mod.variant_options(v, "hrsnn_small", True, 1, 1)
        prune(c, seed=0, **kw)
        assert check(), v


def test_the_split_cannot_be_replaced(tmp_path):
    mod = load_protocol("study_exploration")
    with pytest.raises(ValueError, match="split"):
        mod.main(["--quick", "--fields", *FIELDS, "split=test", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="split"):
        validation_unit("hrsnn_small", "HRSNN", "lorenz63", None, 1, "Unpruned",
                        fields={"split": "test"})
    with pytest.raises(TypeError, match="tables"):
        UnitRows(tmp_path, tables=("rows",))


def test_paired_table_on_a_known_table():
    mod = load_protocol("study_exploration")
    rows = []
    for seed in (1, 2, 3):
        rows.append(dict(seed=seed, variant="Unpruned", method="Unpruned", SOPs=100.0 * seed,
                         NRMSE=0.5))
        for v, d in (("default", 0.0), ("no-IV", 0.1 * seed)):
            rows.append(dict(seed=seed, variant=v, method="LNP", SOPs=25.0 * seed,
                             NRMSE=0.4 + d))
            rows.append(dict(seed=seed, variant=v, method="Random-ER", SOPs=30.0 * seed,
                             NRMSE=0.45))
    rows[-1]["NRMSE"] = np.nan   # a failed control: that seed leaves comparison (a)
    out = mod.paired(pd.DataFrame(rows), ["default", "no-IV"]).set_index(
        ["variant", "comparison"])
    a, b, c = mod.COMPARISONS
    assert len(out) == 5 and (out.label == mod.LABEL).all()
    assert out.loc[("default", a), "median"] == pytest.approx(-0.05)
    assert out.loc[("default", a), "n"] == 3
    assert out.loc[("default", c), "median"] == pytest.approx(0.25)
    assert out.loc[("no-IV", a), "n"] == 2 and out.loc[("no-IV", a), "seeds"] == "1 2"
    assert out.loc[("no-IV", b), "median"] == pytest.approx(0.2)
    want = bootstrap_median_ci([0.1, 0.2, 0.3], n_resamples=10_000, seed=0)
    got = tuple(out.loc[("no-IV", b), ["median", "ci_low", "ci_high"]])
    np.testing.assert_allclose(got, want)
    assert ("default", b) not in out.index


# ---------------------------------------------------------------------- quick run
def test_quick_exploration_end_to_end_and_resume(tmp_path, numpy_codegen, monkeypatch):
    mod = load_protocol("study_exploration")
    variants = ["default", "no-IV", "fixed-schedule"]
    args = [*TINY, "--variants", *variants, "--out", str(tmp_path)]
    out = mod.main(args)
    df = out["data"]
    assert (df.failure.fillna("") == "").all(), df.failure.tolist()
    # one row per seed x (variant, its Random-ER) plus Unpruned
    assert len(df) == 2 * (2 * len(variants) + 1)
    for seed, g in df.groupby("seed"):
        assert sorted(zip(g.variant, g.method)) == sorted(
            [("Unpruned", "Unpruned")] + [(v, m) for v in variants
                                          for m in ("LNP", "Random-ER")])
        c = make_connectivity("hrsnn_small", seed=int(seed))
        u = g[g.method == "Unpruned"].iloc[0]
        assert u.n_active_neurons == c.n_active_neurons
        assert u.n_effective_synapses == c.n_active_synapses
        for v in variants:
            r = g[g.variant == v].set_index("method")
            for col in ("n_active_neurons", "n_effective_synapses", "n_excitatory_active"):
                assert r.loc["Random-ER", col] == r.loc["LNP", col], (v, col)
            assert r.loc["LNP", "lnp_iterations"] <= 2
        # the fixed schedule prunes something every iteration
        f = g[(g.variant == "fixed-schedule") & (g.method == "LNP")].iloc[0]
        assert f.n_effective_synapses < c.n_active_synapses
    assert sorted(df.seed.unique()) == [1, 2]
    assert (df.SOPs > 0).all() and np.isfinite(df.NRMSE).all()
    # only the validation split was scored
    assert df.protocol.str.startswith("validation:").all()
    assert not df.protocol.str.contains("test").any()
    from brian2_lnp.tasks import get_task
    spec = get_task("lorenz63", stdp_steps=5, n_fit=12, n_context=12, n_predict=4, washout=2,
                    step=0.005, split="validation")
    assert (df.task_spec == repr(spec)).all()
    # the paired table: (a) and (c) for every variant, (b) for all but default
    pairs = pd.read_csv(tmp_path / "exploration_paired.csv")
    assert len(pairs) == 3 * len(variants) - 1 and (pairs.n == 2).all()
    assert set(pairs.comparison) == set(mod.COMPARISONS)
    sel = pairs[(pairs.variant == "no-IV") & (pairs.comparison == mod.COMPARISONS[0])].iloc[0]
    r = df[df.variant == "no-IV"].pivot(index="seed", columns="method", values="NRMSE")
    assert sel["median"] == pytest.approx(np.median(r["LNP"] - r["Random-ER"]))
    log = pd.read_csv(tmp_path / "exploration_units.csv")
    assert len(log) == 2 * (2 * len(variants) + 1) and (log.seconds > 0).all()
    assert os.path.getsize(tmp_path / "exploration_frontier.png") > 1000
    rows_dir = tmp_path / NAME / "rows"
    rec = json.loads((rows_dir / "val_HRSNN_no-IV_s01.json").read_text())
    assert rec["seconds"] > 0 and "lnp_file" not in rec["kwargs"]
    # resume from the rows alone: without the pickles nothing is recomputed
    shutil.rmtree(tmp_path / NAME / "repeats")

    def refuse(**kwargs):
        raise AssertionError("a finished unit was recomputed")

    for fn in ("lnp_unit", "validation_unit"):
        monkeypatch.setattr(mod, fn, refuse)
    resumed = mod.main(args)
    pd.testing.assert_frame_equal(resumed["data"], df)
    pd.testing.assert_frame_equal(resumed["paired"], out["paired"])
    collected = mod.main([*args, "--collect"])
    pd.testing.assert_frame_equal(collected["data"], df)
    # a unit stored with other settings is refused, not mixed in
    rec["kwargs"]["N"] = 999
    (rows_dir / "val_HRSNN_no-IV_s01.json").write_text(json.dumps(rec))
    with pytest.raises(ValueError, match="other settings"):
        mod.main(args)


def test_a_failed_lnp_variant_gives_failure_rows_not_a_crash(tmp_path, numpy_codegen,
                                                             monkeypatch):
    mod = load_protocol("study_exploration")
    import brian2_lnp.protocols.study as study

    def broken(*args, **kwargs):
        raise RuntimeError("pruning broke")

    monkeypatch.setattr(study, "lnp_repeat", broken)
    out = mod.main([*TINY, "--seeds", "1", "--variants", "no-II", "--out", str(tmp_path)])
    df = out["data"].assign(failure=lambda d: d.failure.fillna("")).set_index("method")
    assert df.loc["Unpruned", "failure"] == "" and np.isfinite(df.loc["Unpruned", "NRMSE"])
    for m in ("LNP", "Random-ER"):
        assert "pruning broke" in df.loc[m, "failure"] and np.isnan(df.loc[m, "NRMSE"])
    pairs = out["paired"]
    assert (pairs.n == 0).all() and pairs["median"].isna().all()
