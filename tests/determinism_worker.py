"""Run one reproducibility job and write every resulting array to an .npz file.

Used by tests/test_determinism.py in separate processes (different
PYTHONHASHSEED, BLAS thread counts, joblib worker counts):

    python tests/determinism_worker.py JOB OUT.npz

JOB is ``prune`` (generation + LNP Steps I-IV at N = 1010, above the
exact/sampled covariance switch), ``prune_jobs1``/``prune_jobs2`` (the same
pruning through the protocol repeat runner with 1 or 2 joblib workers) or
``spiking`` (a short Brian2 run of a generated network with background input).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: just above dynamics.covariance.AUTO_EXACT_MAX = 1000: Step I takes the sampled route
N_SAMPLED = 1010
QUICK = {"n_steps": 60, "transient": 20, "k": 4}


def _network():
    from brian2_lnp.models.config import load_model
    from brian2_lnp.models.generate import generate_network

    return generate_network(load_model("hrsnn"), N=N_SAMPLED, seed=5, n_inputs=0).conn


def _timeless(obj):
    """Reports without wall-clock fields (they are the only thing allowed to differ)."""
    if isinstance(obj, dict):
        return {k: _timeless(v) for k, v in obj.items() if "time" not in k and k != "seconds"}
    if isinstance(obj, list):
        return [_timeless(v) for v in obj]
    return obj


def prune_job(seed=11):
    """Generation + one LNP iteration of Steps I-III and a short Step IV (module level)."""
    from brian2_lnp.pruning import prune

    conn = _network()
    res = prune(conn, iterations=1, seed=seed, lyap_kwargs=dict(QUICK),
                step_kwargs={"noise": dict(QUICK, covariance="sampled", spectral_report=True,
                                           n_samples=60, rtol=None),
                             "timescales": {"n_calls": 3, "n_initial": 2}})
    out = {f"input_{k}": getattr(conn, k) for k in ("pre", "post", "w", "tau_m", "types")}
    c = res.connectivity
    out.update({k: getattr(c, k) for k in ("pre", "post", "w", "tau_m", "neuron_active",
                                           "synapse_active")})
    hist = res.history
    for col in ("neurons", "synapses", "sops_per_rate", "lambda_max"):
        out[f"history_{col}"] = hist[col].to_numpy()
    out["reports_json"] = np.array(json.dumps(_timeless(res.reports), sort_keys=True))
    noise = [r for r in res.reports if r["step"] == "noise"][0]
    assert noise["covariance_method"] == "sampled"
    out["noise_rho"] = np.array(noise["rho"])
    out["timescales_y"] = np.array([r for r in res.reports if r["step"] == "timescales"][0]["y"])
    return out


def run_prune_jobs(n_jobs):
    import tempfile

    from brian2_lnp.protocols.runner import Task, run_tasks

    tasks = [Task(f"p{i}", prune_job, {"seed": 11 + i}) for i in range(2)]
    res = run_tasks(tasks, tempfile.mkdtemp(), n_jobs=n_jobs, progress=False)
    return {f"{key}_{name}": arr for key, d in res.items() for name, arr in d.items()}


def spiking_job():
    import brian2 as b2

    from brian2_lnp import build_model

    b2.prefs.codegen.target = "numpy"
    net = build_model("hrsnn_small", seed=7, plasticity=True)
    net.run(0.3 * b2.second)
    idx, times = net.spike_trains()
    return {"counts": net.spike_counts(), "spike_i": idx, "spike_t": times,
            "w_after": net.export().w}


def task_job():
    """A short Lorenz-63 evaluation (Brian2 runtime, numpy target, ridge readout)."""
    from brian2_lnp.tasks.evaluate import evaluate

    row = evaluate("hrsnn_small", "lorenz63", training="none", n_context=150, n_predict=30,
                   washout=20, n_readout_fit=300, codegen="numpy", seed=2)
    import pandas as pd

    cols = [c for c in row.columns if c not in ("eval_time_s", "wall_s")
            and pd.api.types.is_numeric_dtype(row[c])]
    return {f"row_{c}": row[c].to_numpy(dtype=float) for c in cols}


if __name__ == "__main__":
    job, path = sys.argv[1], sys.argv[2]
    if job == "prune":
        arrays = prune_job()
    elif job.startswith("prune_jobs"):
        arrays = run_prune_jobs(int(job[len("prune_jobs"):]))
    elif job == "spiking":
        arrays = spiking_job()
    elif job == "task":
        arrays = task_job()
    else:
        raise SystemExit(f"unknown job {job!r}")
    np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})
