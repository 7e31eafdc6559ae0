"""Validation metrics: losses, shifts towards or away from a perfect score, tie-breakers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss

from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType


def test_a_shift_is_a_share_of_the_distance_to_a_perfect_score() -> None:
    rmse = metric_for("rmse", ModelType.REGRESSION)
    auc = metric_for("auc", ModelType.BINARY)

    assert rmse.shifted(10.0, 0.005) == pytest.approx(10.05)
    assert rmse.shifted(10.0, -0.02) == pytest.approx(9.8)
    # a score's loss is its negation: 2% closer to an AUC of 1 from 0.9 is 0.902, 0.5% further 0.8995
    assert auc.from_loss(auc.shifted(-0.9, -0.02)) == pytest.approx(0.902)
    assert auc.from_loss(auc.shifted(-0.9, 0.005)) == pytest.approx(0.8995)


@pytest.mark.parametrize(
    ("model_type", "name", "breaks_ties"),
    [
        (ModelType.BINARY, "auc", True),
        (ModelType.BINARY, "f1", True),
        (ModelType.BINARY, "log_loss", False),
        (ModelType.MULTICLASS, "macro_f1", True),
        (ModelType.MULTICLASS, "accuracy", True),
        (ModelType.REGRESSION, "rmse", False),
    ],
)
def test_metrics_of_labels_and_ranks_break_ties_on_log_loss(
    model_type: ModelType, name: str, breaks_ties: bool
) -> None:
    rng = np.random.default_rng(3)
    metric = metric_for(name, model_type)
    if model_type is ModelType.REGRESSION:
        y, scores = rng.normal(size=50), rng.normal(size=50)
    elif model_type is ModelType.BINARY:
        y, scores = rng.integers(0, 2, size=50), rng.random(50)
        scores[:2] = (0.0, 1.0)  # clipped, as scikit-learn's log loss clips them
    else:
        y, scores = rng.integers(0, 3, size=50), rng.dirichlet(np.ones(3), size=50)

    if not breaks_ties:
        assert metric.tie_breaker is None and metric.tie_loss(y, scores) == 0.0
        return
    labels = [0, 1] if model_type is ModelType.BINARY else [0, 1, 2]
    expected = log_loss(y, np.clip(scores, 1e-15, 1 - 1e-15), labels=labels)
    assert metric.tie_loss(y, scores) == pytest.approx(expected, rel=1e-12)
