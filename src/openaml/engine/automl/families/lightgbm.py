"""Gradient-boosted trees with LightGBM: the workhorse of tabular AutoML.

The zero-shot portfolio is derived by ``benchmarks/derive_portfolio.py`` (see docs/models.md); on
wide data fewer histogram bins and at most half the features per tree make each tree several times
cheaper. A REGRESSION target with no negative value (counts, prices) may also be boosted with a
Poisson or Tweedie objective, which model the log of the value: LightGBM alone beat its squared
error with them on bike-sharing counts, diamond prices and wine grades (docs/models.md); the search
chooses on the validation score, always the squared error of the values. Boosting rounds are chosen
on the validation fold (early stopping with a patience that grows with the best round,
:mod:`.patience`) and the refit reuses their mean.
:meth:`LightGBMFamily.continue_boosting` adds trees to a fitted booster (``init_model``: the
``warmstart`` update mode, see :mod:`..warmstart`). Prediction uses one thread, which keeps
single-record latency low under load. A single row (real-time prediction) goes through LightGBM's
single-row C API (:class:`_SingleRowPredictor`): ``Booster.predict`` sets up a predictor on every call,
which costs more than scoring one row.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any, Literal

import lightgbm as lgb
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
    balanced_sample_weights,
    refit_share,
)
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.automl.families.patience import AdaptivePatience
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.models import ModelType
from openaml.engine.predictors.transient import transient_cached_property

try:  # LightGBM's own handle on its C library: the single-row API has no Python wrapper
    from lightgbm.basic import _c_str, _safe_call
    from lightgbm.libpath import _LIB

    _HAS_SINGLE_ROW_API = True
except ImportError:  # pragma: no cover - a LightGBM without them scores single rows as any other
    _HAS_SINGLE_ROW_API = False

_MAX_ROUNDS = 5_000
# One OpenMP thread: on a busy 2-core machine two threads made boosting 2-10x slower (threads spin
# at every split's barrier), from 300 to 100,000 rows; forests keep their two joblib threads.
_TRAINING_THREADS = 1
_NO_REGULARISATION = 1e-8
#: REGRESSION objectives: squared error for any target; for targets with no negative value, the
#: Poisson and Tweedie (variance power 1.5) objectives, whose raw scores are the log of the value.
_REGRESSION_OBJECTIVES = ("regression", "poisson", "tweedie")
_LOG_LINK_OBJECTIVES = frozenset(_REGRESSION_OBJECTIVES[1:])
# LightGBM's C API constants: normal prediction (not raw scores or leaves), SHAP values, float64 input.
_PREDICT_NORMAL = 0
_PREDICT_CONTRIB = 3
_FLOAT64 = 1


class LightGBMLearner:
    """A fitted booster."""

    def __init__(self, booster: lgb.Booster, rounds: int, complete: bool, refit_share: float = 1.0) -> None:
        self.booster = booster
        self.refit_config: Config = {"rounds": rounds}
        self.complete = complete
        #: The share of this fit's time that a fit of as many rows with ``refit_config`` would take:
        #: the datasets' construction, then the kept rounds only, without the rounds that early
        #: stopping boosted past the best one nor their validation (read by the refit estimates).
        self.refit_share = refit_share

    def predict(self, features: Matrix) -> FloatArray:
        if features.shape[0] == 1 and _HAS_SINGLE_ROW_API:
            row = features if isinstance(features, np.ndarray) else features.toarray()
            return self._single_row.predict(row[0])
        scores = np.asarray(self.booster.predict(features, num_threads=1), dtype=np.float64)
        return scores

    @property
    def log_link(self) -> bool:
        """Whether the raw scores are the log of the predicted value (Poisson, Tweedie objectives)."""
        return self.booster.params.get("objective") in _LOG_LINK_OBJECTIVES

    def contributions(self, features: Matrix) -> FloatArray:
        """Exact TreeSHAP values (LightGBM's ``pred_contrib``): (rows × outputs × (columns + 1)), the
        last entry of each output its expected raw score; each output's entries sum to its raw score
        (the log-odds for BINARY, the class scores before the softmax for MULTICLASS, the log of the
        value for a :attr:`log_link` REGRESSION booster)."""
        dense = (
            sp.csr_matrix(features).toarray() if sp.issparse(features) else np.asarray(features, np.float64)
        )
        outputs = self.booster.num_model_per_iteration()
        if dense.shape[0] == 1 and _HAS_SINGLE_ROW_API:
            return self._single_row_contributions.predict(dense[0]).reshape(1, outputs, dense.shape[1] + 1)
        values = np.asarray(self.booster.predict(dense, pred_contrib=True, num_threads=1), np.float64)
        return values.reshape(dense.shape[0], outputs, dense.shape[1] + 1)

    @transient_cached_property
    def _single_row(self) -> _SingleRowPredictor:
        return _SingleRowPredictor(self.booster)

    @transient_cached_property
    def _single_row_contributions(self) -> _SingleRowPredictor:
        return _SingleRowPredictor(self.booster, contributions=True)


class _SingleRowPredictor:
    """``Booster.predict`` for one dense row, through ``LGBM_BoosterPredictForMatSingleRowFast``: the
    prediction is configured once (same iterations, one thread) and then only scores rows."""

    def __init__(self, booster: lgb.Booster, *, contributions: bool = False) -> None:
        """``contributions``: SHAP values (``pred_contrib``) instead of scores."""
        self._booster = booster  # the configuration refers to it: keep it alive as long
        self._handle = ctypes.c_void_p()
        self._outputs = booster.num_model_per_iteration()
        if contributions:
            self._outputs *= booster.num_feature() + 1
        self._out_length = ctypes.c_int64()
        iterations = booster.best_iteration if booster.best_iteration > 0 else -1
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(_PREDICT_CONTRIB if contributions else _PREDICT_NORMAL),
                ctypes.c_int(0),
                ctypes.c_int(iterations),
                ctypes.c_int(_FLOAT64),
                ctypes.c_int32(booster.num_feature()),
                _c_str("num_threads=1"),
                ctypes.byref(self._handle),
            )
        )

    def __del__(self) -> None:
        free = getattr(_LIB, "LGBM_FastConfigFree", None)  # None once the library is unloaded
        if free is not None and self._handle.value is not None:
            free(self._handle)

    def predict(self, row: FloatArray) -> FloatArray:
        """The scores of one row, shaped as ``Booster.predict`` shapes them for one row."""
        values = np.ascontiguousarray(row, dtype=np.float64)
        out = np.empty(self._outputs, dtype=np.float64)
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFast(
                self._handle,
                values.ctypes.data_as(ctypes.c_void_p),
                ctypes.byref(self._out_length),
                out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            )
        )
        return out if self._outputs == 1 else out[None, :]


class LightGBMFamily(Family):
    """LightGBM boosting with native categorical handling."""

    name = "lightgbm"
    encoding = Encoding.TREE

    def portfolio(self, task: Task) -> list[Config]:
        """The derived portfolio (``benchmarks/derive_portfolio.py``; the hand-written one below until
        one is derived), adapted to the task: fewer bins and half the features per tree on wide data,
        no class weights for regression, a balanced variant of the first when classes are imbalanced,
        and when a REGRESSION target has no negative value, the squared error named as the objective
        and Poisson and Tweedie variants of the first two configurations tried after the first."""
        derived = PORTFOLIOS.get(self.name)
        configs = [dict(config) for config in derived] if derived else _fallback_portfolio()
        for config in configs:
            if task.wide:
                config["max_bin"] = 63
                config["feature_fraction"] = min(float(config["feature_fraction"]), 0.5)
            if task.is_classification:
                config.setdefault("class_weight", "none")
            else:
                config.pop("class_weight", None)
        if task.imbalanced and all(config.get("class_weight") != "balanced" for config in configs):
            configs.insert(1, configs[0] | {"class_weight": "balanced"})
        if task.nonnegative_target:
            for config in configs:
                config.setdefault("objective", "regression")
            if all(config["objective"] == "regression" for config in configs):
                configs[1:1] = [configs[0] | {"objective": "poisson"}, configs[1] | {"objective": "tweedie"}]
        return configs

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        config: Config = {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 2, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
            "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
            "lambda_l1": trial.suggest_float("lambda_l1", _NO_REGULARISATION, 10.0, log=True),
            "lambda_l2": trial.suggest_float("lambda_l2", _NO_REGULARISATION, 10.0, log=True),
            "extra_trees": trial.suggest_categorical("extra_trees", [False, True]),
            "max_bin": trial.suggest_categorical("max_bin", [63, 255]),
        }
        if task.is_classification:
            config["class_weight"] = trial.suggest_categorical("class_weight", ["none", "balanced"])
        if task.nonnegative_target:
            config["objective"] = trial.suggest_categorical("objective", list(_REGRESSION_OBJECTIVES))
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
        return self._boost(features, y, config, task, limits, validation, None)

    def continue_boosting(
        self,
        learner: LightGBMLearner,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        rounds: int,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> LightGBMLearner:
        """A new learner: ``learner``'s trees followed by at most ``rounds`` more, boosted on ``features``.

        ``features`` must be in the encoding ``learner`` was trained on (the same fitted encoder).
        With ``validation``, early stopping picks how many new rounds to keep; the returned
        learner's ``refit_config`` counts the new rounds only.
        """
        return self._boost(
            features, y, config | {"rounds": rounds}, task, limits, validation, learner.booster
        )

    def _boost(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None,
        init_model: lgb.Booster | None,
    ) -> LightGBMLearner:
        params = _booster_params(config, task, min(limits.threads, _TRAINING_THREADS))
        if params["objective"] in _LOG_LINK_OBJECTIVES and not np.any(y > 0):
            params["objective"] = "regression"  # LightGBM refuses them when every value is 0
        categorical: list[int] | Literal["auto"] = list(task.categorical_columns) or "auto"
        weights = balanced_sample_weights(y, task) if config.get("class_weight") == "balanced" else None
        train_set = lgb.Dataset(
            features,
            label=y,
            weight=weights,
            categorical_feature=categorical,
            params=params,
            free_raw_data=True,
        )
        started = time.monotonic()
        deadline, boosting = _Deadline(limits), _BoostingClock()
        callbacks: list[Any] = [deadline, boosting]
        valid_sets = []
        history: dict[str, dict[str, list[float]]] = {}
        rounds = int(config.get("rounds", _MAX_ROUNDS))
        if validation is not None:
            valid_features, valid_y = validation
            valid_weights = balanced_sample_weights(valid_y, task) if weights is not None else None
            valid_sets.append(train_set.create_valid(valid_features, label=valid_y, weight=valid_weights))
            callbacks.append(_EarlyStopping())
            callbacks.append(lgb.record_evaluation(history))
        initial = init_model.current_iteration() if init_model is not None else 0
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=rounds,
            valid_sets=valid_sets,
            callbacks=callbacks,
            init_model=init_model,
        )
        ended = time.monotonic()
        best = booster.current_iteration() - initial
        trained = max(boosting.rounds, best)
        if history:
            # The validation fold's log loss, or squared error for every REGRESSION objective.
            losses = next(iter(next(iter(history.values())).values()))
            best = int(np.argmin(losses)) + 1
        if initial + best < booster.current_iteration():
            booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=initial + best))
        share = refit_share(boosting.at or ended, started, ended, trained, best)
        return LightGBMLearner(booster, max(best, 1), complete=not deadline.reached, refit_share=share)


def _fallback_portfolio() -> list[Config]:
    """The hand-written portfolio: LightGBM's defaults, extra trees, a large 128-leaf model and a
    strongly regularised small-leaf variant for small data."""
    base: Config = {
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_data_in_leaf": 20,
        "feature_fraction": 0.9,
        "bagging_fraction": 1.0,
        "lambda_l1": _NO_REGULARISATION,
        "lambda_l2": _NO_REGULARISATION,
        "extra_trees": False,
        "max_bin": 255,
    }
    return [
        base,
        base | {"learning_rate": 0.05, "extra_trees": True},
        base | {"learning_rate": 0.03, "num_leaves": 128, "min_data_in_leaf": 3},
        base
        | {
            "learning_rate": 0.05,
            "num_leaves": 8,
            "min_data_in_leaf": 10,
            "feature_fraction": 0.5,
            "bagging_fraction": 0.8,
            "lambda_l2": 1.0,
        },
    ]


def _booster_params(config: Config, task: Task, threads: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: value
        for key, value in config.items()
        if key not in ("class_weight", "rounds", "max_bin", "objective")
    }
    params.update(
        objective=_objective(config, task),
        max_bin=int(config["max_bin"]),
        bagging_freq=1,
        num_threads=threads,
        seed=task.seed,
        deterministic=True,
        force_col_wise=True,
        verbosity=-1,
    )
    if task.model_type is ModelType.MULTICLASS:
        params["num_class"] = task.n_classes
    if task.model_type is ModelType.REGRESSION:
        params["metric"] = "l2"  # of the values, whatever the objective: what validation scores
    return params


def _objective(config: Config, task: Task) -> str:
    """The LightGBM objective: the configuration's REGRESSION objective where the target allows it
    (a configuration carried over from other data, see :mod:`..warmstart`, may not fit this one)."""
    if task.model_type is ModelType.BINARY:
        return "binary"
    if task.model_type is ModelType.MULTICLASS:
        return "multiclass"
    wanted = str(config.get("objective", "regression"))
    return wanted if task.nonnegative_target and wanted in _REGRESSION_OBJECTIVES else "regression"


class _BoostingClock:
    """A training callback that notes when boosting began (after the datasets were constructed) and
    how many rounds it started (early stopping's booster keeps only the best ones)."""

    order = 0
    before_iteration = True

    def __init__(self) -> None:
        self.at: float | None = None
        self.rounds = 0

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        if self.at is None:
            self.at = time.monotonic()
        self.rounds += 1


class _EarlyStopping:
    """A training callback that ends boosting when the validation loss (the first metric) has not
    improved for the adaptive patience (:mod:`.patience`)."""

    order = 30  # after the evaluation is recorded

    def __init__(self) -> None:
        self._patience = AdaptivePatience()

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        results = env.evaluation_result_list or []
        if not results:
            return
        _, _, value, higher_is_better = results[0][:4]
        loss = -float(value) if higher_is_better else float(value)
        if self._patience.should_stop(env.iteration - env.begin_iteration, loss):
            raise lgb.callback.EarlyStopException(env.iteration, results)


class _Deadline:
    """A training callback that ends boosting at the deadline, keeping the rounds done so far."""

    order = 5  # before LightGBM's own callbacks

    def __init__(self, limits: FitLimits) -> None:
        self._limits = limits
        self.reached = False

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        if self._limits.should_end():
            self.reached = True
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])
