"""Protocol machinery: repeat runner (joblib, Dask, resume), summaries, registry, protocol runs.

The default run does one protocol --quick run (Fig. 3(a,b), LNP side, one
repeat); every protocol's full --quick run is marked slow.
"""
import json
import os
import struct
import sys

import numpy as np
import pandas as pd
import pytest

from brian2_lnp.graph import Connectivity
from brian2_lnp.protocols import (DaskUnavailableError, Settings, Task, find_protocols,
                                  load_protocol, repeat_seed, run_tasks, summarize)
from brian2_lnp.protocols.registry import ProtocolNotFoundError
from brian2_lnp.protocols.units import embed_in_model, make_connectivity

PROTOCOL_NAMES = [
    "Chakraborty_2024_Fig3ab_pruning_evolution",
    "Chakraborty_2024_Fig3c_rmse_vs_random",
    "Chakraborty_2024_Table2_prediction",
    "Chakraborty_2024_A7_lyapunov_spectra",
    "Chakraborty_2024_B1_noise_robustness",
    "Chakraborty_2024_Fig10_tau_distributions",
    "Chakraborty_2024_B5_ablation",
    "Chakraborty_2024_Fig8_efficiency",
    "Chakraborty_2024_study_lnp_vs_controls",
]

CALLS = []


def _draw(seed, n):
    """A task: records that it ran, returns seeded random numbers."""
    CALLS.append(seed)
    if os.environ.get("H_TEST_FAIL_SEED") == str(seed):
        raise RuntimeError("simulated crash")
    return np.random.default_rng(seed).random(n)


def _tasks(n_tasks=4, n=5):
    return [Task(f"t{i}", _draw, {"seed": repeat_seed(7, "test", i), "n": n})
            for i in range(n_tasks)]


def _png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


# ---------------------------------------------------------------------- runner
def test_repeat_seed_depends_on_every_key_and_only_on_them():
    assert repeat_seed(1, "a", 2) == repeat_seed(1, "a", 2)
    # child_seed alone would only read 8 bytes of a string key
    assert repeat_seed(1, "lnp_repeat_x", 0) != repeat_seed(1, "lnp_repeat_y", 0)
    assert repeat_seed(1, "a", 2) != repeat_seed(1, "a", 3)
    assert repeat_seed(1, "a", 2) != repeat_seed(2, "a", 2)


def test_run_tasks_stores_and_resumes_without_recomputing(tmp_path):
    CALLS.clear()
    first = run_tasks(_tasks(), tmp_path, progress=False)
    assert len(CALLS) == 4
    assert sorted(os.listdir(tmp_path)) == sorted(
        [f"t{i}.{e}" for i in range(4) for e in ("pkl", "json")])
    rec = json.load(open(tmp_path / "t2.json"))
    assert rec["kwargs"]["n"] == 5 and rec["function"].endswith("_draw")
    CALLS.clear()
    again = run_tasks(_tasks(), tmp_path, progress=False)
    assert CALLS == []
    assert all(run_tasks.last_info[k]["resumed"] for k in again)
    for k in first:
        np.testing.assert_array_equal(first[k], again[k])
    # results come back in task order, whatever order they finished in
    assert list(again) == ["t0", "t1", "t2", "t3"]


def test_killed_run_resumes_from_the_finished_repeats(tmp_path, monkeypatch):
    tasks = _tasks()
    monkeypatch.setenv("H_TEST_FAIL_SEED", str(tasks[2].kwargs["seed"]))
    CALLS.clear()
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_tasks(tasks, tmp_path, progress=False)
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".pkl")) == ["t0.pkl", "t1.pkl"]
    monkeypatch.delenv("H_TEST_FAIL_SEED")
    CALLS.clear()
    out = run_tasks(tasks, tmp_path, progress=False)
    # only the unfinished repeats ran, and the result equals an uninterrupted run
    assert CALLS == [tasks[2].kwargs["seed"], tasks[3].kwargs["seed"]]
    fresh = run_tasks(tasks, None, progress=False)
    for k in out:
        np.testing.assert_array_equal(out[k], fresh[k])


