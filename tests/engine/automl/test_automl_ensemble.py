"""Greedy ensemble selection over validation predictions."""

from __future__ import annotations

import numpy as np
import pytest

from openaml.engine.automl.ensemble import PRUNE_TOLERANCE, select_ensemble
from openaml.engine.metrics import Metric, metric_for
from openaml.engine.models import ModelType

RMSE = metric_for("rmse", ModelType.REGRESSION)
MACRO_F1 = metric_for("macro_f1", ModelType.MULTICLASS)


def _predictions() -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=500)
    # two equally good models with independent errors, and a poor one
    first = truth + rng.normal(scale=0.5, size=500)
    second = truth + rng.normal(scale=0.5, size=500)
    poor = truth + rng.normal(scale=3.0, size=500)
    return truth, [first, second, poor]


def test_blending_independent_models_beats_the_best_single_one() -> None:
    truth, predictions = _predictions()
    weights = select_ensemble(predictions, truth, RMSE, max_members=5)
    assert set(weights) == {0, 1}
    assert abs(sum(weights.values()) - 1.0) < 1e-12
    blended = sum(weight * predictions[index] for index, weight in weights.items())
    assert RMSE.compute(truth, blended) < min(RMSE.compute(truth, p) for p in predictions[:2])


def test_member_cap_and_cost_limit_are_respected() -> None:
    truth, predictions = _predictions()
    assert len(select_ensemble(predictions, truth, RMSE, max_members=1)) == 1
    weights = select_ensemble(predictions, truth, RMSE, max_members=5, costs=[1.0, 5.0, 0.1], cost_limit=2.0)
    assert 1 not in weights
    assert select_ensemble(
        predictions, truth, RMSE, max_members=5, costs=[3.0, 5.0, 4.0], cost_limit=2.0
    ) == {0: 1.0}


def test_serving_cost_limit_keeps_costly_members_out_but_never_the_best_one() -> None:
    truth, predictions = _predictions()
    # the second model alone would blend well, but serving it too costs more than allowed
    weights = select_ensemble(
        predictions, truth, RMSE, max_members=5, serving_costs=[8.0, 8.0, 1.0], serving_cost_limit=10.0
    )
    assert 0 in weights and 1 not in weights
    # the best model is kept even when it alone costs more than the limit
    assert 0 in select_ensemble(
        predictions, truth, RMSE, max_members=5, serving_costs=[8.0, 1.0, 1.0], serving_cost_limit=2.0
    )


@pytest.mark.parametrize("metric", [RMSE, metric_for("r2", ModelType.REGRESSION)], ids=["rmse", "r2"])
def test_members_the_ensemble_does_almost_as_well_without_are_dropped(metric: Metric) -> None:
    truth, (first, second, _) = _predictions()
    near_copy = first + np.random.default_rng(1).normal(scale=0.05, size=500)
    predictions = [first, second, near_copy]

    weights = select_ensemble(predictions, truth, metric, max_members=5)

    assert len(weights) == 2 and 1 in weights
    blended = sum(weight * predictions[index] for index, weight in weights.items())
    every_pick = (first + second + near_copy) / 3  # what keeping all three members would approach
    # larger-is-better R² too: the tolerance is a share of what the blend misses of a perfect score
    assert metric.loss(truth, blended) <= metric.shifted(metric.loss(truth, every_pick), PRUNE_TOLERANCE)


def _probabilities(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def test_blends_that_score_alike_are_told_apart_by_their_log_loss() -> None:
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, size=300)
    logits = np.eye(3)[truth] * 2.0 + rng.normal(scale=0.6, size=(300, 3))
    # the same predicted labels (so the same macro-F1), one model far less sure of them
    unsure, sure = _probabilities(logits * 0.5), _probabilities(logits * 2.0)
    assert MACRO_F1.loss(truth, unsure) == MACRO_F1.loss(truth, sure)
    assert MACRO_F1.tie_loss(truth, sure) < MACRO_F1.tie_loss(truth, unsure)

    # listed second, the model with the lower log loss is the one picked
    assert select_ensemble([unsure, sure], truth, MACRO_F1, max_members=5) == {1: 1.0}
