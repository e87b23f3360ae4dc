"""LNP pruning (pure NumPy/SciPy; no Brian2 import at module level)."""
from .timescales import (TimescaleReport, group_labels, lyapunov_objective,
                         optimize_timescales, quantile_embedding, wasserstein2_gamma)

__all__ = ["optimize_timescales", "TimescaleReport", "quantile_embedding",
           "wasserstein2_gamma", "lyapunov_objective", "group_labels"]