def test_resume_refuses_results_made_with_other_settings(tmp_path):
    run_tasks(_tasks(n=5), tmp_path, progress=False)
    with pytest.raises(ValueError, match="other settings"):
        run_tasks(_tasks(n=6), tmp_path, progress=False)
    # --no-resume recomputes and overwrites
    out = run_tasks(_tasks(n=6), tmp_path, resume=False, progress=False)
    assert out["t0"].size == 6


def test_bad_tasks_and_options_are_named():
    with pytest.raises(ValueError, match="unique"):
        run_tasks([Task("a", _draw, {"seed": 1, "n": 1})] * 2, None, progress=False)
    with pytest.raises(ValueError, match="key"):
        Task("a/b", _draw)
    with pytest.raises(ValueError, match="n_jobs"):
        run_tasks(_tasks(1), None, n_jobs=0, progress=False)
    with pytest.raises(ValueError, match="device"):
        Settings(device="gpu")
    with pytest.raises(ValueError, match="repeats"):
        Settings(repeats=0)


def test_joblib_workers_give_the_same_results_as_one_process(tmp_path):
    # a library function (importable in worker processes) with seeded output
    tasks = [Task(f"net{s}", make_connectivity, {"model": "hrsnn_small", "seed": s})
             for s in (3, 4)]
    seq = run_tasks(tasks, None, n_jobs=1, progress=False)
    par = run_tasks(tasks, tmp_path, n_jobs=2, progress=False)
    for k in seq:
        assert isinstance(par[k], Connectivity)
        assert par[k] == seq[k]
    assert seq["net3"] != seq["net4"]


def test_dask_cluster_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    CALLS.clear()
    seq = run_tasks(_tasks(3), None, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        out = run_tasks(_tasks(3), tmp_path, scheduler=cluster, progress=False)
    for k in seq:
        np.testing.assert_array_equal(out[k], seq[k])
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".pkl")) == \
        ["t0.pkl", "t1.pkl", "t2.pkl"]


def test_missing_dask_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(DaskUnavailableError, match=r"pip install dask\[distributed\]"):
        run_tasks(_tasks(1), None, scheduler="tcp://127.0.0.1:1", progress=False)


def test_summarize_mean_std_count_by_hand():
    df = pd.DataFrame({"m": ["a", "a", "a", "b"], "x": [1.0, 2.0, 6.0, 5.0]})
    s = summarize(df, "m", ["x"]).set_index("m")
    assert s.loc["a", "x_mean"] == 3.0
    assert s.loc["a", "x_std"] == pytest.approx(np.sqrt(((1 - 3) ** 2 + 1 + 9) / 2))
    assert s.loc["a", "x_n"] == 3 and s.loc["b", "x_n"] == 1
    assert np.isnan(s.loc["b", "x_std"])


def test_embed_in_model_keeps_the_model_synapses_and_the_other_graph():
    a = make_connectivity("hrsnn_small", seed=1)
    b = make_connectivity("hrsnn_small", seed=2)
    e = embed_in_model(a, b)
    S = a.n_synapses
    assert np.array_equal(e.pre[:S], a.pre) and not e.synapse_active[:S].any()
    eff = e.effective
    got = sorted(zip(e.pre[eff], e.post[eff], e.w[eff]))
    want = sorted(zip(b.pre[b.effective], b.post[b.effective], b.w[b.effective]))
    assert got == want


# ---------------------------------------------------------------------- registry
def test_every_protocol_file_is_found_and_documents_its_differences():
    found = find_protocols()
    for name in PROTOCOL_NAMES:
        assert name in found, name
        mod = load_protocol(name)
        doc = mod.__doc__ or ""
        assert "Differences from the paper" in doc and "--quick" in doc, name
        assert callable(mod.main) and callable(mod.run)
        opts = mod.build_parser().parse_args(["--quick", "--device", "cpp_standalone"])
        assert opts.quick and opts.device == "cpp_standalone"


def test_protocol_lookup_by_part_of_the_name_and_clear_errors():
    assert load_protocol("fig10").__name__.endswith("Fig10_tau_distributions")
    with pytest.raises(ProtocolNotFoundError, match="available"):
        load_protocol("Fig99")
    with pytest.raises(ProtocolNotFoundError, match="protocols"):
        load_protocol("Fig3")  # Fig3ab and Fig3c


