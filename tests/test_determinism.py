"""Same seed, same bits: in separate processes, with other hash seeds, BLAS thread
counts and joblib worker counts (the jobs are in tests/determinism_worker.py)."""
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "determinism_worker.py")
ROOT = os.path.dirname(HERE)


def _run(job, path, **env):
    full = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                **{k: str(v) for k, v in env.items()})
    r = subprocess.run([sys.executable, WORKER, job, str(path)], env=full, cwd=ROOT,
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _assert_same_bits(a, b):
    assert sorted(a) == sorted(b)
    differ = [k for k in a if a[k].dtype != b[k].dtype or a[k].shape != b[k].shape
              or a[k].tobytes() != b[k].tobytes()]
    assert not differ, f"arrays differ between the processes: {differ}"


ENV_A = {"PYTHONHASHSEED": 1, "OPENBLAS_NUM_THREADS": 1, "OMP_NUM_THREADS": 1,
         "MKL_NUM_THREADS": 1}
ENV_B = {"PYTHONHASHSEED": 2, "OPENBLAS_NUM_THREADS": 2, "OMP_NUM_THREADS": 2,
         "MKL_NUM_THREADS": 2}


def test_pruning_is_bit_identical_across_processes(tmp_path):
    """Generation + LNP Steps I (sampled covariance, N above the switch), II, III, IV."""
    from brian2_lnp.dynamics.covariance import AUTO_EXACT_MAX

    sys.path.insert(0, HERE)
    from determinism_worker import N_SAMPLED
    assert N_SAMPLED > AUTO_EXACT_MAX  # "auto" would take the sampled route as well
    a = _run("prune", tmp_path / "a.npz", **ENV_A)
    b = _run("prune", tmp_path / "b.npz", **ENV_B)
    assert a["synapse_active"].sum() < a["input_w"].size  # Step I did prune
    _assert_same_bits(a, b)


def test_spiking_run_is_bit_identical_across_processes(tmp_path):
    a = _run("spiking", tmp_path / "a.npz", **ENV_A)
    b = _run("spiking", tmp_path / "b.npz", **ENV_B)
    assert a["counts"].sum() > 50
    _assert_same_bits(a, b)


@pytest.mark.slow
def test_pruning_does_not_depend_on_the_number_of_workers(tmp_path):
    a = _run("prune_jobs1", tmp_path / "a.npz", **ENV_A)
    b = _run("prune_jobs2", tmp_path / "b.npz", **ENV_A)
    _assert_same_bits(a, b)


def test_networkit_betweenness_does_not_depend_on_its_thread_count():
    nk = pytest.importorskip("networkit")
    from brian2_lnp.graph.centrality import betweenness
    from brian2_lnp.models.config import load_model
    from brian2_lnp.models.generate import generate_network

    conn = generate_network(load_model("hrsnn"), N=600, seed=2).conn
    before = nk.getMaxNumberOfThreads()
    try:
        out = []
        for t in (1, 2):
            nk.setNumberOfThreads(t)
            out.append(betweenness(conn, backend="networkit").tobytes())
    finally:
        nk.setNumberOfThreads(before)
    assert out[0] == out[1]


@pytest.mark.slow
def test_task_run_is_bit_identical_across_processes(tmp_path):
    """A short Lorenz-63 evaluation (runtime, ridge readout): every number of the row."""
    a = _run("task", tmp_path / "a.npz", **ENV_A)
    b = _run("task", tmp_path / "b.npz", **ENV_B)
    assert np.isfinite(a["row_NRMSE"]).all()
    _assert_same_bits(a, b)
