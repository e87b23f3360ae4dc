"""brian2_lnp: heterogeneous recurrent spiking networks in Brian2, pruned with
Lyapunov Noise Pruning (Chakraborty et al., ICLR 2024).

Sub-packages, from the ground up (arrows run one way):
``graph`` (Connectivity) <- ``dynamics`` <- ``pruning`` <- ``models`` (Brian2 layer)
<- ``tasks`` <- protocols / CLI.
"""
import logging

from .graph import Connectivity, ConnectivityFileError

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Connectivity", "ConnectivityFileError", "__version__"]
