"""The BatchPrediction operations, and downloading results through the server."""

from __future__ import annotations

import re
from typing import Any

from openaml.domain import batch_predictions as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import BatchPredictionRequest
from openaml.entities import Caller, EntityStatus, ResourceKind
from openaml.errors import NotFoundException, ResourceNotFoundException
from openaml.operations import wire
from openaml.operations.describe import describe
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.resources import log_uri

KIND = ResourceKind.BATCH_PREDICTION


def create_batch_prediction(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    request = BatchPredictionRequest(
        params["MLModelId"], params["BatchPredictionDataSourceId"], str(params["OutputUri"])
    )
    resource = domain.create_batch_prediction(
        ctx,
        caller,
        batch_prediction_id=params["BatchPredictionId"],
        name=params.get("BatchPredictionName"),
        request=request,
    )
    return {"BatchPredictionId": resource.id}


def get_batch_prediction(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resource = resources.get_resource(ctx, KIND, params["BatchPredictionId"])
    return wire.batch_prediction_shape(resource, log_uri=log_uri(ctx, KIND, resource.id, caller))


def update_batch_prediction(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resources.rename_resource(ctx, KIND, params["BatchPredictionId"], params["BatchPredictionName"])
    return {"BatchPredictionId": params["BatchPredictionId"]}


def delete_batch_prediction(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """Soft-delete (stopping a running job); result files already written stay where they are."""
    resources.delete_resource(ctx, KIND, params["BatchPredictionId"])
    return {"BatchPredictionId": params["BatchPredictionId"]}


def describe_batch_predictions(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    return describe(ctx, KIND, params)


def _outputs(ctx: ServiceContext, batch_prediction_id: str) -> dict[str, str]:
    resource = resources.get_resource(ctx, KIND, batch_prediction_id)
    if resource.status is not EntityStatus.COMPLETED:
        raise ResourceNotFoundException(
            f"BatchPrediction {resource.id} has no results: it is {resource.status.value}."
        )
    return dict(resource.details["Outputs"])


def get_manifest(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/batchpredictions/{id}/manifest``: input file → result file, in input order."""
    return _outputs(ctx, request.path["BatchPredictionId"])


def get_result(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/batchpredictions/{id}/results/{index}``: result file ``index`` (from 0), gzip CSV."""
    outputs = list(_outputs(ctx, request.path["BatchPredictionId"]).values())
    index = request.path["index"]
    # ASCII digits only: str.isdigit() also accepts "²" or "٠", which int() rejects or reads as 0.
    if not re.fullmatch(r"[0-9]{1,9}", index) or int(index) >= len(outputs):
        raise NotFoundException(
            f"Result index {index[:40]!r} does not exist; there are {len(outputs)} result files "
            f"(0 to {len(outputs) - 1})."
        )
    return RawContent(ctx.objects.read_bytes(outputs[int(index)]), "application/gzip")


OPERATIONS = {
    "CreateBatchPrediction": create_batch_prediction,
    "GetBatchPrediction": get_batch_prediction,
    "UpdateBatchPrediction": update_batch_prediction,
    "DeleteBatchPrediction": delete_batch_prediction,
    "DescribeBatchPredictions": describe_batch_predictions,
}
EXTENSION_ROUTES = [
    ("GET", "/batchpredictions/{BatchPredictionId}/manifest", get_manifest),
    ("GET", "/batchpredictions/{BatchPredictionId}/results/{index}", get_result),
]
