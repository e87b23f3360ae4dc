"""Dense continuous Lyapunov equations ``A X + X A^T = Q`` by blocked Bartels-Stewart.

:func:`scipy.linalg.solve_continuous_lyapunov` reduces A to real Schur form
``A = U T U^T`` and then solves ``T Y + Y T^T = U^T Q U`` with LAPACK's
``?trsyl``, which works element by element (Level-2 BLAS at best). At n = 1000
that triangular solve is about four fifths of the whole solve (measured in
``benchmarks/bench_lyapunov_solve.py``). LAPACK 3.10 added a blocked solver
(``?trsyl3``) that SciPy does not expose, so this module does the same thing
with SciPy's pieces: it cuts T into diagonal blocks (never splitting a 2 x 2
block of a complex eigenvalue pair), solves each small block equation with
``?trsyl`` and moves everything else into matrix products (Level-3 BLAS).
When Q is symmetric, so is the solution, and only the blocks on and above the
diagonal are solved (half the work).

The result equals SciPy's to rounding (the blocks are the same back-substitution,
summed in a different order); ``tests/test_lyapunov_equation.py`` checks this
and the residual on matrices with real and complex eigenvalues.
"""
import numpy as np
import scipy.linalg as sla

#: Diagonal block size of the blocked solve (measured: 48-96 are about equally fast at
#: n = 1000; below ``2 * BLOCK`` SciPy's unblocked solver is used as it is).
BLOCK = 64


def _block_bounds(T, block):
    """Cut points 0 = b_0 < ... < b_p = n of T's diagonal blocks, none inside a 2 x 2 block."""
    n = T.shape[0]
    bounds = [0]
    while bounds[-1] < n:
        cut = min(bounds[-1] + block, n)
        if cut < n and T[cut, cut - 1] != 0.0:
            cut += 1  # keep the complex pair's 2 x 2 block whole
        bounds.append(cut)
    return bounds


def solve_continuous_lyapunov(A, Q, block=BLOCK):
    """Solve ``A X + X A^T = Q`` for real dense A and Q (SciPy's convention).

    Parameters
    ----------
    A, Q : array_like, shape (n, n)
        Real matrices. A must have no two eigenvalues with ``l_i + l_j = 0``
        (true for a stable A).
    block : int >= 2
        Diagonal block size of the triangular solve.

    Returns
    -------
    X : ndarray, shape (n, n)
    """
    A = np.asarray(A, dtype=float)
    Q = np.asarray(Q, dtype=float)
    n = A.shape[0]
    if A.shape != (n, n) or Q.shape != (n, n):
        raise ValueError(f"solve_continuous_lyapunov: A and Q must be square and of one "
                         f"shape, got {A.shape} and {Q.shape}")
    block = int(block)
    if block < 2:
        raise ValueError(f"block must be an integer >= 2, got {block}")
    if n < 2 * block:
        return sla.solve_continuous_lyapunov(A, Q)
    T, U = sla.schur(A, output="real")
    F = U.T @ Q @ U
    symmetric = np.array_equal(Q, Q.T)
    trsyl, = sla.get_lapack_funcs(("trsyl",), (T,))
    bounds = _block_bounds(T, block)
    p = len(bounds) - 1
    Y = np.zeros_like(F)
    # Column blocks right to left, row blocks bottom to top: every block of Y that the
    # right-hand side of block (i, j) needs (rows below i in column j, columns right of j
    # in row i) is then known. With a symmetric Q, block (i, j) for i > j is the
    # transpose of block (j, i), written when that one is solved.
    for j in range(p - 1, -1, -1):
        j0, j1 = bounds[j], bounds[j + 1]
        for i in range(j if symmetric else p - 1, -1, -1):
            i0, i1 = bounds[i], bounds[i + 1]
            rhs = F[i0:i1, j0:j1].copy()
            if i1 < n:
                rhs -= T[i0:i1, i1:] @ Y[i1:, j0:j1]
            if j1 < n:
                rhs -= Y[i0:i1, j1:] @ T[j0:j1, j1:].T
            y, scale, info = trsyl(T[i0:i1, i0:i1], T[j0:j1, j0:j1], rhs, tranb="T")
            if info < 0:
                raise np.linalg.LinAlgError(f"?trsyl: illegal value in argument {-info}")
            if scale != 1.0:  # LAPACK solved for scale * rhs to avoid overflow
                y = y / scale
            Y[i0:i1, j0:j1] = y
            if symmetric and i != j:
                Y[j0:j1, i0:i1] = y.T
    return U @ Y @ U.T
