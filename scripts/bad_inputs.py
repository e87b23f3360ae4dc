"""Try bad inputs as a new user would and record the error each one gives.

    PYTHONPATH=$PWD python3 scripts/bad_inputs.py [--out docs/reliability_inputs.md]

Every entry is run for real (library calls in this process, CLI commands
through ``brian2_lnp.cli.main`` with stderr captured); the table it writes is
the one in docs/reliability.md. An entry is

* ``clear``  -- the package's own error naming the parameter or file,
* ``silent`` -- accepted without any error (a finding, not a pass),
* ``deep``   -- an exception from inside NumPy/SciPy/Brian2 or a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TMP = tempfile.mkdtemp(prefix="lnp_bad_")
#: the repository root, written as REPO in the report (the table must not depend on the checkout)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tmp(name, data=None):
    path = os.path.join(TMP, name)
    if data is not None:
        with open(path, "wb" if isinstance(data, bytes) else "w") as fh:
            fh.write(data)
    return path


def _small():
    from brian2_lnp.graph import Connectivity
    return Connectivity(4, [0, 1, 2, 3], [1, 2, 3, 0], [1e-3, 1e-3, -1e-3, 1e-3],
                        types="EEIE", tau_m=[0.01, 0.02, 0.01, 0.02])


def _gen(N=None, seed=0):
    from brian2_lnp.models.config import load_model
    from brian2_lnp.models.generate import generate_network
    return generate_network(load_model("hrsnn_small"), N=N, seed=seed).conn


def _cli(*argv):
    from brian2_lnp.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    text = err.getvalue().strip()
    if code == 0:
        return None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if "Traceback" in text or len(lines) != 1:
        raise RuntimeError(f"(exit {code}, {len(lines)} lines) " + (lines[-1] if lines else ""))
    raise _CliError(f"(exit {code}) {lines[0]}")


class _CliError(Exception):
    pass


def cases():
    """(group, description, callable) of every bad input tried."""
    from brian2 import Hz, mV, ms

    import brian2_lnp as lnp
    from brian2_lnp.dynamics import covariance, linearize, rate_lyapunov
    from brian2_lnp.graph import Connectivity
    from brian2_lnp.metrics.sops import sops
    from brian2_lnp.models.config import load_model
    from brian2_lnp.pruning import (centrality_prune, delocalize, expected_sops_per_rate,
                                    noise_prune, optimize_timescales, prune)
    from brian2_lnp.protocols.runner import Task, run_tasks
    from brian2_lnp.random import child_seed, set_seed_stream

    c = _small()
    dale = Connectivity(3, [0, 1], [1, 2], [-1e-3, 1e-3], types="EEE")
    from brian2_lnp.models.config import MODELS_DIR
    with open(os.path.join(MODELS_DIR, "hrsnn_small.yaml")) as fh:
        good_yaml = fh.read()
    saved = _tmp("net.npz")
    c.save(saved)
    raw = open(saved, "rb").read()
    np.save(_tmp("arr.npy"), np.arange(3))
    rep_dir = _tmp("rep")
    run_tasks([Task("r0", _square, {"x": 2})], rep_dir, progress=False)
    with open(os.path.join(rep_dir, "r0.pkl"), "rb") as fh:
        rep = fh.read()
    afile = _tmp("afile", "x")

    def rep_resume(data=None, rec=None):
        d = tempfile.mkdtemp(dir=TMP)
        with open(os.path.join(d, "r0.pkl"), "wb") as fh:
            fh.write(rep if data is None else data)
        if rec is not None:
            with open(os.path.join(d, "r0.json"), "w") as fh:
                fh.write(rec)
        return run_tasks([Task("r0", _square, {"x": 2})], d, progress=False)

    M = "hrsnn_small"
    L = [
        # ---- model files
        ("model file", "binary model file", lambda: load_model(_tmp("bin.yaml", bytes(range(256))))),
        ("model file", "empty model file", lambda: load_model(_tmp("empty.yaml", ""))),
        ("model file", "YAML list instead of mapping", lambda: load_model(_tmp("list.yaml", "- 1\n- 2\n"))),
        ("model file", "invalid YAML", lambda: load_model(_tmp("bad.yaml", "model: [hrsnn\n"))),
        ("model file", "N: -3 in the file", lambda: load_model(_tmp("neg.yaml", good_yaml.replace("N: 125", "N: -3")))),
        ("model file", "tau_syn in mV in the file", lambda: load_model(_tmp("unit.yaml", good_yaml.replace('tau_syn: "5*ms"', 'tau_syn: "5*mV"')))),
        ("model file", "bad date-like value", lambda: load_model(_tmp("date.yaml", good_yaml.replace("N: 125", "N: 2001-13-45")))),
        ("model file", "missing model file", lambda: load_model("models/nope.yaml")),
        ("model file", "unknown model name", lambda: load_model("no_such_model")),
        ("model file", "directory as model file", lambda: load_model(TMP + os.sep)),
        ("model file", "override N=0", lambda: load_model(M, N=0)),
        ("model file", "override neuron.t_ref in mV", lambda: load_model(M, **{"neuron.t_ref": 3 * mV})),
        ("model file", "override with unknown key", lambda: load_model(M, nonsense=1)),
        ("model file", "fraction_inhibitory=1", lambda: load_model(M, fraction_inhibitory=1.0)),
        # ---- Connectivity objects and files
        ("Connectivity", "load x.npy", lambda: Connectivity.load(_tmp("arr.npy"))),
        ("Connectivity", "load missing file", lambda: Connectivity.load(_tmp("missing.npz"))),
        ("Connectivity", "load truncated file", lambda: Connectivity.load(_tmp("trunc.npz", raw[:len(raw) // 2]))),
        ("Connectivity", "load bit-flipped file (flip in the data)", lambda: Connectivity.load(_tmp("flip.npz", _flip_middle(raw)))),
        ("Connectivity", "load empty file", lambda: Connectivity.load(_tmp("empty.npz", b""))),
        ("Connectivity", "load a directory", lambda: Connectivity.load(TMP)),
        ("Connectivity", "load other .npz", lambda: (np.savez(_tmp("other.npz"), x=np.arange(3)), Connectivity.load(_tmp("other.npz")))),
        ("Connectivity", "save('noext') then load('noext')", lambda: _roundtrip_noext(c)),
        ("Connectivity", "pre index out of range", lambda: Connectivity(2, [0], [5], [1e-3])),
        ("Connectivity", "NaN weight", lambda: Connectivity(2, [0], [1], [np.nan])),
        ("Connectivity", "negative tau_m", lambda: Connectivity(2, [0], [1], [1e-3], tau_m=[0.01, -0.01])),
        ("Connectivity", "tau_m in mV (Quantity)", lambda: Connectivity(2, [0], [1], [1e-3], tau_m=[10 * mV, 20 * mV])),
        ("Connectivity", "w in ms (Quantity)", lambda: Connectivity(2, [0], [1], [1 * ms])),
        ("Connectivity", "types 'X'", lambda: Connectivity(2, [0], [1], [1e-3], types="EX")),
        ("Connectivity", "pre/post/w lengths differ", lambda: Connectivity(2, [0, 1], [1], [1e-3])),
        ("Connectivity", "N = -1", lambda: Connectivity(-1, [], [], [])),
        # ---- pruning entry points
        ("pruning", "prune Dale-violating weights", lambda: prune(dale, iterations=1, lyapunov=False)),
        ("pruning", "prune with negative rates", lambda: prune(c, iterations=1, lyapunov=False, rates=[-1, 1, 1, 1])),
        ("pruning", "prune with rates of wrong length", lambda: prune(c, iterations=1, lyapunov=False, rates=[1, 1])),
        ("pruning", "expected_sops_per_rate negative rates", lambda: expected_sops_per_rate(c, [-1, 1, 1, 1])),
        ("pruning", "prune iterations=0", lambda: prune(c, iterations=0)),
        ("pruning", "prune density=1.5", lambda: prune(c, iterations=1, density=1.5)),
        ("pruning", "prune unknown step", lambda: prune(c, iterations=1, steps=("noise", "magic"))),
        ("pruning", "prune unknown step_kwargs step", lambda: prune(c, iterations=1, step_kwargs={"nois": {}})),
        ("pruning", "prune seed=-1", lambda: prune(c, iterations=1, seed=-1)),
        ("pruning", "prune seed='1'", lambda: prune(c, iterations=1, seed="1")),
        ("pruning", "prune a list", lambda: prune([1, 2, 3])),
        ("pruning", "noise_prune density and rho", lambda: noise_prune(c, 0.5, rho=1.0)),
        ("pruning", "noise_prune covariance='fast'", lambda: noise_prune(c, 0.5, covariance="fast")),
        ("pruning", "centrality_prune q=1", lambda: centrality_prune(c, 1.0)),
        ("pruning", "centrality_prune backend='gpu'", lambda: centrality_prune(c, 0.1, backend="gpu")),
        ("pruning", "delocalize M=-1", lambda: delocalize(c, -1)),
        ("pruning", "optimize_timescales n_calls=0", lambda: optimize_timescales(c, n_calls=0)),
        ("pruning", "sops negative spike counts", lambda: sops([-1, 0, 0, 0], c)),
        # ---- dynamics
        ("dynamics", "linearize coupling='x'", lambda: linearize(c, coupling="x")),
        ("dynamics", "linearize margin=1", lambda: linearize(c, coupling="weights", margin=1.0)),
        ("dynamics", "linearize w_scale=1*mV (Quantity)", lambda: linearize(c, coupling="weights", w_scale=1 * mV)),
        ("dynamics", "covariance sigma=0", lambda: covariance(c, coupling="weights", sigma=0)),
        ("dynamics", "covariance n_chains=3 (not a multiple of n_groups)", lambda: covariance(c, coupling="weights", method="sampled", n_chains=3)),
        ("dynamics", "rate_lyapunov k=0", lambda: rate_lyapunov(c, k=0)),
        ("dynamics", "rate_lyapunov dt above tau_m", lambda: rate_lyapunov(c, dt=1.0)),
        # ---- seeds
        ("seeds", "child_seed with a float key", lambda: child_seed(1, 0.5)),
        ("seeds", "seed stream 3", lambda: set_seed_stream(3)),
        # ---- repeat files
        ("repeat files", "truncated repeat result", lambda: rep_resume(rep[: len(rep) // 2])),
        ("repeat files", "bit-flipped repeat result", lambda: rep_resume(rep[:-3] + bytes([rep[-3] ^ 1]) + rep[-2:])),
        ("repeat files", "empty repeat result", lambda: rep_resume(b"")),
        ("repeat files", "corrupt repeat record", lambda: rep_resume(rec='{"kwargs": {"x": 2')),
        ("repeat files", "result of another seed stream", lambda: rep_resume(rec='{"kwargs": {"x": 2}}')),
        # ---- Brian2 layer (other owners; recorded as found)
        ("Brian2 layer", "build_model input_rate=5*mV", lambda: lnp.build_model(M, seed=0, input_rate=5 * mV)),
        ("Brian2 layer", "build_model N=0", lambda: lnp.build_model(M, N=0)),
        ("Brian2 layer", "build_model dt=1*mV", lambda: lnp.build_model(M, seed=0, dt=1 * mV)),
        ("Brian2 layer", "build_model input_rate=-5*Hz", lambda: lnp.build_model(M, seed=0, input_rate=-5 * Hz)),
        # ---- command line
        ("CLI", "prune --out <existing file>", lambda: _cli("prune", M, "--out", afile)),
        ("CLI", "prune --out <unwritable>", lambda: _cli("prune", M, "--out", os.path.join(afile, "sub"))),
        ("CLI", "demo --out <unwritable>", lambda: _cli("demo", "--out", "/proc/nope")),
        ("CLI", "spectrum --out <existing file>", lambda: _cli("spectrum", M, "--out", afile)),
        ("CLI", "protocol Fig10 --out <existing file>", lambda: _cli("protocol", "Fig10", "--out", afile)),
        ("CLI", "evaluate --csv <directory>", lambda: _cli("evaluate", M, "--csv", TMP)),
        ("CLI", "spectrum --k 0", lambda: _cli("spectrum", M, "--k", "0")),
        ("CLI", "spectrum --k 1000 (more than neurons)", lambda: _cli("spectrum", M, "--k", "1000", "--out", _tmp("o1"))),
        ("CLI", "prune x.npz --N 50", lambda: _cli("prune", saved, "--N", "50", "--out", _tmp("o2"))),
        ("CLI", "prune --N 0", lambda: _cli("prune", M, "--N", "0")),
        ("CLI", "prune --seed -1", lambda: _cli("prune", M, "--seed", "-1")),
        ("CLI", "prune --density 1.5", lambda: _cli("prune", M, "--density", "1.5")),
        ("CLI", "prune --q 1", lambda: _cli("prune", M, "--q", "1")),
        ("CLI", "prune --iterations 0", lambda: _cli("prune", M, "--iterations", "0")),
        ("CLI", "prune --ablation A", lambda: _cli("prune", M, "--ablation", "A")),
        ("CLI", "prune missing.yaml", lambda: _cli("prune", "missing.yaml", "--out", _tmp("o3"))),
        ("CLI", "prune binary model file", lambda: _cli("prune", _tmp("bin.yaml"), "--out", _tmp("o4"))),
        ("CLI", "spectrum x.npy renamed .npz", lambda: _cli("spectrum", _npy_as_npz(), "--out", _tmp("o5"))),
        ("CLI", "spectrum missing.npz", lambda: _cli("spectrum", _tmp("missing.npz"))),
        ("CLI", "evaluate x.npz as MODEL", lambda: _cli("evaluate", saved)),
        ("CLI", "evaluate --pruned from seed 3 with --seed 0", lambda: _cli("evaluate", M, "--pruned", _seed3())),
        ("CLI", "evaluate --pruned of another N", lambda: _cli("evaluate", M, "--seed", "3", "--N", "100", "--pruned", _seed3())),
        ("evaluate()", "pruning= a Connectivity from seed 3, model seed 0",
         lambda: _evaluate_foreign_pruning()),
        ("CLI", "evaluate --task unknown", lambda: _cli("evaluate", M, "--task", "mnist")),
        ("CLI", "protocol Fig99", lambda: _cli("protocol", "Fig99")),
        ("CLI", "unknown command", lambda: _cli("nonsense")),
    ]
    return L


def _flip_middle(raw):
    """Flip one bit in the middle of the compressed weight array ``w``."""
    import zipfile
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo("w.npy")
    k = info.header_offset + 30 + len("w.npy") + info.compress_size // 2
    return raw[:k] + bytes([raw[k] ^ 4]) + raw[k + 1:]


def _square(x):
    return {"y": x * x}


def _roundtrip_noext(c):
    from brian2_lnp.graph import Connectivity
    path = _tmp("noext")
    c.save(path)
    assert Connectivity.load(path) == c
    return "consistent"


def _npy_as_npz():
    path = _tmp("fake.npz")
    np.save(path[:-4] + "_x.npy", np.arange(3))
    os.replace(path[:-4] + "_x.npy", path)
    return path


def _evaluate_foreign_pruning():
    from brian2_lnp.graph import Connectivity
    from brian2_lnp.models.network import build_model
    from brian2_lnp.tasks import evaluate
    return evaluate(build_model("hrsnn_small", seed=0, n_inputs=60), "lorenz63",
                    pruning=Connectivity.load(_seed3()),
                    training="none")


def _seed3():
    path = _tmp("seed3.npz")
    if not os.path.exists(path):
        _gen(seed=3).save(path)
    return path


def classify(exc):
    """clear / deep from the exception (type and where it was raised)."""
    if isinstance(exc, _CliError):
        return "clear"
    if isinstance(exc, RuntimeError) and str(exc).startswith("(exit"):
        return "deep"
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_filename
    own = "brian2_lnp" in where or os.path.basename(where) == "bad_inputs.py"
    own_type = type(exc).__module__.startswith("brian2_lnp") or type(exc).__module__ == "builtins"
    return "clear" if own and own_type else "deep"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="write the markdown table here")
    args = ap.parse_args(argv)
    import logging
    logging.disable(logging.WARNING)
    rows = []
    for group, what, fn in cases():
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 -- we record every outcome
            if isinstance(exc, KeyboardInterrupt):
                raise
            kind = classify(exc)
            msg = " ".join(str(exc).split())
            msg = msg.replace(TMP, "TMP").replace(ROOT, "REPO")
            msg = re.sub(r"TMP/tmp[A-Za-z0-9_]+/", "TMP/run/", msg)
            text = f"{type(exc).__name__}: {msg}" if not isinstance(exc, _CliError) else msg
        else:
            kind = "ok" if result == "consistent" else "silent"
            text = "works: load finds the file save wrote" if result == "consistent" \
                else "accepted without error"
        rows.append((group, what, kind, text))
        print(f"[{kind:6}] {group}: {what}: {text[:150]}", flush=True)
    counts = {k: sum(r[2] == k for r in rows) for k in ("clear", "ok", "silent", "deep")}
    lines = [f"{len(rows)} bad inputs tried: " + ", ".join(f"{v} {k}" for k, v in counts.items()),
             "", "| area | input | outcome | error message (TMP = a temporary directory) |",
             "|---|---|---|---|"]
    for group, what, kind, text in rows:
        text = text.replace("|", "\\|")
        if len(text) > 300:
            text = text[:297] + "..."
        lines.append(f"| {group} | {what} | {kind} | {text} |")
    table = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(table)
    print(lines[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
