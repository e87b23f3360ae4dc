"""Is the pruned linearised system stable in model units with the homeostatic diagonal?

Protocol (fixed before the run): ``generate_network(model, N=N, seed=0)``; the
convergent driver with Steps I-III only (at most 40 iterations, lambda_max not
measured), once with ``homeostatic=False`` (the library default) and once with
``homeostatic=True`` (Step I compensates each neuron's leak by the change of its
input row sum, 000 Sec. 3 "homeostatic excitability"); printed per selected
iteration: active neurons, effective synapses, the spectral abscissa of the
system Step I pruned (with the stability factor ``lin_scale`` the linearisation
applies so that the noise covariance exists) and of the same system in model
units (``abscissa_model``, without the factor). Nothing is tuned.

    PYTHONPATH=. python3 benchmarks/homeostatic_stability.py --N 300 --model hrsnn
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from brian2_lnp.models.generate import generate_network  # noqa: E402
from brian2_lnp.pruning import prune  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--N", type=int, default=300)
    ap.add_argument("--model", default="hrsnn")
    ap.add_argument("--iterations", type=int, default=40)
    args = ap.parse_args(argv)
    conn = generate_network(args.model, N=args.N, seed=0).conn
    for homeostatic in (False, True):
        r = prune(conn, iterations=args.iterations, seed=0, lyapunov=False,
                  steps=("noise", "centrality", "delocalize"),
                  step_kwargs={"noise": {"homeostatic": homeostatic}})
        h = r.history
        rows = sorted({1, 2, 5, 10, len(h) - 1} & set(range(1, len(h))))
        print(f"\n{args.model} N={args.N} homeostatic={homeostatic}: converged={r.converged} "
              f"after {len(h) - 1} iterations")
        print(h[["iteration", "neurons", "synapses", "abscissa", "abscissa_model",
                 "lin_scale"]].iloc[[0] + rows].to_string(index=False))


if __name__ == "__main__":
    main()
