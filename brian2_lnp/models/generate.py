"""Pure-NumPy generator of HRSNN and CHRSNN networks (no Brian2 import).

:func:`generate_network` turns a validated :class:`~brian2_lnp.models.config.ModelConfig`
into a :class:`~brian2_lnp.models.spec.NetworkSpec`: neuron types, per-neuron
membrane time constants and thresholds (quantile mapping), recurrent synapses
with signed weights (Dale's law), per-synapse STDP parameters and input
synapses. The Brian2 layer (:mod:`brian2_lnp.models.network`) builds Brian2
objects from the spec with ``Synapses.connect(i=..., j=...)``, so the
connectivity is known in Python on every device.

Randomness comes from named, independent sub-streams of one base seed
(``child_seed(base, "tau_m")``, ``"threshold"``, ``"positions"``,
``"connectivity"``, ``"weights"``, ``"stdp"``, ``"input"``): changing one part of
a model file (say the STDP distributions) leaves every other random draw
unchanged.

Neuron numbering: excitatory neurons first (0 .. n_exc-1), then inhibitory, so
the Brian2 layer can use contiguous subgroups. In CHRSNN, within each
population the neurons are ordered by cluster.
"""
from __future__ import annotations

import logging

import numpy as np
from scipy.spatial.distance import cdist

from ..graph import EXCITATORY, INHIBITORY, Connectivity
from ..random import as_generator, child_seed, seed_stream
from ..validation import check_int
from .config import ModelConfig, load_model
from .distributions import Distribution, tau_m_from_quantiles, uniforms
from .spec import NetworkSpec

__all__ = ["generate_network", "draw_stdp_params", "tau_m_from_quantiles", "tau_m_groups",
           "cluster_tau_distributions", "grid_positions", "grid_shape"]

logger = logging.getLogger(__name__)

#: number of (pre, post) pairs handled per block when sampling connections;
#: bounds memory (~5 arrays of this many float64) independently of N
_BLOCK_PAIRS = 1 << 21

_TYPE_KEYS = np.array([["EE", "EI"], ["IE", "II"]])


