"""Brian2GeNN code generation for HRSNN / CHRSNN, pruned, extended and compacted.

Needs brian2genn (brian2 < 2.6); run with ``bash scripts/genn_env.sh``. GeNN
itself and CUDA are not needed: ``set_device('genn', compile=False,
run=False)`` makes the run call generate the whole GeNN project (model
definition, user code, static arrays) and stop before ``genn-buildmodel``
and ``make``; brian2genn raises NotImplementedError for any feature it does
not support, so a clean generation is the compatibility check.
"""
import glob
import os
import re

import numpy as np
import pytest

pytestmark = pytest.mark.genn

brian2genn = pytest.importorskip("brian2genn")
from brian2 import ms  # noqa: E402

from brian2_lnp.models.devices import use_device  # noqa: E402
from brian2_lnp.models.network import build_model  # noqa: E402


def _latest(directory, stem):
    """Path of the last file written for ``stem`` (brian2 suffixes rewrites _1, _2, ...)."""
    files = glob.glob(os.path.join(directory, "static_arrays", stem + "*"))
    pat = re.compile(re.escape(stem) + r"(?:_(\d+))?$")
    ranked = [(int(m.group(1) or 0), f) for f in files if (m := pat.match(os.path.basename(f)))]
    assert ranked, f"no static array {stem}"
    return max(ranked)[1]


def _latest_static_array(directory, array_name):
    """The last full array written from Python to a neuron variable."""
    return np.fromfile(_latest(directory, f"_static_array__array_{array_name}"), dtype=np.float64)


def _latest_synapse_array(directory, array_name):
    """The last write to a synaptic variable: int32 indices + float64 values."""
    idx = np.fromfile(_latest(directory, f"_static_array__index__dynamic_array_{array_name}"),
                      dtype=np.int32)
    val = np.fromfile(_latest(directory, f"_static_array__value__dynamic_array_{array_name}"),
                      dtype=np.float64)
    assert idx.size == val.size and np.array_equal(idx, np.arange(idx.size))
    return val


def _generate(directory, net, duration=20 * ms):
    net.run(duration)  # with build_on_run, this generates the GeNN project
    model = open(os.path.join(directory, "magicnetwork_model.cpp")).read()
    assert f"class {net.neurons.name}NEURON" in model
    assert f"{net.synapses.name}WEIGHTUPDATE" in model
    for name in ("main.cpp", "engine.cpp", "Makefile"):
        assert os.path.exists(os.path.join(directory, name))
    return model


def _pruned_and_extended(net):
    c = net.export()
    rng = np.random.default_rng(0)
    c.neuron_active[rng.choice(c.N, 5, replace=False)] = False
    c.synapse_active[rng.choice(c.n_synapses, c.n_synapses // 4, replace=False)] = False
    existing = set(zip(c.pre.tolist(), c.post.tolist()))
    new = [(a, b) for a in range(c.N) for b in range(c.N) if a != b and (a, b) not in existing][:4]
    sign = np.where(c.types[[a for a, _ in new]] == 0, 1.0, -1.0)
    return c.add_synapses([a for a, _ in new], [b for _, b in new], sign * 1e-3)


@pytest.mark.parametrize("model", ["hrsnn_small", "chrsnn_small"])
def test_codegen_models(tmp_path, model):
    d = use_device("genn", directory=str(tmp_path / "genn"), compile=False, run=False)
    net = build_model(model, seed=1)
    text = _generate(d, net)
    assert "_clip" in text  # the STDP update is in the GeNN weight-update code
    assert np.array_equal(_latest_static_array(d, f"{net.neurons.name}_tau_m"),
                          net.export().tau_m)


@pytest.mark.parametrize("model", ["hrsnn_small", "chrsnn_small"])
def test_codegen_pruned_and_extended(tmp_path, model):
    d = use_device("genn", directory=str(tmp_path / "genn"), compile=False, run=False)
    net = build_model(model, seed=2)
    target = _pruned_and_extended(net)
    net.apply(target)
    assert net.export() == target
    _generate(d, net)
    # the masks GeNN will start from are the ones applied
    assert np.array_equal(_latest_static_array(d, f"{net.neurons.name}_neuron_active"),
                          target.neuron_active.astype(float))
    assert np.array_equal(_latest_synapse_array(d, f"{net.synapses.name}_synapse_active"),
                          target.synapse_active.astype(float))
    assert np.array_equal(_latest_synapse_array(d, f"{net.synapses.name}_w"), target.w)


@pytest.mark.parametrize("model", ["hrsnn_small", "chrsnn_small"])
def test_codegen_compacted(tmp_path, model):
    d = use_device("genn", directory=str(tmp_path / "genn"), compile=False, run=False)
    net = build_model(model, seed=3)
    target = _pruned_and_extended(net)
    net.apply(target)
    small = net.compact()
    small_conn = target.compacted()[0]
    assert small.export() == small_conn
    # only the compact network goes to GeNN (GeNN runs a single network once)
    _generate(d, small)
    assert np.array_equal(_latest_synapse_array(d, f"{small.synapses.name}_w"), small_conn.w)


def test_parallel_synapses_rejected_for_genn(tmp_path):
    from brian2_lnp.models.network import ApplyError

    use_device("genn", directory=str(tmp_path / "genn"), compile=False, run=False)
    net = build_model("hrsnn_small", seed=1)
    c = net.export()
    with pytest.raises(ApplyError, match="same pair"):
        net.apply(c.add_synapses(c.pre[:1], c.post[:1], c.w[:1]))


def test_compiling_without_genn_is_a_clear_error(monkeypatch):
    import shutil

    import brian2

    from brian2_lnp.models.devices import DeviceUnavailableError

    if shutil.which("genn-buildmodel.sh") or brian2.prefs["devices.genn.path"]:
        pytest.skip("GeNN is installed here")
    monkeypatch.delenv("GENN_PATH", raising=False)
    with pytest.raises(DeviceUnavailableError, match="GENN_PATH"):
        use_device("genn")
