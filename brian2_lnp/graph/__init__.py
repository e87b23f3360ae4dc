"""Graph-level types and helpers (pure NumPy/SciPy; no Brian2)."""
from .connectivity import EXCITATORY, INHIBITORY, Connectivity, ConnectivityFileError

__all__ = ["Connectivity", "ConnectivityFileError", "EXCITATORY", "INHIBITORY"]
