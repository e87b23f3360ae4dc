"""Seed streams: full-key hashing (stream 2), the old stream 1 on request, recorded versions."""
import os
import subprocess
import sys

import numpy as np
import pytest

from brian2_lnp.graph import Connectivity
from brian2_lnp.random import (SEED_STREAM_ENV, SeedStreamError, as_generator, check_seed_stream,
                               child_seed, seed_stream, set_seed_stream, use_seed_stream)

COLLIDING = ["connectivity", "connecti_other", "connectivity_E"]  # same first 8 bytes


def _draw(rng):
    return rng.integers(2**62, size=4).tolist()


def test_keys_with_a_common_prefix_are_different_streams():
    assert seed_stream() == 2
    draws = [_draw(child_seed(1, k)) for k in COLLIDING]
    assert len({tuple(d) for d in draws}) == 3
    # type and order of keys matter too
    assert _draw(child_seed(1, 0)) != _draw(child_seed(1, ""))
    assert _draw(child_seed(1, 5)) != _draw(child_seed(1, "5"))
    assert _draw(child_seed(1, "a", "b")) != _draw(child_seed(1, "b", "a"))
    assert _draw(child_seed(1, "ab")) != _draw(child_seed(1, "a", "b"))
    assert _draw(child_seed(1, "x")) == _draw(child_seed(1, "x"))
    assert _draw(child_seed(1, "x")) != _draw(child_seed(2, "x"))


def test_stream_1_reproduces_the_old_derivation():
    """Stream 1 = SeedSequence([seed, first 8 bytes of each key]) (brian2_lnp 0.1.0)."""
    def old(seed, *keys):
        words = [seed] + [k if isinstance(k, int) else
                          int.from_bytes(k.encode()[:8].ljust(8, b"\0"), "little") for k in keys]
        return np.random.default_rng(np.random.SeedSequence(words))

    with use_seed_stream(1):
        assert seed_stream() == 1
        for keys in (("connectivity",), ("tau_m",), (3, "noise"), ("lambda_max",)):
            assert _draw(child_seed(7, *keys)) == _draw(old(7, *keys))
        # the collision that stream 2 removes
        assert len({tuple(_draw(child_seed(1, k))) for k in COLLIDING}) == 1
    assert seed_stream() == 2 and os.environ[SEED_STREAM_ENV] == "2"


def test_bad_stream_and_seed_values():
    with pytest.raises(ValueError, match="seed-stream version must be one of"):
        set_seed_stream(3)
    with pytest.raises(TypeError, match="keys"):
        child_seed(1, 1.5)
    with pytest.raises(ValueError, match="seed: must be a non-negative"):
        child_seed(-1, "a")
    with pytest.raises(TypeError, match="seed"):
        as_generator(True)
    with pytest.raises(TypeError, match="seed"):
        child_seed("1", "a")
    env = dict(os.environ, **{SEED_STREAM_ENV: "7"})
    r = subprocess.run([sys.executable, "-c", "import brian2_lnp.random"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0 and f"{SEED_STREAM_ENV}: seed-stream version" in r.stderr


def test_stream_is_recorded_and_checked(tmp_path):
    from brian2_lnp.models.config import load_model
    from brian2_lnp.models.generate import generate_network

    cfg = load_model("hrsnn_small")
    new = generate_network(cfg, seed=3).conn
    assert new.provenance["seed_stream"] == 2
    with use_seed_stream(1):
        old = generate_network(cfg, seed=3).conn
    assert old.provenance["seed_stream"] == 1
    assert not np.array_equal(old.pre, new.pre) or not np.array_equal(old.w, new.w)
    old.save(tmp_path / "old.npz")
    assert Connectivity.load(tmp_path / "old.npz").provenance["seed_stream"] == 1
    with pytest.raises(SeedStreamError, match="old.npz: made with seed-stream version 1.*"
                                              f"{SEED_STREAM_ENV}=1"):
        check_seed_stream(1, str(tmp_path / "old.npz"))
    check_seed_stream(None, "anything")
    check_seed_stream(2, "anything")


def test_format_1_files_are_read_as_stream_1(tmp_path):
    c = Connectivity(3, [0, 1], [1, 2], [1e-3, 2e-3], provenance={"seed": 1})
    fields = {name: getattr(c, name) for name in ("types", "cluster", "tau_m", "neuron_active",
                                                  "pre", "post", "w", "synapse_active")}
    np.savez_compressed(tmp_path / "v1.npz", format=np.array("brian2_lnp.Connectivity"),
                        format_version=np.array(1), N=np.array(3),
                        provenance=np.array('{"seed": 1}'), **fields)
    d = Connectivity.load(tmp_path / "v1.npz")
    assert d == c and d.provenance == {"seed": 1, "seed_stream": 1}


def test_checkpoint_of_another_seed_stream_is_refused(tmp_path):
    from brian2_lnp.pruning import prune

    c = Connectivity(4, [0, 1, 2, 3, 0], [1, 2, 3, 0, 2], [1e-3, 1e-3, -1e-3, 1e-3, 2e-3],
                     types="EEIE", tau_m=[0.01, 0.02, 0.01, 0.02])
    kw = dict(iterations=1, steps=("noise",), lyapunov=False, seed=1,
              step_kwargs={"noise": {"n_steps": 30, "transient": 10, "spectral_report": False}},
              checkpoint_dir=tmp_path / "ck")
    prune(c, **kw)
    with use_seed_stream(1):
        with pytest.raises(ValueError, match="seed_stream"):
            prune(c, **kw)
    prune(c, **kw)  # same stream: resumes
