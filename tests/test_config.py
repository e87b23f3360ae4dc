"""Model files and their validation (brian2_lnp.models.config)."""
import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from brian2_lnp.models.config import (MODELS_DIR, UNITS, ModelConfig, ModelConfigError,
                                      format_quantity, load_model, parse_quantity)
from brian2_lnp.models.distributions import Distribution

SHIPPED = ["hrsnn", "hrsnn_small", "chrsnn", "chrsnn_small"]


def raw(name):
    with open(f"{MODELS_DIR}/{name}.yaml") as fh:
        return yaml.safe_load(fh)


# ----------------------------------------------------------------------------- unit parser
def test_unit_table_matches_brian2():
    """The whitelist's factors and dimensions agree with Brian2's own unit registry."""
    import brian2
    from brian2 import Hz, second, volt
    from brian2.units.fundamentalunits import get_dimensions
    dims = {"time": second, "voltage": volt, "frequency": Hz}
    for name, (factor, dim) in UNITS.items():
        unit = getattr(brian2, name)  # the names a Brian2 script uses
        assert get_dimensions(unit) == get_dimensions(dims[dim]), name
        assert float(unit / dims[dim]) == pytest.approx(factor, rel=1e-15), name


@pytest.mark.parametrize("text, value, dim", [
    ("20*ms", 0.02, "time"), ("-65*mV", -0.065, "voltage"), (" 1.5e2 * Hz ", 150.0, "frequency"),
    ("0.3", 0.3, None), (7, 7.0, None), ("ms", 1e-3, "time"), (".5*second", 0.5, "time"),
    ("3e-3*volt", 3e-3, "voltage"), ("2*kHz", 2000.0, "frequency"), ("10*us", 1e-5, "time"),
])
def test_parse_quantity(text, value, dim):
    v, d = parse_quantity(text)
    assert d == dim
    assert v == pytest.approx(value, rel=1e-12)


def test_parse_quantity_accepts_brian2_quantities():
    from brian2 import Hz, mV, ms
    assert parse_quantity(20 * ms) == (pytest.approx(0.02), "time")
    assert parse_quantity(-65 * mV) == (pytest.approx(-0.065), "voltage")
    assert parse_quantity(5 * Hz) == (pytest.approx(5.0), "frequency")


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "2**10*ms", "20*ms*ms", "ms*20", "20*parsec",
    "20 ms", "", "1+1", "[1]", "open('x')",
])
def test_parse_quantity_rejects_code_and_garbage(text):
    with pytest.raises(ModelConfigError, match="^field: "):
        parse_quantity(text, "field")


def test_format_round_trips_exactly():
    rng = np.random.default_rng(3)
    for v in rng.normal(size=300) * rng.choice([1e-6, 1e-3, 1.0, 7.0], 300):
        for dim in ("time", "voltage", "frequency"):
            assert parse_quantity(format_quantity(v, dim))[0] == v
    assert format_quantity(0.02, "time") == "20*ms"
    assert format_quantity(-0.065, "voltage") == "-65*mV"


# ----------------------------------------------------------------------------- shipped files
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_models_load_and_round_trip(name, tmp_path):
    cfg = load_model(name)
    assert isinstance(cfg, ModelConfig)
    assert cfg.model == name.split("_")[0]
    assert cfg.n_exc == int(np.floor(cfg.N * 0.8 + 0.5)) and cfg.n_exc + cfg.n_inh == cfg.N
    # as_dict(units=True) reads back to an equal config, also through a YAML file
    assert load_model(cfg.as_dict()) == cfg
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(cfg.as_dict()))
    assert load_model(str(path)) == cfg
    assert load_model(f"{MODELS_DIR}/{name}.yaml") == cfg


def test_small_variants_are_small():
    for name in ("hrsnn_small", "chrsnn_small"):
        assert 100 <= load_model(name).N <= 200
    for name in ("hrsnn", "chrsnn"):
        assert load_model(name).N == 5000


