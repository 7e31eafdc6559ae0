"""The MLModel operations: create, get, update (name, ScoreThreshold), delete, describe, leaderboard."""

from __future__ import annotations

import time
from typing import Any

from openaml.domain import ml_models as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import ModelType, TrainingRequest
from openaml.entities import ML_MODELS, Caller, EntityStatus, ResourceKind
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.kinds import KindHooks, kind_handlers

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


def _update_fields(ctx: ServiceContext, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """``UpdateMLModel``: the name (kept when not given) and a checked ``ScoreThreshold``."""
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
    return params.get("MLModelName", resource.name), extra


def _deleted_fields(ctx: ServiceContext, model_id: str) -> dict[str, Any]:
    """``DeleteMLModel`` stops its training (as every delete does) and takes its real-time endpoint down."""
    resource = resources.get_resource(ctx, KIND, model_id)
    return {"endpoint_status": "NONE"} if resource.status is not EntityStatus.DELETED else {}


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


#: What this kind's Get/Update/Delete/Describe do beyond what every kind does.
KIND_HOOKS = KindHooks(
    filters={
        "TrainingDataSourceId": "data_source_id",
        "RealtimeEndpointStatus": "endpoint_status",
        "MLModelType": "ml_model_type",
        "Algorithm": "algorithm",
        "TrainingDataURI": "data_uri",
    },
    update=_update_fields,
    delete=_deleted_fields,
)
OPERATIONS = {
    "CreateMLModel": create_ml_model,
    **kind_handlers(ML_MODELS, KIND_HOOKS),
}
EXTENSION_ROUTES = [("GET", "/mlmodels/{MLModelId}/leaderboard", get_leaderboard)]
