"""k-nearest neighbours over the scaled encoding: a cheap, different-minded ensemble member.

Only tried on data small enough that a prediction (a scan of every training row) stays cheap.
"""

from __future__ import annotations

import numpy as np
import optuna
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
from openaml.engine.automl.features import Encoding, Matrix

_MAX_ROWS = 20_000


class NeighboursLearner:
    """Fitted neighbours (the stored training rows)."""

    def __init__(self, model: KNeighborsClassifier | KNeighborsRegressor, task: Task) -> None:
        self.refit_config: Config = {}
        self.complete = True
        self.model = model
        self.task = task

    def predict(self, features: Matrix) -> FloatArray:
        if isinstance(self.model, KNeighborsClassifier):
            return expand_probabilities(self.model.predict_proba(features), self.model.classes_, self.task)
        return np.asarray(self.model.predict(features), dtype=np.float64)


class NeighboursFamily(Family):
    """Distance- or uniformly-weighted k-NN."""

    name = "knn"
    encoding = Encoding.SCALED

    def applicable(self, task: Task) -> bool:
        return task.n_rows <= _MAX_ROWS

    def portfolio(self, task: Task) -> list[Config]:
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
