"""Tasks: readout, features, training and evaluation protocols (Brian2-facing layer)."""
from .features import spike_features
from .readout import Readout, select_readout_neurons

__all__ = ["Readout", "select_readout_neurons", "spike_features"]
