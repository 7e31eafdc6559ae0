"""Streaming reads of CSV and Parquet files into bounded-size blocks of raw columns.

This module knows file formats, not schemas: it splits files into records and columns, numbers the
records, and reports the records that cannot be split into the expected number of fields. Typing and
validation against a schema happen in :mod:`.validation`.

CSV follows RFC 4180: fields are separated by commas, a field may be quoted with double quotes
(``""`` inside quotes is one quote) and a quoted field may contain commas and line breaks. Files are
UTF-8, with or without a byte-order mark; blank lines are ignored. Every field is read as text and
only an empty field is missing: tokens such as ``NA`` or ``#N/A`` stay values, so that they are
reported as invalid where a number was expected instead of silently becoming missing.

Record numbers count the records of a file from 1, the header included, blank lines excluded: they
equal the line numbers a text editor shows as long as no field contains a line break.

Memory is bounded by ``block_size`` (CSV bytes parsed at a time) and the derived Parquet batch size;
a single CSV record larger than the block cannot be read and fails the file with a :class:`DataError`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile, FileFormat, detect_format, open_with_head, seekable

DEFAULT_BLOCK_SIZE = 4 << 20
_TEXT = pa.string()
#: Longest first line (header) read to learn the column names of a CSV file.
MAX_HEADER_BYTES = 1 << 20
#: How much of a malformed record's text is kept for the invalid-record log.
MAX_REPORTED_TEXT = 200


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record that does not have the expected number of fields."""

    row_number: int
    text: str
    reason: str


@dataclass
class RawBatch:
    """Consecutive records of one file, split into columns but not yet typed.

    ``columns`` has one column per expected name: ``string`` for CSV, the stored type for Parquet.
    ``malformed`` lists the malformed records numbered before the end of this batch (they are not in
    ``columns``); ``first_record_number`` is the number of the file's first data record, so a record's
    position among the data records of its file is ``row_number - first_record_number``.
    """

    file_uri: str
    columns: pa.RecordBatch
    row_numbers: npt.NDArray[np.int64]
    first_record_number: int
    bytes_done: int
    malformed: list[MalformedRow] = field(default_factory=list)


@dataclass(frozen=True)
class FileLayout:
    """What the first look at a file tells: its format and its first record (the header, if any)."""

    format: FileFormat
    first_record: list[str]


def inspect_file(file: DataFile) -> FileLayout:
    """The format of ``file`` and its first record (CSV) or column names (Parquet).

    Raises :class:`DataError` for an empty file, bytes that are not UTF-8 or a first line too long.
    """
    stream, head = open_with_head(file)
    file_format = detect_format(file, head)
    with stream:
        if file_format is FileFormat.PARQUET:
            return FileLayout(file_format, list(_open_parquet(file, stream).schema_arrow.names))
        if file_format is FileFormat.CSV_GZIP:
            with gzip.GzipFile(fileobj=stream) as unzipped:
                return FileLayout(file_format, _first_csv_record(file, _read_head(file, unzipped)))
        return FileLayout(file_format, _first_csv_record(file, _read_head(file, stream)))


def iter_raw_batches(
    file: DataFile,
    column_names: Sequence[str],
    *,
    has_header: bool,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> Iterator[RawBatch]:
    """Stream ``file`` as :class:`RawBatch` blocks whose columns are ``column_names``.

    A CSV header (or the Parquet column names) must equal ``column_names`` exactly; otherwise a
    :class:`DataError` names the file and the first differing column. ``has_header`` is ignored for
    Parquet, whose column names are always stored.
    """
    stream, head = open_with_head(file)
    with stream:
        file_format = detect_format(file, head)
        if file_format is FileFormat.PARQUET:
            yield from _iter_parquet(file, stream, column_names, block_size)
        else:
            yield from _iter_csv(file, stream, file_format, column_names, has_header, block_size)


def count_records(file: DataFile, column_names: Sequence[str], *, has_header: bool, block_size: int) -> int:
    """The number of data records in ``file``, malformed ones included (a cheap pass for CSV)."""
    stream, head = open_with_head(file)
    with stream:
        file_format = detect_format(file, head)
        if file_format is FileFormat.PARQUET:
            parquet = _open_parquet(file, stream)
            check_columns(file, list(parquet.schema_arrow.names), column_names)
            return int(parquet.metadata.num_rows)
        total = 0
        for batch in _iter_csv(
            file, stream, file_format, column_names, has_header, block_size, include=column_names[:1]
        ):
            total += batch.columns.num_rows + len(batch.malformed)
        return total


# --- CSV -------------------------------------------------------------------------------------------


def _read_head(file: DataFile, stream: IO[bytes] | gzip.GzipFile) -> str:
    raw = stream.read(MAX_HEADER_BYTES)
    if not raw:
        raise DataError(f"The file {file.uri} is empty.")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=len(raw) < MAX_HEADER_BYTES)
    except UnicodeDecodeError as error:
        raise DataError(
            f"The first line of {file.uri} contains bytes that are not UTF-8 "
            f"({raw[error.start : error.end + 8]!r}); save the file as UTF-8."
        ) from None
    if len(raw) == MAX_HEADER_BYTES:
        cut = text.rfind("\n")
        if cut < 0:
            raise DataError(f"The first line of {file.uri} is longer than {MAX_HEADER_BYTES:,} bytes.")
        text = text[: cut + 1]
    return text


