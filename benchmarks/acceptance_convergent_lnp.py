"""Acceptance runs of the convergent LNP driver (library defaults).

Protocol (fixed before the runs): for each model (HRSNN, CHRSNN), size N and
seed, generate the network with ``generate_network(model, N=N, seed=seed)`` and
run ``prune(conn, iterations=100, seed=seed)`` with every library default
(all four steps, convergent schedule, Step IV once at the end). Each finished
run appends one row to the CSV (and writes its per-iteration history next to
it); a run already in the CSV is skipped, and an interrupted run resumes from
its checkpoint, so the script can be re-run until everything is done.

Targets (checked in the CSV columns, reported in benchmarks/RESULTS_lnp.md):

* the history flattens: the last 10 iterations change neurons and synapses by
  < 1 % (``last10_change_neurons``, ``last10_change_synapses``);
* the largest strongly connected component holds >= 90 % of the active
  neurons (``scc_fraction``);
* no neuron touches more than 5 % of Step III's added synapses
  (``added_max_share``);
* synapses per active neuron at the end >= half the initial value
  (``syn_per_neuron_ratio``);
* the spectral abscissa of Step I's pruned linearised system is negative
  (``abscissa``; ``abscissa_model`` and ``lin_scale`` say what it is in model units).

Examples
--------
    nohup python benchmarks/acceptance_convergent_lnp.py --N 1000 --seeds 0 1 2 &
    python benchmarks/acceptance_convergent_lnp.py --N 5000 --seeds 0
"""
import argparse
import logging
import os

# One BLAS thread: on a shared, loaded machine multi-threaded OpenBLAS spins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))

from brian2_lnp.models.generate import generate_network  # noqa: E402
from brian2_lnp.pruning.driver import prune  # noqa: E402

CSV = os.path.join(HERE, "acceptance_convergent_lnp.csv")
HISTORY_DIR = os.path.join(HERE, "acceptance_convergent_lnp")


def _commit():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


#: the code the runs use (taken at start: the worktree may move on while they run)
COMMIT = _commit()


def summarise(model, N, seed, res, wall, load_start, load_end):
    """One CSV row from a PruneResult (or anything with history/converged/message)."""
    h = res.history
    it = h[h.stage.isin(["initial", "iteration"])]
    first, last = h.iloc[0], h.iloc[-1]
    last_it = it.iloc[-1]
    tail = it.iloc[-11:]  # the last 10 iterations and the row before them
    ch_n = abs(tail.neurons.iloc[-1] - tail.neurons.iloc[0]) / tail.neurons.iloc[0]
    ch_s = abs(tail.synapses.iloc[-1] - tail.synapses.iloc[0]) / tail.synapses.iloc[0]
    spn0 = first.synapses / first.neurons
    spn = last.synapses / last.neurons if last.neurons else float("nan")
    return {
        "model": model, "N": N, "seed": seed, "iterations": int(last_it.iteration),
        "converged": bool(res.converged), "message": res.message,
        "neurons0": int(first.neurons), "synapses0": int(first.synapses),
        "neurons": int(last.neurons), "synapses": int(last.synapses),
        "neurons_frac": last.neurons / first.neurons,
        "synapses_frac": last.synapses / first.synapses,
        "syn_per_neuron0": spn0, "syn_per_neuron": spn, "syn_per_neuron_ratio": spn / spn0,
        "last10_change_neurons": ch_n, "last10_change_synapses": ch_s,
        "scc_fraction": last.scc_fraction, "isolated": int(last.isolated),
        "in_degree_0": int(last.in_degree_0), "out_degree_0": int(last.out_degree_0),
        "added_total": int(h.added.sum()), "added_max_share": last.added_max_share,
        "abscissa": last_it.abscissa, "abscissa_model": last_it.abscissa_model,
        "lin_scale": last_it.lin_scale, "lin_scale_first": h.lin_scale.iloc[1],
        "lambda_max0": first.lambda_max, "lambda_max0_se": first.lambda_max_se,
        "lambda_max": last.lambda_max, "lambda_max_se": last.lambda_max_se,
        "rho": last_it.rho, "threshold": last_it.threshold,
        "wall_time_s": wall,
        "step_time_s": float(h[[c for c in h.columns if c.startswith("t_")]].sum().sum()),
        "load1_start": load_start, "load1_end": load_end,
        "commit": COMMIT,
    }


