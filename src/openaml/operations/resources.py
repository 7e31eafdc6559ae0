"""What every resource type shares: the job log and its presigned ``LogUri``, and the job's progress."""

from __future__ import annotations

from typing import Any

from openaml.domain import resources as domain
from openaml.domain.context import ServiceContext
from openaml.entities import Caller, ResourceKind, descriptor_for_collection, descriptor_of
from openaml.errors import NotFoundException, ResourceNotFoundException
from openaml.operations.extensions import ExtensionRequest, RawContent


def log_uri(ctx: ServiceContext, kind: ResourceKind, resource_id: str, caller: Caller) -> str:
    """The URL of a resource's job log on this server, presigned for the caller (valid one hour).

    Like the presigned S3 URLs Amazon ML returned, it opens in a browser or with curl as it is.
    """
    collection = descriptor_of(kind).collection
    url = f"{str(ctx.settings.public_url).rstrip('/')}/openaml/v1/{collection}/{resource_id}/log"
    return ctx.presign(url, caller) if ctx.presign is not None else url


def _kind_of(request: ExtensionRequest) -> ResourceKind:
    descriptor = descriptor_for_collection(request.path["collection"])
    if descriptor is None:
        raise NotFoundException(f"No extension endpoint for {request.path['collection']!r}.")
    return descriptor.kind


def get_progress(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/{collection}/{id}/progress``: the status, ``Message`` and structured progress.

    ``Progress`` is the running job's last :class:`openaml.progress.JobProgress` report (``null`` when no
    job runs); ``Message`` is the same text ``Get*`` returns, rendered from it.
    """
    kind = _kind_of(request)
    resource = domain.get_resource(ctx, kind, request.path["ResourceId"])
    return {
        "Status": resource.status.value,
        "Message": resource.message,
        "Progress": resource.progress,
    }


def get_log(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/{collection}/{id}/log``: the job log of any resource (its ``LogUri``)."""
    kind = _kind_of(request)
    resource = domain.get_resource(ctx, kind, request.path["ResourceId"])
    uri = domain.artifact_uri(ctx, kind, resource.id, "log.txt")
    if not ctx.objects.server_files.exists(uri):
        raise ResourceNotFoundException(
            f"{kind.value} {resource.id} has no log yet: it is {resource.status.value}."
        )
    return RawContent(ctx.objects.server_files.read_bytes(uri), "text/plain; charset=utf-8")


EXTENSION_ROUTES = [
    ("GET", "/{collection}/{ResourceId}/log", get_log),
    ("GET", "/{collection}/{ResourceId}/progress", get_progress),
]
