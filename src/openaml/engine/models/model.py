"""What every trained model is: its type, its class labels and how it scores a typed frame.

The AutoML ensemble and the Amazon ML-compatible SGD model both satisfy :class:`TrainedModel`, so
evaluation, batch prediction and real-time serving never need to know which learner produced a model.
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd


class ModelType(enum.StrEnum):
    """The three Amazon ML model types (``MLModelType``)."""

    BINARY = "BINARY"
    MULTICLASS = "MULTICLASS"
    REGRESSION = "REGRESSION"


@runtime_checkable
class TrainedModel(Protocol):
    """A fitted model, ready to score typed frames (contract 2) without retraining.

    ``classes`` is ``("0", "1")`` for BINARY, the class labels in score-column order for MULTICLASS
    and ``None`` for REGRESSION. ``algorithm`` is human-readable, e.g. ``"ensemble(lightgbm, linear)"``.
    """

    model_type: ModelType
    classes: tuple[str, ...] | None
    algorithm: str

    def predict_scores(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Score every row of ``frame``.

        BINARY: shape ``(n,)``, the probability of class ``"1"``; MULTICLASS: shape ``(n, k)``,
        probabilities in ``classes`` order, each row summing to 1; REGRESSION: shape ``(n,)``, the
        predicted values. Missing columns are treated as missing values and extra columns are ignored.
        """
        ...
