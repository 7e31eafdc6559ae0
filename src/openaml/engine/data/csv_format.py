"""Reading CSV files (plain or gzip-compressed) as streams of raw text columns.

CSV follows RFC 4180: fields are separated by commas, a field may be quoted with double quotes
(``""`` inside quotes is one quote) and a quoted field may contain commas and line breaks. Files are
UTF-8, with or without a byte-order mark; blank lines are ignored. Every field is read as text and
only an empty field is missing: tokens such as ``NA`` or ``#N/A`` stay values, so that they are
reported as invalid where a number was expected instead of silently becoming missing.

Record numbers count the records of a file from 1, the header included, blank lines excluded: they
equal the line numbers a text editor shows as long as no field contains a line break.

A single record larger than the read block cannot be read and fails the file with a
:class:`DataError`. pyarrow's streaming reader parses the file one block at a time, so memory is bounded
by the block size.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from typing import IO, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

from openaml.engine.data.batches import MalformedRow, RawBatch, check_columns, empty_batch
from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile

_TEXT = pa.string()
#: Longest first line (header) read to learn the column names of a CSV file.
MAX_HEADER_BYTES = 1 << 20
#: How much of a malformed record's text is kept for the invalid-record log.
MAX_REPORTED_TEXT = 200


class CsvReader:
    """CSV files, gzip-decompressed when ``compressed``: the header is optional, every field is text."""

    data_format = "CSV"
    stores_column_names = False

    def __init__(self, *, compressed: bool) -> None:
        self.compressed = compressed

    def first_record(self, file: DataFile, stream: BinaryIO) -> list[str]:
        """The first record of the file: its header, if it has one."""
        if self.compressed:
            with gzip.GzipFile(fileobj=stream) as unzipped:
                return _first_csv_record(file, _read_head(file, unzipped))
        return _first_csv_record(file, _read_head(file, stream))

    def iter_batches(
        self,
        file: DataFile,
        stream: BinaryIO,
        column_names: Sequence[str],
        *,
        has_header: bool,
        block_size: int,
    ) -> Iterator[RawBatch]:
        return self._iter_csv(file, stream, column_names, has_header, block_size)

    def count_records(
        self,
        file: DataFile,
        stream: BinaryIO,
        column_names: Sequence[str],
        *,
        has_header: bool,
        block_size: int,
    ) -> int:
        """A cheap pass: only the first column is converted."""
        total = 0
        for batch in self._iter_csv(
            file, stream, column_names, has_header, block_size, include=column_names[:1]
        ):
            total += batch.columns.num_rows + len(batch.malformed)
        return total

    def _iter_csv(
        self,
        file: DataFile,
        stream: BinaryIO,
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
                return self._locate_invalid_utf8(file, column_names, has_header, block_size)
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
        if self.compressed:
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
                columns=empty_batch(include or column_names),
                row_numbers=np.empty(0, dtype=np.int64),
                first_record_number=first_record_number,
                bytes_done=file.size,
                malformed=list(pending),
            )

    def _locate_invalid_utf8(
        self, file: DataFile, column_names: Sequence[str], has_header: bool, block_size: int
    ) -> DataError:
        """Re-read ``file`` as bytes to name the first field that is not UTF-8 (only on this error path)."""
        with file.open() as stream:
            raw_batches = self._iter_csv(
                file,
                stream,
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
