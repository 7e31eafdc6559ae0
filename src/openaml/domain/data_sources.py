"""DataSources: checking a create request, and the ingest job that reads, validates and profiles data.

What can be known when the request arrives (bad schema JSON, unknown attribute names, a location
outside the allowed roots, nothing at the location, an unknown SQL database) fails the call with
``InvalidInputException``. Everything that needs the data itself happens in the ingest job, which
ends COMPLETED or FAILED with a message saying what was wrong.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa

from openaml.domain.cluster import (
    cluster_settings,
    ingest_on_cluster,
    read_frame_on_cluster,
    read_table_on_cluster,
)
from openaml.domain.context import ServiceContext
from openaml.domain.job_template import Outcome, StartedJob, run_job
from openaml.domain.records import DataSourceSpec, IngestOutcome, SchemaHints, parse_schema_or_hints
from openaml.domain.resources import artifact_uri, create_resource, read_text_at
from openaml.engine.cluster import ClusterSettings, ClusterStopped
from openaml.engine.data.errors import DataError, IngestStopped
from openaml.engine.data.files import DataFile, FileFormat
from openaml.engine.data.inference import generated_names, looks_like_header
from openaml.engine.data.ingest import (
    IngestReport,
    ingest,
    iter_frames,
    read_frame,
    read_table,
    resolve_schema,
)
from openaml.engine.data.names import unknown_column_message
from openaml.engine.data.parts import IngestLimits
from openaml.engine.data.reading import inspect_file
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.data.sql import snapshot_sql_query
from openaml.engine.data.time_split import write_time_split
from openaml.engine.drift.samples import sample_frame, sample_to_parquet
from openaml.entities import Caller, EntityStatus, Job, Resource, ResourceKind
from openaml.errors import InvalidInputException, OpenAMLError
from openaml.jobs.worker import JobCancelled, JobContext
from openaml.progress import JobProgress

log = logging.getLogger(__name__)
INGEST_JOB = "ingest_data_source"
KIND = ResourceKind.DATA_SOURCE
MAX_LOGGED_INVALID_RECORDS = 1000
PROGRESS_INTERVAL_SECONDS = 1.0
_Read = TypeVar("_Read")


@dataclass(frozen=True)
class DataInput:
    """What a job reading a COMPLETED datasource needs: its files, its schema and its rearrangement."""

    files: list[DataFile]
    schema: DataSchema
    rearrangement: Rearrangement | None


def open_input(ctx: ServiceContext, data_source: Resource) -> DataInput:
    """The input of a COMPLETED datasource: the SQL snapshot or the files at its location, the schema
    its ingest settled on, and its rearrangement (training, evaluation and batch jobs read it so)."""
    spec = DataSourceSpec.from_json(data_source.request)
    return DataInput(
        files=data_files(ctx, spec.data_location),
        schema=IngestOutcome.from_details(data_source.details).schema,
        rearrangement=spec.rearrangement,
    )


def read_input_frame(
    ctx: ServiceContext,
    data: DataInput,
    *,
    require_target: bool,
    should_stop: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """All valid selected records of a datasource as one typed frame (contract 2), read by the job
    worker, or file by file on the Dask cluster when one is configured (whose tasks are cancelled,
    and :class:`JobCancelled` raised, when ``should_stop`` turns true)."""
    cluster = cluster_settings(ctx)
    if cluster is None:
        return read_frame(data.files, data.schema, data.rearrangement, require_target=require_target)
    return _read_on_cluster(read_frame_on_cluster, cluster, data, require_target, should_stop)


def _read_on_cluster(
    read: Callable[..., _Read],
    cluster: ClusterSettings,
    data: DataInput,
    require_target: bool,
    should_stop: Callable[[], bool] | None,
) -> _Read:
    """``read`` (:func:`read_frame_on_cluster` or :func:`read_table_on_cluster`) of ``data`` on the
    cluster; the job is cancelled (:class:`JobCancelled`) when ``should_stop`` stopped the read."""
    try:
        return read(
            cluster,
            data.files,
            data.schema,
            data.rearrangement,
            require_target=require_target,
            should_stop=should_stop,
        )
    except ClusterStopped as exc:
        raise JobCancelled("the job was cancelled while its data was read on the Dask cluster") from exc


def reads_on_cluster(ctx: ServiceContext) -> bool:
    """Whether jobs read their data on a Dask cluster (``OPENAML_DASK_SCHEDULER``)."""
    return cluster_settings(ctx) is not None


def iter_input_frames(
    data: DataInput, *, require_target: bool, check_cancelled: Callable[[], None] | None = None
) -> Iterator[pd.DataFrame]:
    """The valid selected records of a datasource as typed frames of at most 50,000 records, read by
    the job worker; ``check_cancelled`` (which raises to stop) is called before each frame."""
    for batch in iter_frames(data.files, data.schema, data.rearrangement, require_target=require_target):
        if check_cancelled is not None:
            check_cancelled()
        yield batch.frame


def read_input_table(
    ctx: ServiceContext,
    data: DataInput,
    *,
    require_target: bool,
    float32: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> pa.Table:
    """:func:`read_input_frame` as one compact typed Arrow table (what AutoML training reads: no
    pandas frame of all rows; see :func:`~openaml.engine.data.ingest.read_table`)."""
    cluster = cluster_settings(ctx)
    if cluster is None:
        return read_table(
            data.files, data.schema, data.rearrangement, require_target=require_target, float32=float32
        )
    return _read_on_cluster(
        functools.partial(read_table_on_cluster, float32=float32), cluster, data, require_target, should_stop
    )


def _read_schema(ctx: ServiceContext, spec: DataSourceSpec) -> DataSourceSpec:
    """``spec`` with the schema at ``schema_location`` read and parsed (once: at request time)."""
    if spec.schema is not None or not spec.schema_location:
        return spec
    text = read_text_at(ctx, spec.schema_location, "schema")
    return dataclasses.replace(spec, schema=parse_schema_or_hints(text))


def _check_named_columns(ctx: ServiceContext, location: str, hints: SchemaHints) -> None:
    """Refuse a target or rowId that is not a column of the data, when the first file's header reads.

    One look at the head of the first file (as schema inference reads it); when that fails for any
    reason the check is left to the ingest job, which reads the data anyway and says what is wrong.
    """
    named = [
        (role, name)
        for role, name in (("target", hints.target_attribute_name), ("rowId", hints.row_id))
        if name is not None
    ]
    if not named:
        return
    try:
        first = data_files(ctx, location)[0]
        layout = inspect_file(first)
    except Exception:  # an optional early check: the job reports any problem with the data
        log.debug("no request-time column check for %s", location, exc_info=True)
        return
    columns = layout.first_record
    if layout.format is not FileFormat.PARQUET and not looks_like_header(columns):
        columns = generated_names(len(columns))
    for role, name in named:
        if name not in columns:
            raise InvalidInputException(
                unknown_column_message(role, name, columns, f"a column of {first.uri}")
            )


def create_data_source(
    ctx: ServiceContext, caller: Caller, *, data_source_id: str, name: str | None, spec: DataSourceSpec
) -> Resource:
    """Check what can be checked now and create the datasource; its ingest job does the rest.

    Request-time checks: the schema (read from its location once, here) and the rearrangement, data at
    an allowed location, the columns a partial schema names (target, rowId) in the first file's header;
    for SQL, a configured database and a writable staging location, where the snapshot will go.
    """
    spec = _read_schema(ctx, spec)
    if spec.sql is not None:
        sql_database_url(ctx, spec.sql.database_identifier)
        staging = spec.sql.staging_location
        ctx.objects.check_writable(staging)  # messages name the staging location as the caller gave it
        snapshot = ctx.objects.resolve(staging.rstrip("/") + f"/{data_source_id}.parquet")
        spec = dataclasses.replace(spec, snapshot_location=snapshot)
    elif spec.time_split is not None:
        ctx.objects.check_writable(spec.data_location.rsplit("/", 1)[0])
    else:
        ctx.objects.list_files(spec.data_location)
        if isinstance(spec.schema, SchemaHints):
            _check_named_columns(ctx, spec.data_location, spec.schema)
    return create_resource(
        ctx,
        kind=KIND,
        resource_id=data_source_id,
        name=name,
        request=spec,
        created_by=caller.user_arn,
        job_type=INGEST_JOB,
        links={"data_uri": spec.data_location},
    )


def sql_database_url(ctx: ServiceContext, identifier: str) -> str:
    databases = ctx.settings.sql_databases or {}
    if identifier not in databases:
        known = ", ".join(sorted(databases)) or "none are configured"
        raise InvalidInputException(
            f"Unknown database identifier {identifier!r}: the server administrator configures the databases "
            f"callers may query in OPENAML_SQL_DATABASES ({known})."
        )
    return str(databases[identifier])


def statistics_uri(ctx: ServiceContext, data_source_id: str) -> str:
    return artifact_uri(ctx, KIND, data_source_id, "statistics.json")


def sample_uri(ctx: ServiceContext, data_source_id: str) -> str:
    """Where the statistics' record sample of a datasource is kept (drift reports compare it)."""
    return artifact_uri(ctx, KIND, data_source_id, "sample.parquet")


