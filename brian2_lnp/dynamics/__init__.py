"""Dynamics of a Connectivity: rate surrogate, Lyapunov spectra, per-node exponents,
the Lyapunov matrix, the linearised network and its noise covariance.

Pure NumPy/SciPy; nothing here imports brian2 (the spiking two-trajectory
estimate lives in :mod:`brian2_lnp.models.lyapunov_spiking`).
"""
from .covariance import AUTO_EXACT_MAX, Covariance, covariance, scheme_stationary_covariance
from .linear import LinearNetwork, UnstableNetworkError, linearize, spectral_abscissa
from .nodes import (RateLyapunovResult, lyapunov_matrix, node_exponents, per_node_exponents,
                    rate_lyapunov, rate_lyapunov_warm)
from .plotting import plot_spectra
from .rate import TRANSFER_FUNCTIONS, RateNetwork
from .spectrum import LyapunovResult, kaplan_yorke_dimension, lyapunov_spectrum, ode_map
from .threads import use_workers, workers

__all__ = [
    "AUTO_EXACT_MAX", "Covariance", "covariance", "scheme_stationary_covariance",
    "LinearNetwork", "UnstableNetworkError", "linearize", "spectral_abscissa",
    "RateLyapunovResult", "lyapunov_matrix", "node_exponents", "per_node_exponents",
    "rate_lyapunov", "rate_lyapunov_warm", "TRANSFER_FUNCTIONS", "RateNetwork",
    "LyapunovResult", "kaplan_yorke_dimension", "lyapunov_spectrum", "ode_map",
    "plot_spectra", "use_workers", "workers",
]
