"""Extension routes of explanations: a model's explanation setting and its global feature importance.

* ``GET /openaml/v1/mlmodels/{MLModelId}/explain`` → ``{"MLModelId", "Explain": "top:5" | "off", "Top"}``
* ``PUT /openaml/v1/mlmodels/{MLModelId}/explain`` with ``{"Explain": "top:5"}`` (or ``"off"``) changes
  it; serving processes apply it at their next endpoint refresh.
* ``GET /openaml/v1/mlmodels/{MLModelId}/feature-importance`` → the importance document of
  :mod:`openaml.engine.explain.importance` (computed on first use, then cached), and
  ``.../charts/feature-importance.svg`` its bar chart (drawn by :mod:`openaml.charts`).

Per-request explanations are asked for with the ``X-OpenAML-Explain`` header of ``Predict`` (see
:mod:`openaml.operations.realtime`); docs/insight.md explains the whole feature.
"""

from __future__ import annotations

from typing import Any

from openaml.domain import explanations
from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.errors import InvalidInputException
from openaml.operations.extensions import ExtensionRequest, RawContent


def get_explain(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return explanations.explanation_setting(ctx, request.path["MLModelId"])


def put_explain(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    setting = request.body.get("Explain") if isinstance(request.body, dict) else None
    if not isinstance(setting, str):
        raise InvalidInputException(
            'The body must be {"Explain": "top:N"} (N from 1 to 100) or {"Explain": "off"}.'
        )
    return explanations.set_explanation_setting(ctx, request.path["MLModelId"], setting)


def get_feature_importance(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return explanations.feature_importance(ctx, request.path["MLModelId"])


def get_chart(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/mlmodels/{MLModelId}/charts/feature-importance.svg``: the importance as bars."""
    body, media_type = explanations.feature_importance_chart(
        ctx, request.path["MLModelId"], request.path["chart"]
    )
    return RawContent(body, media_type)


EXTENSION_ROUTES = [
    ("GET", "/mlmodels/{MLModelId}/explain", get_explain),
    ("PUT", "/mlmodels/{MLModelId}/explain", put_explain),
    ("GET", "/mlmodels/{MLModelId}/feature-importance", get_feature_importance),
    ("GET", "/mlmodels/{MLModelId}/charts/{chart}", get_chart),
]
