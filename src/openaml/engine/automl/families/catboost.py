"""Gradient-boosted oblivious trees with CatBoost: strong defaults and native categoricals.

CatBoost reads the TREE matrix like LightGBM, but its category columns go in as categories (ordered
target statistics instead of integer splits), which is where it beats LightGBM on mixed and
high-cardinality data. TF-IDF text columns from the TREE encoding are plain numbers to it; its own
text features would need the raw strings, which the shared encodings do not keep (see docs/models.md).

Time: a training callback ends boosting at the fit's deadline and keeps the iterations done, as the
LightGBM family does, so a fit never runs past its share of the budget; boosting rounds are chosen
on the validation fold (early stopping with a patience that grows with the best round,
:mod:`.patience`, in the same callback) and the refit reuses their mean. Training uses the fit's
threads (two by default): unlike LightGBM (see :mod:`.lightgbm`), CatBoost was faster with two
threads than with one on the busy 2-core machine (200 rounds on 20,000 × 30: 1.2-1.6 s against
2.1-2.3 s). Prediction uses one thread. A model is pickled inside the ensemble like
every other learner (CatBoost pickles as its own binary model format).
"""

from __future__ import annotations

import time
from typing import Any

import catboost as cb
import numpy as np
import optuna
import scipy.sparse as sp

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.families.base import (
    Config,
    Family,
    FittedLearner,
    FloatArray,
    Labels,
    Task,
    expand_probabilities,
    refit_share,
)
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.automl.families.patience import AdaptivePatience
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.models import ModelType, TrainingCancelled

_MAX_ROUNDS = 5_000
# A sparse TREE matrix (text) with category columns is made dense for CatBoost up to this many
# cells (float32: 80 MB); above it the category codes are used as numbers, as LightGBM does not.
_MAX_DENSE_CELLS = 20_000_000
_PREDICT_CHUNK_ROWS = 10_000
#: Used only if no derived portfolio has been generated: CatBoost's defaults and two variants.
_FALLBACK_PORTFOLIO: list[Config] = [
    {
        "learning_rate": 0.05,
        "depth": 6,
        "l2_leaf_reg": 3.0,
        "random_strength": 1.0,
        "border_count": 254,
        "one_hot_max_size": 2,
    },
    {
        "learning_rate": 0.1,
        "depth": 4,
        "l2_leaf_reg": 10.0,
        "random_strength": 1.0,
        "border_count": 254,
        "one_hot_max_size": 2,
    },
]


class CatBoostLearner:
    """A fitted CatBoost model and the columns it reads as categories."""

    def __init__(
        self,
        model: cb.CatBoost,
        categorical: tuple[int, ...],
        task: Task,
        rounds: int,
        complete: bool,
        refit_share: float = 1.0,
    ) -> None:
        self.model = model
        self.categorical = categorical
        self.model_type = task.model_type
        self.n_classes = task.n_classes
        self.refit_config: Config = {"rounds": rounds}
        self.complete = complete
        #: The share of this fit's time that a fit of as many rows with ``refit_config`` would take
        #: (see :func:`~openaml.engine.automl.families.base.refit_share`; read by the refit estimates).
        self.refit_share = refit_share

    def predict(self, features: Matrix) -> FloatArray:
        if features.shape[0] > _PREDICT_CHUNK_ROWS and self.categorical and sp.issparse(features):
            parts = [
                self.predict(features[start : start + _PREDICT_CHUNK_ROWS])
                for start in range(0, features.shape[0], _PREDICT_CHUNK_ROWS)
            ]
            return np.concatenate(parts, axis=0)
        data = _catboost_data(features, self.categorical)
        if self.model_type is ModelType.REGRESSION:
            return np.asarray(self.model.predict(data, thread_count=1), dtype=np.float64)
        probabilities = np.asarray(
            self.model.predict(data, prediction_type="Probability", thread_count=1), dtype=np.float64
        )
        task = Task(self.model_type, self.n_classes, 0, 0, 0)
        return expand_probabilities(probabilities, np.asarray(self.model.classes_), task)

    def contributions(self, features: Matrix) -> FloatArray:
        """CatBoost's own SHAP values: (rows × outputs × (columns + 1)) in the TREE matrix's column
        order, the last entry of each output its expected raw score; each output's entries sum to its
        raw score (the log-odds for BINARY, the class scores before the softmax for MULTICLASS)."""
        pool = cb.Pool(_catboost_data(features, self.categorical))
        values = np.asarray(
            self.model.get_feature_importance(data=pool, type="ShapValues", thread_count=1), np.float64
        )
        rows, columns = features.shape
        values = values.reshape(rows, -1, columns + 1)
        if not self.categorical:
            return values
        is_category = np.zeros(columns, dtype=bool)
        is_category[list(self.categorical)] = True
        # CatBoost numbers the numeric features first, then the categorical ones.
        order = np.concatenate([np.flatnonzero(~is_category), np.flatnonzero(is_category)])
        ordered = np.empty_like(values)
        ordered[:, :, order] = values[:, :, :columns]
        ordered[:, :, columns] = values[:, :, columns]
        return ordered


