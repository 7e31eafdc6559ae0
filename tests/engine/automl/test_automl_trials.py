"""How a trial validates a forest, and how the search keeps from trying the same model twice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.automl.budget import Budget
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.features import Encoding
from openaml.engine.automl.trials import Candidate, TrialData, run_trial
from openaml.engine.automl.validation import ValidationPlan, plan_group_validation, plan_validation
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType


def _forest_trial(family: str, config: dict[str, object], plan: ValidationPlan) -> Candidate:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 4))
    y = (features[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(np.int64)
    task = Task.describe(ModelType.BINARY, y, 2, 4, 0, ())
    data = TrialData(
        dict(FAMILIES),
        task,
        plan,
        {Encoding.TREE: features},
        y,
        metric_for(None, ModelType.BINARY),
        refit_scale=1.0,
        bagging=True,
    )
    candidate = Candidate(0, family, {"criterion": "gini", "class_weight": "none", **config}, "ok")
    budget = Budget(30)
    run_trial(data, candidate, budget, budget.end)
    assert candidate.ok, candidate.message
    return candidate


def _random_holdout() -> ValidationPlan:
    return plan_validation(np.arange(300) % 2, ModelType.BINARY, 0, 0)


def test_a_bagged_forest_is_validated_out_of_bag_on_a_random_holdout_only() -> None:
    forest = {"max_features": "sqrt", "min_samples_leaf": 1}
    on_holdout = _forest_trial("random_forest", forest, _random_holdout())
    assert on_holdout.final_learner is not None and on_holdout.fold_learners is None

    cross_validated = plan_validation(np.arange(300) % 2, ModelType.BINARY, 3, 0)
    on_folds = _forest_trial("random_forest", forest, cross_validated)
    assert on_folds.final_learner is None
    assert on_folds.fold_learners is not None and len(on_folds.fold_learners) == 3

    groups = pd.Series(np.arange(300) // 10)
    by_group = _forest_trial("random_forest", forest, plan_group_validation(groups, 0, 0, "subject"))
    assert by_group.final_learner is None, "a bootstrap sample ignores the groups"


def test_extra_trees_grown_on_every_row_are_validated_on_the_folds() -> None:
    config = {"max_features": "sqrt", "min_samples_leaf": 1, "bootstrap": False}
    candidate = _forest_trial("extra_trees", config, _random_holdout())
    assert candidate.final_learner is None and candidate.fold_learners is not None
    (learner,) = candidate.fold_learners
    assert learner.model.bootstrap is False  # type: ignore[attr-defined]


def test_the_extra_trees_portfolio_tries_trees_of_every_row_and_of_bootstrap_samples() -> None:
    task = Task.describe(ModelType.REGRESSION, np.arange(100.0), 0, 5, 0, ())
    portfolio = FAMILIES["extra_trees"].portfolio(task)
    assert {config["bootstrap"] for config in portfolio} == {True, False}
    assert all("bootstrap" not in config for config in FAMILIES["random_forest"].portfolio(task))


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (("sqrt", 1), (0.3, 1), True),
        (("log2", 1), (0.3, 1), True),
        (("sqrt", 1), (0.6, 1), False),
        (("sqrt", 1), ("sqrt", 2), False),
    ],
)
def test_forest_configurations_drawing_as_many_columns_are_the_same_model(
    first: tuple[object, int], second: tuple[object, int], same: bool
) -> None:
    family = FAMILIES["random_forest"]
    keys = [
        family.trial_key({"max_features": features, "min_samples_leaf": leaf}, 12)
        for features, leaf in (first, second)
    ]
    assert (keys[0] == keys[1]) is same


def test_the_search_never_trains_the_same_model_twice() -> None:
    rng = np.random.default_rng(0)
    columns = {f"x{index}": rng.normal(size=300) for index in range(6)}
    frame = pd.DataFrame(columns | {"y": columns["x0"] * 3 + rng.normal(size=300)})
    schema = DataSchema(
        attributes=tuple(Attribute(name, AttributeType.NUMERIC) for name in frame.columns),
        target_attribute_name="y",
    )
    params = AutoMLParameters(time_budget_seconds=60, max_trials=10, algorithms=("random_forest",), seed=0)
    result = train_automl(frame, schema, ModelType.REGRESSION, params)
    tried = [row["parameters"] for row in result.leaderboard if row["status"] != "skipped"]
    assert len(tried) == 10  # past the portfolio, into tuning
    # On 6 columns sqrt and log2 both draw 2 columns per split: the same forest.
    keys = {FAMILIES["random_forest"].trial_key(config, 6) for config in tried}
    assert len(keys) == len(tried)
