"""Baselines LNP is compared with (seed 000): activity pruning and matched random graphs.

* :func:`activity_prune` -- iterative activity pruning (000 A.3, Algorithm 4):
  measure each neuron's activity on task data, prune the least active fraction,
  retrain, repeat until ``max_iterations`` or until performance falls below
  ``tolerance`` x the unpruned model's. The task layer supplies the callables,
  so this module stays pure.
* :func:`random_prune` -- the same network with neurons, then synapses among the
  survivors, removed uniformly at random down to given counts (no reweighting).
* :func:`random_matching` -- Erdos-Renyi graphs with exactly the active-neuron
  and effective-synapse counts of an LNP network (or of every row of an LNP
  history), E/I signs by Dale's law, weight magnitudes resampled from the
  original network's weights of the same presynaptic type (000 Fig. 3c).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..graph import EXCITATORY, Connectivity
from ..random import as_generator, child_seed
from ..validation import check_int, check_range

__all__ = ["activity_prune", "ActivityPruneReport", "random_matching", "random_er",
           "random_prune"]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------- activity pruning
@dataclass
class ActivityPruneReport:
    """What :func:`activity_prune` did.

    Attributes
    ----------
    baseline_score : float
        Score of the unpruned (trained, if ``train_fn``) network.
    threshold : float
        The score the pruned network must stay at or above (``greater_is_better``)
        or at or below (otherwise).
    history : pandas.DataFrame
        One row per attempted iteration (iteration 0 = unpruned): iteration,
        neurons, synapses, n_pruned, score, accepted.
    stop_reason : str
        "max_iterations", "tolerance" or "empty".
    """

    baseline_score: float
    threshold: float
    history: pd.DataFrame
    stop_reason: str
    pruned: list = field(default_factory=list)

    def as_dict(self):
        return {"step": "activity_prune", "baseline_score": float(self.baseline_score),
                "threshold": float(self.threshold), "stop_reason": self.stop_reason,
                "history": self.history.to_dict(orient="list"),
                "pruned": [list(map(int, p)) for p in self.pruned]}


def activity_prune(conn, activity_fn, evaluate_fn, train_fn=None, *, fraction=0.1,
                   max_iterations=10, tolerance=0.9, greater_is_better=True, seed=None):
    """Iterative activity pruning (AP), the paper's baseline (000 A.3).

    Parameters
    ----------
    conn : Connectivity
        The dense starting network.
    activity_fn : callable
        ``activity_fn(conn) -> array (N,)``: activity (e.g. firing rate in Hz on
        task data) of every neuron; values of inactive neurons are ignored.
    evaluate_fn : callable
        ``evaluate_fn(conn) -> float``: task performance of a (trained) network.
    train_fn : callable, optional
        ``train_fn(conn) -> Connectivity``: retrains after each pruning (and
        trains the unpruned network once before the reference evaluation).
        None: no retraining.
    fraction : float in (0, 1)
        Fraction of the active neurons pruned per iteration (at least one).
    max_iterations : int >= 1
    tolerance : float in [0, 1]
        Stop when the score falls below ``tolerance * baseline`` (for losses,
        ``greater_is_better=False``: rises above ``baseline / tolerance``).
        Default 0.9 (the paper's wording, "below 10% of the
        original", is ambiguous; see docs/lnp_driver.md).
    greater_is_better : bool
        True for accuracy-like scores, False for losses (RMSE, NRMSE).
    seed : None, int or Generator
        Breaks ties between neurons of equal activity.

    Returns
    -------
    conn : Connectivity
        The last network that met the tolerance (the failing candidate is
        recorded in the history but not returned).
    report : ActivityPruneReport
    """
    if not isinstance(conn, Connectivity):
        raise TypeError(f"conn: expected a Connectivity, got {type(conn).__name__}")
    for name, fn in (("activity_fn", activity_fn), ("evaluate_fn", evaluate_fn)):
        if not callable(fn):
            raise TypeError(f"{name}: must be callable")
    if train_fn is not None and not callable(train_fn):
        raise TypeError("train_fn: must be callable or None")
    fraction = check_range("fraction", fraction, 0.0, 1.0, low_inclusive=False,
                           high_inclusive=False)
    max_iterations = check_int("max_iterations", max_iterations, 1)
    tolerance = check_range("tolerance", tolerance, 0.0, 1.0)
    rng = as_generator(seed)

    def trained(c):
        if train_fn is None:
            return c
        out = train_fn(c)
        if not isinstance(out, Connectivity):
            raise TypeError("train_fn: must return a Connectivity")
        return out

    current = trained(conn)
    base = float(evaluate_fn(current))
    if not np.isfinite(base):
        raise ValueError(f"evaluate_fn: the unpruned network scored {base}; need a finite score")
    if greater_is_better:
        threshold = tolerance * base
        ok = lambda s: s >= threshold  # noqa: E731
    else:
        threshold = base / tolerance if tolerance > 0 else np.inf
        ok = lambda s: s <= threshold  # noqa: E731
    rows = [dict(iteration=0, neurons=current.n_active_neurons,
                 synapses=current.n_active_synapses, n_pruned=0, score=base, accepted=True)]
    pruned_sets = []
    stop = "max_iterations"
    for it in range(1, max_iterations + 1):
        idx = np.flatnonzero(current.neuron_active)
        if idx.size <= 1:
            stop = "empty"
            break
        act = np.asarray(activity_fn(current), dtype=float).ravel()
        if act.size != current.N:
            raise ValueError(f"activity_fn: must return N={current.N} values, got {act.size}")
        a = act[idx]
        if not np.isfinite(a).all():
            raise ValueError("activity_fn: activities of active neurons must be finite")
        n = min(max(1, int(np.floor(fraction * idx.size))), idx.size - 1)
        # lowest activity first; random key breaks ties reproducibly
        order = np.lexsort((rng.random(idx.size), a))
        victims = idx[order[:n]]
        mask = current.neuron_active.copy()
        mask[victims] = False
        candidate = trained(current.replace(neuron_active=mask))
        score = float(evaluate_fn(candidate))
        good = bool(np.isfinite(score) and ok(score))
        rows.append(dict(iteration=it, neurons=candidate.n_active_neurons,
                         synapses=candidate.n_active_synapses, n_pruned=n, score=score,
                         accepted=good))
        if not good:
            stop = "tolerance"
            logger.info("activity_prune: iteration %d scored %.4g beyond the threshold %.4g; "
                        "stopping", it, score, threshold)
            break
        pruned_sets.append(np.sort(victims).tolist())
        current = candidate
    report = ActivityPruneReport(baseline_score=base, threshold=float(threshold),
                                 history=pd.DataFrame(rows), stop_reason=stop,
                                 pruned=pruned_sets)
    return current, report


# ---------------------------------------------------------------------- random graphs
def random_er(reference, n_neurons, n_synapses, seed=None, *, active=None, weights_from=None,
              n_excitatory=None):
    """One directed Erdos-Renyi G(n, m) graph on ``reference``'s neurons.

    Parameters
    ----------
    reference : Connectivity
        Supplies N, types, clusters and tau_m.
    n_neurons : int
        Number of active neurons (chosen uniformly at random, unless ``active``).
    n_excitatory : int, optional
        Draw exactly this many of the active neurons among ``reference``'s
        excitatory neurons and the rest among its inhibitory ones (each uniformly),
        so the excitatory fraction is matched; default: uniformly among all N.
    n_synapses : int
        Exact number of synapses: distinct ordered pairs (i != j) of active
        neurons, uniformly among all such sets.
    seed : None, int or Generator
    active : array of int, optional
        Use exactly these neurons as the active set.
    weights_from : Connectivity, optional
        Weight magnitudes are drawn (with replacement) from this network's
        effective synapses with a presynaptic neuron of the same type (all its
        effective synapses if it has none of that type); default ``reference``.
        Signs follow Dale's law: + for E, - for I presynaptic neurons.
    """
    rng = as_generator(seed)
    N = reference.N
    n = check_int("n_neurons", n_neurons, 0, N)
    m = check_int("n_synapses", n_synapses, 0)
    if m > n * (n - 1):
        raise ValueError(f"n_synapses: at most n(n-1) = {n * (n - 1)} distinct synapses "
                         f"without self-loops on {n} neurons, got {m}")
    if active is None and n_excitatory is not None:
        active = _by_type(reference, n, n_excitatory, rng)
    elif active is None:
        active = np.sort(rng.choice(N, size=n, replace=False))
    else:
        active = np.asarray(active, dtype=np.int64)
        if active.size != n:
            raise ValueError(f"active: must hold n_neurons={n} indices, got {active.size}")
    codes = rng.choice(n * (n - 1), size=m, replace=False) if m else np.zeros(0, np.int64)
    i = codes // max(n - 1, 1)
    r = codes % max(n - 1, 1)
    j = r + (r >= i)  # skip the diagonal
    pre, post = active[i], active[j]
    src = reference if weights_from is None else weights_from
    ep, _, ew = src.edges()
    mags = np.abs(ew)
    w = np.empty(m)
    for t in (0, 1):
        sel = reference.types[pre] == t
        pool = mags[src.types[ep] == t]
        if pool.size == 0:
            pool = mags
        if sel.any():
            if pool.size == 0:
                raise ValueError("weights_from: the network has no effective synapse "
                                 "to draw weights from")
            w[sel] = rng.choice(pool, size=int(sel.sum()), replace=True)
    w = np.where(reference.types[pre] == EXCITATORY, w, -w)
    mask = np.zeros(N, dtype=bool)
    mask[active] = True
    return Connectivity(N, pre, post, w, types=reference.types.copy(),
                        cluster=reference.cluster.copy(), tau_m=reference.tau_m.copy(),
                        neuron_active=mask,
                        provenance={"baseline": "random_er", "n_neurons": n, "n_synapses": m})


def _by_type(reference, n, n_excitatory, rng):
    """``n`` neuron indices: ``n_excitatory`` excitatory and the rest inhibitory, sorted."""
    exc = np.flatnonzero(reference.types == EXCITATORY)
    inh = np.flatnonzero(reference.types != EXCITATORY)
    n_e = check_int("n_excitatory", n_excitatory, 0, min(n, exc.size))
    if n - n_e > inh.size:
        raise ValueError(f"n_excitatory: {n} neurons with {n_e} excitatory need {n - n_e} "
                         f"inhibitory neurons, the network has {inh.size}")
    return np.sort(np.concatenate([rng.choice(exc, size=n_e, replace=False),
                                   rng.choice(inh, size=n - n_e, replace=False)]))


def random_prune(conn, n_neurons, n_synapses, seed=None):
    """``conn`` pruned at random: neurons, then synapses among the survivors (000 Sec. 4).

    Active neurons are switched off uniformly at random until ``n_neurons`` remain;
    then effective synapses among the survivors are switched off uniformly at random
    until ``n_synapses`` remain (all are kept when fewer survive). Weights are not
    changed.

    Parameters
    ----------
    conn : Connectivity
    n_neurons : int
        Active neurons to keep, in [0, conn.n_active_neurons].
    n_synapses : int
        Effective synapses to keep, >= 0.
    seed : None, int or Generator

    Returns
    -------
    Connectivity
        With ``provenance["baseline"] == "random_prune"`` and
        ``provenance["synapse_shortfall"]`` (requested minus kept synapses, >= 0).
    """
    if not isinstance(conn, Connectivity):
        raise TypeError(f"conn: expected a Connectivity, got {type(conn).__name__}")
    rng = as_generator(seed)
    active = np.flatnonzero(conn.neuron_active)
    n = check_int("n_neurons", n_neurons, 0, active.size)
    m = check_int("n_synapses", n_synapses, 0)
    keep = rng.choice(active, size=n, replace=False)
    mask = np.zeros(conn.N, dtype=bool)
    mask[keep] = True
    out = conn.replace(neuron_active=mask)
    eff = np.flatnonzero(out.effective)
    syn = out.synapse_active.copy()
    if eff.size > m:
        syn[rng.choice(eff, size=eff.size - m, replace=False)] = False
    out = out.replace(synapse_active=syn)
    out.provenance = dict(conn.provenance if isinstance(conn.provenance, dict) else {},
                          baseline="random_prune", n_neurons=n, n_synapses=m,
                          synapse_shortfall=max(0, m - int(eff.size)))
    return out


def random_matching(history_or_conn, seed=None, *, original=None):
    """Erdos-Renyi networks matching LNP's neuron and synapse counts.

    Parameters
    ----------
    history_or_conn : Connectivity, PruneResult or pandas.DataFrame
        * Connectivity: one random graph on the same active neurons with the
          same number of effective synapses, weights drawn from this network.
        * PruneResult (from :func:`~brian2_lnp.pruning.prune`): one graph per
          history row (``neurons``, ``synapses`` columns), active neurons drawn
          at random from the original network, weights from the original.
        * DataFrame with ``neurons`` and ``synapses`` columns: as above, with
          ``original`` required.
    seed : None, int or Generator
        Row r uses the stream ``child_seed(seed, r)``.
    original : Connectivity, optional
        The unpruned network (types, tau_m, weight distribution); required
        with a DataFrame.

    Returns
    -------
    Connectivity (for a Connectivity input) or list of Connectivity (one per row)
    """
    if isinstance(seed, np.random.Generator) or seed is None:
        base = int(as_generator(seed).integers(2**62))
    else:
        base = check_int("seed", seed, 0)
    if isinstance(history_or_conn, Connectivity):
        c = history_or_conn
        active = np.flatnonzero(c.neuron_active)
        out = random_er(c, active.size, c.n_active_synapses, child_seed(base, 0),
                        active=active, weights_from=original if original is not None else c)
        return out
    history = getattr(history_or_conn, "history", history_or_conn)
    if original is None:
        original = getattr(history_or_conn, "original", None)
    if not isinstance(history, pd.DataFrame):
        raise TypeError("history_or_conn: expected a Connectivity, a PruneResult or a "
                        f"DataFrame, got {type(history_or_conn).__name__}")
    missing = {"neurons", "synapses"} - set(history.columns)
    if missing:
        raise ValueError(f"history_or_conn: the history lacks column(s) {sorted(missing)}")
    if not isinstance(original, Connectivity):
        raise ValueError("original: the unpruned Connectivity is required with a history table")
    out = []
    for r, (n, m) in enumerate(zip(history["neurons"], history["synapses"])):
        g = random_er(original, int(n), int(m), child_seed(base, r))
        g.provenance.update({"row": r, "seed": base})
        out.append(g)
    return out
