"""Extension routes of retraining a model group (the flow: :mod:`openaml.domain.retrains`).

``POST /openaml/v1/mlmodels/{GroupId}/retrain`` with (every member optional)::

    {"location": "s3://bucket/churn/" | "/data/churn.csv",   # or "dataSourceId": "ds-churn"
     "holdout": {"rule": "time" | "random", "percent": 20},
     "updateMode": "refit" | "research" | "warmstart",
     "promotion": "manual" | "auto", "promotionMetric": "BinaryAUC", "minImprovement": 0.005,
     "parameters": {"openaml.timeBudgetSeconds": "60"}}

The issue's ``openaml.updateMode``, ``openaml.promotion``, ``openaml.promotionMetric`` and
``openaml.minImprovement`` are accepted as member names too. Without a location or datasource the
champion's training location is read again. Answers ``200`` with the retrain (below), status PENDING.

``GET /openaml/v1/mlmodels/{GroupId}/retrains/{RetrainId}`` → the retrain::

    {"RetrainId": "churn.v3", "GroupId": "churn", "Status": "PENDING|INPROGRESS|COMPLETED|FAILED",
     "Message": "BinaryAUC on the shared holdout: champion 0.8123, challenger 0.8410 ...",
     "CreatedAt": 1764800000.0, "UpdatedAt": 1764800100.0, "CreatedBy": "<access key ID>",
     "ChampionVersion": "churn.v2", "ChampionMLModelId": "churn.v2",
     "ChallengerVersion": "churn.v3", "ChallengerMLModelId": "churn.v3",
     "TrainingDataSourceId": "churn.v3.train", "HoldoutDataSourceId": "churn.v3.holdout",
     "ChampionEvaluationId": "churn.v3.eval-champion",
     "ChallengerEvaluationId": "churn.v3.eval-challenger",
     "Request": {"location", "dataSourceId", "holdout": {"rule", "percent"}, "updateMode",
                 "promotion", "promotionMetric", "minImprovement", "parameters"},
     "Comparison": null | {"Metric": "BinaryAUC", "HigherIsBetter": true, "ChampionScore": 0.81,
                           "ChallengerScore": 0.84, "Improvement": 0.03, "MinImprovement": 0.005,
                           "ChallengerWins": true, "ChampionVersion": "churn.v2",
                           "ChallengerVersion": "churn.v3", "HoldoutDataSourceId": "churn.v3.holdout",
                           "RetrainId": "churn.v3"},
     "Promoted": null (manual promotion or not finished) | true | false}

``ChampionVersion`` is the champion when the retrain started. ``GET
/openaml/v1/mlmodels/{GroupId}/retrains`` → ``{"GroupId", "Retrains": [retrain, ...]}``, newest first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from openaml.domain import model_groups, retrains
from openaml.domain.context import ServiceContext
from openaml.domain.records import LIFECYCLE_PARAMETERS
from openaml.domain.retrain_requests import (
    DEFAULT_HOLDOUT_PERCENT,
    HOLDOUT_RULES,
    PROMOTIONS,
    RetrainRequest,
)
from openaml.domain.retrains import RetrainRecord
from openaml.entities import Caller
from openaml.errors import InvalidInputException
from openaml.operations.extensions import ExtensionRequest


def _field(body: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in body:
            return body[name]
    return None


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputException(f'"{name}" must be a non-empty text.')
    return value.strip()


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInputException(f'"{name}" must be a number; got {str(value)[:40]!r}.')
    return number


def retrain_request(body: Any) -> RetrainRequest:
    """The retrain route's body (also a schedule's ``Retrain``) as a checked
    :class:`~openaml.domain.retrain_requests.RetrainRequest`; the ``openaml.*`` names of the issue
    are accepted too. Raises ``InvalidInputException`` saying which member is wrong."""
    if not isinstance(body, dict):
        raise InvalidInputException(
            'The body must be a JSON object such as {"location": "s3://bucket/data/"}.'
        )
    holdout = _field(body, "holdout", "Holdout") or {}
    if not isinstance(holdout, dict):
        raise InvalidInputException('"holdout" must be an object: {"rule": "time", "percent": 20}.')
    rule = (
        _text(_field(holdout, "rule", "Rule") or _field(body, "openaml.holdoutRule"), "holdout.rule")
        or "time"
    )
    if rule not in HOLDOUT_RULES:
        raise InvalidInputException(
            f'"holdout.rule" must be one of {", ".join(HOLDOUT_RULES)}; got {rule!r}.'
        )
    attribute = _text(_field(holdout, "attribute", "Attribute"), "holdout.attribute")
    if attribute is not None and rule != "time":
        raise InvalidInputException('"holdout.attribute" applies to the time rule only.')
    given = _field(holdout, "percent", "Percent")
    percent = _number(
        given if given is not None else _field(body, "openaml.holdoutPercent"), "holdout.percent"
    )
    percent = DEFAULT_HOLDOUT_PERCENT if percent is None else percent
    if not 1.0 <= percent <= 90.0:
        raise InvalidInputException(f'"holdout.percent" must be between 1 and 90; got {percent:g}.')
    mode = _text(_field(body, "updateMode", "UpdateMode", model_groups.UPDATE_MODE_PARAMETER), "updateMode")
    model_groups.parse_update_mode({model_groups.UPDATE_MODE_PARAMETER: mode or "refit"})
    promotion_rule = (
        _text(_field(body, "promotion", "Promotion", "openaml.promotion"), "promotion") or "manual"
    )
    if promotion_rule not in PROMOTIONS:
        raise InvalidInputException(f'"promotion" must be manual or auto; got {promotion_rule[:40]!r}.')
    minimum = _number(
        _field(body, "minImprovement", "MinImprovement", "openaml.minImprovement"), "minImprovement"
    )
    parameters = _field(body, "parameters", "Parameters") or {}
    if not isinstance(parameters, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()
    ):
        raise InvalidInputException('"parameters" must map parameter names to text values.')
    if set(parameters) & LIFECYCLE_PARAMETERS:
        raise InvalidInputException(
            f'"parameters" cannot set {", ".join(sorted(LIFECYCLE_PARAMETERS))}; the retrain sets them.'
        )
    return RetrainRequest(
        location=_text(_field(body, "location", "Location", "DataLocationS3"), "location"),
        data_source_id=_text(_field(body, "dataSourceId", "DataSourceId"), "dataSourceId"),
        holdout_rule=rule,
        holdout_percent=percent,
        holdout_attribute=attribute,
        update_mode=(mode or model_groups.DEFAULT_UPDATE_MODE).lower(),
        promotion=promotion_rule,
        promotion_metric=_text(
            _field(body, "promotionMetric", "PromotionMetric", "openaml.promotionMetric"), "promotionMetric"
        ),
        min_improvement=0.0 if minimum is None else minimum,
        parameters=dict(parameters),
    )


def retrain_view(record: RetrainRecord) -> dict[str, Any]:
    """A retrain as the routes show it (shape in the module docstring)."""
    result = record.result or {}
    group = record.group_id
    return {
        "RetrainId": record.id,
        "GroupId": group,
        "Status": record.status,
        "Message": record.message,
        "CreatedAt": record.created_at,
        "UpdatedAt": record.updated_at,
        "CreatedBy": record.created_by,
        "ChampionVersion": model_groups.version_name(group, result["championVersion"]),
        "ChampionMLModelId": result.get("championMLModelId"),
        "ChallengerVersion": model_groups.version_name(group, result["challengerVersion"]),
        "ChallengerMLModelId": result.get("challengerMLModelId"),
        "TrainingDataSourceId": result.get("trainingDataSourceId"),
        "HoldoutDataSourceId": result.get("holdoutDataSourceId"),
        "ChampionEvaluationId": result.get("championEvaluationId"),
        "ChallengerEvaluationId": result.get("challengerEvaluationId"),
        "Request": record.spec,
        "Comparison": result.get("comparison"),
        "Promoted": result.get("promoted"),
    }


def post_retrain(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    retrain = retrain_request(request.body if request.body is not None else {})
    record = retrains.start_retrain(ctx, caller, request.path["GroupId"], retrain)
    return retrain_view(record)


def get_retrain(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return retrain_view(retrains.get_retrain(ctx, request.path["GroupId"], request.path["RetrainId"]))


def list_retrains(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    group_id, records = retrains.list_retrains(ctx, request.path["GroupId"])
    return {"GroupId": group_id, "Retrains": [retrain_view(record) for record in records]}


EXTENSION_ROUTES = [
    ("POST", "/mlmodels/{GroupId}/retrain", post_retrain),
    ("GET", "/mlmodels/{GroupId}/retrains", list_retrains),
    ("GET", "/mlmodels/{GroupId}/retrains/{RetrainId}", get_retrain),
]