class CatBoostFamily(Family):
    """CatBoost boosting with native categorical handling."""

    name = "catboost"
    encoding = Encoding.TREE
    #: Measured: one record costs ~200 µs through ``CatBoost.predict`` (its per-call overhead; the
    #: oblivious trees themselves are cheap), about six linear models.
    serving_cost = 6.0

    def portfolio(self, task: Task) -> list[Config]:
        """The derived portfolio (see ``benchmarks/derive_portfolio.py``), adapted to the task: fewer
        borders on wide data, no class weights for regression, a balanced variant when imbalanced."""
        configs = [dict(config) for config in PORTFOLIOS.get(self.name, _FALLBACK_PORTFOLIO)]
        for config in configs:
            if task.wide:
                config["border_count"] = 64
            if task.is_classification:
                config.setdefault("class_weight", "none")
            else:
                config.pop("class_weight", None)
        if task.imbalanced and all(config.get("class_weight") != "balanced" for config in configs):
            configs.insert(1, configs[0] | {"class_weight": "balanced"})
        return configs

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        config: Config = {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "depth": trial.suggest_int("depth", 3, 8),
            "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 0.5, 30.0, log=True),
            "random_strength": trial.suggest_float("random_strength", 0.0, 5.0),
            "border_count": trial.suggest_categorical("border_count", [64, 254]),
            "one_hot_max_size": trial.suggest_categorical("one_hot_max_size", [2, 10]),
        }
        if task.is_classification:
            config["class_weight"] = trial.suggest_categorical("class_weight", ["none", "balanced"])
        return config

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        categorical = _usable_categorical(features, task.categorical_columns)
        rounds = int(config.get("rounds", _MAX_ROUNDS))
        model = _model(config, task, rounds, limits.threads)
        started = time.monotonic()
        train_pool = cb.Pool(_catboost_data(features, categorical), label=y)
        eval_set = None
        if validation is not None:
            valid_features, valid_y = validation
            eval_set = cb.Pool(_catboost_data(valid_features, categorical), label=valid_y)
        stopping = _Stopping(limits, early_stopping=eval_set is not None)
        fit_options: dict[str, Any] = {"callbacks": [stopping]}
        if eval_set is not None:
            fit_options.update(eval_set=eval_set, use_best_model=True)
        model.fit(train_pool, **fit_options)
        ended = time.monotonic()
        if stopping.cancelled is not None:
            raise stopping.cancelled
        best = model.get_best_iteration() if eval_set is not None else None
        trained = int(model.tree_count_)
        used = trained if best is None else min(best + 1, trained)
        share = refit_share(stopping.boosting_from(ended), started, ended, stopping.iterations, used)
        return CatBoostLearner(
            model, categorical, task, max(used, 1), complete=not stopping.reached, refit_share=share
        )


