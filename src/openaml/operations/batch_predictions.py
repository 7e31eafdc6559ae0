"""The BatchPrediction operations, and downloading results through the server.

Deleting a batch prediction stops a running job; result files already written stay where they are.
"""

from __future__ import annotations

import re
from typing import Any

from openaml.domain import batch_predictions as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import BatchPredictionRequest
from openaml.entities import BATCH_PREDICTIONS, Caller, EntityStatus, ResourceKind
from openaml.errors import NotFoundException, ResourceNotFoundException
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.kinds import MODEL_AND_DATA_FILTERS, KindHooks, kind_handlers

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


#: What this kind's Get/Update/Delete/Describe do beyond what every kind does.
KIND_HOOKS = KindHooks(filters=MODEL_AND_DATA_FILTERS)
OPERATIONS = {
    "CreateBatchPrediction": create_batch_prediction,
    **kind_handlers(BATCH_PREDICTIONS, KIND_HOOKS),
}
EXTENSION_ROUTES = [
    ("GET", "/batchpredictions/{BatchPredictionId}/manifest", get_manifest),
    ("GET", "/batchpredictions/{BatchPredictionId}/results/{index}", get_result),
]
