"""Tasks: readout, features, STDP training and the prediction / classification
protocols (the Brian2-facing layer above the models)."""
from ..models.devices import deferred_build
from .baselines import autoregressive_baseline, pixel_baselines
from .classification import ClassificationResult, pool_images, run_classification
from .evaluate import ROW_COLUMNS, RunOptions, evaluate, evaluate_models
from .features import spike_features
from .prediction import (PredictionResult, SeriesEncoding, SeriesReadout, analyse_prediction,
                         present_series, raw_input_baseline, run_prediction, step_features)
from .readout import Readout, select_readout_neurons
from .specs import (TASKS, ClassificationProtocol, DataSpec, ImageEncodingSpec,
                    PredictionProtocol, ReadoutSpec, SeriesEncodingSpec, Task, ValidationCarve,
                    get_task, task_names, training_stretch)
from .robustness import PAPER_SNR_DB, add_noise_snr, measured_snr_db, noise_robustness
from .training import TrainingReport, freeze, is_frozen, train_stdp

__all__ = ["Readout", "select_readout_neurons", "spike_features",
           "train_stdp", "freeze", "is_frozen", "TrainingReport",
           "SeriesEncoding", "SeriesReadout", "run_prediction", "analyse_prediction",
           "present_series",
           "step_features", "raw_input_baseline", "deferred_build", "PredictionResult",
           "run_classification", "pool_images", "ClassificationResult",
           "noise_robustness", "add_noise_snr", "measured_snr_db", "PAPER_SNR_DB",
           "evaluate", "evaluate_models", "ROW_COLUMNS", "RunOptions", "Task", "TASKS",
           "get_task", "task_names", "ValidationCarve", "training_stretch",
           "DataSpec", "SeriesEncodingSpec", "ImageEncodingSpec", "ReadoutSpec",
           "PredictionProtocol", "ClassificationProtocol", "autoregressive_baseline",
           "pixel_baselines"]