def print_markdown(paths):
    """The per-run table of benchmarks/RESULTS_lnp.md from result CSVs."""
    df = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    if "status" not in df:
        df["status"] = "done"
    df["status"] = df["status"].fillna("done")
    print("| model | N | seed | status | iterations (converged) | neurons | synapses "
          "| syn/neuron vs initial | last-10 change n / s | largest SCC | isolated / in0 / out0 "
          "| Step III max share (added) | abscissa (model units, factor) "
          "| lambda_max initial -> final (+- se) | step time |")
    print("|" + "---|" * 15)
    for _, r in df.iterrows():
        print(f"| {r.model} | {r.N} | {r.seed} | {r.status} | {r.iterations} "
              f"({'yes' if r.converged else 'no'}) | {r.neurons} ({r.neurons_frac:.1%}) "
              f"| {r.synapses} ({r.synapses_frac:.1%}) | {r.syn_per_neuron_ratio:.2f} "
              f"| {r.last10_change_neurons:.1%} / {r.last10_change_synapses:.1%} "
              f"| {r.scc_fraction:.3f} | {r.isolated} / {r.in_degree_0} / {r.out_degree_0} "
              f"| {r.added_max_share:.3f} ({r.added_total}) "
              f"| {r.abscissa:.2f} ({r.abscissa_model:.0f}, {r.lin_scale:.3f}) "
              f"| {r.lambda_max0:.1f} +- {r.lambda_max0_se:.1f} -> {r.lambda_max:.1f} +- "
              f"{r.lambda_max_se:.1f} | {r.step_time_s / 60:.0f} min |")


def write_partial(args):
    """Rows for runs still in progress, from their checkpoint's history.csv."""
    from types import SimpleNamespace
    rows = []
    done = []
    for csv in (args.csv, CSV, CSV.replace(".csv", "_N5000.csv")):
        if os.path.exists(csv):
            done.append(pd.read_csv(csv))
    done = pd.concat(done) if done else pd.DataFrame(columns=["model", "N", "seed"])
    for N in args.N:
        for seed in args.seeds:
            for model in args.models:
                if ((done.model == model) & (done.N == N) & (done.seed == seed)).any():
                    continue  # finished: its row is in a results CSV
                path = os.path.join(args.checkpoint_root, f"{model}_N{N}_s{seed}", "history.csv")
                if not os.path.exists(path):
                    continue
                h = pd.read_csv(path)
                if len(h) < 2:
                    continue
                res = SimpleNamespace(history=h, converged=False,
                                      message=f"partial: {int(h.iteration.max())} iterations "
                                              "done when summarised")
                t = float(h[[c for c in h.columns if c.startswith("t_")]].sum().sum())
                row = summarise(model, N, seed, res, float("nan"), float("nan"), float("nan"))
                row.update(step_time_s=t, status="partial")
                rows.append(row)
    pd.DataFrame(rows).to_csv(args.partial, index=False)
    print(f"wrote {len(rows)} partial rows to {args.partial}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--N", type=int, nargs="+", default=[1000])
    ap.add_argument("--models", nargs="+", default=["hrsnn", "chrsnn"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--csv", default=CSV)
    ap.add_argument("--checkpoint-root", default="/tmp/lnp_acceptance")
    ap.add_argument("--history-dir", default=HISTORY_DIR,
                    help="where each finished run's per-iteration history CSV goes")
    ap.add_argument("--partial", default=None, metavar="CSV",
                    help="do not run: summarise the unfinished runs' checkpoints "
                         "(history.csv) into CSV, one row each with status=partial")
    ap.add_argument("--markdown", nargs="+", default=None, metavar="CSV",
                    help="do not run: print a Markdown table of these result CSVs")
    args = ap.parse_args(argv)
    if args.markdown:
        return print_markdown(args.markdown)
    if args.partial:
        return write_partial(args)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    os.makedirs(args.history_dir, exist_ok=True)
    for N in args.N:
        for seed in args.seeds:
            for model in args.models:
                done = pd.read_csv(args.csv) if os.path.exists(args.csv) else None
                if done is not None and ((done.model == model) & (done.N == N)
                                         & (done.seed == seed)).any():
                    print(f"skip {model} N={N} seed={seed} (in {args.csv})", flush=True)
                    continue
                conn = generate_network(model, N=N, seed=seed).conn
                ckpt = os.path.join(args.checkpoint_root, f"{model}_N{N}_s{seed}")
                load_start = os.getloadavg()[0]
                t0 = time.perf_counter()
                res = prune(conn, iterations=args.iterations, seed=seed, checkpoint_dir=ckpt)
                wall = time.perf_counter() - t0
                row = summarise(model, N, seed, res, wall, load_start, os.getloadavg()[0])
                res.history.to_csv(os.path.join(args.history_dir, f"{model}_N{N}_s{seed}.csv"),
                                   index=False)
                df = pd.DataFrame([row])
                df.to_csv(args.csv, mode="a", header=not os.path.exists(args.csv), index=False)
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, (float, np.floating)) else
                               f"{k}={v}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
