"""Lyapunov Noise Pruning (seed 000) and its baselines, on :class:`~brian2_lnp.Connectivity`.

Pure NumPy/SciPy: nothing here imports brian2. ``prune`` also accepts a model
object with ``export()`` / ``apply()`` (the Brian2 layer's network) and only
calls those two methods.

Steps: I :func:`noise_prune`, II :func:`centrality_prune`, III :func:`delocalize`,
IV :func:`optimize_timescales`; the iterative driver :func:`prune`; baselines
:func:`activity_prune` and :func:`random_matching`.
"""
from .baselines import (ActivityPruneReport, activity_prune, random_er, random_matching,
                        random_prune)
from .centrality import centrality_prune, dead_end_neurons
from .delocalize import DEFAULT_MAX_SHARE, added_max_share, degree, delocalize, laplacian_ipr
from .driver import (ABLATIONS, DEFAULT_DELOCALIZE_FRACTION, DEFAULT_DENSITY, DEFAULT_Q,
                     STEP_NAMES, Carry, Checkpoint, CheckpointError, ConvergentSchedule,
                     FixedSchedule, PruneOptions, PruneResult, expected_sops_per_rate, prune,
                     prune_options, run_iteration)
from .health import graph_health, lambda_max_stats
from .noise import (COVARIANCE_KEYS, STEP1_KEYS, CovarianceOptions, LinearisationOptions,
                    Step1Inputs, SurrogateOptions, noise_prune, step1_options)
from .report import (CentralityPruneReport, DelocalizeReport, NoisePruneReport,
                     SpectralErrorReport, StepReport, to_jsonable)
from .spectral import (DENSE_EIG_MAX, SAMPLERS, edge_scores, keep_probabilities, sample_keep,
                       slowest_eigenvalues, solve_rho, sparsify_linear, spectral_error,
                       stationary_covariance)
from .timescales import (TimescaleReport, TimescaleSearch, group_labels, lyapunov_objective,
                         optimize_timescales, quantile_embedding, surrogate_kwargs,
                         wasserstein2_gamma)

__all__ = [
    # Step I
    "noise_prune", "COVARIANCE_KEYS", "STEP1_KEYS", "SurrogateOptions", "Step1Inputs",
    "LinearisationOptions", "CovarianceOptions", "step1_options",
    # spectral sparsification helpers behind Step I
    "solve_rho", "stationary_covariance", "keep_probabilities", "edge_scores", "sample_keep",
    "sparsify_linear", "slowest_eigenvalues", "spectral_error", "SAMPLERS", "DENSE_EIG_MAX",
    # Step II
    "centrality_prune", "dead_end_neurons",
    # Step III
    "delocalize", "degree", "laplacian_ipr", "added_max_share", "DEFAULT_MAX_SHARE",
    # Step IV
    "optimize_timescales", "TimescaleSearch", "TimescaleReport", "quantile_embedding",
    "wasserstein2_gamma",
    "lyapunov_objective", "group_labels", "surrogate_kwargs",
    # reports
    "StepReport", "NoisePruneReport", "CentralityPruneReport", "DelocalizeReport",
    "SpectralErrorReport", "to_jsonable",
    # driver
    "prune", "PruneOptions", "prune_options", "PruneResult", "STEP_NAMES", "ABLATIONS",
    "expected_sops_per_rate",
    "ConvergentSchedule", "FixedSchedule", "Carry", "Checkpoint", "CheckpointError",
    "run_iteration",
    # health report
    "graph_health", "lambda_max_stats",
    "DEFAULT_DENSITY", "DEFAULT_Q", "DEFAULT_DELOCALIZE_FRACTION",
    # baselines
    "activity_prune", "ActivityPruneReport", "random_matching", "random_er", "random_prune",
]
