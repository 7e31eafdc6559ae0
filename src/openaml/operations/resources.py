"""Get, Update, Delete and Describe of MLModels, Evaluations and BatchPredictions.

(DataSources have theirs in :mod:`openaml.operations.data_sources`.)
"""

from __future__ import annotations

import time
from typing import Any

from openaml.domain import resources as domain
from openaml.domain.context import ServiceContext
from openaml.entities import Caller, EntityStatus, ResourceKind
from openaml.errors import InvalidInputException
from openaml.operations import wire
from openaml.operations.describe import describe


def log_uri(ctx: ServiceContext, kind: ResourceKind, resource_id: str, caller: Caller) -> str:
    """The URL of a resource's job log on this server, presigned for the caller (valid one hour).

    Like the presigned S3 URLs Amazon ML returned, it opens in a browser or with curl as it is.
    """
    collection = {
        ResourceKind.DATA_SOURCE: "datasources",
        ResourceKind.ML_MODEL: "mlmodels",
        ResourceKind.EVALUATION: "evaluations",
        ResourceKind.BATCH_PREDICTION: "batchpredictions",
    }[kind]
    url = f"{str(ctx.settings.public_url).rstrip('/')}/openaml/v1/{collection}/{resource_id}/log"
    return ctx.presign(url, caller) if ctx.presign is not None else url


def get_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resource = domain.get_resource(ctx, ResourceKind.ML_MODEL, params["MLModelId"])
    return wire.ml_model_shape(
        resource,
        verbose=bool(params.get("Verbose")),
        for_get=True,
        log_uri=log_uri(ctx, ResourceKind.ML_MODEL, resource.id, caller),
    )


def update_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    model_id = params["MLModelId"]
    resource = domain.get_resource(ctx, ResourceKind.ML_MODEL, model_id)
    if "MLModelName" not in params and "ScoreThreshold" not in params:
        raise InvalidInputException("Give MLModelName, ScoreThreshold or both to update.")
    extra: dict[str, Any] = {}
    if "ScoreThreshold" in params:
        threshold = float(params["ScoreThreshold"])
        if resource.ml_model_type != "BINARY":
            raise InvalidInputException(
                f"ScoreThreshold applies to BINARY models only; {model_id} is {resource.ml_model_type}."
            )
        if not 0.0 <= threshold <= 1.0:
            raise InvalidInputException(f"ScoreThreshold must be between 0 and 1, got {threshold}.")
        extra["details"] = {"ScoreThreshold": threshold, "ScoreThresholdLastUpdatedAt": time.time()}
    name = params.get("MLModelName", resource.name)
    domain.rename_resource(ctx, ResourceKind.ML_MODEL, model_id, name, extra)
    return {"MLModelId": model_id}


def _getter(kind: ResourceKind, member: str, shape: Any) -> Any:
    def get(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        resource = domain.get_resource(ctx, kind, params[member])
        return shape(resource, log_uri=log_uri(ctx, kind, resource.id, caller))  # type: ignore[no-any-return]

    return get


def _renamer(kind: ResourceKind, member: str, name_member: str) -> Any:
    def update(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        domain.rename_resource(ctx, kind, params[member], params[name_member])
        return {member: params[member]}

    return update


def _deleter(kind: ResourceKind, member: str) -> Any:
    def delete(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        domain.delete_resource(ctx, kind, params[member])
        return {member: params[member]}

    return delete


def _describer(kind: ResourceKind) -> Any:
    def describe_kind(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return describe(ctx, kind, params)

    return describe_kind


def delete_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """Soft-delete a model; its real-time endpoint (if any) goes with it."""
    model_id = params["MLModelId"]
    resource = domain.get_resource(ctx, ResourceKind.ML_MODEL, model_id)
    extra = {"endpoint_status": "NONE"} if resource.status is not EntityStatus.DELETED else {}
    domain.delete_resource(ctx, ResourceKind.ML_MODEL, model_id, extra)
    return {"MLModelId": model_id}


OPERATIONS = {
    "GetMLModel": get_ml_model,
    "UpdateMLModel": update_ml_model,
    "DeleteMLModel": delete_ml_model,
    "DescribeMLModels": _describer(ResourceKind.ML_MODEL),
    "GetEvaluation": _getter(ResourceKind.EVALUATION, "EvaluationId", wire.evaluation_shape),
    "UpdateEvaluation": _renamer(ResourceKind.EVALUATION, "EvaluationId", "EvaluationName"),
    "DeleteEvaluation": _deleter(ResourceKind.EVALUATION, "EvaluationId"),
    "DescribeEvaluations": _describer(ResourceKind.EVALUATION),
    "GetBatchPrediction": _getter(
        ResourceKind.BATCH_PREDICTION, "BatchPredictionId", wire.batch_prediction_shape
    ),
    "UpdateBatchPrediction": _renamer(
        ResourceKind.BATCH_PREDICTION, "BatchPredictionId", "BatchPredictionName"
    ),
    "DeleteBatchPrediction": _deleter(ResourceKind.BATCH_PREDICTION, "BatchPredictionId"),
    "DescribeBatchPredictions": _describer(ResourceKind.BATCH_PREDICTION),
}