def _first_csv_record(file: DataFile, text: str) -> list[str]:
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=False):
            if record:
                return record
    except csv.Error as error:
        raise DataError(f"The first line of {file.uri} is not valid CSV: {error}.") from None
    raise DataError(f"The file {file.uri} is empty: it has no header and no records.")


def _iter_csv(
    file: DataFile,
    stream: BinaryIO,
    file_format: FileFormat,
    column_names: Sequence[str],
    has_header: bool,
    block_size: int,
    include: Sequence[str] = (),
    column_type: pa.DataType = _TEXT,
) -> Iterator[RawBatch]:
    """Batches of a CSV file; ``column_type`` binary only serves to locate bytes that are not UTF-8."""
    pending: list[MalformedRow] = []

    def fail(error: pa.ArrowInvalid) -> DataError:
        if column_type == _TEXT and "UTF8" in str(error):
            return _locate_invalid_utf8(file, column_names, has_header, block_size)
        return _csv_error(file, error)

    def on_malformed(row: pa_csv.InvalidRow) -> str:
        pending.append(
            MalformedRow(
                row_number=-1 if row.number is None else int(row.number),
                text=row.text[:MAX_REPORTED_TEXT],
                reason=f"expected {row.expected_columns} fields, found {row.actual_columns}",
            )
        )
        return "skip"

    source: pa.NativeFile = pa.PythonFile(stream, mode="r")
    if file_format is FileFormat.CSV_GZIP:
        source = pa.CompressedInputStream(source, "gzip")
    try:
        reader = pa_csv.open_csv(
            source,
            read_options=pa_csv.ReadOptions(
                use_threads=False,  # the serial reader is the one that numbers malformed rows
                block_size=block_size,
                column_names=None if has_header else list(column_names),
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_malformed),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(column_names, column_type),
                include_columns=list(include) or None,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as error:
        raise fail(error) from None
    if has_header and not include:  # the counting pass reads one column and skips the check
        check_columns(file, list(reader.schema.names), column_names)

    first_record_number = 2 if has_header else 1
    next_number = first_record_number
    try:
        for batch in reader:
            numbers, malformed, next_number = _number_rows(next_number, batch.num_rows, pending)
            yield RawBatch(
                file_uri=file.uri,
                columns=batch,
                row_numbers=numbers,
                first_record_number=first_record_number,
                bytes_done=_position(stream, file.size),
                malformed=malformed,
            )
    except pa.ArrowInvalid as error:
        raise fail(error) from None
    if pending:
        yield RawBatch(
            file_uri=file.uri,
            columns=_empty_batch(include or column_names),
            row_numbers=np.empty(0, dtype=np.int64),
            first_record_number=first_record_number,
            bytes_done=file.size,
            malformed=list(pending),
        )


def _number_rows(
    start: int, count: int, pending: list[MalformedRow]
) -> tuple[npt.NDArray[np.int64], list[MalformedRow], int]:
    """Record numbers of ``count`` parsed rows starting at ``start``, skipping the malformed ones.

    Returns the numbers, the malformed rows that fall before the last parsed row (removed from
    ``pending``), and the next record number.
    """
    if not pending:
        return np.arange(start, start + count, dtype=np.int64), [], start + count
    skipped = {row.row_number for row in pending}
    candidates = np.arange(start, start + count + len(skipped), dtype=np.int64)
    numbers = candidates[~np.isin(candidates, list(skipped))][:count]
    end = int(numbers[-1]) + 1 if count else start
    emitted = [row for row in pending if row.row_number < end]
    pending[:] = [row for row in pending if row.row_number >= end]
    return numbers, emitted, end


def _locate_invalid_utf8(
    file: DataFile, column_names: Sequence[str], has_header: bool, block_size: int
) -> DataError:
    """Re-read ``file`` as bytes to name the first field that is not UTF-8 (only on this error path)."""
    stream, head = open_with_head(file)
    with stream:
        raw_batches = _iter_csv(
            file,
            stream,
            detect_format(file, head),
            column_names,
            has_header,
            block_size,
            column_type=pa.binary(),
        )
        for raw in raw_batches:
            for name, column in zip(raw.columns.schema.names, raw.columns.columns, strict=True):
                try:
                    column.cast(_TEXT)
                except pa.ArrowInvalid:
                    return _utf8_error(file, name, column, raw.row_numbers)
    return DataError(f"{file.uri} contains bytes that are not UTF-8; save the file as UTF-8.")


def _utf8_error(file: DataFile, name: str, column: pa.Array, numbers: npt.NDArray[np.int64]) -> DataError:
    for index, value in enumerate(column.to_pylist()):
        try:
            if value is not None:
                value.decode("utf-8")
        except UnicodeDecodeError as error:
            return DataError(
                f"Row {numbers[index]} of {file.uri}, column {name!r}, contains bytes that are not UTF-8 "
                f"({value[max(0, error.start - 8) : error.end + 8]!r}); save the file as UTF-8."
            )
    return DataError(f"Column {name!r} of {file.uri} contains bytes that are not UTF-8.")


def _csv_error(file: DataFile, error: pa.ArrowInvalid) -> DataError:
    text = str(error)
    if "straddling" in text or "block" in text:
        return DataError(
            f"{file.uri} contains a record too long to read (over the read block size); records may be "
            f"at most a few hundred KB. Check for an unbalanced double quote. ({text})"
        )
    if "Empty CSV file" in text:
        return DataError(f"The file {file.uri} is empty.")
    return DataError(f"{file.uri} is not a readable CSV file: {text}")


def _position(stream: BinaryIO, size: int) -> int:
    try:
        return min(stream.tell(), size)
    except (OSError, ValueError):
        return 0


# --- Parquet ---------------------------------------------------------------------------------------


def _open_parquet(file: DataFile, stream: BinaryIO) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(seekable(stream))
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{file.uri} is not a readable Parquet file: {error}") from None


def _iter_parquet(
    file: DataFile, stream: BinaryIO, column_names: Sequence[str], block_size: int
) -> Iterator[RawBatch]:
    parquet = _open_parquet(file, stream)
    check_columns(file, list(parquet.schema_arrow.names), column_names)
    total_rows = max(int(parquet.metadata.num_rows), 1)
    batch_rows = max(1_000, min(100_000, block_size // (16 * max(len(column_names), 1))))
    next_number = 1
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows, use_threads=False):
            numbers = np.arange(next_number, next_number + batch.num_rows, dtype=np.int64)
            next_number += batch.num_rows
            yield RawBatch(
                file_uri=file.uri,
                columns=_plain_parquet_columns(file, batch),
                row_numbers=numbers,
                first_record_number=1,
                bytes_done=file.size * (next_number - 1) // total_rows,
            )
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{file.uri} is not a readable Parquet file: {error}") from None


def _plain_parquet_columns(file: DataFile, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Parquet columns as numbers, booleans or strings (dictionaries, dates, binary become strings)."""
    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.dictionary_decode()
            kind = column.type
        if pa.types.is_nested(kind):
            raise DataError(
                f"Column {name!r} of {file.uri} has the nested type {kind}, which is not supported."
            )
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
            try:
                column = column.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise DataError(
                    f"Column {name!r} of {file.uri} has type {kind}, which cannot be read as text "
                    "(binary columns must hold UTF-8)."
                ) from None
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


# --- shared ----------------------------------------------------------------------------------------


def check_columns(file: DataFile, found: Sequence[str], expected: Sequence[str]) -> None:
    """Raise :class:`DataError` naming ``file`` and the first difference unless ``found == expected``."""
    if list(found) == list(expected):
        return
    for index, (got, wanted) in enumerate(zip(found, expected, strict=False)):
        if got != wanted:
            raise DataError(
                f"The header of {file.uri} does not match the expected columns: column {index + 1} is "
                f"{got!r} where {wanted!r} was expected. All files of a datasource must have the same "
                "columns, in the order of the schema's attributes."
            )
    raise DataError(
        f"The header of {file.uri} has {len(found)} columns where {len(expected)} were expected. All files "
        "of a datasource must have the same columns, in the order of the schema's attributes."
    )


def _empty_batch(names: Sequence[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=pa.string()) for _ in names], names=list(names))
