"""Graph-level types and helpers (pure NumPy/SciPy; no Brian2)."""
from .centrality import betweenness
from .connectivity import EXCITATORY, INHIBITORY, Connectivity, ConnectivityFileError

__all__ = ["betweenness", "Connectivity", "ConnectivityFileError", "EXCITATORY", "INHIBITORY"]
