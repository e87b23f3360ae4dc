"""Blocked Bartels-Stewart solve of A X + X A^T = Q (brian2_lnp.dynamics.lyapunov_equation).

Independent truths: SciPy's unblocked solver on the same matrices, the residual of
the equation itself, and the closed form X = Q A^-1 / 2 of a symmetric A whose Q
commutes with it (Q = -I).
"""
import numpy as np
import pytest
import scipy.linalg as sla

from brian2_lnp.dynamics.lyapunov_equation import _block_bounds, solve_continuous_lyapunov


def stable_matrix(n, seed, complex_pairs=True):
    """A random stable real matrix; with complex_pairs its Schur form has 2 x 2 blocks."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n)) / np.sqrt(n)
    if not complex_pairs:
        M = 0.5 * (M + M.T)
    shift = np.max(np.linalg.eigvals(M).real) + 0.5
    return M - shift * np.eye(n)


@pytest.mark.parametrize("n,block", [(50, 4), (61, 7), (130, 64), (97, 16)])
@pytest.mark.parametrize("sym_q", [True, False])
def test_matches_scipy_and_solves_the_equation(n, block, sym_q):
    A = stable_matrix(n, seed=n + block)
    rng = np.random.default_rng(block)
    Q = rng.normal(size=(n, n))
    if sym_q:
        Q = Q @ Q.T
    X = solve_continuous_lyapunov(A, Q, block=block)
    ref = sla.solve_continuous_lyapunov(A, Q)
    scale = np.abs(ref).max()
    assert np.abs(X - ref).max() <= 1e-11 * scale
    assert np.abs(A @ X + X @ A.T - Q).max() <= 1e-11 * np.abs(Q).max() * n
    if sym_q:
        assert np.abs(X - X.T).max() <= 1e-12 * scale


def test_symmetric_a_closed_form():
    A = stable_matrix(80, seed=3, complex_pairs=False)
    X = solve_continuous_lyapunov(A, -np.eye(80), block=8)
    np.testing.assert_allclose(X, -0.5 * np.linalg.inv(A), rtol=1e-10, atol=1e-12)


def test_cuts_never_split_a_complex_pair():
    A = stable_matrix(60, seed=1)
    T, _ = sla.schur(A, output="real")
    pairs = [k for k in range(1, 60) if T[k, k - 1] != 0.0]
    assert pairs, "test matrix should have complex eigenvalue pairs"
    for block in range(2, 12):
        bounds = _block_bounds(T, block)
        assert bounds[0] == 0 and bounds[-1] == 60
        assert all(b not in pairs for b in bounds[1:-1])
    # a cut that would fall inside a pair moves one row down
    k = pairs[0]
    assert _block_bounds(T, k)[1] == k + 1


def test_small_matrices_use_scipy_directly():
    A = stable_matrix(10, seed=2)
    Q = -np.eye(10)
    np.testing.assert_array_equal(solve_continuous_lyapunov(A, Q),
                                  sla.solve_continuous_lyapunov(A, Q))


def test_bad_input_names_the_parameter():
    A = stable_matrix(10, seed=2)
    with pytest.raises(ValueError, match="block must be an integer >= 2"):
        solve_continuous_lyapunov(A, -np.eye(10), block=1)
    with pytest.raises(ValueError, match="square and of one shape"):
        solve_continuous_lyapunov(A, -np.eye(9))
