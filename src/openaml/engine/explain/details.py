"""Explanations as ``Prediction.details`` entries of real-time predictions.

A prediction explained gets ``details["openaml.explanation"]``, the compact JSON of
:meth:`~.explanation.Explanations.to_json`; one that cannot be gets
``details["openaml.explanation.unavailable"]`` saying why (a member family without explanations, or
an unexpected failure, which is logged: an explanation never fails a prediction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from openaml.engine.explain.explainer import ModelExplainer
from openaml.engine.explain.explanation import FloatArray
from openaml.engine.models import TrainedModel
from openaml.engine.predictors.scoring import TypedRecord

log = logging.getLogger(__name__)

#: The ``details`` key of an explained prediction.
EXPLANATION_KEY = "openaml.explanation"
#: The ``details`` key saying why a prediction asked to be explained is not.
UNAVAILABLE_KEY = "openaml.explanation.unavailable"


class ExplanationDetails:
    """Computes the ``details`` entries that explain predictions of one model (built once per model)."""

    def __init__(self, model: TrainedModel, attributes: Sequence[str]) -> None:
        self.explainer = ModelExplainer(model, attributes)

    def __call__(self, records: Sequence[TypedRecord], scores: FloatArray, top: int) -> list[dict[str, str]]:
        """One ``details`` addition per record: its explanation's ``top`` attributes, or why none."""
        reason = self.explainer.unavailable
        if reason is None:
            try:
                explanations = self.explainer.explain_records(records, scores)
            except Exception as exc:  # an explanation must never cost the prediction itself
                log.exception("explaining a prediction failed")
                reason = f"explaining the prediction failed ({type(exc).__name__})"
            else:
                return [{EXPLANATION_KEY: explanations.to_json(row, top)} for row in range(len(records))]
        return [{UNAVAILABLE_KEY: reason} for _ in records]
