"""The datasource pass split by file, so that each file can be read on another Dask worker.

A :class:`Part` is one input file with what it needs to select the same records as one pass over all
files would: the input position of its first record and, for sequential slices, the number of
records of the whole input (both from :func:`count_part_records`, run on the workers first, only
when the rearrangement needs them). The task functions here run on the workers: they read their file
through its picklable opener and *return* data problems as values (:class:`PartIngest.error`), so
that the cluster's retries are kept for unexpected failures. :func:`merge_ingest` then makes the
same :class:`~.ingest.IngestReport` one pass would, statistics merged (see :mod:`.statistics`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import (
    IngestReport,
    compact_table,
    first_reasons,
    iter_typed_batches,
    prefetched,
)
from openaml.engine.data.reading import DEFAULT_BLOCK_SIZE, count_records
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.data.statistics import StatisticsAccumulator
from openaml.engine.data.validation import InvalidRecord, TypedBatch, ValidationOptions


@dataclass(frozen=True)
class Part:
    """One input file as a unit of work: its number in the input, and where its records start."""

    number: int
    file: DataFile
    first_index: int = 0
    total_records: int | None = None


@dataclass(frozen=True)
class IngestLimits:
    """The datasource pass's options that every part applies."""

    compute_statistics: bool
    require_target: bool
    max_invalid_records: int
    max_logged_invalid: int
    max_record_bytes: int
    block_size: int = DEFAULT_BLOCK_SIZE


@dataclass
class PartIngest:
    """What one part found: counts, the first invalid records, statistics, or the error that stopped it."""

    records: int
    valid: int
    invalid: int
    logged: list[InvalidRecord]
    statistics: StatisticsAccumulator | None
    error: str | None = None


def needs_positions(rearrangement: Rearrangement | None) -> bool:
    """Whether the parts need their first record's input position (a rearrangement selects records)."""
    return rearrangement is not None and not rearrangement.is_whole_input


def count_part_records(file: DataFile, schema: DataSchema) -> int:
    """The number of records of ``file`` (a task function)."""
    return count_records(
        file, schema.names, has_header=schema.data_file_contains_header, block_size=DEFAULT_BLOCK_SIZE
    )


def plan_parts(
    files: Sequence[DataFile], record_counts: Sequence[int] | None, rearrangement: Rearrangement | None
) -> list[Part]:
    """One part per file; with ``record_counts`` (one per file) the parts know their positions."""
    if record_counts is None:
        return [Part(number, file) for number, file in enumerate(files)]
    total = sum(record_counts) if rearrangement is not None and rearrangement.needs_record_count else None
    parts, first = [], 0
    for number, (file, count) in enumerate(zip(files, record_counts, strict=True)):
        parts.append(Part(number, file, first_index=first, total_records=total))
        first += count
    return parts


def ingest_part(
    part: Part, schema: DataSchema, rearrangement: Rearrangement | None, limits: IngestLimits
) -> PartIngest:
    """Validate (and profile) one part's records (a task function)."""
    statistics = StatisticsAccumulator(schema, part=part.number) if limits.compute_statistics else None
    options = ValidationOptions(
        require_target=limits.require_target, max_record_bytes=limits.max_record_bytes
    )
    result = PartIngest(0, 0, 0, [], statistics)
    try:
        batches = _batches(part, schema, rearrangement, options, limits.max_logged_invalid, limits)
        for batch in prefetched(batches):  # reading overlaps with statistics, as in one pass
            result.records += batch.records
            result.invalid += batch.invalid_records
            result.valid += int(batch.valid.sum())
            result.logged.extend(batch.invalid_reports)
            if result.invalid > limits.max_invalid_records:
                break  # the whole input has too many invalid records too: merge_ingest says so
            if statistics is not None:
                statistics.add(batch)
    except DataError as exc:
        result.error = exc.message
    return result


def read_part(
    part: Part,
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    options: ValidationOptions,
    compact: bool = False,
    float32: bool = False,
) -> pa.Table | str:
    """One part's valid records as an Arrow table of the typed frame's columns, or a data error's message
    (a task function: training and evaluation read their data so). With ``compact``, each batch is
    compacted as it is read (:func:`~.ingest.compact_table`, numbers as float32 with ``float32``):
    what training reads on a cluster, so that a worker neither holds nor sends the float64 and string
    columns."""
    tables = []
    try:
        for batch in _batches(part, schema, rearrangement, options, 0, None):
            table = pa.Table.from_batches([batch.columns])
            tables.append(compact_table(table, schema, float32=float32) if compact else table)
    except DataError as exc:
        return exc.message
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="permissive")


def merge_ingest(
    results: Sequence[PartIngest],
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    limits: IngestLimits,
) -> IngestReport:
    """The report one pass over all parts would make (parts in input order); raises :class:`DataError`
    with the same messages as :func:`~.ingest.ingest`."""
    for result in results:
        if result.error is not None:
            raise DataError(result.error)
    records = sum(result.records for result in results)
    invalid = sum(result.invalid for result in results)
    valid = sum(result.valid for result in results)
    logged = [record for result in results for record in result.logged][: limits.max_logged_invalid]
    if invalid > limits.max_invalid_records:
        raise DataError(
            f"More than {limits.max_invalid_records:,} records are invalid (the limit), so the datasource "
            f"was rejected after reading {records:,} records. {first_reasons(logged)}"
        )
    if valid == 0:
        if records == 0:
            raise DataError("The data has no records" + (" in the selected slice." if rearrangement else "."))
        raise DataError(
            f"No valid record remains: all {records:,} records are invalid. {first_reasons(logged)}"
        )
    statistics = None
    if limits.compute_statistics:
        statistics = StatisticsAccumulator(schema)
        for result in results:
            assert result.statistics is not None
            statistics.merge(result.statistics)
    return IngestReport(
        schema=schema,
        records_read=records,
        valid_records=valid,
        invalid_records=invalid,
        first_invalid_records=logged,
        statistics=statistics.result() if statistics is not None else None,
        data_size_bytes=sum(file.size for file in files),
        number_of_files=len(files),
    )


def _batches(
    part: Part,
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    options: ValidationOptions,
    report_limit: int,
    limits: IngestLimits | None,
) -> Iterator[TypedBatch]:
    return iter_typed_batches(
        [part.file],
        schema,
        rearrangement,
        options,
        block_size=limits.block_size if limits is not None else DEFAULT_BLOCK_SIZE,
        report_limit=report_limit,
        first_index=part.first_index,
        total_records=part.total_records,
    )
