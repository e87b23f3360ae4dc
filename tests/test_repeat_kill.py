"""Nothing lost: a protocol run killed at any moment keeps every finished repeat."""
import os
import signal
import subprocess
import sys
import time

import numpy as np

from brian2_lnp.protocols.runner import Task, run_tasks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import sys, time
import numpy as np
sys.path.insert(0, {root!r})
from brian2_lnp.protocols.runner import Task, run_tasks
import test_repeat_kill as m
run_tasks(m.tasks(), {out!r}, progress=False)
"""


def slow_repeat(seed, pause):
    time.sleep(pause)
    return {"x": np.random.default_rng(seed).standard_normal(1000)}


def tasks():
    return [Task(f"r{i}", slow_repeat, {"seed": i, "pause": 0.4}) for i in range(8)]


def test_kill_mid_run_keeps_finished_repeats(tmp_path):
    out = str(tmp_path / "run")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]))
    p = subprocess.Popen([sys.executable, "-c", CHILD.format(root=ROOT, out=out)], env=env)
    deadline = time.time() + 300
    while time.time() < deadline:  # wait until some, not all, repeats are stored
        done = [f for f in os.listdir(out)] if os.path.isdir(out) else []
        if sum(f.endswith(".pkl") for f in done) >= 2:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    stored = sorted(f[:-4] for f in os.listdir(out) if f.endswith(".pkl"))
    assert 2 <= len(stored) < 8
    res = run_tasks(tasks(), out, progress=False)
    info = run_tasks.last_info
    assert [k for k in info if info[k]["resumed"]] == stored
    for i in range(8):
        np.testing.assert_array_equal(res[f"r{i}"]["x"], slow_repeat(i, 0)["x"])
