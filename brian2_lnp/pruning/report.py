"""Reports returned by the LNP pruning steps (I-III).

Every step is a pure function ``Connectivity -> (Connectivity, StepReport)``.
A report is a small dataclass; :meth:`StepReport.as_dict` turns it into plain
JSON-able Python (NumPy scalars and arrays become floats, ints and lists, NaN
becomes ``None``), so the iterative driver can log and checkpoint it.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

__all__ = ["StepReport", "NoisePruneReport", "CentralityPruneReport",
           "DelocalizeReport", "SpectralErrorReport", "to_jsonable"]


def to_jsonable(value):
    """Recursively convert NumPy types, tuples and NaN to JSON-able Python."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.metadata.get("internal")}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (complex, np.complexfloating)):
        return [to_jsonable(float(value.real)), to_jsonable(float(value.imag))]
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else v
    if isinstance(value, (str, int)) or value is None:
        return value
    return repr(value)  # anything else: readable, and never breaks json.dumps


@dataclass
class StepReport:
    """Base class: ``step`` names the step, ``wall_time`` is in seconds."""

    step: str = ""
    wall_time: float = float("nan")

    def as_dict(self):
        """The report as a JSON-able dict (NaN -> None, arrays -> lists)."""
        return to_jsonable(self)


@dataclass
class SpectralErrorReport(StepReport):
    """How well a pruned linear network keeps the spectrum of the original.

    Attributes
    ----------
    k : int
        Number of slowest eigenvalues compared (largest real part of A).
    eig_before, eig_after : array of complex, shape (k,)
        The k slowest eigenvalues of A before and after pruning (1/s), sorted
        by decreasing real part.
    rel_err_eig : array of float, shape (k,)
        ``|lambda_after - lambda_before| / |lambda_before|`` pairwise.
    mean_rel_err_eig, max_rel_err_eig : float
    rel_err_cov : float
        ``||C_after - C_before||_F / ||C_before||_F`` of the noise covariance,
        NaN when it was not computed (large N).
    method : str
        "dense" (numpy.linalg.eigvals) or "sparse" (scipy.sparse.linalg.eigs).
    stable_after : bool
        Whether all eigenvalues of the pruned A that were computed have a
        negative real part.
    """

    k: int = 0
    eig_before: Any = None
    eig_after: Any = None
    rel_err_eig: Any = None
    mean_rel_err_eig: float = float("nan")
    max_rel_err_eig: float = float("nan")
    rel_err_cov: float = float("nan")
    method: str = ""
    stable_after: Optional[bool] = None


@dataclass
class NoisePruneReport(StepReport):
    """Step I (noise pruning of synapses).

    Attributes
    ----------
    n_edges : int
        Effective synapses before pruning (the candidates).
    density : float or None
        Requested kept fraction (None when ``rho`` was given).
    rho : float
        The proportionality constant used in ``p = min(1, rho * score)``.
    expected_kept : float
        ``sum(p)``, the expected number of kept synapses.
    n_kept : int
        Synapses actually kept (a Bernoulli draw per synapse).
    p_min, p_mean, p_median, p_max : float
        Statistics of the keep probabilities.
    n_p_one : int
        Synapses with ``p == 1`` (kept for sure).
    n_p_zero : int
        Synapses with ``p == 0`` (zero score; pruned for sure).
    n_clipped : int
        Kept synapses whose reweighted ``|w / p|`` exceeded ``w_max`` and was
        clipped to it.
    w_max : float or None
    coupling, covariance_method : str
    scale : float
        Stabilising factor the linearisation applied to L (1.0 if none).
    abscissa : float
        Spectral abscissa of the (stabilised) linearisation before pruning (1/s).
    abscissa_after : float
        Spectral abscissa of the pruned system ``-D~ + L~`` (with the stability
        factor ``scale``, i.e. the system Step I pruned) (1/s); negative = stable.
    abscissa_model : float
        The same in model units, without the stability factor (equal to
        ``abscissa_after`` when ``scale == 1``).
    homeostatic : bool
    n_homeostatic_invalid : int
        Neurons whose compensated leak ``D~_ii`` would be <= 0; they keep their
        leak and tau_m (see docs/pruning.md).
    delta_mean, delta_std : float
        Statistics of the homeostatic perturbation Delta_i (1/s) (NaN if off).
    lyap_level : float or None
        Mean of the Lyapunov matrix over the effective synapses before any
        ``lyap_level`` rescaling (1/s); None for the "weights" coupling.
    exponents_averaged : float
        With ``average_exponents``: mean number of estimates averaged per active
        neuron (NaN when the exponents were not averaged).
    spectral : SpectralErrorReport or None
    warm : WarmStart or None
        Final tangent vectors and covariance chains, to warm-start the next
        Step I (``noise_prune(warm=...)``); not part of :meth:`as_dict`.
    """

    n_edges: int = 0
    density: Optional[float] = None
    rho: float = float("nan")
    expected_kept: float = float("nan")
    n_kept: int = 0
    p_min: float = float("nan")
    p_mean: float = float("nan")
    p_median: float = float("nan")
    p_max: float = float("nan")
    n_p_one: int = 0
    n_p_zero: int = 0
    n_clipped: int = 0
    w_max: Optional[float] = None
    coupling: str = ""
    covariance_method: str = ""
    scale: float = 1.0
    abscissa: float = float("nan")
    abscissa_after: float = float("nan")
    abscissa_model: float = float("nan")
    homeostatic: bool = False
    n_homeostatic_invalid: int = 0
    delta_mean: float = float("nan")
    delta_std: float = float("nan")
    lyap_level: Optional[float] = None
    exponents_averaged: float = float("nan")
    spectral: Optional[SpectralErrorReport] = None
    #: state for a warm start of the next Step I (a WarmStart; not in as_dict)
    warm: Any = field(default=None, repr=False, compare=False,
                      metadata={"internal": True})


