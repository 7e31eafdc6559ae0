"""Regularised linear models: L2 logistic regression and ridge regression over the scaled encoding.

Often the strongest simple baseline: on wide sensor data and on text n-grams a well-regularised
linear model beats boosted trees, so the portfolio tries it first, at three regularisation strengths.

Predictions are computed from the fitted coefficients with scikit-learn's formulas (the linear
scores, then the logistic function for two classes or the softmax for more) rather than through its
``predict_proba``, whose input validation costs a hundred times the arithmetic for one record.
"""

from __future__ import annotations

import warnings

import numpy as np
import optuna
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.families.base import (
    Config,
    Family,
    FittedLearner,
    FloatArray,
    Labels,
    Task,
    expand_probabilities,
    linear_scores,
    softmax,
)
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.automl.features import Encoding, Matrix

_MAX_ITERATIONS = 500


class LogisticLearner:
    """A fitted logistic regression."""

    def __init__(self, model: LogisticRegression, task: Task) -> None:
        self.refit_config: Config = {}
        self.complete = True
        self.model = model
        self.task = task

    def predict(self, features: Matrix) -> FloatArray:
        scores = linear_scores(features, self.model.coef_, self.model.intercept_)
        if scores.shape[1] == 1:  # two classes: the scores are for the second one
            second = expit(scores[:, 0])
            probabilities = np.column_stack([1.0 - second, second])
        else:
            probabilities = softmax(scores)
        return expand_probabilities(probabilities, self.model.classes_, self.task)


class RidgeLearner:
    """A fitted ridge regression."""

    def __init__(self, model: Ridge) -> None:
        self.refit_config: Config = {}
        self.complete = True
        self.model = model

    def predict(self, features: Matrix) -> FloatArray:
        scores: FloatArray = linear_scores(features, self.model.coef_, self.model.intercept_)[:, 0]
        return scores


class LinearFamily(Family):
    """L2-regularised logistic (classification) or ridge (regression) models."""

    name = "linear"
    encoding = Encoding.SCALED
    max_refit_rows = 1_000_000

    def portfolio(self, task: Task) -> list[Config]:
        """The derived portfolio (``linear`` for classification, ``linear.regression``), or the
        hand-written strengths until one is derived; a balanced variant for imbalanced multiclass."""
        if not task.is_classification:
            derived = PORTFOLIOS.get(f"{self.name}.regression")
            return (
                [dict(c) for c in derived] if derived else [{"alpha": 1.0}, {"alpha": 10.0}, {"alpha": 0.1}]
            )
        derived = PORTFOLIOS.get(self.name)
        if derived:
            configs = [dict(config) for config in derived]
        else:
            strengths = [0.1, 1.0, 10.0] if task.wide else [1.0, 0.1, 10.0]
            configs = [{"C": strength, "class_weight": "none"} for strength in strengths]
        balanced = task.imbalanced and task.model_type.value == "MULTICLASS"
        if balanced and all(config["class_weight"] != "balanced" for config in configs):
            configs.insert(0, configs[0] | {"class_weight": "balanced"})
        return configs

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        if not task.is_classification:
            return {"alpha": trial.suggest_float("alpha", 1e-3, 1e4, log=True)}
        return {
            "C": trial.suggest_float("C", 1e-4, 1e3, log=True),
            "class_weight": trial.suggest_categorical("class_weight", ["none", "balanced"]),
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
        with warnings.catch_warnings():
            # A solver stopped at its iteration cap still gives a usable, regularised model.
            warnings.simplefilter("ignore", ConvergenceWarning)
            if not task.is_classification:
                return RidgeLearner(Ridge(alpha=float(config["alpha"])).fit(features, y))
            weight = "balanced" if config["class_weight"] == "balanced" else None
            model = LogisticRegression(C=float(config["C"]), class_weight=weight, max_iter=_MAX_ITERATIONS)
            return LogisticLearner(model.fit(features, y), task)
