"""A fixed BLAS thread count, so that linear algebra gives the same bits everywhere.

Multi-threaded BLAS/LAPACK (OpenBLAS, MKL) splits sums across threads, so the
last bits of a dense eigenvalue problem or Lyapunov solve depend on the number
of threads (measured with OpenBLAS 0.3.30: ``scipy.linalg.eigvals`` of a
300 x 300 matrix and ``solve_continuous_lyapunov`` at n = 1000 differ between 1
and 2 threads). The pruning decisions of LNP (the stability scale of
:func:`~brian2_lnp.dynamics.linearize`, the keep/prune draws on the covariance)
depend on those bits, and the thread count is not fixed from run to run: it
follows ``OPENBLAS_NUM_THREADS``, the machine, and joblib, which gives each of
``n_jobs`` workers ``cores // n_jobs`` threads.

:func:`fixed_blas_threads` pins the BLAS thread count for a block (through
threadpoolctl) to :func:`blas_threads`: 1 by default, or the value of the
environment variable ``BRIAN2_LNP_BLAS_THREADS``. Same seed and same value give
the same bits; a larger value can be faster for dense routes at n ~ 1000 but
its results are only reproducible with that same value.

Worker threads
--------------
:func:`workers` is the number of threads that independent pieces of work of
the dynamics (tangent-vector column blocks, covariance chain blocks, input
sequences of a batch) are spread over by :func:`parallel_map`: the value set
by the context manager :func:`use_workers`, else the environment variable
``BRIAN2_LNP_WORKERS``, else ``min(2, os.cpu_count())``. SciPy's sparse
products and NumPy's element-wise kernels release the GIL, so threads use
several cores without copying the network into processes. The work is always
cut into the same pieces, whatever the worker count, and each piece's
arithmetic does not depend on which thread runs it, so results are
bit-identical for any number of workers (tests/test_parallel.py). BLAS stays
pinned by :func:`fixed_blas_threads` (the limit is process-wide, so it holds
in the worker threads too; with an OpenMP-threaded BLAS, whose limit is per
thread, each worker task sets it for its own thread).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import threading

__all__ = ["fixed_blas_threads", "blas_threads", "BLAS_THREADS_ENV", "workers",
           "use_workers", "parallel_map", "WORKERS_ENV"]

#: environment variable overriding the pinned BLAS thread count (default 1)
BLAS_THREADS_ENV = "BRIAN2_LNP_BLAS_THREADS"
#: environment variable setting the number of worker threads (default min(2, cores))
WORKERS_ENV = "BRIAN2_LNP_WORKERS"

logger = logging.getLogger(__name__)
_warned = []


def blas_threads():
    """The BLAS thread count used inside :func:`fixed_blas_threads` (>= 1)."""
    raw = os.environ.get(BLAS_THREADS_ENV, "").strip()
    if not raw:
        return 1
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{BLAS_THREADS_ENV}: must be an integer >= 1, got {raw!r}")
    return n


@contextlib.contextmanager
def fixed_blas_threads():
    """Context manager (and decorator): BLAS/LAPACK run on :func:`blas_threads` threads."""
    if getattr(_local, "in_pool", False):
        # a worker thread of parallel_map: the caller holds the (process-wide) limit;
        # setting and restoring it here would race with the other workers
        yield
        return
    n = blas_threads()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a dependency of brian2_lnp; missing only with --no-deps installs
        if not _warned:
            _warned.append(True)
            logger.warning("threadpoolctl is not installed (pip install threadpoolctl): the "
                           "BLAS thread count is not pinned, so results may differ in the "
                           "last bits between machines and thread settings")
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


_override = []          # stack of use_workers() values (innermost last)
_local = threading.local()  # marks pool threads, so nested parallel_map runs serially
_pools = {}
_pools_lock = threading.Lock()


def _forget_pools_in_child():
    # a forked child has the parent's executors but none of their threads: submitting
    # to them would wait forever, so the child starts its own pools
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)


def _check_workers(name, value):
    try:
        n = int(str(value).strip())
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{name}: number of worker threads must be an integer >= 1, "
                         f"got {value!r}")
    return n


def workers():
    """Worker threads used by :func:`parallel_map` (>= 1).

    The innermost :func:`use_workers` value, else ``BRIAN2_LNP_WORKERS``, else
    ``min(2, os.cpu_count())`` (2: the pieces of work are few and each gains
    less than 2x from a third thread on memory-bound sparse products).
    """
    if _override:
        return _override[-1]
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        return _check_workers(WORKERS_ENV, raw)
    return max(1, min(2, os.cpu_count() or 1))


@contextlib.contextmanager
def use_workers(n):
    """Context manager: :func:`parallel_map` uses ``n`` worker threads inside the block.

    Results do not depend on ``n`` (only the wall time does).
    """
    n = _check_workers("workers", n)
    _override.append(n)
    try:
        yield n
    finally:
        _override.pop()


def _pool(n):
    with _pools_lock:
        pool = _pools.get(n)
        if pool is None:
            pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=n, thread_name_prefix="brian2_lnp",
                initializer=setattr, initargs=(_local, "in_pool", True))
            _pools[n] = pool
        return pool


def parallel_map(fn, items):
    """``[fn(x) for x in items]``, spread over :func:`workers` threads.

    The order of the results is that of ``items``; an exception of any call is
    raised after all calls have finished (so every piece of work is done the
    same way whatever the worker count). Runs serially with one worker, one
    item, or when called from inside a worker thread (no nested pools).
    """
    items = list(items)
    n = min(workers(), len(items))
    if n <= 1 or getattr(_local, "in_pool", False):
        out, first_exc = [], None
        for x in items:
            try:
                out.append(fn(x))
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the others
                out.append(None)
                first_exc = first_exc or exc
        if first_exc is not None:
            raise first_exc
        return out
    with fixed_blas_threads():  # held by this thread for all workers
        task = _per_thread_limit(fn) if _blas_limit_is_per_thread() else fn
        futures = [_pool(n).submit(task, x) for x in items]
        concurrent.futures.wait(futures)
    return [f.result() for f in futures]


_layers = []


def _blas_limit_is_per_thread():
    """True when a loaded BLAS is OpenMP-threaded (its thread limit is per thread)."""
    if not _layers:
        try:
            from threadpoolctl import threadpool_info
            _layers.append(any(i.get("user_api") == "blas"
                               and i.get("threading_layer") == "openmp"
                               for i in threadpool_info()))
        except ImportError:
            _layers.append(False)
    return _layers[0]


def _per_thread_limit(fn):
    """``fn`` run under the BLAS limit set in its own thread (OpenMP BLAS builds)."""
    def task(x):
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=blas_threads(), user_api="blas"):
            return fn(x)
    return task
