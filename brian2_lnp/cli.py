"""Command line: ``brian2-lnp`` (also ``python -m brian2_lnp``).

Sub-commands::

    brian2-lnp prune MODEL [--N N] [--seed S] [--iterations K] [--ablation E] --out DIR
    brian2-lnp evaluate MODEL --task lorenz63 [--pruned DIR/pruned.npz] [--training stdp]
    brian2-lnp spectrum MODEL [--pruned FILE] [--k K] --out DIR
    brian2-lnp protocol NAME [--quick] [--device runtime|cpp_standalone|genn] [--out DIR]
    brian2-lnp protocol --list
    brian2-lnp demo [--out DIR]

MODEL is a model file (``models/hrsnn.yaml``), a packaged model name
(``hrsnn_small``) or a saved network (``.npz`` written by ``prune``).
Errors in the arguments are reported as one line naming the parameter
(exit status 2); ``--verbose`` shows the library's log messages.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

__all__ = ["main", "build_parser"]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------- helpers
def _load_network(model, N=None, seed=0, n_inputs=None):
    """(Connectivity, description) from a model file/name or a saved .npz network."""
    from .graph import Connectivity
    from .protocols.units import make_connectivity

    if str(model).endswith(".npz"):
        if not os.path.exists(model):
            raise FileNotFoundError(f"MODEL: no such network file {model!r}")
        return Connectivity.load(model), f"network file {model}"
    return make_connectivity(model, N=N, seed=seed, n_inputs=n_inputs), f"model {model}"


def _cmd_prune(args):
    import json

    from .pruning import ABLATIONS
    from .protocols.common import write_csv
    from .protocols.runner import jsonable
    from .protocols.units import lnp_options
    from .pruning import prune

    conn, what = _load_network(args.model, args.N, args.seed)
    steps = ABLATIONS[args.ablation] if args.ablation else None
    if steps == ():
        raise ValueError("ablation: point A is the unpruned network; nothing to prune")
    opts = lnp_options(args.quick, iterations=args.iterations, steps=steps,
                       schedule=args.schedule, density=args.density, q=args.q)
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "checkpoint") if args.checkpoint else None
    res = prune(conn, seed=args.seed, progress=args.progress, checkpoint_dir=ckpt, **opts)
    final = res.connectivity
    final.provenance = dict(final.provenance, method="lnp", source=str(args.model))
    path = os.path.join(args.out, "pruned.npz")
    final.save(path)
    write_csv(res.history, args.out, "history.csv")
    report = {"input": what, "N": conn.N, "seed": args.seed, "options": opts,
              "neurons": [conn.n_active_neurons, final.n_active_neurons],
              "synapses": [conn.n_active_synapses, final.n_active_synapses],
              "stopped_early": res.stopped_early, "message": res.message,
              "steps": res.reports}
    with open(os.path.join(args.out, "report.json"), "w") as fh:
        json.dump(jsonable(report), fh, indent=1)
    print(f"{what}: neurons {conn.n_active_neurons} -> {final.n_active_neurons}, "
          f"synapses {conn.n_active_synapses} -> {final.n_active_synapses} "
          f"after {len(res.history) - 1} rows of history")
    print(f"wrote {path}, {args.out}/history.csv, {args.out}/report.json")
    return 0


def _cmd_evaluate(args):
    from .graph import Connectivity
    from .protocols.units import evaluate_row

    if str(args.model).endswith(".npz"):
        raise ValueError("MODEL: evaluate needs the model file the network was generated "
                         "from (e.g. hrsnn_small); pass the pruned network with --pruned")
    pruning = None
    if args.pruned:
        if not os.path.exists(args.pruned):
            raise FileNotFoundError(f"--pruned: no such network file {args.pruned!r}")
        pruning = Connectivity.load(args.pruned)
    kw = {"training": args.training, "readout": args.readout}
    row = evaluate_row(args.model, args.task, args.N, args.seed, pruning=pruning,
                       device=args.device, eval_kwargs=kw)
    print(row.T.to_string(header=False))
    if args.csv:
        header = not os.path.exists(args.csv)
        row.to_csv(args.csv, mode="a", header=header, index=False)
        print(f"appended to {args.csv}")
    return 0


def _cmd_spectrum(args):
    import pandas as pd

    from .dynamics import plot_spectra
    from .graph import Connectivity
    from .protocols.common import save_figure, use_agg, write_csv
    from .protocols.units import rate_spectrum

    conn, what = _load_network(args.model, args.N, args.seed)
    nets = [("unpruned" if args.pruned else what, conn)]
    if args.pruned:
        nets.append(("pruned", Connectivity.load(args.pruned)))
    kw = {"n_steps": args.n_steps, "transient": args.transient}
    if args.k:
        kw["k"] = args.k
    rows, spectra = [], []
    for label, c in nets:
        lam = rate_spectrum(c, args.seed, kw)
        spectra.append(lam)
        rows += [{"network": label, "index": i + 1, "N_active": c.n_active_neurons,
                  "exponent_per_s": v} for i, v in enumerate(lam)]
        print(f"{label}: lambda_max = {lam[0]:.4g} 1/s, {lam.size} exponents, "
              f"{int((lam > 0).sum())} positive")
    os.makedirs(args.out, exist_ok=True)
    write_csv(pd.DataFrame(rows), args.out, "spectrum.csv")
    use_agg()
    ax = plot_spectra(spectra, [n for n, _ in nets], N=[c.n_active_neurons for _, c in nets])
    save_figure(ax.figure, args.out, "spectrum.png")
    print(f"wrote {args.out}/spectrum.csv and {args.out}/spectrum.png")
    return 0


def _cmd_protocol(args):
    from .protocols.registry import find_protocols, load_protocol

    if args.list or not args.name:
        found = find_protocols()
        if not found:
            print("no protocol files found (looked in ./protocols and the source checkout; "
                  "set $BRIAN2_LNP_PROTOCOLS)")
            return 1
        for stem, path in sorted(found.items()):
            doc = (load_protocol(stem).__doc__ or "").strip().splitlines()
            print(f"{stem}\n    {doc[0] if doc else ''}")
        return 0 if args.list else 2
    module = load_protocol(args.name)
    result = module.main(args.rest)
    return 0 if result is not False else 1


def _cmd_demo(args):
    from .protocols.demo import run_demo

    run_demo(out=args.out, model=args.model, N=args.N, seed=args.seed,
             iterations=args.iterations, device=args.device, progress=args.progress)
    return 0


# ---------------------------------------------------------------------- parser
def build_parser():
    """The ``argparse`` parser of ``brian2-lnp`` with all sub-commands."""
    from . import __version__

    p = argparse.ArgumentParser(
        prog="brian2-lnp",
        description="Heterogeneous recurrent spiking networks in Brian2, pruned with "
                    "Lyapunov Noise Pruning: prune, evaluate, Lyapunov spectra, the "
                    "paper's protocols and a demo.")
    p.add_argument("--version", action="version", version=f"brian2_lnp {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log library messages (INFO)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def model_args(sp, default_out=None):
        sp.add_argument("model", metavar="MODEL",
                        help="model file (models/hrsnn.yaml), packaged name (hrsnn_small) "
                             "or a saved network (.npz)")
        sp.add_argument("--N", type=int, default=None, help="number of neurons (default: file's)")
        sp.add_argument("--seed", type=int, default=0, help="seed (default 0)")
        if default_out is not None:
            sp.add_argument("--out", default=default_out, help=f"output directory "
                                                                f"(default {default_out})")

    sp = sub.add_parser("prune", help="prune a model with LNP -> pruned network + report",
                        description="Prune with LNP; writes OUT/pruned.npz (Connectivity), "
                                    "OUT/history.csv and OUT/report.json.")
    model_args(sp, "pruned")
    sp.add_argument("--iterations", type=int, default=None,
                    help="LNP iterations (default: 100, or 8 with --quick)")
    sp.add_argument("--ablation", default=None, choices=["B", "C", "D", "E", "E'", "E''", "C+IV"],
                    help="run only the steps of this ablation point (000 B.5); default E = all")
    sp.add_argument("--schedule", default="convergent", choices=["convergent", "fixed"],
                    help="convergent (default: rho and the betweenness threshold fixed at "
                         "iteration 1, stops when the network settles) or fixed (the same "
                         "fractions every iteration)")
    sp.add_argument("--density", type=float, default=None,
                    help="Step I: kept fraction of synapses (convergent: at iteration 1, "
                         "default 0.9; fixed: every iteration, default 0.95)")
    sp.add_argument("--q", type=float, default=None,
                    help="Step II: convergent: betweenness quantile fixing the threshold at "
                         "iteration 1 (default 0.02); fixed: pruned fraction of neurons per "
                         "iteration (default 0.01)")
    sp.add_argument("--quick", action="store_true",
                    help="short Lyapunov runs (10 leading exponents) and a 4-call Step IV")
    sp.add_argument("--checkpoint", action="store_true",
                    help="checkpoint every iteration into OUT/checkpoint and resume from it")
    sp.add_argument("--no-progress", action="store_false", dest="progress")
    sp.set_defaults(func=_cmd_prune)

    sp = sub.add_parser("evaluate", help="run a model (optionally pruned) on a task -> metrics row",
                        description="STDP-train and evaluate a model on a task "
                                    "(brian2_lnp.tasks.evaluate); prints one row of metrics.")
    model_args(sp)
    sp.add_argument("--task", default="lorenz63",
                    choices=["lorenz63", "rossler", "lorenz96", "google_stock", "wind_speed",
                             "mnist5k", "fashion_mnist"])
    sp.add_argument("--pruned", default=None, help="pruned network (.npz from `prune`, same "
                                                   "MODEL, --N and --seed)")
    sp.add_argument("--training", default="stdp", choices=["stdp", "none"])
    sp.add_argument("--readout", default="ridge", choices=["ridge", "mlp"])
    sp.add_argument("--device", default="runtime", choices=["runtime", "cpp_standalone", "genn"])
    sp.add_argument("--csv", default=None, help="append the row to this CSV file")
    sp.set_defaults(func=_cmd_evaluate)

    sp = sub.add_parser("spectrum", help="Lyapunov spectrum of a network's rate surrogate",
                        description="Lyapunov spectrum (QR method) of the rate surrogate; "
                                    "writes OUT/spectrum.csv and OUT/spectrum.png.")
    model_args(sp, "spectrum")
    sp.add_argument("--pruned", default=None, help="also the spectrum of this pruned network")
    sp.add_argument("--k", type=int, default=None, help="leading exponents (default: all up "
                                                        "to the library's limit)")
    sp.add_argument("--n-steps", type=int, default=2000, dest="n_steps")
    sp.add_argument("--transient", type=int, default=500)
    sp.set_defaults(func=_cmd_spectrum)

    sp = sub.add_parser("protocol", help="run a figure/table protocol (protocols/*.py)",
                        description="Run a protocol file by (partial) name; options after "
                                    "NAME go to the protocol (try `protocol NAME --help`).",
                        add_help=True)
    sp.add_argument("--list", action="store_true", help="list the protocols")
    sp.add_argument("name", nargs="?", metavar="NAME")
    sp.add_argument("rest", nargs=argparse.REMAINDER, metavar="...",
                    help="protocol options: --quick, --device, --out, --seed, --repeats, "
                         "--n-jobs, --scheduler, --no-resume")
    sp.set_defaults(func=_cmd_protocol)

    sp = sub.add_parser("demo", help="build, prune, train and evaluate a small HRSNN (minutes)",
                        description="The README main job: HRSNN (hrsnn_small, seed 0) -> LNP "
                                    "-> STDP on Lorenz-63 -> table and figure.")
    sp.add_argument("--out", default="figures", help="output directory (default figures)")
    sp.add_argument("--model", default=None, help="model (default hrsnn_small)")
    sp.add_argument("--N", type=int, default=None)
    sp.add_argument("--seed", type=int, default=None)
    sp.add_argument("--iterations", type=int, default=None, help="LNP iterations (default 10)")
    sp.add_argument("--device", default="runtime", choices=["runtime", "cpp_standalone"])
    sp.add_argument("--no-progress", action="store_false", dest="progress")
    sp.set_defaults(func=_cmd_demo)
    return p


def main(argv=None):
    """Entry point of ``brian2-lnp``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, LookupError, FileNotFoundError, ImportError) as exc:
        if args.verbose:
            raise
        print(f"brian2-lnp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"brian2-lnp {args.command}: interrupted (finished repeats are kept on disk; "
              "run again to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
