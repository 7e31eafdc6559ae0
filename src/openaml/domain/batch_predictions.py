"""BatchPredictions: scoring a datasource into Amazon ML's output layout, atomically.

Output: ``<OutputUri>batch-prediction/result/<id>-<input file name>.gz`` per input file (gzip CSV,
header line, one line per record in input order, a blank line for a record that could not be scored)
and, written last, the manifest ``<OutputUri>batch-prediction/<id>.manifest`` mapping each input file
to its result. A model whose explanation setting is on (docs/insight.md) also gets a sidecar of
explanations beside each result file, ``<id>-<input file name>.explanations.jsonl.gz``, written
before the manifest. Every file is written under a temporary name and renamed (or completed as one S3
upload) only when whole, and a run starts by removing an old manifest, so a failed or cancelled job
never leaves something that looks complete. A run retried after its worker was killed first removes
what the killed run left unfinished (see :func:`discard_unfinished_outputs`). Scoring is
deterministic: a re-run after a crash writes the same bytes.
"""

from __future__ import annotations

import logging
import time

from openaml.domain import data_sources
from openaml.domain.cluster import cluster_settings, score_on_cluster
from openaml.domain.context import ServiceContext
from openaml.domain.explanations import write_batch_explanations
from openaml.domain.job_template import Dependency, Outcome, StartedJob, run_job
from openaml.domain.ml_models import model_directory
from openaml.domain.records import (
    BatchPredictionRequest,
    DataSourceSpec,
    IngestOutcome,
    TrainedModelOutcome,
    TrainingRequest,
)
from openaml.domain.resources import create_resource, get_usable_resource, inherited_tags
from openaml.engine.batch import ScoringStopped, manifest_json, score_files, scoring_schema
from openaml.engine.batch.parts import ScoringPlan
from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.explain.sidecar import sidecar_uri
from openaml.engine.models import load_model
from openaml.entities import Caller, EntityStatus, Job, Resource, ResourceKind
from openaml.errors import InvalidInputException
from openaml.jobs.worker import JobContext
from openaml.progress import JobProgress

log = logging.getLogger(__name__)

BATCH_JOB = "batch_predict"
KIND = ResourceKind.BATCH_PREDICTION
MAX_LOGGED_INVALID = 1000
SCORING_THREADS = 2


def output_prefix(output_uri: str) -> str:
    return output_uri.rstrip("/") + "/batch-prediction/"


def manifest_uri(output_uri: str, batch_prediction_id: str) -> str:
    return f"{output_prefix(output_uri)}{batch_prediction_id}.manifest"


def result_uri(output_uri: str, batch_prediction_id: str, input_uri: str) -> str:
    file_name = input_uri.rstrip("/").rsplit("/", 1)[-1]
    return f"{output_prefix(output_uri)}result/{batch_prediction_id}-{file_name}.gz"


def _check_writable(ctx: ServiceContext, output_uri: str) -> None:
    """Fail the request now when results could not be written there (not allowed, no bucket).

    The messages name ``output_uri`` as the caller gave it, never the probe object the check writes.
    """
    try:
        ctx.objects.check_writable(output_uri)
    except InvalidInputException:
        raise
    except Exception as exc:
        raise InvalidInputException(f"OutputUri {output_uri} is not writable: {exc}") from exc


def _check_compatible(model: Resource, data_source: Resource) -> None:
    try:
        scoring_schema(
            IngestOutcome.from_details(data_source.details).schema,
            TrainedModelOutcome.from_details(model.details).schema,
        )
    except DataError as exc:
        raise InvalidInputException(
            f"DataSource {data_source.id} cannot be scored by MLModel {model.id}: {exc.message}"
        ) from exc


def create_batch_prediction(
    ctx: ServiceContext,
    caller: Caller,
    *,
    batch_prediction_id: str,
    name: str | None,
    request: BatchPredictionRequest,
) -> Resource:
    model = get_usable_resource(ctx, ResourceKind.ML_MODEL, request.ml_model_id, "MLModel")
    data_source = get_usable_resource(
        ctx, ResourceKind.DATA_SOURCE, request.data_source_id, "Batch DataSource"
    )
    _check_writable(ctx, request.output_location)
    if model.status is EntityStatus.COMPLETED and data_source.status is EntityStatus.COMPLETED:
        _check_compatible(model, data_source)
    return create_resource(
        ctx,
        kind=KIND,
        resource_id=batch_prediction_id,
        name=name,
        request=BatchPredictionRequest(model.id, data_source.id, request.output_location),
        created_by=caller.user_arn,
        job_type=BATCH_JOB,
        links={"ml_model_id": model.id, "data_source_id": data_source.id, "data_uri": data_source.data_uri},
        tags=inherited_tags(
            ctx, [(ResourceKind.DATA_SOURCE, data_source.id), (ResourceKind.ML_MODEL, model.id)]
        ),
    )