def stored_sample(ctx: ServiceContext, data_source: Resource) -> pd.DataFrame | None:
    """The statistics' record sample of a datasource as a typed frame; None when none is stored
    (ingested without statistics, or before samples were kept)."""
    uri = sample_uri(ctx, data_source.id)
    if not ctx.objects.server_files.exists(uri):
        return None
    return sample_frame(ctx.objects.server_files.read_bytes(uri))


def load_statistics(ctx: ServiceContext, data_source: Resource) -> dict[str, Any] | None:
    """The datasource's statistics JSON, or None when it was created without ComputeStatistics."""
    if not data_source.details.get("HasStatistics"):
        return None
    return json.loads(ctx.objects.server_files.read_bytes(statistics_uri(ctx, data_source.id)))  # type: ignore[no-any-return]


def data_files(ctx: ServiceContext, location: str) -> list[DataFile]:
    # A bound method of the store, not a closure over the context: it pickles, so Dask workers can
    # open the (already resolved and checked) URIs themselves, through the same location checks.
    files = [
        DataFile(uri=info.uri, size=info.size, open=functools.partial(ctx.objects.open_read, info.uri))
        for info in ctx.objects.list_files(location)
        # Empty objects and marker files such as _SUCCESS (written by Spark and Hadoop) hold no records.
        if info.size > 0 and not info.uri.rsplit("/", 1)[-1].startswith("_")
    ]
    if not files:
        raise InvalidInputException(f"There is no data at {location}: every file there is empty.")
    return files


