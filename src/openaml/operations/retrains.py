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

from typing import Any

from openaml.domain import retrains
from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.operations.extensions import ExtensionRequest


def post_retrain(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    spec = retrains.RetrainSpec.from_body(request.body if request.body is not None else {})
    record = retrains.start_retrain(ctx, caller, request.path["GroupId"], spec)
    return retrains.retrain_view(record)


def get_retrain(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return retrains.get_retrain(ctx, request.path["GroupId"], request.path["RetrainId"])


def list_retrains(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return retrains.list_retrains(ctx, request.path["GroupId"])


EXTENSION_ROUTES = [
    ("POST", "/mlmodels/{GroupId}/retrain", post_retrain),
    ("GET", "/mlmodels/{GroupId}/retrains", list_retrains),
    ("GET", "/mlmodels/{GroupId}/retrains/{RetrainId}", get_retrain),
]
