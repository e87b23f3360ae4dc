"""Task and efficiency metrics (pure NumPy; no Brian2)."""
from .prediction import VPTResult, long_term_std, nrmse, nrmse_series, persistence_forecast, vpt
from .reservoir import (accuracy, effective_rank, mean_activation, memory_capacity, sop_ratio,
                        spike_counts, spike_efficiency)
from .sops import sops

__all__ = ["nrmse", "nrmse_series", "vpt", "VPTResult", "long_term_std", "persistence_forecast",
           "memory_capacity", "spike_efficiency", "effective_rank", "spike_counts",
           "mean_activation", "sop_ratio", "accuracy", "sops"]
