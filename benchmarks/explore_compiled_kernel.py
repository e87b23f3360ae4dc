"""Would a compiled kernel meet the N = 1000 target? One measurement, not a dependency.

Protocol (fixed before the run): HRSNN N = 1000 (seed 0, the library's seed stream), the
rate surrogate of Step I's node exponents: 2500 steps of the state and of a k = 100 tangent
block, Householder QR every 10 steps, the same inputs and start for both codes. "scipy" is
the library's path (RateNetwork.step and RateNetwork.jacobian: one CSR Jacobian per step);
"numba" is a plain row loop over the same CSR pattern compiled with numba. Alternating,
three repeats each, in one process after one compile call; then the largest difference of
the final state and block, and one call of the library's rate_lyapunov for scale.

Needs numba, which brian2_lnp does not depend on (``pip install numba``). The result is in
docs/performance.md (section 11) and benchmarks/RESULTS_lnp.md.

    OPENBLAS_NUM_THREADS=1 BRIAN2_LNP_WORKERS=1 python benchmarks/explore_compiled_kernel.py
"""
import os
import time

import numba
import numpy as np
import scipy.sparse as sp

from brian2_lnp.dynamics import rate_lyapunov
from brian2_lnp.dynamics.rate import RateNetwork
from brian2_lnp.models.generate import generate_network

conn = generate_network("hrsnn", N=1000, seed=0).conn
net = RateNetwork(conn)
n, k = net.n, 100
W = net.W.tocsr()
cW = (sp.diags(net.c) @ W).tocsr()


@numba.njit(cache=False)
def advance(h, V, B, a, c, Wp, Wi, Wd, Cp, Ci, Cd, t0, nsub):
    """nsub steps of the state h and of the tangent block V (Jacobian diag(a) + cW diag(d))."""
    n, k = V.shape
    for s in range(nsub):
        ph = np.tanh(h)
        d = 1.0 - ph ** 2
        out = np.empty_like(V)
        for i in range(n):
            for q in range(k):
                out[i, q] = a[i] * V[i, q]
            for p in range(Cp[i], Cp[i + 1]):
                j = Ci[p]
                v = Cd[p] * d[j]
                for q in range(k):
                    out[i, q] += v * V[j, q]
        V = out
        hn = np.empty(n)
        for i in range(n):
            acc = 0.0
            for p in range(Wp[i], Wp[i + 1]):
                acc += Wd[p] * ph[Wi[p]]
            hn[i] = a[i] * h[i] + c[i] * (acc + B[t0 + s, i])
        h = hn
    return h, V


rng = np.random.default_rng(0)
T = 2500
B = 0.1 * rng.standard_normal((T, n))
h0 = 0.1 * rng.standard_normal(n)
V0 = np.linalg.qr(rng.standard_normal((n, k)))[0]
args = (net.a, net.c, W.indptr.astype(np.int64), W.indices.astype(np.int64), W.data,
        cW.indptr.astype(np.int64), cW.indices.astype(np.int64), cW.data)


def run_numba():
    h, V = h0.copy(), V0.copy()
    for t0 in range(0, T, 10):
        h, V = advance(h, V, B, *args, t0, 10)
        V = np.linalg.qr(V)[0]
    return h, V


def run_scipy():
    h, V = h0.copy(), V0.copy()
    for t0 in range(0, T, 10):
        Js = []
        for s in range(10):
            Js.append(net.jacobian(h))
            h = net.step(h, B[t0 + s])
        for J in Js:
            V = J.matmat(V)
        V = np.linalg.qr(V)[0]
    return h, V


print(f"numba {numba.__version__}, numpy {np.__version__}; load average {os.getloadavg()}")
run_numba()  # compile
times = {"scipy": [], "numba": []}
for rep in range(3):
    for name, f in (("scipy", run_scipy), ("numba", run_numba)):
        t = time.perf_counter()
        f()
        times[name].append(time.perf_counter() - t)
        print(rep, name, f"{times[name][-1]:.2f} s", flush=True)
a, b = np.median(times["scipy"]), np.median(times["numba"])
print(f"median scipy {a:.2f} s, numba {b:.2f} s: {a / b:.2f}x")
hs, Vs = run_scipy()
hn, Vn = run_numba()
print("largest difference: state", np.abs(hs - hn).max(), "tangent block", np.abs(Vs - Vn).max())
t = time.perf_counter()
rate_lyapunov(conn, k=100, seed=1)
print(f"library rate_lyapunov (k = 100, 2500 steps): {time.perf_counter() - t:.2f} s; "
      f"load average {os.getloadavg()}")