def _model(config: Config, task: Task, rounds: int, threads: int) -> cb.CatBoost:
    params: dict[str, Any] = {
        key: value for key, value in config.items() if key not in ("class_weight", "rounds")
    }
    params.update(
        iterations=rounds,
        thread_count=threads,
        random_seed=task.seed,
        verbose=False,
        allow_writing_files=False,
    )
    if task.model_type is ModelType.REGRESSION:
        return cb.CatBoostRegressor(loss_function="RMSE", **params)
    if config.get("class_weight") == "balanced":
        params["auto_class_weights"] = "Balanced"
    loss = "Logloss" if task.model_type is ModelType.BINARY else "MultiClass"
    # Every class named up front: a validation fold may hold a rare class its training part lacks.
    return cb.CatBoostClassifier(loss_function=loss, class_names=list(range(task.n_classes)), **params)


def _usable_categorical(features: Matrix, categorical: tuple[int, ...]) -> tuple[int, ...]:
    """The category columns CatBoost gets as categories: all of them, unless the matrix is sparse and
    too large to make dense (then the codes stay numbers)."""
    if sp.issparse(features) and features.shape[0] * features.shape[1] > _MAX_DENSE_CELLS:
        return ()
    return categorical


def _catboost_data(features: Matrix, categorical: tuple[int, ...]) -> Any:
    """What CatBoost reads: the matrix itself, or numbers and category labels apart.

    Category codes are floats with NaN for missing values in the TREE matrix; CatBoost wants labels,
    so they become strings (missing as ``"-1"``, a category of its own).
    """
    if not categorical:
        return features if sp.issparse(features) else np.asarray(features, dtype=np.float32)
    if sp.issparse(features):
        features = sp.csr_matrix(features).toarray()
    dense = np.asarray(features, dtype=np.float32)
    is_category = np.zeros(dense.shape[1], dtype=bool)
    is_category[list(categorical)] = True
    codes = np.nan_to_num(dense[:, is_category], nan=-1.0).astype(np.int64)
    numbers = np.ascontiguousarray(dense[:, ~is_category]) if not is_category.all() else None
    return cb.FeaturesData(
        num_feature_data=numbers,
        cat_feature_data=codes.astype(str).astype(object),
    )


class _Stopping:
    """A CatBoost callback that ends boosting at the deadline, keeping the iterations done so far,
    and, with ``early_stopping``, when the validation loss has not improved for the adaptive patience
    (:mod:`.patience`; ``use_best_model`` then keeps the best iterations).

    Cancellation is not raised through CatBoost's C++ training loop: it is remembered and re-raised
    once ``fit`` returns.
    """

    def __init__(self, limits: FitLimits, *, early_stopping: bool) -> None:
        self._limits = limits
        self._patience = AdaptivePatience() if early_stopping else None
        self.reached = False
        self.cancelled: TrainingCancelled | None = None
        #: Iterations boosted (early stopping's model keeps only the best ones) and when the first ended.
        self.iterations = 0
        self._first_ended: float | None = None

    def boosting_from(self, ended: float) -> float:
        """When boosting began, as far as the iterations' times tell: one mean iteration before the
        first ended (``ended`` when none did)."""
        if self._first_ended is None:
            return ended
        if self.iterations < 2:
            return self._first_ended
        return self._first_ended - (ended - self._first_ended) / (self.iterations - 1)

    def after_iteration(self, info: Any) -> bool:
        """``False`` stops training."""
        self.iterations += 1
        if self._first_ended is None:
            self._first_ended = time.monotonic()
        try:
            if self._limits.should_end():
                self.reached = True
                return False
        except TrainingCancelled as cancelled:
            self.cancelled = cancelled
            return False
        if self._patience is None:
            return True
        losses = next(iter(info.metrics["validation"].values()))  # the loss function, lower is better
        return not self._patience.should_stop(info.iteration - 1, float(losses[-1]))  # 1-based
