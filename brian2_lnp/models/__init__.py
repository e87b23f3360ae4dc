"""Models: model files, the pure-NumPy generator, and the Brian2 layer.

Importing this package does not import brian2: the Brian2 layer
(:mod:`.network`, :mod:`.devices`) imports it when a network is built.
"""
from .binding import ApplyError, BindingError, Brian2Binding, RebuildResult, bind
from .config import (MODELS_DIR, ModelConfig, ModelConfigError, format_quantity, load_model,
                     model_path, parse_quantity)
from .devices import DeviceUnavailableError, use_device
from .encoders import SpikeTrains, encode_images, encode_timeseries, poisson_spike_trains
from .distributions import Distribution
from .generate import (cluster_tau_distributions, draw_stdp_params, generate_network,
                       grid_positions, grid_shape, tau_m_from_quantiles, tau_m_groups)
from .lyapunov_spiking import SpikingLyapunovResult, spiking_lyapunov
from .network import CHRSNN, HRSNN, SpikingNetwork, build_model
from .spec import NetworkSpec

__all__ = ["ModelConfig", "ModelConfigError", "load_model", "model_path", "parse_quantity",
           "format_quantity", "MODELS_DIR", "Distribution",
           "NetworkSpec", "generate_network", "draw_stdp_params", "tau_m_from_quantiles",
           "tau_m_groups", "cluster_tau_distributions", "grid_shape", "grid_positions",
           "SpikingNetwork", "build_model", "HRSNN", "CHRSNN", "ApplyError",
           "bind", "Brian2Binding", "BindingError", "RebuildResult",
           "spiking_lyapunov", "SpikingLyapunovResult",
           "use_device", "DeviceUnavailableError",
           "encode_timeseries", "encode_images", "poisson_spike_trains", "SpikeTrains"]
