"""Repeat runner: independent repeats in parallel, one result file per repeat, resume.

A protocol is a list of *tasks*: ``(key, function, kwargs)`` where ``key`` is a
short file-safe name (``"lnp_r03"``) and ``function(**kwargs)`` returns any
picklable object (usually a dict of numbers or a pandas DataFrame). Every
task's randomness must come from its kwargs (a seed derived with
:func:`repeat_seed`), so a task gives the same result wherever it runs:
sequentially, in joblib worker processes, or on a Dask cluster.

Each finished task is written to ``<directory>/<key>.pkl`` (atomically: a
temporary file moved into place), next to ``<key>.json`` with its kwargs.
Running the protocol again with the same directory loads finished tasks
instead of recomputing them, so a killed run resumes where it stopped; a task
whose stored kwargs differ from the requested ones is an error (use another
``--out`` or ``--no-resume``) rather than a silent mix of settings.

Result files (format 1) start with a header line and the SHA-256 of the pickled
payload, so a truncated or damaged file is detected and named
(:class:`RepeatFileError`, with the hint to delete it) instead of being
unpickled into a wrong object; plain pickles of older versions are still read.
The ``.json`` record also holds the seed-stream version
(:func:`brian2_lnp.random.seed_stream`); a result made with another stream is
refused on resume (records without one predate stream 2, i.e. stream 1).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..fileio import atomic_write
from ..random import check_seed_stream, child_seed, seed_stream
from ..validation import check_int

__all__ = ["Task", "run_tasks", "repeat_seed", "DaskUnavailableError", "jsonable",
           "RepeatFileError", "load_result", "RESULT_FORMAT_VERSION"]

#: version of the per-repeat result file layout
RESULT_FORMAT_VERSION = 1
_RESULT_MAGIC = b"brian2_lnp.result 1\n"

logger = logging.getLogger(__name__)

_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class DaskUnavailableError(ImportError):
    """``--scheduler`` was given but dask.distributed is not installed."""


class RepeatFileError(ValueError):
    """A stored repeat result or record is truncated, damaged or unreadable."""


def _hint(path):
    return (f"delete {path} (that repeat is then recomputed) or run with --no-resume "
            "(resume=False)")


def load_result(path):
    """Read one stored repeat result (``<key>.pkl``), checking its checksum.

    Raises
    ------
    RepeatFileError
        Naming the file, with a hint, when it is empty, truncated, damaged or
        not a result file.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise RepeatFileError(f"{path}: cannot read repeat result ({exc.strerror or exc}); "
                              f"{_hint(path)}") from None
    if data.startswith(_RESULT_MAGIC):
        head = len(_RESULT_MAGIC)
        digest, payload = data[head:head + 64], data[head + 65:]
        if (len(data) < head + 65 or data[head + 64:head + 65] != b"\n"
                or hashlib.sha256(payload).hexdigest().encode() != digest):
            raise RepeatFileError(f"{path}: corrupt or truncated repeat result (checksum "
                                  f"mismatch); {_hint(path)}")
    elif data[:1] == b"\x80":  # a plain pickle (protocol >= 2) written by older versions
        payload = data
    else:
        what = "empty file" if not data else "not a brian2_lnp repeat result"
        raise RepeatFileError(f"{path}: {what}; {_hint(path)}")
    try:
        return pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 -- a damaged pickle can raise almost anything
        raise RepeatFileError(f"{path}: cannot unpickle repeat result ({type(exc).__name__}: "
                              f"{exc}); {_hint(path)}") from None


def _load_record(path):
    try:
        with open(path, encoding="utf-8") as fh:
            rec = json.load(fh)
    except (OSError, ValueError) as exc:
        raise RepeatFileError(f"{path}: corrupt or unreadable repeat record ({exc}); "
                              f"{_hint(path)}") from None
    if not isinstance(rec, dict) or not isinstance(rec.get("kwargs", {}), dict):
        raise RepeatFileError(f"{path}: not a repeat record (expected a JSON object with "
                              f"'kwargs'); {_hint(path)}")
    return rec


