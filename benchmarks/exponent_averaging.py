"""Does averaging the node exponents over iterations stop the convergent driver's drift?

Question. With the convergent schedule, Step I re-estimates every neuron's
finite-time Lyapunov exponent each iteration from new surrogate inputs. The
estimate is noisy (docs/performance.md: the tanh surrogate is multistable), so
edges whose keep probability sits near 1 fall below it in some iterations and
are drawn out: at N = 5000 an HRSNN was still losing synapses in bursts after
70 iterations. ``ConvergentSchedule(average_exponents=True)`` uses each
neuron's mean over the iterations so far instead, so that noise shrinks as
the network settles.

Protocol (fixed before any run, committed with this file):

* models HRSNN and CHRSNN at N = 1000, seeds 100, 101, 102 (used by no
  acceptance run, study or figure); ``generate_network(model, N=1000, seed=s)``;
* ``prune(conn, iterations=100, seed=s)`` with every library default, once
  with ``average_exponents=False`` (the current default) and once with True;
  nothing else differs;
* per run: iterations to convergence (100 = not converged), final neurons and
  effective synapses, the acceptance targets' columns (last-10 change, largest
  SCC, Step III share, synapses per neuron, abscissa), the synapses Step I
  removed after iteration 10 (``late_removed``: the drift), and the wall time.

Decision rule (fixed before the runs): averaging becomes the default of the
convergent schedule if, over the 6 model x seed pairs,
(1) every run that converges without averaging also converges with it,
(2) the median number of iterations to convergence (100 for a run that does
not converge) is lower with averaging, and
(3) the acceptance targets (largest SCC >= 0.9, Step III share <= 0.05,
synapses per neuron >= 0.5 of the initial value) are met by at least as many
runs with averaging as without.
Otherwise the default stays and averaging remains an option. The final sizes
are reported but are not a criterion (a larger or smaller remainder is not in
itself better). These runs are not the acceptance runs and not the study.

Run (resumable: finished runs are skipped, an interrupted run resumes from its
checkpoint)::

    OPENBLAS_NUM_THREADS=1 BRIAN2_LNP_WORKERS=1 python3 benchmarks/exponent_averaging.py \\
        --models hrsnn --checkpoint-root /tmp/ea
    python3 benchmarks/exponent_averaging.py --decide
"""
import argparse
import logging
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))
sys.path.insert(0, HERE)

from acceptance_convergent_lnp import summarise  # noqa: E402
from brian2_lnp.models.generate import generate_network  # noqa: E402
from brian2_lnp.pruning.driver import prune  # noqa: E402
from brian2_lnp.pruning.schedules import ConvergentSchedule  # noqa: E402

CSV = os.path.join(HERE, "exponent_averaging.csv")
HISTORY_DIR = os.path.join(HERE, "exponent_averaging")
SEEDS = (100, 101, 102)
N = 1000


def late_removed(reports, after=10):
    """Synapses Step I removed after iteration ``after`` (the drift)."""
    return int(sum(r["n_edges"] - r["n_kept"] for r in reports
                   if r.get("step") == "noise" and r["iteration"] > after))


def run(models, seeds, root):
    os.makedirs(HISTORY_DIR, exist_ok=True)
    for seed in seeds:
        for model in models:
            for avg in (False, True):
                done = pd.read_csv(CSV) if os.path.exists(CSV) else None
                if done is not None and ((done.model == model) & (done.seed == seed)
                                         & (done.average_exponents == avg)).any():
                    continue
                conn = generate_network(model, N=N, seed=seed).conn
                name = f"{model}_N{N}_s{seed}_avg{int(avg)}"
                load0 = os.getloadavg()[0]
                t0 = time.perf_counter()
                res = prune(conn, iterations=100, seed=seed,
                            schedule=ConvergentSchedule(average_exponents=avg),
                            checkpoint_dir=os.path.join(root, name))
                wall = time.perf_counter() - t0
                row = summarise(model, N, seed, res, wall, load0, os.getloadavg()[0])
                row.update(average_exponents=avg, late_removed=late_removed(res.reports))
                res.history.to_csv(os.path.join(HISTORY_DIR, name + ".csv"), index=False)
                pd.DataFrame([row]).to_csv(CSV, mode="a", header=not os.path.exists(CSV),
                                           index=False)
                print(f"{name}: {row['iterations']} it (converged {row['converged']}), "
                      f"{row['neurons']} n / {row['synapses']} s, late_removed "
                      f"{row['late_removed']}, {wall:.0f} s", flush=True)


def targets_met(df):
    return ((df.scc_fraction >= 0.9) & (df.added_max_share <= 0.05)
            & (df.syn_per_neuron_ratio >= 0.5))


def decide():
    df = pd.read_csv(CSV)
    cols = ["model", "seed", "average_exponents", "iterations", "converged", "neurons",
            "synapses", "late_removed", "scc_fraction", "added_max_share",
            "syn_per_neuron_ratio", "last10_change_synapses", "wall_time_s"]
    print(df[cols].sort_values(["model", "seed", "average_exponents"]).to_string(index=False))
    off, on = (df[df.average_exponents == v].set_index(["model", "seed"]).sort_index()
               for v in (False, True))
    pairs = off.index.intersection(on.index)
    if len(pairs) < 6:
        print(f"only {len(pairs)} of 6 pairs finished: no decision")
        return
    off, on = off.loc[pairs], on.loc[pairs]
    it_off = np.where(off.converged, off.iterations, 100)
    it_on = np.where(on.converged, on.iterations, 100)
    c1 = bool((on.converged | ~off.converged).all())
    c2 = bool(np.median(it_on) < np.median(it_off))
    c3 = int(targets_met(on).sum()) >= int(targets_met(off).sum())
    print(f"(1) every run converging without averaging converges with it: {c1}")
    print(f"(2) median iterations to convergence {np.median(it_off):.1f} without, "
          f"{np.median(it_on):.1f} with averaging: lower = {c2}")
    print(f"(3) runs meeting the targets: {int(targets_met(off).sum())} without, "
          f"{int(targets_met(on).sum())} with: {c3}")
    print(f"late_removed (Step I, after iteration 10), median: {np.median(off.late_removed):.0f}"
          f" without, {np.median(on.late_removed):.0f} with")
    print("decision: averaging becomes the default" if (c1 and c2 and c3)
          else "decision: the default stays (averaging remains an option)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=["hrsnn", "chrsnn"])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--checkpoint-root", default="/tmp/exponent_averaging")
    ap.add_argument("--decide", action="store_true", help="do not run: apply the rule")
    args = ap.parse_args(argv)
    if args.decide:
        return decide()
    logging.basicConfig(level=logging.WARNING)
    run(args.models, args.seeds, args.checkpoint_root)


if __name__ == "__main__":
    main()
