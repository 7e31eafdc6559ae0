"""Model exports: a COMPLETED MLModel written out as ONNX or in LightGBM's format, checked for parity.

An export lives in the model's folder of the data directory, no table needed::

    mlmodels/<MLModelId>/exports/<ExportId>/manifest.json   status, parity report, file (atomic writes)
    mlmodels/<MLModelId>/exports/<ExportId>/<file>          model.onnx or model-lightgbm.zip

:func:`create_export` refuses up front (``InvalidInputException``, with the reasons) a model whose
features are known not to convert exactly, writes a PENDING manifest and queues an export job on
the model. The job (:func:`run_export_job`) converts every PENDING export of the model, scores the
parity rows both ways — the model's latest COMPLETED evaluation datasource, else the first
:data:`PARITY_ROWS` rows of its training datasource — and completes the export, or fails it when
the label agreement is below 99.9 % (the file is then not kept). The model itself never changes
status because of an export.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from openaml.domain import data_sources
from openaml.domain.context import ServiceContext
from openaml.domain.ml_models import KIND, model_directory
from openaml.domain.records import EvaluationRequest, TrainedModelOutcome, TrainingRequest
from openaml.domain.resources import artifact_uri, get_resource
from openaml.engine.data.ingest import iter_frames
from openaml.engine.data.schema import parse_data_schema
from openaml.engine.export import (
    FORMATS,
    check_parity,
    export_lightgbm,
    export_onnx,
    lightgbm_refusals,
    onnx_refusals,
)
from openaml.engine.models import TrainedModel, load_model
from openaml.entities import Caller, EntityStatus, Job, Resource, ResourceKind, ResourceQuery
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.jobs.worker import JobCancelled, JobContext

log = logging.getLogger(__name__)

EXPORT_JOB = "export_ml_model"
PARITY_ROWS = 10_000
FILE_NAMES = {"onnx": "model.onnx", "lightgbm": "model-lightgbm.zip"}
MEDIA_TYPES = {"onnx": "application/octet-stream", "lightgbm": "application/zip"}
_MANIFEST = "manifest.json"


def refusals(model: TrainedModel, export_format: str) -> list[str]:
    """Why ``model`` cannot be exported exactly in ``export_format`` (empty when it can)."""
    return onnx_refusals(model) if export_format == "onnx" else lightgbm_refusals(model)


def create_export(
    ctx: ServiceContext, caller: Caller, ml_model_id: str, export_format: str
) -> dict[str, Any]:
    """Check the model and format, record a PENDING export and queue its job; return the manifest."""
    if export_format not in FORMATS:
        raise InvalidInputException(f"format must be one of {', '.join(FORMATS)}; got {export_format!r}.")
    model = get_resource(ctx, KIND, ml_model_id)
    if model.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"MLModel {ml_model_id} is {model.status.value}; only a COMPLETED model can be exported."
        )
    trained, _ = load_model(model_directory(ctx, ml_model_id))
    reasons = refusals(trained, export_format)
    if reasons:
        raise InvalidInputException(
            f"MLModel {ml_model_id} cannot be exported as {export_format} exactly: {'; '.join(reasons)}."
        )
    export_id = uuid.uuid4().hex[:16]
    manifest = {
        "ExportId": export_id,
        "MLModelId": ml_model_id,
        "Format": export_format,
        "Status": EntityStatus.PENDING.value,
        "Message": None,
        "CreatedAt": time.time(),
        "CreatedBy": caller.user_arn,
    }
    _write_manifest(ctx, ml_model_id, manifest)
    ctx.jobs.enqueue(EXPORT_JOB, KIND, ml_model_id)
    return manifest


def list_exports(ctx: ServiceContext, ml_model_id: str) -> list[dict[str, Any]]:
    """The model's export manifests, oldest first."""
    get_resource(ctx, KIND, ml_model_id)
    folder = _exports_folder(ctx, ml_model_id)
    manifests = []
    for path in sorted(folder.glob(f"*/{_MANIFEST}")) if folder.is_dir() else []:
        try:
            manifests.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(manifests, key=lambda manifest: (manifest.get("CreatedAt", 0), manifest["ExportId"]))


def export_file(ctx: ServiceContext, ml_model_id: str, export_id: str) -> tuple[bytes, str]:
    """The exported file of a COMPLETED export and its media type."""
    manifest = next((m for m in list_exports(ctx, ml_model_id) if m["ExportId"] == export_id), None)
    if manifest is None:
        raise ResourceNotFoundException(f"MLModel {ml_model_id} has no export {export_id[:40]!r}.")
    if manifest["Status"] != EntityStatus.COMPLETED.value:
        raise ResourceNotFoundException(
            f"Export {export_id} of MLModel {ml_model_id} has no file: it is {manifest['Status']}."
        )
    uri = _uri(ctx, ml_model_id, export_id, manifest["FileName"])
    return ctx.objects.server_files.read_bytes(uri), MEDIA_TYPES[manifest["Format"]]


def run_export_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    """Convert every PENDING (or interrupted) export of the job's model; never changes the model."""
    for manifest in list_exports(ctx, job.resource_id):
        if manifest["Status"] in (EntityStatus.PENDING.value, EntityStatus.INPROGRESS.value):
            context.check_cancelled()
            _run_one(ctx, context, manifest)


