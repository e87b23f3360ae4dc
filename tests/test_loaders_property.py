"""Property-based tests (hypothesis) of the file loaders.

For Connectivity files, model files and protocol repeat files: arbitrary
truncation, bit flips and wrong types give the package's own error naming the
file -- never another exception, never a silently wrong object.
"""
import io
import json
import os
import tempfile

import numpy as np
import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from brian2_lnp.graph import Connectivity, ConnectivityFileError  # noqa: E402
from brian2_lnp.models.config import (MODELS_DIR, ModelConfig, ModelConfigError,  # noqa: E402
                                      load_model)
from brian2_lnp.protocols.runner import RepeatFileError, Task, run_tasks  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _conn():
    rng = np.random.default_rng(0)
    N, S = 12, 30
    types = np.array([0] * 9 + [1] * 3)
    pre = rng.integers(0, N, S)
    post = rng.integers(0, N, S)
    w = np.where(types[pre] == 1, -1.0, 1.0) * rng.uniform(1e-4, 1e-3, S)
    c = Connectivity(N, pre, post, w, types=types, tau_m=rng.uniform(5e-3, 30e-3, N),
                     cluster=rng.integers(0, 3, N), provenance={"seed": 4, "model": "hrsnn"})
    c.synapse_active[:3] = False
    c.neuron_active[5] = False
    return c


CONN = _conn()
_buf = io.BytesIO()
CONN.save(_buf)
CONN_BYTES = _buf.getvalue()


def _write(data, name):
    d = tempfile.mkdtemp(prefix="lnp_prop_")
    path = os.path.join(d, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _flip(data, pos, bit):
    b = bytearray(data)
    b[pos % len(b)] ^= 1 << bit
    return bytes(b)


def _load_conn_or_error(path):
    try:
        got = Connectivity.load(path)
    except ConnectivityFileError as exc:
        assert path in str(exc)
        return None
    return got


# ------------------------------------------------------------------ Connectivity files
@SETTINGS
@given(cut=st.integers(0, len(CONN_BYTES) - 1))
def test_truncated_connectivity_file_is_named(cut):
    path = _write(CONN_BYTES[:cut], "net.npz")
    assert _load_conn_or_error(path) is None  # every truncation is detected


@SETTINGS
@given(pos=st.integers(0, len(CONN_BYTES) - 1), bit=st.integers(0, 7))
def test_bit_flip_in_connectivity_file_is_detected_or_harmless(pos, bit):
    path = _write(_flip(CONN_BYTES, pos, bit), "net.npz")
    got = _load_conn_or_error(path)
    if got is not None:  # a flip in zip metadata that does not touch the content
        assert got == CONN and got.provenance == dict(CONN.provenance, seed_stream=2)


_BAD_VALUES = st.sampled_from([
    np.array([1.5, 2.5]), np.array([True, False]), np.array(["a", "b"]), np.zeros((2, 2)),
    np.array(3), np.array([], dtype=float), np.array("text"), np.arange(5, dtype=np.int64),
    np.array([np.nan] * 12), np.array(-1),
])
_FIELDS = ["types", "cluster", "tau_m", "neuron_active", "pre", "post", "w", "synapse_active",
           "N", "provenance"]


@SETTINGS
@given(field=st.sampled_from(_FIELDS), value=_BAD_VALUES)
def test_wrong_types_in_connectivity_file_are_named(field, value):
    """Arrays of the wrong dtype or shape with a *valid* checksum are still refused."""
    from brian2_lnp.graph.connectivity import _checksum  # test of the file layout itself

    with np.load(io.BytesIO(CONN_BYTES)) as data:
        fields = dict(data)
    fields[field] = value
    payload = {k: v for k, v in fields.items() if k not in ("format", "format_version",
                                                            "checksum")}
    fields["checksum"] = np.array(_checksum(payload))
    buf = io.BytesIO()
    np.savez(buf, **fields)
    path = _write(buf.getvalue(), "net.npz")
    got = _load_conn_or_error(path)
    if got is not None:  # e.g. an int64 array where int64 is expected and the values fit
        assert got.N == CONN.N


def test_connectivity_loader_names_missing_npy_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.npz: no such Connectivity file"):
        Connectivity.load(tmp_path / "missing.npz")
    np.save(tmp_path / "x.npy", np.arange(3))
    with pytest.raises(ConnectivityFileError, match="x.npy: not a brian2_lnp Connectivity "
                                                    "file .a single .npy array"):
        Connectivity.load(tmp_path / "x.npy")
    with pytest.raises(ConnectivityFileError, match="is a directory"):
        Connectivity.load(tmp_path)
    written = CONN.save(tmp_path / "noext")
    assert written.endswith("noext.npz")
    assert Connectivity.load(tmp_path / "noext") == CONN


# ------------------------------------------------------------------ model files
with open(os.path.join(MODELS_DIR, "hrsnn_small.yaml"), "rb") as _fh:
    MODEL_BYTES = _fh.read()


def _load_model_or_error(path):
    try:
        cfg = load_model(path)
    except ModelConfigError as exc:
        assert path in str(exc), str(exc)
        return None
    assert isinstance(cfg, ModelConfig)
    # a config that loads is fully validated and reproduces itself
    assert load_model(cfg.as_dict()) == cfg
    return cfg


@SETTINGS
@given(cut=st.integers(0, len(MODEL_BYTES)))
def test_truncated_model_file(cut):
    _load_model_or_error(_write(MODEL_BYTES[:cut], "model.yaml"))


@SETTINGS
@given(pos=st.integers(0, len(MODEL_BYTES) - 1), bit=st.integers(0, 7))
def test_bit_flip_in_model_file(pos, bit):
    _load_model_or_error(_write(_flip(MODEL_BYTES, pos, bit), "model.yaml"))


def _leaf_paths(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaf_paths(v, prefix + (k,))
        yield prefix + (k,)


_RAW = yaml.safe_load(MODEL_BYTES)
_PATHS = list(_leaf_paths(_RAW))
_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6)


@SETTINGS
@given(path=st.sampled_from(_PATHS), value=_YAML_VALUES)
def test_wrong_types_in_model_file(path, value):
    raw = yaml.safe_load(MODEL_BYTES)
    node = raw
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    _load_model_or_error(_write(yaml.safe_dump(raw).encode(), "model.yaml"))


def test_model_file_errors_name_the_file(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ModelConfigError, match="binary.yaml: not a text"):
        load_model(binary)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MODEL_BYTES.decode().replace("N: 125", "N: -3"))
    with pytest.raises(ModelConfigError, match=r"^N: must lie .*\(model file .*bad.yaml\)"):
        load_model(bad)
    with pytest.raises(ModelConfigError, match="is a directory"):
        load_model(tmp_path / "..")