# ---------------------------------------------------------------------- protocol runs
def _run_quick(name, tmp_path, *extra):
    mod = load_protocol(name)
    out = mod.main(["--quick", "--out", str(tmp_path), "--no-progress", *extra])
    for f in out["files"]:
        assert os.path.getsize(f) > 0
        if f.endswith(".png"):
            w, h = _png_size(f)
            assert w > 100 and h > 100
    return out


def test_fig3ab_quick_lnp_side(tmp_path):
    out = _run_quick("Fig3ab", tmp_path, "--no-ap", "--repeats", "1")
    df = pd.read_csv(tmp_path / "Fig3ab_pruning_evolution.csv")
    lnp = df[(df.method == "LNP") & (df.stage != "final")].sort_values("iteration")
    assert list(lnp.iteration) == list(range(9))
    # Step II removes neurons and never adds them; Step I + III with the default
    # density/fraction shrink the synapse count overall
    assert (np.diff(lnp.neurons) <= 0).all() and lnp.neurons.iloc[-1] < lnp.neurons.iloc[0]
    assert lnp.synapses.iloc[-1] < lnp.synapses.iloc[0]
    # the initial row is the generated network itself
    c = make_connectivity("hrsnn_small", seed=_seed_of("Chakraborty_2024_Fig3ab_pruning_evolution"))
    assert lnp.neurons.iloc[0] == c.n_active_neurons and lnp.synapses.iloc[0] == c.n_active_synapses
    # the summary is the mean of the CSV rows
    s = out["summary"]
    assert np.allclose(s[s.method == "LNP"]["neurons_mean"].to_numpy(), lnp.neurons.to_numpy())
    # running again resumes from the stored repeat
    mod = load_protocol("Fig3ab")
    again = mod.main(["--quick", "--out", str(tmp_path), "--no-progress", "--no-ap",
                      "--repeats", "1"])
    pd.testing.assert_frame_equal(again["data"].reset_index(drop=True),
                                  out["data"].reset_index(drop=True))


def _seed_of(name, r=0):
    return repeat_seed(0, name, r)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Fig10", "A7", "Fig3ab", "Fig3c", "Table2", "Fig8", "B1",
                                  "B5"])
def test_every_protocol_quick(name, tmp_path):
    _run_quick(name, tmp_path)


def test_ambiguities_page_collects_every_section_with_links(tmp_path):
    from brian2_lnp.protocols.ambiguities import collect_ambiguities
    (tmp_path / "a.md").write_text(
        "# Page A\n\nintro\n\n## Paper ambiguities and the choices made\n\n"
        "* **x**: chose 1.\n\n### detail\n\ntext\n\n## Next\n\nno\n")
    (tmp_path / "b.md").write_text("# Page B\n\nno section here\n")
    (tmp_path / "c.md").write_text("# Page C\n\n## Paper ambiguities and the choices made\n"
                                   "* **y**: chose 2.\n")
    assert collect_ambiguities(str(tmp_path)) == ["a.md", "c.md"]
    page = (tmp_path / "ambiguities.md").read_text()
    assert "[Page A](a.md#paper-ambiguities-and-the-choices-made)" in page
    assert "* **x**: chose 1." in page and "* **y**: chose 2." in page
    assert "#### detail" in page and "no section here" not in page and "\nno\n" not in page
    # sections written in the page itself survive a regeneration, once, after the collected ones
    (tmp_path / "ambiguities.md").write_text(page + "\n## Study choices\n\n* **z**: chose 3.\n")
    (tmp_path / "c.md").write_text("# Page C\n\n## Paper ambiguities and the choices made\n"
                                   "* **y**: chose 4.\n")
    for _ in range(2):
        collect_ambiguities(str(tmp_path))
    page = (tmp_path / "ambiguities.md").read_text()
    assert page.count("* **z**: chose 3.") == 1 and "chose 4." in page and "chose 2." not in page
    assert page.index("chose 4.") < page.index("## Study choices")