def discard_unfinished_outputs(
    ctx: ServiceContext, batch: Resource, files: list[DataFile] | None = None
) -> int:
    """Remove what an earlier, killed run of ``batch`` left unfinished: hidden ``.partial`` files beside
    its result files and manifest, or their never-completed S3 multipart uploads. Returns how many.

    A retried job calls it before scoring; so does failing a job whose workers died too often. It is
    best effort: what cannot be removed is logged, and the job goes on.
    ``files`` are the input files (looked up from the batch's datasource when not given).
    """
    request = BatchPredictionRequest.from_json(batch.request)
    output_uri = request.output_location
    if files is None:
        data_source = ctx.resources.get(ResourceKind.DATA_SOURCE, request.data_source_id)
        files = (
            []
            if data_source is None
            else data_sources.data_files(ctx, DataSourceSpec.from_json(data_source.request).data_location)
        )
    removed = 0
    for uri in [
        *(result_uri(output_uri, batch.id, file.uri) for file in files),
        *(sidecar_uri(result_uri(output_uri, batch.id, file.uri)) for file in files),
        manifest_uri(output_uri, batch.id),
    ]:
        try:
            removed += ctx.objects.discard_unfinished_writes(uri)
        except Exception:  # e.g. no permission to list S3 multipart uploads: leftovers must not fail the job
            log.warning(
                "batch prediction %s: could not remove unfinished writes of %s", batch.id, uri, exc_info=True
            )
    if removed:
        log.info("batch prediction %s: removed %d unfinished output(s) of a killed run", batch.id, removed)
    return removed


def run_batch_prediction_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    def dependencies(batch: Resource) -> list[Dependency]:
        request = BatchPredictionRequest.from_json(batch.request)
        return [
            Dependency(ResourceKind.ML_MODEL, request.ml_model_id, "MLModel"),
            Dependency(ResourceKind.DATA_SOURCE, request.data_source_id, "Batch DataSource"),
        ]

    run_job(
        ctx,
        job,
        context,
        kind=KIND,
        label="batch prediction",
        activity="batch prediction",
        start="Scoring",
        dependencies=dependencies,
        stopped=(ScoringStopped,),
        work=lambda started: _score(ctx, started),
    )


def _score(ctx: ServiceContext, started: StartedJob) -> Outcome:
    batch, (model, data_source) = started.resource, started.dependencies
    output_uri = BatchPredictionRequest.from_json(batch.request).output_location
    ctx.objects.delete(manifest_uri(output_uri, batch.id))
    trained, _ = load_model(model_directory(ctx, model.id))
    data = data_sources.open_input(ctx, data_source)
    trained_outcome = TrainedModelOutcome.from_details(model.details)
    files = data.files
    if started.job.attempts > 1:
        discard_unfinished_outputs(ctx, batch, files)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= 1.0 and total:
            last[0] = time.monotonic()
            started.progress(JobProgress("Scoring", bytes_done=done, bytes_total=total))

    def output_name(file: DataFile) -> str:
        return result_uri(output_uri, batch.id, file.uri)

    cluster = cluster_settings(ctx)
    if cluster is not None:
        plan = ScoringPlan(
            schema=data.schema,
            model_schema=trained_outcome.schema,
            model_type=TrainingRequest.from_json(model.request).model_type,
            classes=trained.classes,
            score_threshold=trained_outcome.score_threshold,
            rearrangement=data.rearrangement,
            open_output=ctx.objects.open_write,
            max_logged_invalid=MAX_LOGGED_INVALID,
        )
        outputs = [output_name(file) for file in files]
        for uri in outputs:  # checked here too: the workers' store checks them again before writing
            ctx.objects.resolve(uri)
        result = score_on_cluster(
            cluster, files, outputs, plan, trained, progress=progress, should_stop=started.should_stop
        )
    else:
        result = score_files(
            files,
            data.schema,
            trained,
            trained_outcome.schema,
            model_type=TrainingRequest.from_json(model.request).model_type,
            classes=trained.classes,
            score_threshold=trained_outcome.score_threshold,
            rearrangement=data.rearrangement,
            open_output=ctx.objects.open_write,
            output_name_for=output_name,
            workers=SCORING_THREADS,
            should_stop=started.should_stop,
            progress=progress,
            max_logged_invalid=MAX_LOGGED_INVALID,
        )
    started.check_cancelled()  # a batch prediction deleted while scoring must not look complete
    explained, explanation_lines = write_batch_explanations(
        ctx,
        model,
        trained,
        trained_outcome.schema,
        files,
        data.schema,
        data.rearrangement,
        result.outputs,
        started.should_stop,
    )
    started.check_cancelled()
    ctx.objects.write_bytes(manifest_uri(output_uri, batch.id), manifest_json(result.outputs))
    summary = f"Scored {result.total_records:,} records into {len(result.files)} result file(s)" + (
        f"; {result.invalid_records:,} could not be scored (blank lines; see LogUri)."
        if result.invalid_records
        else "."
    )
    return Outcome(
        details={
            "TotalRecordCount": result.total_records,
            "InvalidRecordCount": result.invalid_records,
            "ManifestUri": manifest_uri(output_uri, batch.id),
            "Outputs": result.outputs,
            **explained,
        },
        message=summary,
        log_lines=[
            summary,
            f"manifest: {manifest_uri(output_uri, batch.id)}",
            *explanation_lines,
            *(f"invalid record: {record.describe()}" for record in result.first_invalid_records),
        ],
    )
