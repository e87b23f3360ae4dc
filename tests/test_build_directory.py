"""Standalone project directories of the protocols are removed after use.

A Brian2 standalone project of a protocol's networks takes 0.3-2.5 GB; before this
they were left in the temporary directory and filled the disk over a study.
"""
import importlib
import os

import pytest

from brian2_lnp.protocols import units
from brian2_lnp.protocols.common import build_directory


def test_build_directory_is_removed_also_on_error():
    with build_directory("cpp_standalone", "lnp_test_") as d:
        assert os.path.isdir(d)
        open(os.path.join(d, "x.bin"), "wb").write(b"0" * 10)
    assert not os.path.exists(d)
    with pytest.raises(RuntimeError):
        with build_directory("cpp_standalone", "lnp_test_") as d2:
            raise RuntimeError("build failed")
    assert not os.path.exists(d2)
    with build_directory("runtime", "lnp_test_") as d3:
        assert d3 is None


def test_evaluate_row_removes_its_project_but_not_a_given_one(monkeypatch, tmp_path):
    seen = []

    def fake_evaluate(model, task, N, pruning, device, seed, build_dir=None, **kw):
        assert os.path.isdir(build_dir)
        seen.append(build_dir)
        return {"pruning": None, "NRMSE": 0.5}

    ev = importlib.import_module("brian2_lnp.tasks.evaluate")  # the module, not the function
    monkeypatch.setattr(ev, "evaluate", fake_evaluate)
    row = units.evaluate_row("hrsnn", "lorenz63", 50, 1, device="cpp_standalone", label="x")
    assert row["pruning"] == "x" and not os.path.exists(seen[-1])
    mine = str(tmp_path / "project")
    os.makedirs(mine)
    units.evaluate_row("hrsnn", "lorenz63", 50, 1, device="cpp_standalone",
                       eval_kwargs={"build_dir": mine})
    assert seen[-1] == mine and os.path.isdir(mine)
