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
"""
from __future__ import annotations

import contextlib
import logging
import os

__all__ = ["fixed_blas_threads", "blas_threads", "BLAS_THREADS_ENV"]

#: environment variable overriding the pinned BLAS thread count (default 1)
BLAS_THREADS_ENV = "BRIAN2_LNP_BLAS_THREADS"

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
