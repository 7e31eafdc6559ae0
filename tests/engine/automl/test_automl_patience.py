"""Early stopping with a patience that grows with the best round, in both boosting families."""

from __future__ import annotations

import numpy as np
import pytest

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.families.patience import MIN_PATIENCE, PATIENCE_SHARE, AdaptivePatience, patience
from openaml.engine.models import ModelType


def _rounds_until_stop(losses: list[float]) -> int | None:
    rule = AdaptivePatience()
    for round_index, loss in enumerate(losses):
        if rule.should_stop(round_index, loss):
            return round_index
    return None


def test_an_early_plateau_ends_boosting_after_the_minimum_patience() -> None:
    losses = [1.0 / (round_index + 1) for round_index in range(10)] + [1.0] * 200

    assert _rounds_until_stop(losses) == 9 + MIN_PATIENCE


def test_a_late_plateau_is_given_a_share_of_the_rounds_so_far() -> None:
    best = 2_000
    losses = [1.0 / (round_index + 1) for round_index in range(best)] + [1.0] * 1_000

    assert _rounds_until_stop(losses) == best - 1 + round(PATIENCE_SHARE * best)
    assert patience(best) > MIN_PATIENCE


def test_an_improvement_after_a_plateau_restarts_the_count() -> None:
    losses = [1.0, 0.5] + [0.6] * (MIN_PATIENCE - 1) + [0.4] + [0.6] * MIN_PATIENCE

    assert _rounds_until_stop(losses) == len(losses) - 1


def _noisy_regression(rows: int = 1_500) -> tuple[np.ndarray, np.ndarray, Task]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, 4))
    y = features[:, 0] + rng.normal(scale=2.0, size=rows)
    return features, y, Task.describe(ModelType.REGRESSION, y, 0, 4, 0, categorical_columns=())


@pytest.mark.parametrize("family_name", ["lightgbm", "catboost"])
def test_a_boosting_family_keeps_the_rounds_up_to_its_best_validation_loss(family_name: str) -> None:
    features, y, task = _noisy_regression()
    family = FAMILIES[family_name]
    config = family.portfolio(task)[0] | {"learning_rate": 0.3}
    budget = Budget(60.0)

    learner = family.fit(
        features[:1_000], y[:1_000], config, task, budget.limits(budget.end), (features[1_000:], y[1_000:])
    )

    kept = int(learner.refit_config["rounds"])
    assert learner.complete and 1 <= kept < 1_000
