"""Data sets for the prediction and classification tasks (pure NumPy / pandas; no Brian2).

Generated series (labelled ``generated=True``): :func:`lorenz63`, :func:`rossler`,
:func:`lorenz96`. Real data read from files that packages ship (never
downloaded): :func:`google_stock`, :func:`wind_speed` (a named substitute for the
paper's station), :func:`fashion_mnist`, :func:`mnist5k`, and :func:`cifar` for
user-provided CIFAR batches. Each returns a :class:`Dataset`.
"""
from .base import (Dataset, MissingDataPackageError, one_step_pairs, prediction_windows,
                   resolve_splits)
from .chaotic import Lorenz96System, lorenz63, lorenz96, rk4, rossler
from .images import cifar, fashion_mnist, mnist5k, read_idx
from .real import google_stock, wind_speed

__all__ = ["Dataset", "MissingDataPackageError", "one_step_pairs", "prediction_windows",
           "resolve_splits", "rk4", "lorenz63", "rossler", "lorenz96", "google_stock",
           "wind_speed", "Lorenz96System", "fashion_mnist", "mnist5k", "cifar", "read_idx"]
