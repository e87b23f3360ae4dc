"""Image classification with a Brian2 spiking network (000 A.6 readout).

Every image is presented for ``presentation`` (100 ms) as Poisson trains with
rate proportional to pixel intensity (one input channel per pixel,
:func:`brian2_lnp.models.encoders.encode_images`), followed by ``silence``
(100 ms) without input so the network relaxes before the next image. The
features of an image are the spike counts of the readout neurons (top 10 %
by betweenness, 000 A.6) during its presentation window; the readout (ridge
classifier or the n -> 20 -> classes MLP) is fitted on the training images
and scored on the test images. Training and test images are presented in one
run (training first), so the protocol runs as a single program on
cpp_standalone as well.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..metrics import accuracy
from ..models.encoders import encode_images
from ..validation import check_int, check_range
from .features import spike_features
from ..models.devices import deferred_build
from .common import base_seed, now, quiet_past_spikes, seconds
from .readout import Readout, select_readout_neurons
from .specs import readout_from
from ..random import child_seed

__all__ = ["pool_images", "present_images", "image_features", "run_classification",
           "ClassificationResult"]

logger = logging.getLogger(__name__)


def pool_images(images, pool=1):
    """Block-mean pooling of (n, H, W[, C]) images by ``pool`` x ``pool`` (float output).

    Fewer input channels for small test networks (our addition; the paper
    uses full images). H and W are cropped to multiples of ``pool``.
    """
    pool = check_int("pool", pool, 1)
    arr = np.asarray(images, dtype=float)
    if arr.ndim < 3:
        raise ValueError(f"images: expected (n, H, W[, C]), got shape {arr.shape}")
    if pool == 1:
        return arr
    n, H, W = arr.shape[:3]
    H2, W2 = H // pool, W // pool
    if H2 == 0 or W2 == 0:
        raise ValueError(f"pool: must be <= the image size {H}x{W}, got {pool}")
    arr = arr[:, :H2 * pool, :W2 * pool]
    return arr.reshape(n, H2, pool, W2, pool, *arr.shape[3:]).mean(axis=(2, 4))


def present_images(model, images, *, presentation=0.1, silence=0.1, max_rate=100.0,
                   max_intensity=255.0, seed=None, run=True):
    """Append the Poisson encoding of ``images`` to the model's input (and run).

    Returns
    -------
    float
        Start time (second) of the first image.
    """
    import brian2 as b2

    X = np.asarray(images, dtype=float).reshape(len(images), -1)
    if model.inputs is None or model.inputs.n_channels != X.shape[1]:
        have = 0 if model.inputs is None else model.inputs.n_channels
        raise ValueError(f"images: have {X.shape[1]} pixels but the model has {have} input "
                         "channels; build it with n_inputs equal to the pixel count (or pool)")
    dt = float(model.dt)
    t0 = round(now(model) / dt) * dt
    # (n, 1, pixels): encode_images reads a 2-D array as one single image
    tr = encode_images(X[:, None, :], dt, max_rate=max_rate, duration=presentation, silence=silence,
                       max_intensity=max_intensity, t_start=t0, seed=seed)
    i_old, t_old = model.input_spikes()
    keep = t_old < t0
    with quiet_past_spikes():
        model.set_input(np.concatenate([i_old[keep], tr.indices]),
                        np.concatenate([t_old[keep], tr.times]))
        if run:
            model.run(tr.duration * b2.second)
    return t0


def image_features(model, neurons, t_start, n_images, presentation=0.1, silence=0.1):
    """Spike counts of ``neurons`` during each presentation window, shape (n_images, n)."""
    dt = float(model.dt)
    i, t = model.spike_trains()
    period = presentation + silence
    ends = t_start + np.arange(n_images) * period + presentation - 0.5 * dt
    return spike_features(i, t, np.asarray(neurons), ends, method="count",
                          bin_width=presentation)


@dataclasses.dataclass
class ClassificationResult:
    """Outcome of :func:`run_classification`.

    Attributes
    ----------
    accuracy : float
        Test accuracy.
    train_accuracy : float
    y_pred : ndarray
    readout_neurons : ndarray
    t_start : float
        Start of the first training image (second).
    sim_time : float
        Simulated seconds of the whole presentation.
    mean_rate : float
        Mean rate (Hz) of the readout neurons during presentations.
    """

    accuracy: float
    train_accuracy: float
    y_pred: np.ndarray
    readout_neurons: np.ndarray
    t_start: float
    sim_time: float
    mean_rate: float


def run_classification(model, train, test, *, presentation=0.1, silence=0.1, max_rate=100.0,
                       max_intensity=None, readout="ridge", readout_neurons=None, seed=None,
                       t_start=None, **keywords):
    """Present training then test images and score a readout on spike counts.

    Parameters
    ----------
    model : SpikingNetwork
        With ``n_inputs`` equal to the pixels per image.
    train, test : (images, labels)
    presentation, silence : float or Quantity
        Seconds per image with input and without (100 ms each).
    max_rate : float
        Rate (Hz) of a pixel at ``max_intensity``.
    max_intensity : float, optional
        Default 255 for integer images, else the largest training value.
    readout : ReadoutSpec or {"ridge", "mlp"}
        Default the paper's readout (top 10 % by betweenness, leave-one-out
        ridge on z-scored features); its ``kind``, ``fraction``, ``alphas``
        and ``standardize`` are used.
    readout_neurons : array of int, optional
    seed : None, int or Generator
    t_start : float, optional
        The training then test images were already presented (with
        :func:`present_images`, same settings) from this time (second), e.g.
        inside one standalone program after STDP; only the readout is fitted.
        Default: present them now.
    **keywords
        ``readout_fraction``, ``readout_kwargs`` (the names of earlier
        versions, see :func:`~brian2_lnp.tasks.specs.readout_from`).

    Returns
    -------
    ClassificationResult
    """
    Xtr, ytr = np.asarray(train[0]), np.asarray(train[1])
    Xte, yte = np.asarray(test[0]), np.asarray(test[1])
    if len(Xtr) != len(ytr) or len(Xte) != len(yte):
        raise ValueError("train, test: images and labels must have the same length")
    if len(Xtr) < 2 or len(Xte) < 1:
        raise ValueError("train, test: need at least 2 training and 1 test image")
    ro_spec = readout_from(readout, **keywords)
    presentation = check_range("presentation", seconds("presentation", presentation), 0.0,
                               low_inclusive=False)
    silence = check_range("silence", seconds("silence", silence), 0.0)
    max_rate = check_range("max_rate", max_rate, 0.0, 1.0 / float(model.dt))
    if max_intensity is None:
        max_intensity = 255.0 if Xtr.dtype.kind in "iu" else float(Xtr.max()) or 1.0
    base = base_seed(seed)
    if readout_neurons is None:
        readout_neurons = select_readout_neurons(model.export(), fraction=ro_spec.fraction)
    neurons = np.asarray(readout_neurons, dtype=np.int64)
    allX = np.concatenate([Xtr.astype(float), Xte.astype(float)])
    if t_start is None:
        with deferred_build(model):
            t0 = present_images(model, allX, presentation=presentation, silence=silence,
                                max_rate=max_rate, max_intensity=max_intensity,
                                seed=child_seed(base, "images"))
    else:
        t0 = float(t_start)
    F = image_features(model, neurons, t0, len(allX), presentation, silence)
    Ftr, Fte = F[:len(Xtr)], F[len(Xtr):]
    ro = Readout(kind=ro_spec.kind, task="classification", seed=child_seed(base, "readout"),
                 **ro_spec.readout_kwargs)
    ro.fit(Ftr, ytr)
    pred = ro.predict(Fte)
    rate = float(F.mean() / presentation) if F.size else 0.0
    return ClassificationResult(float(accuracy(yte, pred)), float(accuracy(ytr, ro.predict(Ftr))),
                                pred, neurons, t0, len(allX) * (presentation + silence), rate)