@dataclass
class CentralityPruneReport(StepReport):
    """Step II (node pruning by betweenness centrality).

    Attributes
    ----------
    backend : str
        Library that computed the betweenness ("networkx", "networkit", "igraph").
    weighted : bool
    pivots : int or None
        Number of pivot sources (None = exact).
    q, threshold : float or None
        The rule used: lowest-q fraction, or centrality strictly below threshold.
    quantile : float or None
        The quantile the threshold was calibrated from (None: not calibrated).
    n_dead_ends : int
        Neurons pruned (included in ``n_pruned`` and ``pruned``) because they
        were left without effective input or output (``dead_ends=True``).
    cutoff : float
        The centrality value at the boundary of the pruned set.
    n_active_before, n_pruned : int
    pruned : list of int
        Connectivity indices of the neurons pruned by this step.
    n_effective_synapses_before, n_effective_synapses_after : int
    bc_min, bc_mean, bc_max : float
        Normalised betweenness statistics over active neurons.
    """

    backend: str = ""
    weighted: bool = False
    pivots: Optional[int] = None
    q: Optional[float] = None
    threshold: Optional[float] = None
    quantile: Optional[float] = None
    n_dead_ends: int = 0
    cutoff: float = float("nan")
    n_active_before: int = 0
    n_pruned: int = 0
    pruned: list = field(default_factory=list)
    n_effective_synapses_before: int = 0
    n_effective_synapses_after: int = 0
    bc_min: float = float("nan")
    bc_mean: float = float("nan")
    bc_max: float = float("nan")


@dataclass
class DelocalizeReport(StepReport):
    """Step III (eigenvector delocalisation by adding edges).

    Attributes
    ----------
    M_requested, n_added : int
        Edges asked for and edges added (fewer if candidates ran out).
    n_candidates : int
        Candidate (pre, post) pairs scored in the last round.
    added_pre, added_post : list of int
        The new synapses (Connectivity indices), in the greedy order.
    degree_var_before, degree_var_after : float
        Variance of the total degree (in + out over effective synapses) of the
        active neurons.
    ipr_before, ipr_after : float
        Mean inverse participation ratio of the eigenvectors of the
        (symmetrised, unweighted) graph Laplacian; NaN when skipped (large N).
    mean_new_abs_w : float
        Mean |w| of the added synapses (volt).
    max_share : float or None
        The spread limit asked for (None: none).
    cap : int or None
        Most added synapses one neuron may touch over the run after this call.
    max_touches : int
        Most synapses added by this call that touch one neuron.
    run_max_share : float
        Largest share of all synapses added so far (``prior`` + this call)
        that touch one neuron (NaN when none was added).
    """

    M_requested: int = 0
    n_added: int = 0
    n_candidates: int = 0
    added_pre: list = field(default_factory=list)
    added_post: list = field(default_factory=list)
    degree_var_before: float = float("nan")
    degree_var_after: float = float("nan")
    ipr_before: float = float("nan")
    ipr_after: float = float("nan")
    mean_new_abs_w: float = float("nan")
    max_share: Optional[float] = None
    cap: Optional[int] = None
    max_touches: int = 0
    run_max_share: float = float("nan")