def infer_schema_preview(ctx: ServiceContext, location: str, hints: SchemaHints) -> DataSchema:
    """The schema a datasource at ``location`` would get, from a sample, before creating it."""
    try:
        return _schema_in_use(data_files(ctx, location), hints)
    except DataError as exc:
        raise InvalidInputException(exc.message) from exc


def _log_lines(report: IngestReport | None, error: str | None) -> list[str]:
    lines = ["datasource ingest"]
    if report is not None:
        lines.append(
            f"records read: {report.records_read}, valid: {report.valid_records}, "
            f"invalid: {report.invalid_records}"
        )
        lines.extend(f"invalid record: {record.describe()}" for record in report.first_invalid_records)
        unlisted = report.invalid_records - len(report.first_invalid_records)
        if unlisted > 0:
            lines.append(f"... {unlisted} more invalid records not listed")
    if error:
        lines.append(f"FAILED: {error}")
    return lines


def _schema_in_use(files: list[DataFile], parsed: DataSchema | SchemaHints) -> DataSchema:
    if isinstance(parsed, DataSchema):
        return parsed
    inferred = resolve_schema(
        files, None, target_attribute_name=parsed.target_attribute_name, row_id=parsed.row_id
    )
    if not parsed.excluded_attribute_names:
        return inferred
    return dataclasses.replace(inferred, excluded_attribute_names=parsed.excluded_attribute_names)


def run_ingest_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    """The ingest job: snapshot (SQL), read and validate every record, compute statistics, store results."""
    try:
        run_job(
            ctx,
            job,
            context,
            kind=KIND,
            label="datasource",
            activity="ingest",
            start="Reading the data",
            stopped=(IngestStopped,),
            failure_log=lambda message: _log_lines(None, message),
            work=lambda started: _ingest(ctx, started),
        )
    finally:
        _remove_if_deleted(ctx, job.resource_id)


def _remove_if_deleted(ctx: ServiceContext, data_source_id: str) -> None:
    """Deleted while its job ran (which may go on a while before it notices): a snapshot the job
    finished after ``DeleteDataSource`` removed the files goes too."""
    try:
        resource = ctx.resources.get(KIND, data_source_id)
    except OpenAMLError:  # the metadata database is out: the job's own outcome says so
        return
    if resource is not None and resource.status is EntityStatus.DELETED:
        remove_materialised_files(ctx, resource)


def materialised_files(spec: DataSourceSpec) -> list[str]:
    """The files the service itself wrote for a datasource: the snapshot of a SQL query's result or of
    its part of a time split (a retrain's holdout by a column). Never the caller's files at its
    location, which only the caller removes."""
    if spec.snapshot_location is not None and (spec.sql is not None or spec.time_split is not None):
        return [spec.snapshot_location]
    return []


