"""The LightGBM family's REGRESSION objectives: Poisson and Tweedie for targets with no negative value."""

from __future__ import annotations

import pickle

import numpy as np
import optuna
import pytest

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.families.lightgbm import LightGBMLearner
from openaml.engine.models import ModelType


def _counts(rows: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Counts whose log is linear in the first column (a Poisson process), the second being noise."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 2))
    return features, rng.poisson(np.exp(1.0 + 1.5 * features[:, 0])).astype(np.float64)


def _task(y: np.ndarray) -> Task:
    return Task.describe(ModelType.REGRESSION, y, 0, 2, 0, categorical_columns=())


def _fit(features: np.ndarray, y: np.ndarray, config: dict[str, object]) -> LightGBMLearner:
    family, task = FAMILIES["lightgbm"], _task(y)
    budget = Budget(60.0)
    learner = family.fit(features, y, family.portfolio(task)[0] | config, task, budget.limits(budget.end))
    assert isinstance(learner, LightGBMLearner)
    return learner


def test_only_a_target_without_negative_values_may_use_count_objectives() -> None:
    _, counts = _counts()
    assert _task(counts).nonnegative_target
    assert not _task(counts - 1.0).nonnegative_target
    assert not _task(np.zeros(10)).nonnegative_target
    assert not Task.describe(ModelType.BINARY, np.array([0, 1, 1]), 2, 2, 0, ()).nonnegative_target


def test_the_portfolio_and_search_offer_the_poisson_objective_for_counts_only() -> None:
    family = FAMILIES["lightgbm"]
    _, counts = _counts()

    portfolio = family.portfolio(_task(counts))
    assert portfolio[0]["objective"] == "regression"
    assert portfolio[1] == portfolio[0] | {"objective": "poisson"}
    assert portfolio[2] == portfolio[3] | {"objective": "tweedie"}
    assert all(config["objective"] == "regression" for config in portfolio[3:])
    assert all("objective" not in config for config in family.portfolio(_task(counts - 1.0)))

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = {family.suggest(study.ask(), _task(counts))["objective"] for _ in range(40)}
    assert drawn == {"regression", "poisson", "tweedie"}
    assert "objective" not in family.suggest(study.ask(), _task(counts - 1.0))


@pytest.mark.parametrize("objective", ["poisson", "tweedie"])
def test_a_count_objective_predicts_values_from_log_scores(objective: str) -> None:
    features, y = _counts()
    learner = _fit(features[:1500], y[:1500], {"objective": objective, "rounds": 200})
    squared = _fit(features[:1500], y[:1500], {"rounds": 200})

    assert learner.log_link and not squared.log_link
    predicted = learner.predict(features[1500:])
    assert (predicted > 0).all()
    # Each row's SHAP values add up to the log of its predicted value.
    contributions = learner.contributions(features[1500:1510])
    np.testing.assert_allclose(np.exp(contributions.sum(axis=2)[:, 0]), predicted[:10], rtol=1e-9)
    # Single rows (real-time scoring) go through the same link.
    np.testing.assert_allclose(learner.predict(features[1500:1501]), predicted[:1], rtol=1e-12)
    # Pickled (as saved models are), the learner still knows its link.
    assert pickle.loads(pickle.dumps(learner)).log_link


def test_a_count_objective_from_other_data_falls_back_to_squared_error() -> None:
    """A configuration carried over (warm start) asks for Poisson, but this target has negative values."""
    features, y = _counts()
    learner = _fit(features, y - 5.0, {"objective": "poisson", "rounds": 50})

    assert not learner.log_link
    assert (learner.predict(features) < 0).any()


def test_a_fold_of_zeros_is_boosted_with_squared_error() -> None:
    """LightGBM refuses count objectives when every value is 0, as one fold of rare counts may be."""
    features, _ = _counts(rows=200)
    family, task = FAMILIES["lightgbm"], _task(np.array([0.0, 3.0]))
    budget = Budget(60.0)
    config = family.portfolio(task)[1] | {"rounds": 10}
    assert config["objective"] == "poisson"

    learner = family.fit(features, np.zeros(200), config, task, budget.limits(budget.end))

    assert isinstance(learner, LightGBMLearner) and not learner.log_link
    np.testing.assert_allclose(learner.predict(features[:5]), 0.0)
