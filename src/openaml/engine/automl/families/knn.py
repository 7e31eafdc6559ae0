"""k-nearest neighbours over the scaled encoding: a cheap, different-minded ensemble member.

Only tried on data small enough that a prediction (a scan of every training row) stays cheap.
A few rows (real-time prediction) are scored directly from the training rows kept by scikit-learn,
as its brute-force search scores them but without its per-call set-up, which costs several times
the scan itself: one matrix product ranks every training row by ``|x|² - 2x·y + |y|²``, then the
distances of the nearest are computed exactly (so that a record equal to a training row is at
distance 0, as scikit-learn finds). Rows at nearly equal distances may be ranked differently, as
scikit-learn's own results depend on how many rows it is given at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import optuna
import scipy.sparse as sp
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.families.base import (
    Config,
    Family,
    FittedLearner,
    FloatArray,
    Labels,
    Task,
    expand_probabilities,
)
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.predictors.transient import transient_cached_property

_MAX_ROWS = 20_000
#: Rows up to which predictions scan the training rows directly rather than through scikit-learn.
_DIRECT_MAX_ROWS = 16


class NeighboursLearner:
    """Fitted neighbours (the stored training rows)."""

    def __init__(self, model: KNeighborsClassifier | KNeighborsRegressor, task: Task) -> None:
        self.refit_config: Config = {}
        self.complete = True
        self.model = model
        self.task = task

    def predict(self, features: Matrix) -> FloatArray:
        if features.shape[0] <= _DIRECT_MAX_ROWS:
            return self._predict_directly(features)
        if isinstance(self.model, KNeighborsClassifier):
            return expand_probabilities(self.model.predict_proba(features), self.model.classes_, self.task)
        return np.asarray(self.model.predict(features), dtype=np.float64)

    def _predict_directly(self, features: Matrix) -> FloatArray:
        """scikit-learn's brute-force prediction (Euclidean distances) for a few rows."""
        training, squared_norms = self._training
        products = training @ features.T
        if not isinstance(products, np.ndarray):
            products = products.toarray()
        ranking = squared_norms[None, :] - 2.0 * products.T
        k = min(int(self.model.n_neighbors), ranking.shape[1])
        nearest = np.argpartition(ranking, k - 1, axis=1)[:, :k]
        weights = _weights(_distances(training, features, nearest), str(self.model.weights))
        labels = self.model._y[nearest]  # scikit-learn's kept targets: class indices, or values
        if isinstance(self.model, KNeighborsClassifier):
            votes = np.zeros((len(nearest), len(self.model.classes_)))
            np.add.at(votes, (np.arange(len(nearest))[:, None], labels), weights)
            return expand_probabilities(
                votes / votes.sum(axis=1, keepdims=True), self.model.classes_, self.task
            )
        values: FloatArray = (labels * weights).sum(axis=1) / weights.sum(axis=1)
        return values

    @transient_cached_property
    def _training(self) -> tuple[Matrix, FloatArray]:
        """The training rows scikit-learn kept, and their squared norms."""
        training: Matrix = self.model._fit_X
        return training, _squared_row_norms(training)


class NeighboursFamily(Family):
    """Distance- or uniformly-weighted k-NN."""

    name = "knn"
    encoding = Encoding.SCALED
    max_training_rows = 1_000_000
    serving_cost = 8.0

    def applicable(self, task: Task) -> bool:
        return task.n_rows <= _MAX_ROWS

    def portfolio(self, task: Task) -> list[Config]:
        """The derived portfolio (``benchmarks/derive_portfolio.py``), or the hand-written one."""
        derived = PORTFOLIOS.get(self.name)
        if derived:
            return [dict(config) for config in derived]
        return [{"n_neighbors": 10, "weights": "distance"}, {"n_neighbors": 30, "weights": "uniform"}]

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        return {
            "n_neighbors": trial.suggest_int("n_neighbors", 2, 100, log=True),
            "weights": trial.suggest_categorical("weights", ["uniform", "distance"]),
        }

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        limits.check_cancelled()
        neighbours = min(int(config["n_neighbors"]), features.shape[0])
        estimator = KNeighborsClassifier if task.is_classification else KNeighborsRegressor
        model = estimator(n_neighbors=neighbours, weights=config["weights"], n_jobs=1)
        return NeighboursLearner(model.fit(features, y), task)


def _squared_row_norms(matrix: Matrix) -> FloatArray:
    squares = (
        np.square(matrix).sum(axis=1)
        if isinstance(matrix, np.ndarray)
        else matrix.multiply(matrix).sum(axis=1)
    )
    return np.asarray(squares, dtype=np.float64).ravel()


def _distances(training: Matrix, features: Matrix, nearest: npt.NDArray[np.intp]) -> FloatArray:
    """The Euclidean distance of each row of ``features`` to its ``nearest`` training rows."""
    if isinstance(training, np.ndarray) and isinstance(features, np.ndarray):
        differences = training[nearest] - features[:, None, :]
        return np.asarray(np.sqrt(np.square(differences).sum(axis=2)), dtype=np.float64)
    training, features = sp.csr_matrix(training), sp.csr_matrix(features)
    copies = sp.csr_matrix(np.ones((nearest.shape[1], 1)))
    rows = []
    for row, neighbours in enumerate(nearest):
        differences = training[neighbours] - copies @ features[row]
        rows.append(np.sqrt(np.asarray(differences.multiply(differences).sum(axis=1)).ravel()))
    return np.array(rows, dtype=np.float64)


def _weights(distances: FloatArray, kind: str) -> FloatArray:
    """scikit-learn's neighbour weights: equal, or inverse distances (only the neighbours at distance
    0 count when there are any)."""
    if kind == "uniform":
        return np.ones_like(distances)
    exact: npt.NDArray[np.bool_] = distances == 0.0
    with np.errstate(divide="ignore"):
        inverse: FloatArray = np.where(
            exact.any(axis=1, keepdims=True), exact.astype(np.float64), 1.0 / distances
        )
    return inverse