def remove_materialised_files(ctx: ServiceContext, data_source: Resource) -> None:
    """``DeleteDataSource``: remove the datasource's :func:`materialised_files` (a DELETED datasource's
    data is never read again). Best effort: one that cannot be removed is logged, the delete stands."""
    for uri in materialised_files(DataSourceSpec.from_json(data_source.request)):
        try:
            ctx.objects.delete(uri)
        except OpenAMLError as error:
            log.warning("datasource %s: could not remove %s: %s", data_source.id, uri, error)


def _ingest(ctx: ServiceContext, started: StartedJob) -> Outcome:
    resource = started.resource
    spec = DataSourceSpec.from_json(resource.request)
    if spec.sql is not None:
        started.progress("Running the SQL query and snapshotting its result")
        url = sql_database_url(ctx, spec.sql.database_identifier)
        with ctx.objects.open_write(spec.data_location) as sink:
            snapshot_sql_query(url, spec.sql.select_sql_query, sink)
    elif spec.time_split is not None:
        _write_time_split(ctx, started, spec)
    started.check_cancelled()
    spec = _read_schema(ctx, spec)  # rows stored before schemas were read at request time
    files = data_files(ctx, spec.data_location)
    schema = _schema_in_use(files, spec.schema if spec.schema is not None else SchemaHints())
    last_report = [0.0]

    def progress(bytes_done: int, bytes_total: int) -> None:
        if time.monotonic() - last_report[0] < PROGRESS_INTERVAL_SECONDS:
            return
        last_report[0] = time.monotonic()
        started.progress(JobProgress("Reading the data", bytes_done=bytes_done, bytes_total=bytes_total))

    cluster = cluster_settings(ctx)
    if cluster is not None:
        limits = IngestLimits(
            compute_statistics=spec.compute_statistics,
            require_target=False,
            max_invalid_records=ctx.settings.max_invalid_records,
            max_logged_invalid=MAX_LOGGED_INVALID_RECORDS,
            max_record_bytes=ctx.settings.max_record_bytes,
        )
        report = ingest_on_cluster(
            cluster,
            files,
            schema,
            spec.rearrangement,
            limits,
            progress=progress,
            should_stop=started.should_stop,
        )
    else:
        report = ingest(
            files,
            schema,
            spec.rearrangement,
            compute_statistics=spec.compute_statistics,
            require_target=False,
            max_invalid_records=ctx.settings.max_invalid_records,
            max_logged_invalid=MAX_LOGGED_INVALID_RECORDS,
            max_record_bytes=ctx.settings.max_record_bytes,
            progress=progress,
            should_stop=started.should_stop,
        )
    started.check_cancelled()
    if report.statistics is not None:
        ctx.objects.server_files.write_bytes(
            statistics_uri(ctx, resource.id), json.dumps(report.statistics).encode("utf-8")
        )
    if report.sample is not None:
        ctx.objects.server_files.write_bytes(sample_uri(ctx, resource.id), sample_to_parquet(report.sample))
    message = None
    if report.invalid_records:
        message = (
            f"{report.invalid_records:,} of {report.records_read:,} records were invalid and skipped; "
            "see LogUri for the reasons."
        )
    return Outcome(
        details=_details(report),
        message=message,
        log_lines=_log_lines(report, None),
        report_compute_time=report.statistics is not None,
    )


def _write_time_split(ctx: ServiceContext, started: StartedJob, spec: DataSourceSpec) -> None:
    """Write this datasource's part of a time split by a column to its snapshot location."""
    origin = spec.time_split
    assert origin is not None and isinstance(spec.schema, DataSchema)
    started.progress(f"Finding the newest {origin.percent:g} % of the records by {origin.attribute!r}")
    listed = set(origin.files)
    files = [file for file in data_files(ctx, origin.location) if file.uri in listed]
    if len(files) < len(listed):
        raise DataError(f"Files at {origin.location} were removed while the retrain was running.")
    with ctx.objects.open_write(spec.data_location) as sink:
        write_time_split(files, spec.schema, origin.attribute, origin.percent, origin.part, sink)  # type: ignore[arg-type]


def _details(report: IngestReport) -> dict[str, Any]:
    return IngestOutcome(
        schema=report.schema,
        data_size_bytes=report.data_size_bytes,
        number_of_files=report.number_of_files,
        records_read=report.records_read,
        valid_records=report.valid_records,
        invalid_records=report.invalid_records,
        has_statistics=report.statistics is not None,
    ).to_details()
