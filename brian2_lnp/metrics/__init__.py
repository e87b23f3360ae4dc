"""Task and efficiency metrics (pure NumPy; no Brian2)."""
import importlib.util as _ilu

from .prediction import VPTResult, long_term_std, nrmse, nrmse_series, persistence_forecast, vpt
from .reservoir import (accuracy, effective_rank, mean_activation, memory_capacity, sop_ratio,
                        spike_counts, spike_efficiency)

__all__ = ["nrmse", "nrmse_series", "vpt", "VPTResult", "long_term_std", "persistence_forecast",
           "memory_capacity", "spike_efficiency", "effective_rank", "spike_counts",
           "mean_activation", "sop_ratio", "accuracy"]

# sops.py is written separately (SOP counting from spike monitors, 000 Eq. 10);
# hand it on only once it exists rather than stubbing it here
if _ilu.find_spec(__name__ + ".sops") is not None:
    from .sops import sops  # noqa: E402

    __all__.append("sops")
