"""Command line: help everywhere, clear errors, prune -> spectrum round trip, demo (slow)."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from brian2_lnp.cli import build_parser, main
from brian2_lnp.graph import Connectivity
from brian2_lnp.protocols.units import make_connectivity

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("argv", [["--help"], ["prune", "--help"], ["evaluate", "--help"],
                                  ["spectrum", "--help"], ["protocol", "--help"],
                                  ["demo", "--help"], ["protocol", "Fig10", "--help"]])
def test_help_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    r = subprocess.run([sys.executable, "-m", "brian2_lnp", "protocol", "--list"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Chakraborty_2024_Fig10_tau_distributions" in r.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_bad_values_name_the_parameter(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse: one line, exit status 2
        main(["prune", "hrsnn_small", "--density", "1.5", "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "density" in err and "error" in err
    assert main(["prune", "no_such_model_file.yaml", "--out", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err
    assert main(["spectrum", str(tmp_path / "missing.npz")]) == 2
    assert "MODEL" in capsys.readouterr().err
    assert main(["protocol", "Fig99"]) == 2
    assert "available" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse choices
        main(["protocol", "Fig10", "--device", "gpu"])
    assert exc.value.code == 2


def test_prune_then_spectrum(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["prune", "hrsnn_small", "--seed", "3", "--iterations", "2", "--quick",
                 "--ablation", "C", "--out", str(out), "--no-progress"]) == 0
    pruned = Connectivity.load(str(out / "pruned.npz"))
    orig = make_connectivity("hrsnn_small", seed=3)
    hist = pd.read_csv(out / "history.csv")
    assert list(hist.iteration) == [0, 1, 2]
    assert hist.neurons.iloc[0] == orig.n_active_neurons
    assert hist.neurons.iloc[-1] == pruned.n_active_neurons < orig.n_active_neurons
    assert hist.synapses.iloc[-1] == pruned.n_active_synapses < orig.n_active_synapses
    # ablation C = Steps I and II only: no synapse was added, only switched off
    assert pruned.n_synapses == orig.n_synapses
    assert np.array_equal(pruned.pre, orig.pre)
    assert os.path.exists(out / "report.json")

    sp = tmp_path / "s"
    assert main(["spectrum", "hrsnn_small", "--seed", "3", "--pruned", str(out / "pruned.npz"),
                 "--k", "4", "--n-steps", "100", "--transient", "20", "--out", str(sp)]) == 0
    df = pd.read_csv(sp / "spectrum.csv")
    assert sorted(df.network.unique()) == ["pruned", "unpruned"]
    assert (df.groupby("network").size() == 4).all()
    for _, g in df.groupby("network"):
        assert (np.diff(g.exponent_per_s.to_numpy()) <= 1e-12).all()  # descending
    # the same numbers as the library call with the same seed and options
    from brian2_lnp.protocols.units import rate_spectrum
    lam = rate_spectrum(pruned, 3, {"k": 4, "n_steps": 100, "transient": 20})
    np.testing.assert_allclose(df[df.network == "pruned"].exponent_per_s, lam)
    assert os.path.getsize(sp / "spectrum.png") > 1000


def test_evaluate_needs_the_model_file(capsys, tmp_path):
    assert main(["evaluate", str(tmp_path / "x.npz")]) == 2
    assert "--pruned" in capsys.readouterr().err


def test_parser_knows_every_subcommand():
    p = build_parser()
    for cmd in ("prune", "evaluate", "spectrum", "protocol", "demo"):
        argv = [cmd, "m"] if cmd in ("prune", "evaluate", "spectrum") else [cmd]
        assert p.parse_args(argv).command == cmd


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--iterations", "1", "--N", "200",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "NRMSE" in out and "SOPs" in out and "persistence" in out
    df = pd.read_csv(tmp_path / "demo.csv")
    assert list(df.pruning) == ["unpruned", "LNP", "activity-pruned", "random-matched"]
    assert df.n_active_neurons[1] <= df.n_active_neurons[0]
    # the controls match LNP's size
    assert df.n_active_neurons[2] == df.n_active_neurons[1] == df.n_active_neurons[3]
    assert (df.SOPs > 0).all() and np.isfinite(df.NRMSE).all()
    assert os.path.getsize(tmp_path / "demo.png") > 1000


# ---------------------------------------------------------------------- reliability
def _one_line_error(capsys, *names):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in err, err
    for name in names:
        assert name in lines[0], err
    return lines[0]


@pytest.mark.parametrize("argv, names", [
    (["spectrum", "hrsnn_small", "--k", "0"], ["--k", ">= 1"]),
    (["spectrum", "hrsnn_small", "--k", "two"], ["--k"]),
    (["prune", "hrsnn_small", "--N", "0"], ["--N", ">= 1"]),
    (["prune", "hrsnn_small", "--seed", "-1"], ["--seed", ">= 0"]),
    (["prune", "hrsnn_small", "--iterations", "0"], ["--iterations"]),
    (["prune", "hrsnn_small", "--q", "1"], ["--q", "[0, 1)"]),
    (["prune", "hrsnn_small", "--density", "0"], ["--density", "(0, 1]"]),
    (["prune"], ["MODEL"]),
    (["prune", "hrsnn_small", "--ablation", "Z"], ["--ablation"]),
    (["spectrum", "hrsnn_small", "--n-steps", "0"], ["--n-steps"]),
    (["demo", "--iterations", "-2"], ["--iterations"]),
    (["nonsense"], ["nonsense"]),
])
def test_argument_errors_are_one_line(argv, names, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    _one_line_error(capsys, *names)


def test_output_location_is_checked_before_any_work(tmp_path, capsys, monkeypatch):
    import brian2_lnp.protocols.demo as demo
    import brian2_lnp.protocols.units as units

    def must_not_run(*a, **k):
        raise AssertionError("work started before the output location was checked")

    monkeypatch.setattr(units, "make_connectivity", must_not_run)
    monkeypatch.setattr(demo, "run_demo", must_not_run)
    afile = tmp_path / "afile"
    afile.write_text("x")
    for argv in (["prune", "hrsnn_small", "--out", str(afile)],
                 ["prune", "hrsnn_small", "--out", str(afile / "sub")],
                 ["spectrum", "hrsnn_small", "--out", str(afile)],
                 ["demo", "--out", str(afile)],
                 ["demo", "--out", str(afile / "sub")],
                 ["protocol", "Fig10", "--out", str(afile)],
                 ["evaluate", "hrsnn_small", "--csv", str(tmp_path)],
                 ["evaluate", "hrsnn_small", "--csv", str(afile / "x.csv")]):
        assert main(argv) == 2, argv
        _one_line_error(capsys, "--out" if "--out" in argv else "--csv")
    assert afile.read_text() == "x"


def test_saved_network_refuses_N_and_bad_files_are_named(tmp_path, capsys):
    from brian2_lnp.graph import Connectivity

    net = tmp_path / "net.npz"
    Connectivity(3, [0], [1], [1e-3]).save(net)
    assert main(["prune", str(net), "--N", "50", "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "--N", "saved network")
    npy = tmp_path / "x.npz"
    np.save(tmp_path / "x.npy", np.arange(3))
    os.replace(tmp_path / "x.npy", npy)
    assert main(["spectrum", str(npy), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "x.npz", "not a brian2_lnp Connectivity file")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(bytes(range(256)))
    assert main(["prune", str(binary), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "bin.yaml", "not a text")


def test_evaluate_names_the_seed_of_a_pruned_file(tmp_path, capsys):
    from brian2_lnp.models.config import load_model
    from brian2_lnp.models.generate import generate_network

    conn = generate_network(load_model("hrsnn_small"), seed=3).conn
    conn.save(tmp_path / "p.npz")
    assert main(["evaluate", "hrsnn_small", "--pruned", str(tmp_path / "p.npz")]) == 2
    _one_line_error(capsys, "seed 3", "--seed is 0")
    assert main(["evaluate", "hrsnn_small", "--seed", "3", "--N", "100", "--pruned",
                 str(tmp_path / "p.npz")]) == 2
    _one_line_error(capsys, "N=125", "--N 125")
