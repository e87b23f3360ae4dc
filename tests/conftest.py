"""Shared fixtures: a fresh Brian2 device and magic network for every test."""
import os
import sys

import pytest

# The plugin's own package must be importable without installation in CI clones.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def reinit_brian2_device(request):
    """Reset Brian2's device, code-generation target and default clock around each test
    (as brian2tools does).

    A test module may set ``BRIAN2_SETTINGS = {"codegen": "numpy", "dt_ms": 1.0}`` to run
    its tests with another target or time step; both are restored afterwards.
    """
    try:
        import brian2
    except ImportError:  # pure-NumPy tests run without brian2
        yield
        return
    settings = getattr(request.module, "BRIAN2_SETTINGS", {})
    old_target = brian2.prefs.codegen.target
    brian2.device.reinit()
    brian2.device.activate()
    brian2.set_device("runtime")
    brian2.start_scope()
    brian2.prefs.codegen.target = settings.get("codegen", old_target)
    # tests (and task functions) may change the global time step; start each test from
    # Brian2's default unless the module asks for another
    brian2.defaultclock.dt = settings.get("dt_ms", 0.1) * brian2.ms
    yield
    brian2.prefs.codegen.target = old_target
    brian2.device.reinit()
    brian2.device.activate()
    brian2.set_device("runtime")


@pytest.fixture
def interrupted_prune():
    """``run(conn, checkpoint_dir, after, **kw)``: a ``prune`` call killed (KeyboardInterrupt
    from its callback) right after iteration ``after`` has been checkpointed."""
    from brian2_lnp.pruning import prune

    def run(conn, checkpoint_dir, after, **kw):
        def kill(k, c, row):
            if k == after:
                raise KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            prune(conn, checkpoint_dir=checkpoint_dir, callback=kill, **kw)
    return run
