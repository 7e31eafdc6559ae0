"""Get, Update, Delete and Describe of BatchPredictions, and what every resource type shares: job logs.

(DataSources, MLModels and Evaluations have their operations in their own modules.)
"""

from __future__ import annotations

from typing import Any

from openaml.domain import resources as domain
from openaml.domain.context import ServiceContext
from openaml.domain.resources import COLLECTIONS
from openaml.entities import Caller, ResourceKind
from openaml.errors import NotFoundException, ResourceNotFoundException
from openaml.operations import wire
from openaml.operations.describe import describe
from openaml.operations.extensions import ExtensionRequest, RawContent


def log_uri(ctx: ServiceContext, kind: ResourceKind, resource_id: str, caller: Caller) -> str:
    """The URL of a resource's job log on this server, presigned for the caller (valid one hour).

    Like the presigned S3 URLs Amazon ML returned, it opens in a browser or with curl as it is.
    """
    url = f"{str(ctx.settings.public_url).rstrip('/')}/openaml/v1/{COLLECTIONS[kind]}/{resource_id}/log"
    return ctx.presign(url, caller) if ctx.presign is not None else url


def get_log(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/{collection}/{id}/log``: the job log of any resource (its ``LogUri``)."""
    kinds = {collection: kind for kind, collection in COLLECTIONS.items()}
    if request.path["collection"] not in kinds:
        raise NotFoundException(f"No extension endpoint for {request.path['collection']!r}.")
    kind = kinds[request.path["collection"]]
    resource = domain.get_resource(ctx, kind, request.path["ResourceId"])
    uri = domain.artifact_uri(ctx, kind, resource.id, "log.txt")
    if not ctx.objects.exists(uri):
        raise ResourceNotFoundException(
            f"{kind.value} {resource.id} has no log yet: it is {resource.status.value}."
        )
    return RawContent(ctx.objects.read_bytes(uri), "text/plain; charset=utf-8")


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


OPERATIONS = {
    "GetBatchPrediction": _getter(
        ResourceKind.BATCH_PREDICTION, "BatchPredictionId", wire.batch_prediction_shape
    ),
    "UpdateBatchPrediction": _renamer(
        ResourceKind.BATCH_PREDICTION, "BatchPredictionId", "BatchPredictionName"
    ),
    "DeleteBatchPrediction": _deleter(ResourceKind.BATCH_PREDICTION, "BatchPredictionId"),
    "DescribeBatchPredictions": _describer(ResourceKind.BATCH_PREDICTION),
}
EXTENSION_ROUTES = [("GET", "/{collection}/{ResourceId}/log", get_log)]