# ------------------------------------------------------------------ protocol repeat files
def _value(seed, n=5):
    return {"x": np.random.default_rng(seed).standard_normal(n), "seed": seed}


def _stored():
    d = tempfile.mkdtemp(prefix="lnp_rep_")
    tasks = [Task("r0", _value, {"seed": 3})]
    first = run_tasks(tasks, d, progress=False)
    return d, tasks, first


_D0, _T0, _FIRST = _stored()
with open(os.path.join(_D0, "r0.pkl"), "rb") as _fh:
    PKL_BYTES = _fh.read()
with open(os.path.join(_D0, "r0.json"), "rb") as _fh:
    REC_BYTES = _fh.read()


def _resume_with(pkl=PKL_BYTES, rec=REC_BYTES):
    d = tempfile.mkdtemp(prefix="lnp_rep_")
    for name, data in (("r0.pkl", pkl), ("r0.json", rec)):
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
    try:
        out = run_tasks(_T0, d, progress=False)
    except ValueError as exc:  # RepeatFileError, other settings, other seed stream
        assert os.path.join(d, "r0.") in str(exc), str(exc)
        return None
    return out


@SETTINGS
@given(cut=st.integers(0, len(PKL_BYTES) - 1))
def test_truncated_repeat_result_is_named_with_a_hint(cut):
    d = tempfile.mkdtemp(prefix="lnp_rep_")
    with open(os.path.join(d, "r0.pkl"), "wb") as fh:
        fh.write(PKL_BYTES[:cut])
    with pytest.raises(RepeatFileError, match=r"r0\.pkl: .*delete .*--no-resume"):
        run_tasks(_T0, d, progress=False)


@SETTINGS
@given(pos=st.integers(0, len(PKL_BYTES) - 1), bit=st.integers(0, 7))
def test_bit_flip_in_repeat_result_is_detected(pos, bit):
    assert _resume_with(pkl=_flip(PKL_BYTES, pos, bit)) is None


@SETTINGS
@given(pos=st.integers(0, len(REC_BYTES) - 1), bit=st.integers(0, 7))
def test_bit_flip_in_repeat_record_is_detected_or_harmless(pos, bit):
    out = _resume_with(rec=_flip(REC_BYTES, pos, bit))
    if out is not None:  # e.g. the "seconds" field or the function name changed
        np.testing.assert_array_equal(out["r0"]["x"], _FIRST["r0"]["x"])


def test_killed_before_the_result_leaves_a_record_only(tmp_path):
    """A kill between record and result: the repeat is recomputed, nothing else lost."""
    run_tasks([Task("a", _value, {"seed": 1}), Task("b", _value, {"seed": 2})], tmp_path,
              progress=False)
    os.remove(tmp_path / "b.pkl")  # as if killed after b's record was written
    rec = json.loads((tmp_path / "b.json").read_text())
    assert rec["seed_stream"] == 2 and rec["result_format"] == 1
    out = run_tasks([Task("a", _value, {"seed": 1}), Task("b", _value, {"seed": 2})],
                    tmp_path, progress=False)
    assert run_tasks.last_info["a"]["resumed"] and not run_tasks.last_info["b"]["resumed"]
    np.testing.assert_array_equal(out["b"]["x"], _value(2)["x"])


def test_result_of_another_seed_stream_is_refused(tmp_path):
    run_tasks([Task("a", _value, {"seed": 1})], tmp_path, progress=False)
    rec = json.loads((tmp_path / "a.json").read_text())
    del rec["seed_stream"]  # records of older versions: stream 1
    (tmp_path / "a.json").write_text(json.dumps(rec))
    with pytest.raises(ValueError, match=r"a\.pkl: made with seed-stream version 1.*"
                                         "BRIAN2_LNP_SEED_STREAM=1"):
        run_tasks([Task("a", _value, {"seed": 1})], tmp_path, progress=False)