def test_shipped_values_are_si():
    cfg = load_model("hrsnn")
    assert cfg.neuron.t_ref == pytest.approx(2e-3)
    assert cfg.neuron.v_rest == pytest.approx(-65e-3)
    assert cfg.get("neuron.tau_m.E")["scale"] == pytest.approx(10e-3)
    # E membrane time constants slower on average than I (seed 002)
    assert cfg.neuron.tau_m.E.mean > cfg.neuron.tau_m.I.mean
    assert isinstance(cfg.stdp.tau_pre, Distribution)
    assert cfg.connectivity.C["IE"] == 0.4
    assert cfg.weights.IE < 0 < cfg.weights.EE


def test_quantity_view():
    from brian2 import mV, ms
    from brian2.units.fundamentalunits import have_same_dimensions
    cfg = load_model("hrsnn_small")
    q = cfg.quantity("neuron.tau_syn")
    assert have_same_dimensions(q, ms) and float(q / ms) == pytest.approx(5.0)
    assert float(cfg.quantity("weights.IE") / mV) == pytest.approx(-1.9)
    with pytest.raises(ModelConfigError, match="neuron.v_th"):
        cfg.quantity("neuron.v_th")


def test_config_module_does_not_import_brian2():
    code = ("import sys; import brian2_lnp.models.generate as g; "
            "g.generate_network('chrsnn_small', seed=1); "
            "assert 'brian2' not in sys.modules, 'brian2 imported'")
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ----------------------------------------------------------------------------- overrides
def test_overrides():
    from brian2 import ms
    cfg = load_model("hrsnn_small", N=1000, **{"neuron.t_ref": 3 * ms},
                     connectivity__lambda=1.5, fraction_inhibitory=None)
    assert cfg.N == 1000 and cfg.n_exc == 800
    assert cfg.neuron.t_ref == pytest.approx(3e-3)
    assert cfg.connectivity["lambda"] == 1.5
    assert cfg.fraction_inhibitory == 0.2  # None is ignored
    again = cfg.with_overrides(N=200)
    assert again.N == 200 and again.neuron.t_ref == cfg.neuron.t_ref
    assert cfg.N == 1000  # the original is unchanged


@pytest.mark.parametrize("overrides, field", [
    ({"N": 0}, "N"),
    ({"N": 2.5}, "N"),
    ({"N": "1000"}, "N"),
    ({"neuron.t_ref": "1*mV"}, "neuron.t_ref"),
    ({"neuron__tau_syn": 0.005}, "neuron.tau_syn"),
    ({"connectivity.C.EE": 1.5}, "connectivity.C.EE"),
    ({"nonsense": 1}, "nonsense"),
])
def test_bad_overrides_are_validated(overrides, field):
    with pytest.raises(ModelConfigError, match=f"^{field}: "):
        load_model("hrsnn_small", **overrides)


