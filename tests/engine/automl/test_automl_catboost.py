"""The CatBoost family: native categoricals, its time limit, cancellation and saved models."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import optuna
import pytest
from sklearn.metrics import roc_auc_score

from openaml.engine.automl import AutoMLParameters, TrainingCancelled, train_automl
from openaml.engine.automl.budget import HARD_LIMIT_FACTOR, Budget
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.families.catboost import CatBoostLearner
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.data.schema import AttributeType
from openaml.engine.models import ModelType, load_model, save_model

from .conftest import TypedData


def _categories_only(rows: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, Task]:
    """A target that only a categorical column explains (its codes in no useful numeric order)."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 12, size=rows).astype(np.float64)
    codes[rng.random(rows) < 0.05] = np.nan
    positive_codes = {1.0, 4.0, 6.0, 9.0, 11.0}
    y = np.array([1 if code in positive_codes else 0 for code in codes], dtype=np.int64)
    y[rng.random(rows) < 0.05] ^= 1
    features = np.column_stack([codes, rng.normal(size=rows)])
    task = Task.describe(ModelType.BINARY, y, 2, 2, 0, categorical_columns=(0,))
    return features, y, task


def test_categories_are_learned_natively() -> None:
    features, y, task = _categories_only()
    family = FAMILIES["catboost"]
    budget = Budget(60.0)
    learner = family.fit(
        features[:400], y[:400], family.portfolio(task)[0] | {"rounds": 100}, task, budget.limits(budget.end)
    )
    assert isinstance(learner, CatBoostLearner) and learner.categorical == (0,)
    assert roc_auc_score(y[400:], learner.predict(features[400:])) > 0.9


def test_boosting_stops_at_the_fit_deadline_and_keeps_what_it_trained() -> None:
    features, y, task = _categories_only(rows=3000)
    family = FAMILIES["catboost"]
    budget = Budget(60.0)
    config = family.portfolio(task)[0] | {"learning_rate": 0.001, "depth": 8}

    learner = family.fit(features, y, config, task, budget.limits(budget.now() + 0.5))

    assert not learner.complete
    assert 1 <= learner.refit_config["rounds"] < 5_000
    assert learner.predict(features[:5]).shape == (5,)


def test_cancelling_stops_a_fit() -> None:
    features, y, task = _categories_only(rows=3000)
    family = FAMILIES["catboost"]
    cancelled = False
    budget = Budget(60.0, should_stop=lambda: cancelled)
    limits = budget.limits(budget.end)
    cancelled = True
    with pytest.raises(TrainingCancelled):
        family.fit(features, y, family.portfolio(task)[0] | {"learning_rate": 0.001}, task, limits)


@pytest.mark.parametrize(
    ("model_type", "target_type"),
    [
        (ModelType.BINARY, AttributeType.BINARY),
        (ModelType.MULTICLASS, AttributeType.CATEGORICAL),
        (ModelType.REGRESSION, AttributeType.NUMERIC),
    ],
)
def test_catboost_alone_trains_a_model_that_survives_saving(
    model_type: ModelType, target_type: AttributeType, synthetic: Callable[..., TypedData], tmp_path: Path
) -> None:
    frame, schema = synthetic(target_type=target_type)  # numbers, a category and text (sparse TREE matrix)
    params = AutoMLParameters(time_budget_seconds=3, algorithms=("catboost",))

    result = train_automl(frame, schema, model_type, params)

    assert {entry["family"] for entry in result.leaderboard} == {"catboost"}
    assert any(entry["status"] == "ok" for entry in result.leaderboard)
    scores = result.model.predict_scores(frame)
    save_model(result.model, tmp_path / "model", {"purpose": "test"})
    loaded, _ = load_model(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict_scores(frame), scores)
    if model_type is ModelType.BINARY:
        assert result.validation_score > 0.8


def test_the_budget_promise_holds_with_catboost(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic(rows=3000)
    budget = 4.0
    started = time.monotonic()
    result = train_automl(frame, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=budget))
    assert time.monotonic() - started <= HARD_LIMIT_FACTOR * budget + 1.0
    assert "catboost" in {entry["family"] for entry in result.leaderboard}


@pytest.mark.parametrize(
    "task",
    [
        Task(ModelType.BINARY, 2, 500, 10, 0),
        Task(ModelType.BINARY, 2, 500, 10, 0, imbalanced=True),
        Task(ModelType.MULTICLASS, 4, 500, 300, 0),
        Task(ModelType.REGRESSION, 0, 500, 10, 0),
    ],
    ids=["binary", "imbalanced", "wide-multiclass", "regression"],
)
def test_the_portfolio_is_the_derived_one_adapted_to_the_task_and_in_the_search_space(task: Task) -> None:
    family = FAMILIES["catboost"]
    configs = family.portfolio(task)

    derived = PORTFOLIOS.get("catboost")
    assert derived, "benchmarks/derive_portfolio.py has written catboost's portfolio"
    assert configs[0]["depth"] == derived[0]["depth"]
    assert ("class_weight" in configs[0]) == task.is_classification
    assert all(config["border_count"] == 64 for config in configs) or not task.wide
    if task.imbalanced:
        assert any(config.get("class_weight") == "balanced" for config in configs)
    # Each configuration is a point of the space the search then tunes (Optuna warns otherwise).
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for config in configs:
        study.enqueue_trial(config)
        trial = study.ask()
        assert family.suggest(trial, task) == config
        study.tell(trial, 0.0)


def test_a_class_missing_from_the_training_part_is_still_scored() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(64, 3))
    y = np.array([0, 1, 2] * 21 + [3])
    task = Task.describe(ModelType.MULTICLASS, y, 4, 3, 0, categorical_columns=())
    family = FAMILIES["catboost"]
    budget = Budget(60.0)
    config = family.portfolio(task)[0] | {"rounds": 20}

    learner = family.fit(
        features[:60], y[:60], config, task, budget.limits(budget.end), validation=(features[60:], y[60:])
    )

    scores = learner.predict(features[60:])
    assert scores.shape == (4, 4) and np.allclose(scores.sum(axis=1), 1.0)
