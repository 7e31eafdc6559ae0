"""The stacking layer scores as the scikit-learn model it holds would (without its input checks)."""

from __future__ import annotations

import numpy as np
import pytest

from openaml.engine.automl.stacking import STACKING_MARGIN, Stacker, _fit, fit_stacker, stacking_features
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType


@pytest.mark.parametrize(
    ("model_type", "n_classes"), [(ModelType.BINARY, 2), (ModelType.MULTICLASS, 4), (ModelType.REGRESSION, 0)]
)
def test_the_stacker_predicts_as_its_scikit_learn_model_does(model_type: ModelType, n_classes: int) -> None:
    rng = np.random.default_rng(7)
    rows = 300
    if model_type is ModelType.REGRESSION:
        y = rng.normal(size=rows)
        members = [y + rng.normal(scale=s, size=rows) for s in (0.3, 0.6)]
    else:
        y = rng.integers(0, n_classes, size=rows)
        members = []
        for noise in (0.5, 1.0):
            logits = np.eye(n_classes)[y] * 2 + rng.normal(scale=noise, size=(rows, n_classes))
            probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            members.append(probabilities[:, 1] if model_type is ModelType.BINARY else probabilities)
    stacker: Stacker = _fit(stacking_features(members, model_type), y, model_type, n_classes)

    for rows_scored in (slice(None), slice(0, 1)):  # many rows, and one (real-time)
        scored = [member[rows_scored] for member in members]
        features = stacking_features(scored, model_type)
        if model_type is ModelType.REGRESSION:
            expected = stacker.model.predict(features)
        else:
            expected = stacker.model.predict_proba(features)
            expected = expected[:, 1] if model_type is ModelType.BINARY else expected
        np.testing.assert_allclose(stacker.predict(scored), expected, rtol=1e-12, atol=1e-15)


def test_a_stacker_that_does_not_beat_the_blend_by_the_margin_is_refused() -> None:
    rng = np.random.default_rng(11)
    rows = 400
    y = rng.integers(0, 2, size=rows)
    signal = y * 2.0 - 1.0
    members = [1 / (1 + np.exp(-(signal + rng.normal(scale=s, size=rows)))) for s in (1.0, 1.2)]
    auc = metric_for("auc", ModelType.BINARY)
    blend_loss = auc.loss(y, (members[0] + members[1]) / 2)

    def stacked(blend_loss: float) -> tuple[Stacker, float] | None:
        return fit_stacker(members, y, auc, ModelType.BINARY, 2, blend_loss, 0, lambda: False)

    # a stacker of these members cross-validates about as well as their average…
    first = stacked(auc.shifted(blend_loss, 1.0))
    assert first is not None
    stacked_loss = first[1]
    # … and is kept only when it is STACKING_MARGIN closer to a perfect AUC than the blend
    assert stacked(stacked_loss) is None
    assert stacked(auc.shifted(stacked_loss, STACKING_MARGIN / 2)) is None
    assert stacked(auc.shifted(stacked_loss, 2 * STACKING_MARGIN)) is not None
