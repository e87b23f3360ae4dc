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
class UsageError(ValueError):
    """A command-line argument is wrong; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def _fraction(low_open, high_open):
    lo, hi = ("(" if low_open else "["), (")" if high_open else "]")

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in {lo}0, 1{hi}, got {text!r}")
        ok = (value > 0 if low_open else value >= 0) and (value < 1 if high_open else value <= 1)
        if not ok:
            raise argparse.ArgumentTypeError(f"must lie in {lo}0, 1{hi}, got {value:g}")
        return value
    parse.__name__ = f"number in {lo}0, 1{hi}"
    return parse


def check_out_dir(path, option="--out"):
    """Make sure ``path`` is (or can become) a writable directory, before any work.

    Creates the directory. Raises :class:`UsageError` naming ``option`` if
    ``path`` is a file, cannot be created or is not writable.
    """
    import tempfile

    if not path:
        raise UsageError(f"{option}: empty path")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option}: {path!r} exists and is not a directory; give a directory "
                         "(it is created if missing)")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(f"{option}: cannot write into {path!r} ({exc.strerror or exc})") from None
    return path


def check_out_file(path, option):
    """Make sure a file can be written (or appended) at ``path``, before any work."""
    if os.path.isdir(path):
        raise UsageError(f"{option}: {path!r} is a directory; give a file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{option}: the directory {parent!r} does not exist")
    existed = os.path.exists(path)
    try:
        with open(path, "a"):
            pass
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {path!r} ({exc.strerror or exc})") from None
    if not existed:
        os.remove(path)
    return path


def _is_network_file(model):
    return str(model).endswith(".npz")


def _load_network(model, N=None, seed=0, n_inputs=None):
    """(Connectivity, description) from a model file/name or a saved .npz network."""
    from .graph import Connectivity
    from .protocols.units import make_connectivity

    if _is_network_file(model):
        if not os.path.exists(model):
            raise FileNotFoundError(f"MODEL: no such network file {model!r}")
        return Connectivity.load(model), f"network file {model}"
    return make_connectivity(model, N=N, seed=seed, n_inputs=n_inputs), f"model {model}"


def _refuse_N_with_network_file(args):
    if _is_network_file(args.model) and args.N is not None:
        raise UsageError(f"--N: MODEL {args.model!r} is a saved network with its own size; "
                         "--N applies only to model files (drop --N)")


def _check_pruned_matches(conn, path, args):
    """The pruned network must come from the same model, N and seed as the evaluation."""
    from .models.config import load_model

    prov = conn.provenance if isinstance(conn.provenance, dict) else {}
    seed = prov.get("seed")
    if seed is not None and int(seed) != int(args.seed):
        raise UsageError(f"--pruned: {path} was made from seed {seed} (its provenance), but "
                         f"--seed is {args.seed}; evaluate it with --seed {seed}")
    N = args.N if args.N is not None else load_model(args.model).N
    if conn.N != N:
        raise UsageError(f"--pruned: {path} has N={conn.N} neurons, but MODEL {args.model!r} "
                         f"with --N {args.N if args.N is not None else '(default)'} has N={N}; "
                         f"pass --N {conn.N}")


def _cmd_prune(args):
    import json

    from .pruning import ABLATIONS
    from .protocols.common import write_csv
    from .protocols.runner import jsonable
    from .protocols.units import lnp_options
    from .pruning import prune

    _refuse_N_with_network_file(args)
    check_out_dir(args.out)
    conn, what = _load_network(args.model, args.N, args.seed)
    steps = ABLATIONS[args.ablation] if args.ablation else None
    if steps == ():
        raise ValueError("ablation: point A is the unpruned network; nothing to prune")
    opts = lnp_options(args.quick, iterations=args.iterations, steps=steps,
                       schedule=args.schedule, density=args.density, q=args.q)
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
    if args.csv:
        check_out_file(args.csv, "--csv")
    pruning = None
    if args.pruned:
        if not os.path.exists(args.pruned):
            raise FileNotFoundError(f"--pruned: no such network file {args.pruned!r}")
        pruning = Connectivity.load(args.pruned)
        _check_pruned_matches(pruning, args.pruned, args)
    kw = {"training": args.training, "readout": args.readout}
    if args.paper_readout:
        from .tasks.specs import ReadoutSpec

        kw["readout"] = ReadoutSpec.paper(kind=args.readout)
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

    _refuse_N_with_network_file(args)
    check_out_dir(args.out)
    conn, what = _load_network(args.model, args.N, args.seed)
    nets = [("unpruned" if args.pruned else what, conn)]
    if args.pruned:
        if not os.path.exists(args.pruned):
            raise FileNotFoundError(f"--pruned: no such network file {args.pruned!r}")
        nets.append(("pruned", Connectivity.load(args.pruned)))
    kw = {"n_steps": args.n_steps, "transient": args.transient}
    if args.k is not None:
        active = min(c.n_active_neurons for _, c in nets)
        if args.k > active:
            raise UsageError(f"--k: must lie in [1, {active}] (active neurons), got {args.k}")
        kw["k"] = args.k
    rows, spectra = [], []
    for label, c in nets:
        lam = rate_spectrum(c, args.seed, kw)
        spectra.append(lam)
        rows += [{"network": label, "index": i + 1, "N_active": c.n_active_neurons,
                  "exponent_per_s": v} for i, v in enumerate(lam)]
        print(f"{label}: lambda_max = {lam[0]:.4g} 1/s, {lam.size} exponents, "
              f"{int((lam > 0).sum())} positive")
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
    out = _option_value(args.rest, "--out")
    check_out_dir(out if out is not None else "figures", "--out")
    result = module.main(args.rest)
    return 0 if result is not False else 1


def _option_value(argv, option):
    """The value of ``option`` in a raw argument list (``--out X`` or ``--out=X``), or None."""
    value = None
    for i, a in enumerate(argv):
        if a == option and i + 1 < len(argv):
            value = argv[i + 1]
        elif a.startswith(option + "="):
            value = a.split("=", 1)[1]
    return value


def _cmd_demo(args):
    from .protocols.demo import run_demo

    check_out_dir(args.out)

    run_demo(out=args.out, model=args.model, N=args.N, seed=args.seed,
             iterations=args.iterations, device=args.device, progress=args.progress)
    return 0


# ---------------------------------------------------------------------- parser
def build_parser():
    """The ``argparse`` parser of ``brian2-lnp`` with all sub-commands."""
    from . import __version__
    from .models.devices import DEVICES
    from .tasks.specs import TASKS

    p = _Parser(
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
        sp.add_argument("--N", type=_int_at_least(1), default=None,
                        help="number of neurons (default: file's; model files only)")
        sp.add_argument("--seed", type=_int_at_least(0), default=0, help="seed (default 0)")
        if default_out is not None:
            sp.add_argument("--out", default=default_out, help=f"output directory "
                            f"(default {default_out})")

    sp = sub.add_parser("prune", help="prune a model with LNP -> pruned network + report",
                        description="Prune with LNP; writes OUT/pruned.npz (Connectivity), "
                                    "OUT/history.csv and OUT/report.json.")
    model_args(sp, "pruned")
    sp.add_argument("--iterations", type=_int_at_least(1), default=None,
                    help="LNP iterations (default: 100, or 8 with --quick)")
    sp.add_argument("--ablation", default=None, choices=["B", "C", "D", "E", "E'", "E''", "C+IV"],
                    help="run only the steps of this ablation point (000 B.5); default E = all")
    sp.add_argument("--schedule", default="convergent", choices=["convergent", "fixed"],
                    help="convergent (default: rho and the betweenness threshold fixed at "
                         "iteration 1, stops when the network settles) or fixed (the same "
                         "fractions every iteration)")
    sp.add_argument("--density", type=_fraction(True, False), default=None,
                    help="Step I: kept fraction of synapses (convergent: at iteration 1, "
                         "default 0.9; fixed: every iteration, default 0.95)")
    sp.add_argument("--q", type=_fraction(False, True), default=None,
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
    sp.add_argument("--task", default="lorenz63", choices=list(TASKS),
                    help="a registered task (brian2_lnp.tasks.TASKS)")
    sp.add_argument("--paper-readout", action="store_true",
                    help="the paper's readout (top 10 %% neurons, one readout per window "
                         "fitted on its 500 context steps) instead of the defaults chosen on "
                         "validation data")
    sp.add_argument("--pruned", default=None, help="pruned network (.npz from `prune`, same "
                                                   "MODEL, --N and --seed)")
    sp.add_argument("--training", default="stdp", choices=["stdp", "none"])
    sp.add_argument("--readout", default="ridge", choices=["ridge", "mlp"])
    sp.add_argument("--device", default="runtime", choices=list(DEVICES))
    sp.add_argument("--csv", default=None, help="append the row to this CSV file")
    sp.set_defaults(func=_cmd_evaluate)

    sp = sub.add_parser("spectrum", help="Lyapunov spectrum of a network's rate surrogate",
                        description="Lyapunov spectrum (QR method) of the rate surrogate; "
                                    "writes OUT/spectrum.csv and OUT/spectrum.png.")
    model_args(sp, "spectrum")
    sp.add_argument("--pruned", default=None, help="also the spectrum of this pruned network")
    sp.add_argument("--k", type=_int_at_least(1), default=None,
                    help="leading exponents, >= 1 (default: all up to the library's limit)")
    sp.add_argument("--n-steps", type=_int_at_least(1), default=2000, dest="n_steps")
    sp.add_argument("--transient", type=_int_at_least(0), default=500)
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

    sp = sub.add_parser("demo", help="prune an HRSNN (N=1000) with LNP and compare it with "
                                     "its controls on Lorenz-63 (several minutes; see docs/cli.md)",
                        description="The README main job: HRSNN (hrsnn, N=1000, seed 0) -> "
                                    "LNP, activity-pruned and random-matched controls -> STDP "
                                    "and one-step Lorenz-63 prediction with baselines -> table "
                                    "and figure.")
    sp.add_argument("--out", default="figures", help="output directory (default figures)")
    sp.add_argument("--model", default=None, help="model (default hrsnn)")
    sp.add_argument("--N", type=_int_at_least(1), default=None)
    sp.add_argument("--seed", type=_int_at_least(0), default=None)
    sp.add_argument("--iterations", type=_int_at_least(1), default=None,
                    help="LNP iterations (default 3)")
    sp.add_argument("--device", default=None, choices=["cpp_standalone", "runtime"],
                    help="default cpp_standalone (the four networks in one compiled program); "
                         "runtime: no compilation, several times slower")
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
    except (ValueError, TypeError, LookupError, OSError, ImportError) as exc:
        if args.verbose:
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in msg:
            msg = f"{exc.filename}: {msg}"
        print(f"brian2-lnp {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"brian2-lnp {args.command}: interrupted (finished repeats are kept on disk; "
              "run again to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
