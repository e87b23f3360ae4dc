"""LNP pruning (pure NumPy/SciPy; no Brian2 import at module level)."""
from .baselines import ActivityPruneReport, activity_prune, random_er, random_matching
from .driver import (ABLATIONS, DEFAULT_DELOCALIZE_FRACTION, DEFAULT_DENSITY, DEFAULT_Q,
                     STEP_NAMES, PruneResult, expected_sops_per_rate, prune)
from .timescales import (TimescaleReport, group_labels, lyapunov_objective,
                         optimize_timescales, quantile_embedding, wasserstein2_gamma)

__all__ = [
    # driver
    "prune", "PruneResult", "STEP_NAMES", "ABLATIONS", "expected_sops_per_rate",
    "DEFAULT_DENSITY", "DEFAULT_Q", "DEFAULT_DELOCALIZE_FRACTION",
    # Step IV
    "optimize_timescales", "TimescaleReport", "quantile_embedding", "wasserstein2_gamma",
    "lyapunov_objective", "group_labels",
    # baselines
    "activity_prune", "ActivityPruneReport", "random_matching", "random_er",
]
