"""The jobs' data passes on a Dask cluster, when ``OPENAML_DASK_SCHEDULER`` names one.

Unset, every function here is not called: the jobs run their passes in the job worker, as before.
Set, the job worker stays the coordinator (it claims the job, reports progress, writes the metadata,
statistics, manifests and logs) and the workers do the per-file work:

* ingest: each file is validated and profiled on a worker; the statistics are merged here;
* training and evaluation: each file's valid records are read and typed on a worker and come back
  as Arrow tables;
* AutoML training: the search's trials run on the workers as futures, the search rows sent once,
  the Optuna studies kept in the metadata database under the training job's name; a LightGBM refit
  too big for one worker runs on all of them (``OPENAML_DASK_DISTRIBUTED_FIT``);
* batch prediction: each file is scored on a worker, which writes its result file itself; the
  manifest is written here once every file is done.

The workers get the files' resolved, checked URIs with the object store's picklable openers, so
they read S3 themselves, with the same location checks (data roots, sealed data directory) and the
S3 endpoint of the server's settings; credentials come from each worker machine's standard AWS chain.
When a rearrangement selects records, the files' record counts are taken on the workers first, so
that every file selects exactly the records one pass would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa

from openaml.domain.context import ServiceContext
from openaml.engine.automl.dispatch import SearchCluster
from openaml.engine.batch import BatchResult, ScoringStopped
from openaml.engine.batch.parts import ScoringPart, ScoringPlan, score_part
from openaml.engine.batch.scoring import merge_results
from openaml.engine.cluster import Cluster, ClusterSettings, ClusterStopped, connect
from openaml.engine.data.errors import DataError, IngestStopped
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import IngestReport, compact_tables, frame_from_tables
from openaml.engine.data.parts import (
    IngestLimits,
    Part,
    count_part_records,
    ingest_part,
    merge_ingest,
    needs_positions,
    plan_parts,
    read_part,
)
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.data.validation import ValidationOptions
from openaml.engine.models import TrainedModel

ProgressCallback = Callable[[int, int], None]


def cluster_settings(ctx: ServiceContext) -> ClusterSettings | None:
    """The configured Dask scheduler, or None to run everything in the job worker."""
    address = ctx.settings.dask_scheduler
    if not address:
        return None
    return ClusterSettings(
        scheduler=address,
        timeout_seconds=ctx.settings.dask_timeout_seconds,
        retries=ctx.settings.dask_retries,
    )


@contextmanager
def automl_cluster(ctx: ServiceContext, job_id: int) -> Iterator[SearchCluster | None]:
    """For the ``with`` block, where the AutoML run of training job ``job_id`` runs its trials: on the
    configured cluster (its Optuna studies in the metadata database), or None: in the job worker."""
    settings = cluster_settings(ctx)
    if settings is None:
        yield None
        return
    with connect(settings) as cluster:
        yield SearchCluster(
            cluster,
            storage_url=ctx.metadata.url,
            study_name=f"openaml-training-job-{job_id}",
            distributed_fit=ctx.settings.dask_distributed_fit,
        )


def ingest_on_cluster(
    settings: ClusterSettings,
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    limits: IngestLimits,
    *,
    progress: ProgressCallback,
    should_stop: Callable[[], bool],
) -> IngestReport:
    """The datasource pass, one task per file, statistics merged (see :func:`.parts.merge_ingest`)."""
    with connect(settings) as cluster:
        parts = _plan(cluster, files, schema, rearrangement)
        try:
            results = cluster.map(
                ingest_part,
                parts,
                schema,
                rearrangement,
                limits,
                should_stop=should_stop,
                on_done=_file_progress(files, progress),
            )
        except ClusterStopped as exc:
            raise IngestStopped() from exc
    return merge_ingest(results, files, schema, rearrangement, limits)


def _read_parts(
    settings: ClusterSettings,
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    require_target: bool,
    should_stop: Callable[[], bool] | None,
    *,
    compact: bool = False,
    float32: bool = False,
) -> list[pa.Table | str]:
    """Each file's valid selected records as a typed table read on a worker, in order (a text in
    place of a table: the data error its worker met); ``compact`` and ``float32``: see
    :func:`~openaml.engine.data.parts.read_part`."""
    options = ValidationOptions(require_target=require_target)
    with connect(settings) as cluster:
        parts = _plan(cluster, files, schema, rearrangement)
        return cluster.map(
            read_part, parts, schema, rearrangement, options, compact, float32, should_stop=should_stop
        )


def read_frame_on_cluster(
    settings: ClusterSettings,
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    *,
    require_target: bool,
    should_stop: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """All valid selected records as one typed frame, each file read and typed on a worker.

    Raises :class:`~openaml.engine.cluster.ClusterStopped` when ``should_stop`` turns true.
    """
    tables = _read_parts(settings, files, schema, rearrangement, require_target, should_stop)
    for table in tables:
        if isinstance(table, str):
            raise DataError(table)
    return frame_from_tables(tables, schema)


def read_table_on_cluster(
    settings: ClusterSettings,
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    *,
    require_target: bool,
    float32: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> pa.Table:
    """:func:`read_frame_on_cluster` as one compact typed table (see
    :func:`~openaml.engine.data.ingest.read_table`, numbers as float32 with ``float32``), each file's
    table compacted on its worker: the job worker never holds the float64 or string columns."""
    tables = _read_parts(
        settings, files, schema, rearrangement, require_target, should_stop, compact=True, float32=float32
    )
    for table in tables:
        if isinstance(table, str):
            raise DataError(table)
    return compact_tables(tables, schema)


def score_on_cluster(
    settings: ClusterSettings,
    files: Sequence[DataFile],
    output_uris: Sequence[str],
    plan: ScoringPlan,
    model: TrainedModel,
    *,
    progress: ProgressCallback,
    should_stop: Callable[[], bool],
) -> BatchResult:
    """Score each file on a worker into its result file; the merged result, files in input order."""
    if len(set(output_uris)) < len(output_uris):
        raise DataError(
            "Two input files would write their results to the same file: input file names must differ."
        )
    with connect(settings) as cluster:
        parts = _plan(cluster, files, plan.schema, plan.rearrangement)
        items = [ScoringPart(part, uri) for part, uri in zip(parts, output_uris, strict=True)]
        try:
            results = cluster.map(
                score_part,
                items,
                plan,
                cluster.share(model),
                should_stop=should_stop,
                on_done=_file_progress(files, progress),
            )
        except ClusterStopped as exc:
            raise ScoringStopped() from exc
    for result in results:
        if isinstance(result, str):
            raise DataError(result)
    return merge_results(results, plan.max_logged_invalid)  # type: ignore[arg-type]  # strings raised


def _plan(
    cluster: Cluster, files: Sequence[DataFile], schema: DataSchema, rearrangement: Rearrangement | None
) -> list[Part]:
    counts = None
    if needs_positions(rearrangement):
        counts = cluster.map(count_part_records, list(files), schema)
    return plan_parts(files, counts, rearrangement)


def _file_progress(files: Sequence[DataFile], progress: ProgressCallback) -> Callable[[int], None]:
    total = sum(file.size for file in files)

    def on_done(done: int) -> None:
        progress(total * done // max(len(files), 1), total)

    return on_done
