"""brian2_lnp: heterogeneous recurrent spiking networks in Brian2, pruned with
Lyapunov Noise Pruning (Chakraborty et al., ICLR 2024).

Sub-packages, from the ground up (arrows run one way):
``graph`` (Connectivity) <- ``dynamics`` <- ``pruning`` <- ``models`` (Brian2 layer)
<- ``tasks`` <- protocols / CLI.

The common names are available at the top level (``lnp.build_model``,
``lnp.prune``, ...). They are imported on first use, so ``import brian2_lnp``
stays cheap and the pure layers never pull in brian2.
"""
import importlib
import logging

from .graph import Connectivity, ConnectivityFileError

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SUBPACKAGES = ("graph", "dynamics", "pruning", "models", "tasks", "datasets", "metrics",
                "protocols")
#: top-level name -> sub-module that defines it
_LAZY = {
    "build_model": "models", "HRSNN": "models", "CHRSNN": "models",
    "SpikingNetwork": "models", "load_model": "models", "generate_network": "models",
    "use_device": "models", "NetworkSpec": "models", "bind": "models", "Brian2Binding": "models",
    "prune": "pruning", "PruneOptions": "pruning", "noise_prune": "pruning",
    "centrality_prune": "pruning",
    "delocalize": "pruning", "optimize_timescales": "pruning",
    "evaluate": "tasks",
    "run_demo": "protocols", "run_tasks": "protocols", "load_protocol": "protocols",
    "spiking_lyapunov": "models", "rate_lyapunov": "dynamics", "lyapunov_spectrum": "dynamics",
    "covariance": "dynamics", "lyapunov_matrix": "dynamics", "linearize": "dynamics",
}

__all__ = ["Connectivity", "ConnectivityFileError", "__version__", *_SUBPACKAGES, *_LAZY]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'brian2_lnp' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