# ----------------------------------------------------------------------------- validation
def _set(d, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


def _del(d, path):
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[k]
    del d[keys[-1]]


H, C = "hrsnn_small", "chrsnn_small"
BAD = [
    # (model, path, value or "DELETE", field named in the message, words in the message)
    # unknown keys
    (H, "neuron.tau_mem", "20*ms", "neuron.tau_mem", "unknown key"),
    (H, "stdp.tau_pre.mean", "20*ms", "stdp.tau_pre.mean", "unknown key"),
    (H, "extra_section", {}, "extra_section", "unknown key"),
    (C, "connectivity", {}, "connectivity", "unknown key"),
    (H, "weights.EI_", "1*mV", "weights.EI_", "unknown key"),
    # missing keys
    (H, "neuron.t_ref", "DELETE", "neuron.t_ref", "missing"),
    (H, "connectivity.C.II", "DELETE", "connectivity.C.II", "missing"),
    (H, "neuron.tau_m.E.scale", "DELETE", "neuron.tau_m.E.scale", "missing"),
    (C, "clusters.K", "DELETE", "clusters.K", "missing"),
    (H, "model", "DELETE", "model", "missing"),
    (H, "stdp.A_plus.dist", "DELETE", "stdp.A_plus.dist", "missing"),
    # wrong units
    (H, "neuron.t_ref", "5*mV", "neuron.t_ref", "expected a time"),
    (H, "neuron.tau_m.E.scale", "5*mV", "neuron.tau_m.E.scale", "expected a time"),
    (H, "neuron.v_rest", "-65*ms", "neuron.v_rest", "expected a voltage"),
    (H, "weights.EE", "3*Hz", "weights.EE", "expected a voltage"),
    (H, "neuron.tau_syn", 0.005, "neuron.tau_syn", "without unit"),
    (H, "connectivity.lambda", "2*ms", "connectivity.lambda", "dimensionless"),
    (H, "stdp.A_plus.scale", "0.01*ms", "stdp.A_plus.scale", "expected a voltage"),
    (H, "neuron.t_ref", "2*msec", "neuron.t_ref", "unknown unit"),
    # zero / negative time constants
    (H, "neuron.tau_syn", "0*ms", "neuron.tau_syn", r"\(0\*ms, inf\)"),
    (H, "neuron.tau_syn", "-5*ms", "neuron.tau_syn", "must lie"),
    (H, "neuron.t_ref", "-1*ms", "neuron.t_ref", "must lie"),
    (H, "neuron.tau_m.I.scale", "0*ms", "neuron.tau_m.I.scale", "must lie"),
    (H, "neuron.tau_m.E.shape", 0, "neuron.tau_m.E.shape", "must lie"),
    (H, "stdp.tau_post.scale", "-1*ms", "stdp.tau_post.scale", "must lie"),
    (H, "stdp.tau_pre", {"dist": "normal", "mean": "10*ms", "std": "5*ms"}, "stdp.tau_pre",
     "must be > 0"),
    (H, "stdp.tau_pre", {"dist": "constant", "value": "0*ms"}, "stdp.tau_pre", "must be > 0"),
    (H, "stdp.A_minus", {"dist": "uniform", "low": "-1*mV", "high": "1*mV"}, "stdp.A_minus",
     "must be > 0"),
    ("chrsnn", "clusters.tau_m.scale_from", "0*ms", "clusters.tau_m.scale_from", "must lie"),
    (C, "clusters.tau_m", [{"shape": 3, "scale": "-2*ms"}] * 4, r"clusters.tau_m\[0\].scale",
     "must lie"),
    # probabilities outside [0, 1]
    (H, "connectivity.C.EE", 1.5, "connectivity.C.EE", r"\[0.0, 1.0\]"),
    (H, "connectivity.C.IE", -0.1, "connectivity.C.IE", r"\[0.0, 1.0\]"),
    (H, "input.p_in", 2, "input.p_in", r"\[0.0, 1.0\]"),
    (C, "clusters.p_rewire", -0.5, "clusters.p_rewire", r"\[0.0, 1.0\]"),
    (C, "clusters.p_intra", 1.01, "clusters.p_intra", r"\[0.0, 1.0\]"),
    (C, "clusters.p_intra.II", 3, "clusters.p_intra.II", r"\[0.0, 1.0\]"),
    (H, "fraction_inhibitory", 1.2, "fraction_inhibitory", "must lie"),
    # empty populations / impossible sizes
    (H, "N", 0, "N", "must lie"),
    (H, "N", 2, "fraction_inhibitory", "0 inhibitory"),  # round(1.6) = 2 E, 0 I
    (H, "N", 1, "fraction_inhibitory", "at least 1"),
    (H, "fraction_inhibitory", 0.0, "fraction_inhibitory", "must lie"),
    (H, "fraction_inhibitory", 0.999, "fraction_inhibitory", "0 excitatory"),  # N=125
    (C, "clusters.K", 0, "clusters.K", "must lie"),
    (C, "clusters.K", 161, "clusters.K", "N >= 161"),
    (C, "clusters.K", 5, "clusters.tau_m", "for K=5"),
    (H, "connectivity.grid.shape", [2, 2, 2], "connectivity.grid.shape", "fewer than N"),
    (H, "connectivity.grid.shape", [5, 5], "connectivity.grid.shape", "3 positive"),
    (H, "input.n_channels", -1, "input.n_channels", "must lie"),
    (H, "input.rate", "-1*Hz", "input.rate", "must lie"),
    (H, "input.rate", "20*ms", "input.rate", "expected a frequency"),
    (C, "clusters.tau_m", [], "clusters.tau_m", "empty"),
    # non-numeric values
    (H, "N", "many", "N", "expected an integer"),
    (H, "N", True, "N", "expected an integer"),
    (H, "connectivity.lambda", "abc", "connectivity.lambda", "unknown unit"),
    (H, "connectivity.lambda", "two", "connectivity.lambda", "unknown unit"),
    (H, "weights.EE", [3], "weights.EE", "expected a number"),
    (H, "neuron.v_th.mean", None, "neuron.v_th.mean", "expected a number"),
    (H, "neuron.tau_m.E.shape", "3*ms", "neuron.tau_m.E.shape", "dimensionless"),
    (H, "weights.cv", "x", "weights.cv", "unknown unit"),
    (H, "neuron.v_th", "-50*mV", "neuron.v_th", "distribution mapping"),
    (H, "neuron", 5, "neuron", "mapping"),
    # other checks
    (H, "model", "lsm", "model", "must be one of"),
    (H, "neuron.v_th.dist", "cauchy", "neuron.v_th.dist", "must be one of"),
    (H, "neuron.v_th", {"dist": "uniform", "low": "-50*mV", "high": "-55*mV"},
     "neuron.v_th.high", ">= low"),
    (H, "neuron.v_th.mean", "-64*mV", "neuron.v_th", "above v_rest"),
    (H, "weights.IE", "1.9*mV", "weights.IE", "Dale"),
    (H, "weights.EE", "-3*mV", "weights.EE", "Dale"),
    (H, "weights.II", "0*mV", "weights.II", "Dale"),
    (H, "stdp.w_max", "2*mV", "stdp.w_max", "below"),
    (H, "stdp.w_max", "0*mV", "stdp.w_max", "must lie"),
    (C, "clusters.ring_neighbours", 3, "clusters.ring_neighbours", "even"),
    (C, "clusters.bridges_per_pair", 1.5, "clusters.bridges_per_pair", "integer"),
]


@pytest.mark.parametrize("model, path, value, field, words", BAD,
                         ids=[f"{m}:{p}={v!r}"[:60] for m, p, v, *_ in BAD])
def test_validation_errors_name_the_field(model, path, value, field, words):
    d = raw(model)
    if value == "DELETE":
        _del(d, path)
    else:
        _set(d, path, copy.deepcopy(value))
    with pytest.raises(ModelConfigError, match=f"^{field}: .*{words}"):
        load_model(d)


def test_valid_variants_pass():
    """Alternative valid forms are accepted (the checks are not over-strict)."""
    d = raw(C)
    d["clusters"]["p_intra"] = 0.1
    d["clusters"]["tau_m"] = {"shape": 2, "scale_from": "1*ms", "scale_to": "9*ms"}
    d["clusters"]["K"] = 3
    cfg = load_model(d)
    assert cfg.clusters.p_intra == {"EE": 0.1, "EI": 0.1, "IE": 0.1, "II": 0.1}
    d = raw(H)
    d["neuron"]["v_th"] = {"dist": "uniform", "low": "-52*mV", "high": "-48*mV"}
    d["stdp"]["tau_pre"] = {"dist": "constant", "value": "20*ms"}
    d["connectivity"]["grid"]["shape"] = [25, 5, 1]
    d["N"] = 1  # too small, but the point here is the override below
    cfg = load_model(d, N=125)
    assert cfg.neuron.v_th.bounds == pytest.approx((-0.052, -0.048))


def test_bad_source_types():
    with pytest.raises(TypeError, match="path_or_dict"):
        load_model(42)
    with pytest.raises(FileNotFoundError, match="known models: .*hrsnn_small"):
        load_model("no_such_model")


def test_model_lookup_path(tmp_path, monkeypatch):
    d = raw(H)
    d["N"] = 150
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(d))
    monkeypatch.setenv("BRIAN2_LNP_MODELS", str(tmp_path))
    assert load_model("mine").N == 150
    assert load_model("hrsnn_small").N == 125  # shipped names still found
