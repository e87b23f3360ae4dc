"""Shared protocol plumbing: command-line options, settings, CSV/PNG writing, summaries.

Every protocol file (``protocols/*.py``) builds its parser with
:func:`protocol_parser`, turns the parsed options into a :class:`Settings`,
and writes its outputs with :func:`write_csv` and :func:`save_figure` into
``settings.out`` (``figures/`` by default). Per-repeat results go to
``settings.out/<protocol name>/repeats`` (see :mod:`.runner`).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..models.devices import DEVICES  # noqa: F401 (re-exported: the choices of --device)
from ..validation import check_choice, check_int

__all__ = ["Settings", "protocol_parser", "add_common_arguments", "settings_from_args",
           "write_csv", "save_figure", "summarize", "DEVICES", "DEFAULT_OUT", "write_json",
           "pick", "run_main", "use_agg", "grouped_bars", "build_directory"]

logger = logging.getLogger(__name__)

#: default output directory of protocols (relative to the working directory)
DEFAULT_OUT = "figures"


@dataclass
class Settings:
    """Options shared by every protocol.

    Attributes
    ----------
    quick : bool
        Small networks and few iterations (minutes on 2 cores; the tests use it).
    device : str
        Brian2 device for the spiking runs: "runtime", "cpp_standalone" or "genn".
    out : str
        Output directory for CSV and PNG files.
    seed : int
        Base seed; every repeat's seed is derived from it.
    repeats : int or None
        Override the protocol's number of repeats (None: its quick/paper value).
    n_jobs : int
        joblib worker processes (1 = in this process).
    scheduler : str or None
        Dask scheduler address; when given, repeats run on that cluster.
    resume : bool
        Load finished repeats from ``out/<name>/repeats`` instead of recomputing.
    progress : bool
        Progress bars.
    extra : dict
        Protocol-specific options.
    """

    quick: bool = False
    device: str = "runtime"
    out: str = DEFAULT_OUT
    seed: int = 0
    repeats: int = None
    n_jobs: int = 1
    scheduler: str = None
    resume: bool = True
    progress: bool = True
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.device = check_choice("device", self.device, DEVICES)
        self.seed = check_int("seed", self.seed, 0)
        if self.repeats is not None:
            self.repeats = check_int("repeats", self.repeats, 1)
        self.n_jobs = check_int("n_jobs", self.n_jobs, -1)
        if self.n_jobs == 0:
            raise ValueError("n_jobs: must be >= 1 or -1 (all cores), got 0")

    def repeat_dir(self, name):
        """``out/<name>/repeats``: where the per-repeat results of protocol ``name`` live."""
        return os.path.join(self.out, name, "repeats")

    def as_dict(self):
        return asdict(self)


def add_common_arguments(parser):
    """Add the options every protocol understands to an ``argparse`` parser."""
    g = parser.add_argument_group("common protocol options")
    g.add_argument("--quick", action="store_true",
                   help="small networks and few iterations (minutes on 2 cores)")
    g.add_argument("--device", default="runtime", choices=DEVICES,
                   help="Brian2 device for spiking runs (default: runtime)")
    g.add_argument("--out", default=DEFAULT_OUT,
                   help=f"output directory for CSV and PNG files (default: {DEFAULT_OUT}/)")
    g.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    g.add_argument("--repeats", type=int, default=None,
                   help="number of repeats (default: the protocol's quick/paper value)")
    g.add_argument("--n-jobs", type=int, default=1, dest="n_jobs",
                   help="parallel worker processes through joblib (default 1; -1 = all cores)")
    g.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (e.g. tcp://host:8786): run repeats on that "
                        "cluster instead of joblib (needs `pip install dask[distributed]`)")
    g.add_argument("--no-resume", action="store_false", dest="resume",
                   help="recompute repeats even if their results are on disk")
    g.add_argument("--no-progress", action="store_false", dest="progress",
                   help="no progress bars")
    return parser


def protocol_parser(name, description):
    """An ``argparse`` parser for protocol ``name`` with the common options."""
    parser = argparse.ArgumentParser(prog=name, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    return add_common_arguments(parser)


_COMMON = ("quick", "device", "out", "seed", "repeats", "n_jobs", "scheduler", "resume",
           "progress")


def settings_from_args(args):
    """A :class:`Settings` from an ``argparse.Namespace`` (unknown options go to ``extra``)."""
    d = vars(args)
    extra = {k: v for k, v in d.items() if k not in _COMMON and k not in ("func", "command",
                                                                          "name", "rest")}
    return Settings(**{k: d[k] for k in _COMMON if k in d}, extra=extra)


def write_csv(df, settings_or_out, filename):
    """Write a DataFrame as CSV into the output directory; returns the path."""
    out = getattr(settings_or_out, "out", settings_or_out)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, filename)
    tmp = path + ".tmp"
    pd.DataFrame(df).to_csv(tmp, index=False)
    os.replace(tmp, path)
    logger.info("wrote %s", path)
    return path


def write_text(text, settings_or_out, filename):
    """Write a text file (e.g. a Markdown report) into the output directory; returns the path."""
    out = getattr(settings_or_out, "out", settings_or_out)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, filename)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
    logger.info("wrote %s", path)
    return path


def write_json(obj, settings_or_out, filename):
    """Write a JSON record (settings, timings) next to the figures; returns the path."""
    from .runner import jsonable
    out = getattr(settings_or_out, "out", settings_or_out)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, filename)
    with open(path, "w") as fh:
        json.dump(jsonable(obj), fh, indent=1)
    return path


def save_figure(fig, settings_or_out, filename, dpi=120):
    """Save a matplotlib figure as PNG into the output directory, close it; returns the path."""
    import matplotlib.pyplot as plt

    out = getattr(settings_or_out, "out", settings_or_out)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, filename)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    logger.info("wrote %s", path)
    return path


def summarize(df, by, columns):
    """Mean, std and count of ``columns`` per group ``by`` (flat column names).

    The std is the sample standard deviation (ddof=1; NaN for one repeat),
    as the paper's "mean +- std over seeds".
    """
    by = [by] if isinstance(by, str) else list(by)
    g = df.groupby(by, sort=False)[list(columns)]
    mean, std, n = g.mean(), g.std(ddof=1), g.count()
    out = pd.concat({"mean": mean, "std": std, "n": n}, axis=1)
    out.columns = [f"{c}_{stat}" for stat, c in out.columns]
    return out.reset_index()


def grouped_bars(ax, summary, task, column, methods, width=0.25):
    """Bars of ``{column}_mean`` +- ``{column}_std`` per architecture, one bar per method.

    ``summary`` is the output of :func:`summarize` grouped by architecture,
    task and method; rows of ``task`` are drawn on ``ax``, which is returned.
    """
    archs = list(dict.fromkeys(summary.architecture))
    for k, method in enumerate(methods):
        s = summary[(summary.task == task) & (summary.method == method)].set_index(
            "architecture").reindex(archs)
        ax.bar(np.arange(len(archs)) + (k - (len(methods) - 1) / 2) * width,
               s[f"{column}_mean"], width, yerr=np.nan_to_num(s[f"{column}_std"]),
               label=method, capsize=2)
    ax.set_xticks(np.arange(len(archs)), archs)
    ax.set_title(task)
    return ax


@contextmanager
def build_directory(device, prefix):
    """A fresh temporary directory for a standalone device's project, removed afterwards.

    Yields None for the runtime device. A Brian2 standalone project (generated code,
    objects, the binary and its results) takes 0.3-2.5 GB for the networks of a
    protocol, so it is deleted when the block ends, also on an error.
    """
    if device == "runtime":
        yield None
        return
    directory = tempfile.mkdtemp(prefix=prefix)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def use_agg():
    """Select the non-interactive Agg backend (protocols only write files)."""
    import matplotlib
    matplotlib.use("Agg", force=True)


def pick(settings, quick, paper):
    """The quick or paper-scale value of a protocol setting (by ``settings.quick``)."""
    return quick if settings.quick else paper


def run_main(build_parser, run, argv=None):
    """Parse ``argv`` with the protocol's parser, run it, print where the outputs went."""
    args = build_parser().parse_args(argv)
    settings = settings_from_args(args)
    use_agg()
    out = run(settings)
    for path in (out or {}).get("files", []):
        print(f"wrote {path}")
    return out
