"""Mounting real-time endpoints: the warm-up every model gets before it serves."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.domain.endpoints import WARM_UP_PREDICTIONS, warm_up
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType
from openaml.engine.predictors import RecordPredictor

SCHEMA = DataSchema(
    attributes=(
        Attribute("city", AttributeType.CATEGORICAL),
        Attribute("age", AttributeType.NUMERIC),
        Attribute("member", AttributeType.BINARY),
        Attribute("bought", AttributeType.BINARY),
    ),
    target_attribute_name="bought",
)


class CountingModel:
    """A regression model that scores frames and remembers them."""

    model_type = ModelType.REGRESSION
    classes = None
    algorithm = "test"

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def predict_scores(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        self.frames.append(frame)
        return np.zeros(len(frame))


def test_the_warm_up_scores_records_the_model_accepts() -> None:
    """A record without any input is refused, so the warm-up must send inputs (empty, then zeros)."""
    model = CountingModel()
    predictor = RecordPredictor(model, SCHEMA)
    model.frames.clear()

    warm_up(predictor, SCHEMA)

    assert len(model.frames) == WARM_UP_PREDICTIONS
    frame = model.frames[-1]
    assert frame["city"].isna().all() and np.isnan(frame["member"]).all()
    assert np.isnan(frame["age"][0]) and frame["age"][1] == 0.0
