"""Scoring a few records without pandas: the typed record and the models that score them directly.

A *typed record* is one row of a typed frame (CONTRACTS §2) as a plain mapping: NUMERIC and BINARY
attributes hold floats (NaN when missing), CATEGORICAL and TEXT attributes hold strings (or None when
missing); an attribute absent from the mapping is missing. Building a one-row DataFrame costs more
than a linear model's whole prediction, so models that serve real-time traffic also score typed
records directly (:class:`RecordScorer`); :class:`~openaml.engine.predictors.RecordPredictor` uses
that path when the model offers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

TypedValue = float | str | None
TypedRecord = Mapping[str, TypedValue]


@runtime_checkable
class RecordScorer(Protocol):
    """A trained model that also scores typed records without building a frame."""

    def predict_records(self, records: Sequence[TypedRecord]) -> npt.NDArray[np.float64]:
        """The scores ``predict_scores`` gives for a frame of these records, in the same layout
        (equal up to floating-point rounding)."""
        ...
