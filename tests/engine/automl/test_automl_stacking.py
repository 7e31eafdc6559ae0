"""The stacking layer scores as the scikit-learn model it holds would (without its input checks)."""

from __future__ import annotations

import numpy as np
import pytest

from openaml.engine.automl.stacking import Stacker, _fit, stacking_features
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
