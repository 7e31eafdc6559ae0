"""The datasource pass and the typed frames that training, evaluation and prediction read.

:func:`ingest` reads every selected record once: it validates records against the schema (inferring
one when none is given), counts and logs the invalid ones, optionally computes statistics, and fails
with a :class:`DataError` when too many records are invalid or none is valid.

:func:`iter_frames` streams the same records as typed pandas frames (the project's contract 2), one
file at a time, so that batch prediction can write one output per input file.
"""

from __future__ import annotations

import dataclasses
import functools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from openaml.engine.data.errors import DataError, IngestStopped
from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.names import unknown_column_message
from openaml.engine.data.reading import (
    DEFAULT_BLOCK_SIZE,
    check_columns,
    count_records,
    inspect_file,
    iter_raw_batches,
)
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.data.statistics import StatisticsAccumulator
from openaml.engine.data.validation import (
    DEFAULT_MAX_RECORD_BYTES,
    InvalidRecord,
    TypedBatch,
    ValidationOptions,
    output_type,
    validate_batch,
)

#: How many invalid-record reasons a failure message shows.
REASONS_IN_MESSAGE = 5
DEFAULT_BATCH_ROWS = 50_000

ProgressCallback = Callable[[int, int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class IngestReport:
    """What the datasource pass found."""

    schema: DataSchema
    records_read: int
    valid_records: int
    invalid_records: int
    first_invalid_records: list[InvalidRecord]
    statistics: dict[str, Any] | None
    data_size_bytes: int
    number_of_files: int
    #: The statistics' uniform record sample (``StatisticsAccumulator.sample``), None without statistics.
    sample: pa.Table | None = None


@dataclass(frozen=True)
class FrameBatch:
    """Consecutive records of one file as a typed frame (contract 2).

    ``row_numbers`` are the records' numbers in ``file_uri`` (header = 1). When invalid records are
    kept, they are rows of null values with ``valid`` False, in their place.
    """

    file_uri: str
    frame: pd.DataFrame
    row_numbers: npt.NDArray[np.int64]
    valid: npt.NDArray[np.bool_]


def ingest(
    files: Sequence[DataFile],
    schema: DataSchema | None,
    rearrangement: Rearrangement | None = None,
    *,
    compute_statistics: bool,
    require_target: bool,
    max_invalid_records: int = 10_000,
    max_logged_invalid: int = 1000,
    target_attribute_name: str | None = None,
    row_id: str | None = None,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> IngestReport:
    """Validate (and optionally profile) the selected records of ``files``.

    Without ``schema`` one is inferred (see :mod:`.inference`) with ``target_attribute_name`` and
    ``row_id``; with one, ``target_attribute_name`` only fills in a missing target. ``progress`` is
    called with (bytes done, bytes total) after each block; ``should_stop`` is polled as often and
    raises :class:`IngestStopped` when it returns True. Raises :class:`DataError` when more than
    ``max_invalid_records`` records are invalid (as soon as that happens) or no valid record remains.
    """
    schema = resolve_schema(files, schema, target_attribute_name=target_attribute_name, row_id=row_id)
    if require_target and schema.target_attribute_name is None:
        raise DataError("This datasource needs a target attribute, and the schema names none.")
    options = ValidationOptions(require_target=require_target, max_record_bytes=max_record_bytes)
    statistics = StatisticsAccumulator(schema) if compute_statistics else None
    total_bytes = sum(file.size for file in files)
    records = valid = invalid = 0
    logged: list[InvalidRecord] = []
    batches = iter_typed_batches(
        files, schema, rearrangement, options, block_size=block_size, report_limit=max_logged_invalid
    )
    for batch in prefetched(batches):
        records += batch.records
        invalid += batch.invalid_records
        valid += int(batch.valid.sum())
        logged.extend(batch.invalid_reports)
        if invalid > max_invalid_records:
            raise DataError(
                f"More than {max_invalid_records:,} records are invalid (the limit), so the datasource was "
                f"rejected after reading {records:,} records. {first_reasons(logged)}"
            )
        if statistics is not None:
            statistics.add(batch)
        if progress is not None:
            progress(batch.bytes_done, total_bytes)
        if should_stop is not None and should_stop():
            raise IngestStopped()
    if valid == 0:
        if records == 0:
            raise DataError("The data has no records" + (" in the selected slice." if rearrangement else "."))
        raise DataError(
            f"No valid record remains: all {records:,} records are invalid. {first_reasons(logged)}"
        )
    return IngestReport(
        schema=schema,
        records_read=records,
        valid_records=valid,
        invalid_records=invalid,
        first_invalid_records=logged,
        statistics=statistics.result() if statistics is not None else None,
        data_size_bytes=total_bytes,
        number_of_files=len(files),
        sample=statistics.sample() if statistics is not None else None,
    )


def iter_frames(
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None = None,
    *,
    require_target: bool,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    keep_invalid: bool = False,
    block_size: int = DEFAULT_BLOCK_SIZE,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[FrameBatch]:
    """Typed frames of at most ``batch_rows`` records; a frame never spans two files.

    Invalid records are skipped, or with ``keep_invalid`` kept in place as null rows marked invalid
    (batch prediction writes a blank line for them). The rowId column holds the raw text.
    """
    options = ValidationOptions(
        require_target=require_target, max_record_bytes=max_record_bytes, keep_invalid=keep_invalid
    )
    buffer = _FrameBuffer(batch_rows)
    for batch in prefetched(iter_typed_batches(files, schema, rearrangement, options, block_size=block_size)):
        if buffer.file_uri not in (None, batch.file_uri):
            yield from buffer.drain()
        buffer.add(batch)
        yield from buffer.full_frames()
    yield from buffer.drain()


def read_frame(
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None = None,
    *,
    require_target: bool,
) -> pd.DataFrame:
    """All valid selected records as one typed frame (for data that fits in memory, e.g. training)."""
    frames = [
        batch.frame for batch in iter_frames(files, schema, rearrangement, require_target=require_target)
    ]
    if not frames:
        return _to_frame(_empty_columns(schema))
    return pd.concat(frames, ignore_index=True)


def frame_from_tables(tables: Sequence[pa.Table], schema: DataSchema) -> pd.DataFrame:
    """One typed frame (contract 2) from typed tables read in parts, in order (e.g. on Dask workers)."""
    filled = [table for table in tables if table.num_rows]
    if not filled:
        return _to_frame(_empty_columns(schema))
    return _to_frame(pa.concat_tables(filled))


def read_table(
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None = None,
    *,
    require_target: bool,
    float32: bool = False,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> pa.Table:
    """All valid selected records as one compact typed Arrow table (:func:`compact_table`, numbers as
    float32 with ``float32``): what training reads instead of :func:`read_frame`.

    The table's chunks are the typed batches themselves: nothing is copied into one block, so the
    memory held is about the Arrow size of the columns (8 bytes per number, 4 per category code).
    """
    options = ValidationOptions(require_target=require_target)
    parts = [
        compact_table(pa.Table.from_batches([batch.columns]), schema, float32=float32)
        for batch in prefetched(
            iter_typed_batches(files, schema, rearrangement, options, block_size=block_size)
        )
        if batch.columns.num_rows
    ]
    return compact_tables(parts, schema)


def compact_tables(tables: Sequence[pa.Table], schema: DataSchema) -> pa.Table:
    """Compact typed tables (in order) as one table; an empty one with the compact columns when none."""
    filled = [table for table in tables if table.num_rows]
    if not filled:
        return compact_table(_empty_columns(schema), schema)
    return pa.concat_tables(filled, promote_options="permissive")


def compact_table(table: pa.Table, schema: DataSchema, *, float32: bool = False) -> pa.Table:
    """A typed table without the rowId column (training never reads it) and with CATEGORICAL columns
    dictionary-encoded: int32 codes and one small dictionary per chunk instead of a string per value;
    with ``float32``, input numbers (not the target) as float32: half the memory, for data larger
    than the search sample, whose refit matrix is float32 anyway.
    :func:`table_frame` turns (part of) it back into the typed frame of contract 2."""
    columns, names = [], []
    for name in table.column_names:
        if name == schema.row_id:
            continue
        values = table.column(name)
        categorical = schema.has_attribute(name) and schema.attribute(name).type is AttributeType.CATEGORICAL
        if categorical and not pa.types.is_dictionary(values.type):
            values = pc.dictionary_encode(values)
        elif float32 and pa.types.is_float64(values.type) and name != schema.target_attribute_name:
            values = pc.cast(values, pa.float32())
        columns.append(values)
        names.append(name)
    return pa.table(columns, names=names)


def numbers_as_float32(table: pa.Table, schema: DataSchema) -> pa.Table:
    """``table`` with its float64 columns but the target cast to float32, one column at a time (while
    the caller holds ``table`` too, both copies of one column at most are held at once)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_float64(field.type) and field.name != schema.target_attribute_name:
            table = table.set_column(index, field.name, pc.cast(table.column(index), pa.float32()))
    return table


def table_frame(table: pa.Table) -> pd.DataFrame:
    """The typed frame (contract 2) of a compact table: dictionary columns decoded to strings again."""
    columns = [
        values.cast(values.type.value_type) if pa.types.is_dictionary(values.type) else values
        for values in table.columns
    ]
    return _to_frame(pa.table(columns, names=table.column_names))


def resolve_schema(
    files: Sequence[DataFile],
    schema: DataSchema | None,
    *,
    target_attribute_name: str | None = None,
    row_id: str | None = None,
) -> DataSchema:
    """``schema``, or one inferred from ``files``; ``target_attribute_name`` fills in a missing target."""
    if not files:
        raise DataError("There are no data files at the given location.")
    if schema is None:
        return infer_schema(files, target_attribute_name=target_attribute_name, row_id=row_id)
    if target_attribute_name is None or target_attribute_name == schema.target_attribute_name:
        return schema
    if schema.target_attribute_name is not None:
        raise DataError(
            f"The schema's target is {schema.target_attribute_name!r}, but {target_attribute_name!r} was "
            "asked for; use one."
        )
    if not schema.has_attribute(target_attribute_name):
        raise DataError(f"The target {target_attribute_name!r} is not an attribute of the schema.")
    return dataclasses.replace(schema, target_attribute_name=target_attribute_name)


def iter_typed_batches(
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    options: ValidationOptions,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    report_limit: int = 0,
    first_index: int = 0,
    total_records: int | None = None,
) -> Iterator[TypedBatch]:
    """Validated batches of the selected records of ``files``, in input order.

    The columns of every file are checked first, so a mismatch fails before any long read. At most
    ``report_limit`` invalid-record reports are produced in all. ``files`` may be a part of the input
    (one file read on a Dask worker): ``first_index`` is then the input position of its first record
    and ``total_records`` the number of records of the whole input (counted here when needed and
    not given), so that a rearrangement selects the same records as in one pass.
    """
    names = schema.names
    has_header = schema.data_file_contains_header
    for file in files:
        _check_file_columns(file, schema)
    select = None
    if rearrangement is not None and not rearrangement.is_whole_input:
        total = total_records
        if rearrangement.needs_record_count and total is None:
            total = sum(
                count_records(file, names, has_header=has_header, block_size=block_size) for file in files
            )
        select = functools.partial(rearrangement.select, total=total)
    done_bytes = 0
    for file in files:
        file_records = 0
        for raw in iter_raw_batches(file, names, has_header=has_header, block_size=block_size):
            last = max(
                [*raw.row_numbers[-1:].tolist(), *(row.row_number for row in raw.malformed)], default=0
            )
            file_records = max(file_records, last - raw.first_record_number + 1)
            batch = validate_batch(
                raw, schema, options, first_index=first_index, select=select, report_limit=report_limit
            )
            report_limit -= len(batch.invalid_reports)
            batch.bytes_done = done_bytes + raw.bytes_done
            yield batch
        first_index += file_records
        done_bytes += file.size


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced ahead by a background thread holding at most ``depth`` items.

    Reading and validating (mostly native code that releases the GIL) then overlaps with the
    consumer's work, such as statistics. Exceptions reach the consumer; closing the returned
    generator stops the producer.
    """
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((True, item)):
                    return
            offer((False, None))
        except BaseException as error:  # handed over to the consumer, who re-raises it
            offer((False, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="openaml-data-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            more, item = slots.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        producer.join()


def _check_file_columns(file: DataFile, schema: DataSchema) -> None:
    layout = inspect_file(file)
    if not layout.reader.stores_column_names and not schema.data_file_contains_header:
        return
    target = schema.target_attribute_name
    if target is not None and target not in layout.first_record:
        raise DataError(
            unknown_column_message(
                "target attribute", target, layout.first_record, f"in the header of {file.uri}"
            )
        )
    check_columns(file, layout.first_record, schema.names)


def first_reasons(logged: list[InvalidRecord]) -> str:
    if not logged:
        return ""
    lines = "; ".join(report.describe() for report in logged[:REASONS_IN_MESSAGE])
    return f"First invalid records: {lines}."


class _FrameBuffer:
    """Typed rows of one file waiting to be cut into frames of ``batch_rows``."""

    def __init__(self, batch_rows: int) -> None:
        self._batch_rows = batch_rows
        self.file_uri: str | None = None
        self._table: pa.Table | None = None
        self._numbers = np.empty(0, dtype=np.int64)
        self._valid = np.empty(0, dtype=bool)

    def add(self, batch: TypedBatch) -> None:
        rows = pa.Table.from_batches([batch.columns])
        self._table = rows if self._table is None else pa.concat_tables([self._table, rows])
        self._numbers = np.concatenate([self._numbers, batch.row_numbers])
        self._valid = np.concatenate([self._valid, batch.valid])
        self.file_uri = batch.file_uri

    def full_frames(self) -> Iterator[FrameBatch]:
        """Frames of exactly ``batch_rows`` while enough rows are buffered."""
        while len(self._numbers) >= self._batch_rows:
            yield self._cut(self._batch_rows)

    def drain(self) -> Iterator[FrameBatch]:
        """All buffered rows, then an empty buffer."""
        yield from self.full_frames()
        if len(self._numbers):
            yield self._cut(len(self._numbers))
        self.file_uri = None
        self._table = None

    def _cut(self, rows: int) -> FrameBatch:
        assert self._table is not None and self.file_uri is not None
        frame = FrameBatch(
            file_uri=self.file_uri,
            frame=_to_frame(self._table.slice(0, rows)),
            row_numbers=self._numbers[:rows],
            valid=self._valid[:rows],
        )
        self._table = self._table.slice(rows)
        self._numbers, self._valid = self._numbers[rows:], self._valid[rows:]
        return frame


def _to_frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(len(frame))
    return frame


def _empty_columns(schema: DataSchema) -> pa.Table:
    return pa.table({name: pa.array([], type=output_type(schema, name)) for name in schema.names})
