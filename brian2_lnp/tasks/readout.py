"""The readout of 000 A.6: top-betweenness neurons -> n -> 20 -> outputs.

Pure NumPy / scikit-learn (no Brian2 import). "We sample the top 10% of
neurons with the greatest betweenness centrality ... The second layer
consists of fixed size with 20 neurons, while the third layer ... is equal to
the number of classes [or] a single neuron" (000 A.6). The network here is
scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` with one hidden layer of
20 units; ``kind="ridge"`` is a fast linear alternative (``RidgeCV`` /
``RidgeClassifierCV``).
"""
from __future__ import annotations

import logging

import numpy as np

from ..dynamics.threads import fixed_blas_threads
from ..graph.centrality import betweenness
from ..random import as_generator
from ..validation import check_choice, check_int, check_range

__all__ = ["select_readout_neurons", "Readout"]

logger = logging.getLogger(__name__)


def select_readout_neurons(conn, fraction=0.1, centrality=None, **centrality_kwargs):
    """Indices of the top ``fraction`` of active neurons by betweenness centrality.

    Parameters
    ----------
    conn : Connectivity
        Only active neurons (``conn.neuron_active``) are candidates.
    fraction : float
        In (0, 1]; 0.1 as in the paper. The count is ``ceil(fraction * n_active)``
        (at least one neuron).
    centrality : array (N,), optional
        Precomputed scores; default
        :func:`brian2_lnp.graph.centrality.betweenness` (directed, exact,
        unweighted unless ``weighted=True`` is passed below).
    **centrality_kwargs
        Passed to ``betweenness(conn, ...)`` (``weighted``, ``pivots``,
        ``backend``, ``seed``).

    Returns
    -------
    ndarray of int
        Neuron indices by decreasing centrality; ties go to the lower index.
    """
    fraction = check_range("fraction", fraction, low=0, high=1, low_inclusive=False)
    active = np.flatnonzero(conn.neuron_active)
    if active.size == 0:
        raise ValueError("conn: has no active neuron to read out")
    scores = (betweenness(conn, **centrality_kwargs) if centrality is None
              else np.asarray(centrality, dtype=float).ravel())
    if scores.size != conn.N:
        raise ValueError(f"centrality: must have length N={conn.N}, got {scores.size}")
    k = max(1, int(np.ceil(fraction * active.size - 1e-9)))
    # lexsort: last key is primary -> descending score, then ascending index
    order = np.lexsort((active, -scores[active]))
    return active[order[:k]]


class Readout:
    """Trainable readout from spike features to targets.

    Parameters
    ----------
    kind : {"mlp", "ridge"}
        "mlp": n -> ``hidden`` -> outputs fully connected network (000 A.6);
        "ridge": linear ridge regression / classification with the penalty
        chosen by efficient leave-one-out cross-validation over ``alphas``
        (a single penalty is used as given).
    task : {"regression", "classification"}
    hidden : int
        Hidden layer width (20 in the paper).
    alphas : sequence of float
        Ridge penalties tried (``kind="ridge"``); for "mlp", ``alphas[0]`` is
        the L2 penalty of the MLP unless ``mlp_alpha`` is given.
    max_iter : int
        Maximum MLP training iterations.
    solver : {"lbfgs", "adam", "sgd"}
        MLP optimiser. Default "lbfgs": for the few thousand samples of the
        paper's tasks it converges to a much better fit than Adam, whose default
        stopping rule ends training early (our choice; the paper names none).
    standardize : bool
        Z-score features with training statistics first (features of silent
        and busy neurons differ by orders of magnitude).
    seed : None, int or Generator
        MLP weight initialisation and batch order.
    mlp_alpha : float, optional
    """

    def __init__(self, kind="mlp", task="regression", hidden=20,
                 alphas=(1e-6, 1e-4, 1e-2, 1.0, 1e2), max_iter=2000, standardize=True,
                 seed=None, mlp_alpha=None, solver="lbfgs"):
        self.kind = check_choice("kind", kind, {"mlp", "ridge"})
        self.task = check_choice("task", task, {"regression", "classification"})
        self.hidden = check_int("hidden", hidden, low=1)
        self.alphas = tuple(check_range("alphas", a, low=0, low_inclusive=False) for a in alphas)
        if not self.alphas:
            raise ValueError("alphas: must hold at least one penalty")
        self.max_iter = check_int("max_iter", max_iter, low=1)
        self.standardize = bool(standardize)
        self.mlp_alpha = (self.alphas[0] if mlp_alpha is None
                          else check_range("mlp_alpha", mlp_alpha, low=0))
        self.seed = seed
        self.solver = check_choice("solver", solver, {"lbfgs", "adam", "sgd"})
        self.model_ = None

    def _build(self):
        from sklearn.linear_model import RidgeClassifierCV, RidgeCV
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.kind == "ridge":
            if len(self.alphas) == 1:  # a fixed penalty (e.g. chosen on validation data)
                from sklearn.linear_model import Ridge, RidgeClassifier

                a = self.alphas[0]
                est = Ridge(alpha=a) if self.task == "regression" else RidgeClassifier(alpha=a)
            else:
                est = (RidgeCV(alphas=self.alphas) if self.task == "regression"
                       else RidgeClassifierCV(alphas=self.alphas))
        else:
            rs = int(as_generator(self.seed).integers(2**31 - 1))
            cls = MLPRegressor if self.task == "regression" else MLPClassifier
            est = cls(hidden_layer_sizes=(self.hidden,), alpha=self.mlp_alpha,
                      max_iter=self.max_iter, random_state=rs, solver=self.solver)
        return make_pipeline(StandardScaler(), est) if self.standardize else est

    @fixed_blas_threads()
    def fit(self, X, y):
        """Train on features X (n_samples, n_features) and targets y.

        BLAS runs on a pinned thread count here (1 unless ``BRIAN2_LNP_BLAS_THREADS``
        says otherwise), so a fit gives the same bits for any BLAS thread setting.

        Returns self.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[0] < 2:
            raise ValueError(f"X: expected (n_samples >= 2, n_features), got {X.shape}")
        y = np.asarray(y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y: expected {X.shape[0]} rows like X, got {y.shape[0]}")
        self._y_1d = y.ndim == 1
        model = self._build()
        if self.task == "regression" and self.kind == "mlp" and y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()  # sklearn's MLP warns on a column vector target
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                logger.warning("Readout(kind='mlp'): training stopped at max_iter=%d before "
                               "converging", self.max_iter)
            else:  # hand every other warning on unchanged
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.model_ = model
        return self

    @fixed_blas_threads()
    def predict(self, X):
        """Predictions for X; same trailing shape as the training targets (BLAS pinned as
        in :meth:`fit`)."""
        if self.model_ is None:
            raise RuntimeError("Readout.predict: call fit() first")
        out = self.model_.predict(np.asarray(X, dtype=float))
        if self.task == "regression" and not self._y_1d and out.ndim == 1:
            out = out[:, None]
        return out

    def score(self, X, y):
        """Accuracy (classification) or NRMSE normalised by y's std (regression)."""
        from ..metrics import accuracy, nrmse
        pred = self.predict(X)
        return accuracy(y, pred) if self.task == "classification" else nrmse(y, pred)

    def __repr__(self):
        return (f"Readout(kind={self.kind!r}, task={self.task!r}, hidden={self.hidden}, "
                f"fitted={self.model_ is not None})")