# ----------------------------------------------------------------------------- helpers
def _resolve_seed(seed):
    """One integer base seed for all sub-streams (recorded in the spec).

    A Generator or None is turned into an int once, so that every named
    sub-stream is derived from the same base and the network can be rebuilt
    from ``spec.seed``.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    as_generator(seed)  # type / sign check with the shared message
    return int(seed)


def _as_config(config, N=None):
    if not isinstance(config, ModelConfig):
        config = load_model(config)
    if N is not None:
        check_int("N", N, 1)
        config = config.with_overrides(N=int(N))
    return config


def _type_matrix(per_type):
    """2x2 array M[pre_type, post_type] from a {EE, EI, IE, II} mapping."""
    return np.array([[per_type["EE"], per_type["EI"]], [per_type["IE"], per_type["II"]]],
                    dtype=float)


def _gamma_from_mean_cv(mean, cv):
    return Distribution.make("gamma", shape=1.0 / cv**2, scale=mean * cv**2)


def _magnitudes(rng, means, cv):
    """Per-synapse positive magnitudes: Gamma with the given means and CV (cv = 0: constant)."""
    means = np.asarray(means, dtype=float)
    if cv == 0 or means.size == 0:
        return means.copy()
    # Gamma(k, mean/k) with k = 1/cv^2, drawn by quantile mapping of a unit-scale Gamma
    unit = _gamma_from_mean_cv(1.0, cv)
    return means * unit.ppf(uniforms(rng, means.size))


def grid_shape(N):
    """Smallest near-cubic box holding N sites: (s,s,s), (s,s,s-1) or (s,s-1,s-1).

    s = ceil(N ** (1/3)). E.g. N=125 -> (5,5,5); N=100 -> (5,5,4);
    N=5000 -> (18,17,17).
    """
    N = check_int("N", N, 1)
    s = max(1, int(round(N ** (1.0 / 3.0))))
    while s ** 3 < N:
        s += 1
    while s > 1 and (s - 1) ** 3 >= N:
        s -= 1
    for shape in ((s, s - 1, s - 1), (s, s, s - 1), (s, s, s)):
        if int(np.prod(shape)) >= N:
            return shape
    raise AssertionError("unreachable")


def grid_positions(N, shape="auto", spacing=1.0):
    """The first N sites of a 3-D grid in C order, as an (N, 3) float array.

    ``shape="auto"`` uses :func:`grid_shape`; when N does not fill the box the
    last layer (largest first coordinate) is partly filled.
    """
    shape = grid_shape(N) if shape == "auto" else tuple(int(s) for s in shape)
    if int(np.prod(shape)) < N:
        raise ValueError(f"shape: grid {list(shape)} has fewer than N={N} sites")
    idx = np.arange(N)
    return np.stack(np.unravel_index(idx, shape), axis=1).astype(float) * float(spacing)


def _sample_pairs(rng, rows, cols, prob_block):
    """Bernoulli-sample directed pairs (rows[a] -> cols[b]) blockwise over rows.

    ``prob_block(r, c)`` returns the (len(r), len(c)) probability matrix; the
    caller zeroes self-pairs. Memory stays O(_BLOCK_PAIRS) for any N, and the
    random stream is consumed in a fixed order (reproducible).
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    pres, posts = [], []
    if rows.size == 0 or cols.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    step = max(1, _BLOCK_PAIRS // cols.size)
    for start in range(0, rows.size, step):
        r = rows[start:start + step]
        P = prob_block(r, cols)
        hit = rng.random(P.shape) < P
        a, b = np.nonzero(hit)
        pres.append(r[a])
        posts.append(cols[b])
    return np.concatenate(pres), np.concatenate(posts)


def cluster_tau_distributions(config):
    """The K Gamma distributions of tau_m of a CHRSNN config (in cluster order).

    The rule form ``{shape, scale_from, scale_to}`` gives geometrically spaced
    scales (``numpy.geomspace``); K = 1 uses ``scale_from``.
    """
    cl = config.clusters
    if isinstance(cl.tau_m, list):
        return list(cl.tau_m)
    K = cl.K
    scales = (np.array([cl.tau_m["scale_from"]]) if K == 1 else
              np.geomspace(cl.tau_m["scale_from"], cl.tau_m["scale_to"], K))
    return [Distribution.make("gamma", shape=cl.tau_m["shape"], scale=s) for s in scales]


def tau_m_groups(spec_or_config, types=None, cluster=None):
    """Which neurons draw tau_m from which Gamma distribution.

    Parameters
    ----------
    spec_or_config : NetworkSpec or ModelConfig
        With a config, also give ``types`` and ``cluster`` (arrays of length N).

    Returns
    -------
    dict
        name -> (index array, shape, scale). HRSNN: ``"E"``, ``"I"``;
        CHRSNN: ``"cluster0"``, ``"cluster1"``, ... Re-draw a group's tau_m with
        ``tau_m_from_quantiles(spec.u_tau[idx], new_shape, new_scale)``.
    """
    if isinstance(spec_or_config, NetworkSpec):
        config = spec_or_config.config
        if config is None:
            raise ValueError("spec_or_config: this NetworkSpec has no model config "
                             "(built by hand?); pass the ModelConfig with types and cluster")
        types, cluster = spec_or_config.conn.types, spec_or_config.conn.cluster
    else:
        config = spec_or_config
        if types is None or cluster is None:
            raise ValueError("types, cluster: required when passing a ModelConfig")
    types = np.asarray(types)
    cluster = np.asarray(cluster)
    if config.model == "hrsnn":
        tm = config.neuron.tau_m
        return {name: (np.flatnonzero(types == code), tm[name]["shape"], tm[name]["scale"])
                for name, code in (("E", EXCITATORY), ("I", INHIBITORY))}
    return {f"cluster{c}": (np.flatnonzero(cluster == c), d["shape"], d["scale"])
            for c, d in enumerate(cluster_tau_distributions(config))}


def draw_stdp_params(config, pre_types, post_types, seed=None):
    """Per-synapse STDP parameters for synapses with the given pre/post types.

    E->E and E->I synapses are plastic (seed 002 Eq. 3-5); their tau_pre,
    tau_post, A_plus and |A_minus| are drawn from the config's ``stdp``
    distributions. Used by the generator and for synapses added later
    (LNP Step III).

    Parameters
    ----------
    config : ModelConfig or path/dict accepted by :func:`load_model`
    pre_types, post_types : array of int (S,)
        0 = E, 1 = I (``Connectivity.types[pre]``, ``types[post]``).
    seed : None, int or numpy Generator

    Returns
    -------
    dict
        ``plastic`` (bool), ``tau_pre``, ``tau_post`` (second), ``A_plus``
        (volt, > 0), ``A_minus`` (volt, < 0); arrays of shape (S,), zero where
        not plastic.
    """
    config = _as_config(config)
    pre_types = np.asarray(pre_types).ravel()
    post_types = np.asarray(post_types).ravel()
    if pre_types.shape != post_types.shape:
        raise ValueError(f"pre_types, post_types: must have the same length, got "
                         f"{pre_types.size} and {post_types.size}")
    for name, arr in (("pre_types", pre_types), ("post_types", post_types)):
        if not np.isin(arr, [EXCITATORY, INHIBITORY]).all():
            raise ValueError(f"{name}: entries must be 0 (E) or 1 (I)")
    rng = as_generator(seed)
    plastic = pre_types == EXCITATORY
    n = int(plastic.sum())
    out = {"plastic": plastic}
    st = config.stdp
    for name, sign in (("tau_pre", 1), ("tau_post", 1), ("A_plus", 1), ("A_minus", -1)):
        arr = np.zeros(pre_types.size)
        arr[plastic] = sign * st[name].sample(rng, n)
        out[name] = arr
    return out


# ----------------------------------------------------------------------------- generator
def generate_network(config, N=None, seed=None, n_inputs=None):
    """Generate an HRSNN or CHRSNN as plain NumPy (a :class:`NetworkSpec`).

    Parameters
    ----------
    config : ModelConfig, str, path or dict
        A validated config, or anything :func:`load_model` reads (e.g. ``"hrsnn_small"``).
    N : int, optional
        Number of recurrent neurons (overrides the config's N, re-validated).
    seed : None, int or numpy Generator
        Same int seed -> identical spec. The base seed actually used is stored
        in ``spec.seed`` and ``spec.conn.provenance["seed"]``.
    n_inputs : int, optional
        Number of input channels (default: the config's ``input.n_channels``).

    Returns
    -------
    NetworkSpec

    Notes
    -----
    HRSNN: neuron i sits on grid site ``positions[i]``; P(i -> j) =
    C[type_i type_j] exp(-(D_ij / lambda)^2), no self-connections.
    CHRSNN: Erdos-Renyi inside each cluster, plus a Watts-Strogatz-style ring of
    clusters joined by rewired bridge synapses (see docs/models.md).
    """
    config = _as_config(config, N)
    n_inputs = config.input.n_channels if n_inputs is None else check_int("n_inputs", n_inputs, 0)
    base = _resolve_seed(seed)
    N, n_exc = config.N, config.n_exc
    types = np.repeat(np.array([EXCITATORY, INHIBITORY], dtype=np.int8), [n_exc, N - n_exc])

    extra = {}
    if config.model == "hrsnn":
        cluster = np.zeros(N, dtype=np.int64)
        positions, pre, post, grid = _hrsnn_connectivity(config, types, base)
        extra["grid_shape"] = grid
    else:
        cluster = _chrsnn_clusters(config, types)
        positions = None
        pre, post, info = _chrsnn_connectivity(config, types, cluster, base)
        extra.update(info)

    # per-neuron uniforms behind tau_m and thresholds (quantile mapping)
    u_tau = uniforms(child_seed(base, "tau_m"), N)
    tau_m = np.empty(N)
    for _, (idx, shape, scale) in tau_m_groups(config, types, cluster).items():
        tau_m[idx] = tau_m_from_quantiles(u_tau[idx], shape, scale)
    u_th = uniforms(child_seed(base, "threshold"), N)
    v_th = config.neuron.v_th.ppf(u_th)

    # weights: magnitude per pathway (Gamma with CV), sign from the presynaptic type
    tpre, tpost = types[pre].astype(np.int64), types[post].astype(np.int64)
    w_mean = _type_matrix(config.weights)[tpre, tpost]
    w = np.sign(w_mean) * _magnitudes(child_seed(base, "weights"), np.abs(w_mean),
                                      config.weights.cv)
    stdp = draw_stdp_params(config, tpre, tpost, child_seed(base, "stdp"))
    # plastic weights live in [0, w_max] under STDP; clip the initial draw to match
    over = stdp["plastic"] & (w > config.stdp.w_max)
    w[over] = config.stdp.w_max
    extra["n_weights_clipped"] = int(over.sum())
    if over.any():
        logger.info("generate_network: %d of %d plastic weights clipped to w_max",
                    int(over.sum()), int(stdp["plastic"].sum()))

    input_pre, input_post, input_w = _input_synapses(config, N, n_inputs,
                                                     child_seed(base, "input"))
    extra["u_th"] = u_th
    # background rate per input channel (Hz), read by the Brian2 layer when a run
    # has no task input
    extra["input_rate"] = float(config.input.rate)

    conn = Connectivity(N, pre, post, w, types=types, cluster=cluster, tau_m=tau_m,
                        provenance={"seed": base, "model": config.model,
                                    "model_file": config.source, "iteration": 0,
                                    "generator": "brian2_lnp.models.generate",
                                    "seed_stream": seed_stream()})
    return NetworkSpec(
        model=config.model, conn=conn, v_th=v_th, v_rest=config.neuron.v_rest,
        v_reset=config.neuron.v_reset, t_ref=config.neuron.t_ref,
        tau_syn=config.neuron.tau_syn, w_max=config.stdp.w_max, plastic=stdp["plastic"],
        tau_pre=stdp["tau_pre"], tau_post=stdp["tau_post"], A_plus=stdp["A_plus"],
        A_minus=stdp["A_minus"], n_inputs=n_inputs, input_pre=input_pre,
        input_post=input_post, input_w=input_w, positions=positions, u_tau=u_tau,
        seed=base, config=config, extra=extra)


def _hrsnn_connectivity(config, types, base):
    cc = config.connectivity
    N = config.N
    shape = grid_shape(N) if cc.grid.shape == "auto" else cc.grid.shape
    sites = grid_positions(N, shape, cc.grid.spacing)
    # neurons take the sites in random order, so E and I are interleaved in space
    positions = sites[child_seed(base, "positions").permutation(N)]
    C = _type_matrix(cc.C)
    inv_lam2 = 1.0 / cc["lambda"] ** 2
    t = types.astype(np.int64)
    n_exc = config.n_exc

    def prob(r, c):  # c is arange(N) here, so neuron r[a] is column r[a]
        P = cdist(positions[r], positions[c], "sqeuclidean")
        P *= -inv_lam2
        np.exp(P, out=P)
        # C by pathway; neurons are sorted E then I, so columns split in two blocks
        P[:, :n_exc] *= C[t[r], EXCITATORY][:, None]
        P[:, n_exc:] *= C[t[r], INHIBITORY][:, None]
        P[np.arange(r.size), r] = 0.0  # no self-connections
        return P

    idx = np.arange(N)
    pre, post = _sample_pairs(child_seed(base, "connectivity"), idx, idx, prob)
    return positions, pre, post, tuple(int(s) for s in shape)


def _split_counts(total, weights):
    """Integer split of ``total`` proportional to ``weights`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def _chrsnn_clusters(config, types):
    """Cluster id per neuron: K clusters of N//K (+1 for the first N%K), the E
    count split across clusters in proportion (largest remainder)."""
    N, K, n_exc = config.N, config.clusters.K, config.n_exc
    sizes = np.full(K, N // K, dtype=np.int64)
    sizes[:N % K] += 1
    e_per = _split_counts(n_exc, sizes)
    i_per = sizes - e_per
    if (i_per < 0).any():  # cannot happen with proportional split, kept as a guard
        raise AssertionError("negative inhibitory count in a cluster")
    return np.concatenate([np.repeat(np.arange(K), e_per), np.repeat(np.arange(K), i_per)])


def _ring_pairs(K, k):
    """Ordered cluster pairs (a, b) of a ring lattice: b within k/2 steps of a."""
    pairs = set()
    for a in range(K):
        for step in range(1, k // 2 + 1):
            for b in ((a + step) % K, (a - step) % K):
                if b != a:
                    pairs.add((a, b))
    return sorted(pairs)


def _chrsnn_connectivity(config, types, cluster, base):
    cl = config.clusters
    N, K = config.N, cl.K
    t = types.astype(np.int64)
    P_type = _type_matrix(cl.p_intra)
    rng = child_seed(base, "connectivity")
    members = [np.flatnonzero(cluster == c) for c in range(K)]

    pres, posts = [], []
    for idx in members:  # Erdos-Renyi inside each cluster, type-dependent probability
        def prob(r, c):
            P = P_type[t[r][:, None], t[c][None, :]]
            P[r[:, None] == c[None, :]] = 0.0
            return P
        a, b = _sample_pairs(rng, idx, idx, prob)
        pres.append(a)
        posts.append(b)
    n_intra = int(sum(a.size for a in pres))

    # Watts-Strogatz-style small world between clusters: ring lattice of clusters,
    # each ordered neighbour pair joined by `bridges_per_pair` random synapses,
    # each bridge's target re-drawn outside the source cluster with prob. p_rewire.
    rng_b = child_seed(base, "bridges")
    pairs = _ring_pairs(K, cl.ring_neighbours)
    n_rewired = 0
    b_pre, b_post = [], []
    sizes = np.array([m.size for m in members])
    for a, b in pairs:
        m = cl.bridges_per_pair
        src = members[a][rng_b.integers(0, sizes[a], m)]
        dst = members[b][rng_b.integers(0, sizes[b], m)]
        rewire = rng_b.random(m) < cl.p_rewire
        if rewire.any():
            outside = np.flatnonzero(cluster != a)
            dst[rewire] = outside[rng_b.integers(0, outside.size, int(rewire.sum()))]
            n_rewired += int(rewire.sum())
        b_pre.append(src)
        b_post.append(dst)
    if b_pre:
        bp, bq = np.concatenate(b_pre), np.concatenate(b_post)
        # duplicates (same pre->post drawn twice) become one synapse
        key = np.unique(bp * N + bq)
        pres.append(key // N)
        posts.append(key % N)
        n_inter = int(key.size)
    else:
        n_inter = 0
    pre = np.concatenate(pres) if pres else np.zeros(0, np.int64)
    post = np.concatenate(posts) if posts else np.zeros(0, np.int64)
    order = np.lexsort((post, pre))
    info = {"cluster_sizes": sizes.tolist(), "n_intra": n_intra, "n_inter": n_inter,
            "n_bridges_rewired": n_rewired, "cluster_pairs": pairs}
    return pre[order], post[order], info


def _input_synapses(config, N, n_inputs, rng):
    """Each channel -> round(p_in * N) distinct recurrent neurons, uniformly at random."""
    inp = config.input
    k = int(np.floor(inp.p_in * N + 0.5))
    if n_inputs == 0 or k == 0:
        if n_inputs and k == 0:
            logger.warning("input: p_in=%g with N=%d gives no input synapses", inp.p_in, N)
        empty = np.zeros(0, np.int64)
        return empty, empty.copy(), np.zeros(0)
    # k smallest of N uniforms per row = a uniform k-subset, vectorised over channels;
    # done in chunks of channels to bound memory
    posts = []
    chunk = max(1, _BLOCK_PAIRS // N)
    for s in range(0, n_inputs, chunk):
        n = min(chunk, n_inputs - s)
        keys = rng.random((n, N))
        sel = np.argpartition(keys, k - 1, axis=1)[:, :k] if k < N else \
            np.tile(np.arange(N), (n, 1))
        posts.append(np.sort(sel, axis=1))
    post = np.concatenate(posts).ravel()
    pre = np.repeat(np.arange(n_inputs, dtype=np.int64), k)
    w = _magnitudes(rng, np.full(pre.size, inp.w), inp.w_cv)
    return pre, post.astype(np.int64), w