def repeat_seed(base_seed, *keys):
    """An int seed for one repeat, derived from the base seed and string/int keys.

    Same base seed and keys -> same seed, independent of the execution order
    or backend (``child_seed`` hashes the keys into the seed sequence).
    """
    if seed_stream() == 1:
        # stream 1's child_seed read only 8 bytes of a string key, so long names
        # were hashed here first ("lnp_repeat" and "lnp_repeated" must differ)
        keys = [k if isinstance(k, (int, np.integer)) else zlib.crc32(str(k).encode())
                for k in keys]
    return int(child_seed(base_seed, *keys).integers(2**31 - 1))


def jsonable(value):
    """Plain JSON-able Python for kwargs records (NumPy scalars, tuples, paths)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return repr(value)


@dataclass
class Task:
    """One unit of work of a protocol.

    Attributes
    ----------
    key : str
        File-safe unique name (letters, digits, ``_.-``).
    function : callable
        A module-level function (it is pickled by reference for worker
        processes and Dask workers).
    kwargs : dict
        Keyword arguments; recorded next to the result and compared on resume.
    """

    key: str
    function: object
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.key, str) or not _KEY_RE.match(self.key):
            raise ValueError(f"key: must be a non-empty file-safe name ([A-Za-z0-9_.-]), "
                             f"got {self.key!r}")
        if not callable(self.function):
            raise TypeError(f"function: task {self.key!r} needs a callable")

    @property
    def record(self):
        fn = self.function
        return {"key": self.key,
                "function": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}",
                "kwargs": jsonable(self.kwargs)}


def _execute(function, kwargs):
    """Run one task in whatever process it lands in; returns (result, seconds)."""
    t0 = time.perf_counter()
    out = function(**kwargs)
    return out, time.perf_counter() - t0


def _atomic_pickle(obj, path):
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest().encode()
    atomic_write(path, lambda fh: fh.write(_RESULT_MAGIC + digest + b"\n" + payload), "wb")


def _atomic_text(text, path):
    atomic_write(path, lambda fh: fh.write(text))


def _dask_client(scheduler):
    try:
        from dask.distributed import Client
    except ImportError as exc:  # optional extra
        raise DaskUnavailableError(
            "scheduler: running on a Dask cluster needs dask.distributed; install it with "
            "`pip install dask[distributed]` (or the brian2_lnp[dask] extra)") from exc
    if hasattr(scheduler, "submit"):  # already a Client
        return scheduler, False
    if hasattr(scheduler, "scheduler_address"):  # a LocalCluster / cluster object
        return Client(scheduler), True
    if not isinstance(scheduler, str) or not scheduler:
        raise ValueError("scheduler: expected a scheduler address such as "
                         f"'tcp://127.0.0.1:8786', a Client or a cluster, got {scheduler!r}")
    return Client(scheduler), True


def run_tasks(tasks, directory=None, *, n_jobs=1, scheduler=None, resume=True, progress=True,
              desc="repeats", on_result=None):
    """Run tasks (in parallel), store each result, and resume from stored results.

    Parameters
    ----------
    tasks : sequence of Task
        Keys must be unique.
    directory : str or path, optional
        Where per-task results go (``<key>.pkl`` + ``<key>.json``). None: keep
        nothing on disk (no resume).
    n_jobs : int
        joblib worker processes when no scheduler is given (1: run in this
        process, which is what the tests and ``--quick`` use; -1: all cores).
    scheduler : str, dask Client or cluster, optional
        Run on a Dask distributed cluster instead of joblib (address like
        ``"tcp://host:8786"``). dask is imported only here.
    resume : bool
        Load results already in ``directory`` instead of recomputing them.
    progress : bool
        tqdm progress bar over tasks.
    desc : str
        Progress bar label.
    on_result : callable, optional
        ``on_result(task, result, seconds)``, called in this process as soon as
        a computed task's result is stored (not for results loaded on resume),
        e.g. to write its small tables before the other tasks finish.

    Returns
    -------
    dict
        key -> result, in the order of ``tasks``. ``run_tasks.last_info`` (an
        attribute of the function) holds per-key ``{"seconds", "resumed"}``.

    Raises
    ------
    ValueError
        Duplicate keys, or a stored result made with other kwargs.
    DaskUnavailableError
        ``scheduler`` given without dask.distributed installed.
    """
    from tqdm.auto import tqdm

    tasks = list(tasks)
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"tasks: keys must be unique, repeated: {dup}")
    if scheduler is None:
        n_jobs = check_int("n_jobs", n_jobs, -1)
        if n_jobs == 0:
            raise ValueError("n_jobs: must be >= 1 or -1 (all cores), got 0")
    results, info = {}, {}
    todo = []
    if directory is not None:
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
    for t in tasks:
        if directory is not None and resume:
            pkl = os.path.join(directory, f"{t.key}.pkl")
            rec = os.path.join(directory, f"{t.key}.json")
            if os.path.exists(pkl):
                stored = _load_record(rec) if os.path.exists(rec) else None
                wanted = json.loads(json.dumps(t.record))
                if stored is not None and stored.get("kwargs") != wanted["kwargs"]:
                    raise ValueError(
                        f"directory: the stored result {pkl} was made with other settings "
                        f"({stored.get('kwargs')} != {wanted['kwargs']}); use another output "
                        "directory or resume=False (--no-resume)")
                if stored is not None:
                    # records without a stream predate stream 2
                    check_seed_stream(stored.get("seed_stream", 1), pkl)
                results[t.key] = load_result(pkl)
                info[t.key] = {"seconds": (stored or {}).get("seconds"), "resumed": True}
                continue
        todo.append(t)
    if len(todo) < len(tasks):
        logger.info("run_tasks: %d of %d tasks loaded from %s", len(tasks) - len(todo),
                    len(tasks), directory)

    def store(t, out, seconds):
        results[t.key] = out
        info[t.key] = {"seconds": seconds, "resumed": False}
        if directory is not None:
            # the record goes first: every result file then has its record (settings
            # and seed stream are checked on resume); a record without a result
            # (a kill in between) only means that the repeat is run again
            _atomic_text(json.dumps({**t.record, "seconds": seconds,
                                     "seed_stream": seed_stream(),
                                     "result_format": RESULT_FORMAT_VERSION}, indent=1),
                         os.path.join(directory, f"{t.key}.json"))
            _atomic_pickle(out, os.path.join(directory, f"{t.key}.pkl"))
        if on_result is not None:
            on_result(t, out, seconds)

    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), disable=not progress,
               desc=desc, unit="task")
    try:
        if not todo:
            pass
        elif scheduler is not None:
            client, own = _dask_client(scheduler)
            try:
                from dask.distributed import as_completed
                futures = {client.submit(_execute, t.function, t.kwargs, key=f"{t.key}-"
                                         f"{os.getpid()}-{time.time_ns()}", pure=False): t
                           for t in todo}
                for fut in as_completed(futures):
                    out, sec = fut.result()
                    store(futures[fut], out, sec)
                    bar.update(1)
            finally:
                if own:
                    client.close()
        elif n_jobs == 1 or len(todo) == 1:
            for t in todo:
                out, sec = _execute(t.function, t.kwargs)
                store(t, out, sec)
                bar.update(1)
        else:
            from joblib import Parallel, delayed
            try:  # joblib >= 1.4: store each result as soon as it is done
                par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            except (TypeError, ValueError):  # older joblib: all results at the end
                par = Parallel(n_jobs=n_jobs)
            gen = par(delayed(_run_keyed)(i, t.function, t.kwargs) for i, t in enumerate(todo))
            for i, out, sec in gen:
                store(todo[i], out, sec)
                bar.update(1)
    finally:
        bar.close()
    run_tasks.last_info = info
    return {k: results[k] for k in keys}


def _run_keyed(i, function, kwargs):
    out, sec = _execute(function, kwargs)
    return i, out, sec


run_tasks.last_info = {}
