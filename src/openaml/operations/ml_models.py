"""The MLModel operations: create, get, update (name, ScoreThreshold), delete, describe, leaderboard."""

from __future__ import annotations

import time
from typing import Any

from openaml.domain import ml_models as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import ModelType, TrainingRequest
from openaml.entities import Caller, EntityStatus, ResourceKind
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.operations import wire
from openaml.operations.describe import describe
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.resources import log_uri

KIND = ResourceKind.ML_MODEL


def create_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    if params.get("Recipe") and params.get("RecipeUri"):
        raise InvalidInputException("Give either Recipe or RecipeUri, not both.")
    request = TrainingRequest(
        model_type=ModelType(params["MLModelType"]),
        training_data_source_id=params["TrainingDataSourceId"],
        parameters=dict(params.get("Parameters") or {}),
        recipe=params.get("Recipe") or None,
        recipe_location=params.get("RecipeUri") or None,
    )
    resource = domain.create_ml_model(
        ctx, caller, ml_model_id=params["MLModelId"], name=params.get("MLModelName"), request=request
    )
    return {"MLModelId": resource.id}


def get_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resource = resources.get_resource(ctx, KIND, params["MLModelId"])
    return wire.ml_model_shape(
        resource,
        str(ctx.settings.public_url),
        verbose=bool(params.get("Verbose")),
        for_get=True,
        log_uri=log_uri(ctx, KIND, resource.id, caller),
    )


def update_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    model_id = params["MLModelId"]
    resource = resources.get_resource(ctx, KIND, model_id)
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
    resources.rename_resource(ctx, KIND, model_id, params.get("MLModelName", resource.name), extra)
    return {"MLModelId": model_id}


def delete_ml_model(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """Soft-delete a model (stopping its training); its real-time endpoint goes with it."""
    model_id = params["MLModelId"]
    resource = resources.get_resource(ctx, KIND, model_id)
    extra = {"endpoint_status": "NONE"} if resource.status is not EntityStatus.DELETED else {}
    resources.delete_resource(ctx, KIND, model_id, extra)
    return {"MLModelId": model_id}


def describe_ml_models(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    return describe(ctx, KIND, params)


def get_leaderboard(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/mlmodels/{MLModelId}/leaderboard``: every AutoML candidate (docs/models.md)."""
    resource = resources.get_resource(ctx, KIND, request.path["MLModelId"])
    if not resource.details.get("Leaderboard"):
        reason = (
            "was trained in SGD mode, which tries one model"
            if resource.details.get("Mode") == "sgd"
            else f"is {resource.status.value}"
        )
        raise ResourceNotFoundException(f"MLModel {resource.id} has no leaderboard: it {reason}.")
    return RawContent(
        ctx.objects.server_files.read_bytes(domain.leaderboard_uri(ctx, resource.id)), "application/json"
    )


OPERATIONS = {
    "CreateMLModel": create_ml_model,
    "GetMLModel": get_ml_model,
    "UpdateMLModel": update_ml_model,
    "DeleteMLModel": delete_ml_model,
    "DescribeMLModels": describe_ml_models,
}
EXTENSION_ROUTES = [("GET", "/mlmodels/{MLModelId}/leaderboard", get_leaderboard)]