def fail_unfinished_exports(ctx: ServiceContext, ml_model_id: str, message: str) -> None:
    """An export job was abandoned (its workers died): fail the exports it left unfinished."""
    for manifest in list_exports(ctx, ml_model_id):
        if manifest["Status"] in (EntityStatus.PENDING.value, EntityStatus.INPROGRESS.value):
            _finish(ctx, manifest, EntityStatus.FAILED, message)


def _run_one(ctx: ServiceContext, context: JobContext, manifest: dict[str, Any]) -> None:
    ml_model_id, export_format = manifest["MLModelId"], manifest["Format"]
    manifest = _update(ctx, manifest, Status=EntityStatus.INPROGRESS.value, Message="Exporting the model")
    started = time.monotonic()
    try:
        model = get_resource(ctx, KIND, ml_model_id)
        trained, metadata = load_model(model_directory(ctx, ml_model_id))
        schema = parse_data_schema(json.dumps(metadata["schema"]))
        threshold = TrainedModelOutcome.from_details(model.details).stored_score_threshold
        reasons = refusals(trained, export_format)
        if reasons:
            raise InvalidInputException("; ".join(reasons))
        if export_format == "onnx":
            content = export_onnx(
                trained, schema, score_threshold=threshold, metadata={"openaml.mlModelId": ml_model_id}
            )
        else:
            content = export_lightgbm(trained, schema, score_threshold=threshold)
        export_seconds = time.monotonic() - started
        context.check_cancelled()
        parity = None
        if export_format == "onnx":
            frame, source = _parity_rows(ctx, model)
            parity = check_parity(trained, content, frame, score_threshold=threshold, source=source)
        manifest = _update(ctx, manifest, ExportSeconds=round(export_seconds, 3))
        if parity is not None:
            manifest = _update(ctx, manifest, Parity=parity.to_json())
            if not parity.passed:
                _finish(
                    ctx,
                    manifest,
                    EntityStatus.FAILED,
                    f"Parity check failed: the export gives the same label on {parity.label_agreement:.4%} "
                    f"of {parity.rows} rows, below the 99.9 % required (max |Δscore| "
                    f"{parity.max_abs_difference:.3g}).",
                )
                return
        name = FILE_NAMES[export_format]
        ctx.objects.server_files.write_bytes(_uri(ctx, ml_model_id, manifest["ExportId"], name), content)
        manifest = _update(ctx, manifest, FileName=name, SizeInBytes=len(content))
        _finish(ctx, manifest, EntityStatus.COMPLETED, f"Exported as {export_format}.")
    except JobCancelled:
        _finish(ctx, manifest, EntityStatus.FAILED, f"Export stopped: MLModel {ml_model_id} was deleted.")
        raise
    except Exception as error:  # the model stays COMPLETED; only this export fails, with the reason
        if not isinstance(error, InvalidInputException):
            log.exception("export %s of model %s failed", manifest["ExportId"], ml_model_id)
        _finish(ctx, manifest, EntityStatus.FAILED, f"Export failed: {getattr(error, 'message', error)}")


def _parity_rows(ctx: ServiceContext, model: Resource) -> tuple[pd.DataFrame, str]:
    """The model's latest COMPLETED evaluation datasource, else the first rows of its training data."""
    evaluations, _ = ctx.resources.describe(
        ResourceQuery(
            kind=ResourceKind.EVALUATION,
            column="ml_model_id",
            comparators={"EQ": model.id},
            limit=100,
        )
    )
    completed = sorted(
        (e for e in evaluations if e.status is EntityStatus.COMPLETED), key=lambda e: e.created_at
    )
    if completed:
        data_source_id = EvaluationRequest.from_json(completed[-1].request).data_source_id
        source = f"evaluation {completed[-1].id} (DataSource {data_source_id})"
    else:
        data_source_id = TrainingRequest.from_json(model.request).training_data_source_id
        source = f"training DataSource {data_source_id}"
    data_source = get_resource(ctx, ResourceKind.DATA_SOURCE, data_source_id)
    data = data_sources.open_input(ctx, data_source)
    frames, rows = [], 0
    for batch in iter_frames(data.files, data.schema, data.rearrangement, require_target=False):
        frames.append(batch.frame)
        rows += len(batch.frame)
        if rows >= PARITY_ROWS:
            break
    frame = pd.concat(frames, ignore_index=True).head(PARITY_ROWS) if frames else pd.DataFrame()
    return frame, f"{source}, {len(frame):,} rows"


def _exports_folder(ctx: ServiceContext, ml_model_id: str) -> Path:
    return model_directory(ctx, ml_model_id).parent / "exports"


def _uri(ctx: ServiceContext, ml_model_id: str, export_id: str, name: str) -> str:
    return artifact_uri(ctx, KIND, ml_model_id, f"exports/{export_id}/{name}")


def _write_manifest(ctx: ServiceContext, ml_model_id: str, manifest: dict[str, Any]) -> None:
    uri = _uri(ctx, ml_model_id, manifest["ExportId"], _MANIFEST)
    ctx.objects.server_files.write_bytes(uri, json.dumps(manifest, indent=1).encode("utf-8"))


def _update(ctx: ServiceContext, manifest: dict[str, Any], **changes: Any) -> dict[str, Any]:
    updated = manifest | changes
    _write_manifest(ctx, manifest["MLModelId"], updated)
    return updated


def _finish(ctx: ServiceContext, manifest: dict[str, Any], status: EntityStatus, message: str) -> None:
    _update(ctx, manifest, Status=status.value, Message=message, FinishedAt=time.time())
