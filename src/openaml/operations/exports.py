"""Model exports: ``POST``/``GET /openaml/v1/mlmodels/{MLModelId}/exports`` and the exported files.

``POST`` with ``{"format": "onnx" | "lightgbm"}`` checks the model and queues the export (a job);
``GET`` lists the model's exports with their status, parity report and, once COMPLETED, a
``DownloadUrl`` presigned for the caller (valid one hour, like ``LogUri``) that serves the file.
"""

from __future__ import annotations

from typing import Any

from openaml.domain import exports as domain
from openaml.domain.context import ServiceContext
from openaml.entities import Caller, EntityStatus
from openaml.errors import InvalidInputException
from openaml.operations.extensions import ExtensionRequest, RawContent


def create_export(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``POST /openaml/v1/mlmodels/{MLModelId}/exports``: queue an export; answers its manifest."""
    body = request.body
    if not isinstance(body, dict) or not isinstance(body.get("format"), str):
        raise InvalidInputException('Give a JSON body {"format": "onnx"} or {"format": "lightgbm"}.')
    manifest = domain.create_export(ctx, caller, request.path["MLModelId"], body["format"])
    return _with_download(ctx, manifest, caller)


def list_exports(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/mlmodels/{MLModelId}/exports``: every export of the model, oldest first."""
    manifests = domain.list_exports(ctx, request.path["MLModelId"])
    return {"Exports": [_with_download(ctx, manifest, caller) for manifest in manifests]}


def get_export_file(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/mlmodels/{MLModelId}/exports/{ExportId}/file``: the exported file."""
    content, media_type = domain.export_file(ctx, request.path["MLModelId"], request.path["ExportId"])
    return RawContent(content, media_type)


def _with_download(ctx: ServiceContext, manifest: dict[str, Any], caller: Caller) -> dict[str, Any]:
    if manifest.get("Status") != EntityStatus.COMPLETED.value:
        return manifest
    url = (
        f"{str(ctx.settings.public_url).rstrip('/')}/openaml/v1/mlmodels/{manifest['MLModelId']}"
        f"/exports/{manifest['ExportId']}/file"
    )
    return manifest | {"DownloadUrl": ctx.presign(url, caller) if ctx.presign is not None else url}


EXTENSION_ROUTES = [
    ("POST", "/mlmodels/{MLModelId}/exports", create_export),
    ("GET", "/mlmodels/{MLModelId}/exports", list_exports),
    ("GET", "/mlmodels/{MLModelId}/exports/{ExportId}/file", get_export_file),
]
