"""Shared fixtures: a fresh Brian2 device and magic network for every test."""
import os
import sys

import pytest

# The plugin's own package must be importable without installation in CI clones.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def reinit_brian2_device():
    """Reset Brian2's device and default clock around each test (as brian2tools does)."""
    try:
        import brian2
    except ImportError:  # pure-NumPy tests run without brian2
        yield
        return
    brian2.device.reinit()
    brian2.device.activate()
    brian2.set_device("runtime")
    brian2.start_scope()
    # tests (and task functions) may change the global time step; start each test from Brian2's
    brian2.defaultclock.dt = 0.1 * brian2.ms
    yield
    brian2.device.reinit()
    brian2.device.activate()
    brian2.set_device("runtime")
