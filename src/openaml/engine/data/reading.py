"""Streaming reads of data files into bounded-size blocks of raw columns, one reader per file format.

This module knows file formats, not schemas: a :class:`FormatReader` splits a file into records and
columns, numbers the records, and reports the records that cannot be split into the expected number of
fields. Typing and validation against a schema happen in :mod:`.validation`.

The format of a file is detected once when it is opened (:func:`openaml.engine.data.files.detect_format`)
and picks its reader from :data:`READERS`: :class:`~.csv_format.CsvReader` (plain or gzip) or
:class:`~.parquet_format.ParquetReader`. Callers use the reader's answers (``stores_column_names``,
``data_format``) rather than asking which format a file has. A new format is one reader class and one
entry in :data:`READERS`.

Record numbers count the records of a file from 1, the header included, blank lines excluded.

Memory is bounded by ``block_size`` (CSV bytes parsed at a time) and the derived Parquet batch size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from openaml.engine.data.batches import MalformedRow, RawBatch, check_columns
from openaml.engine.data.csv_format import MAX_HEADER_BYTES, MAX_REPORTED_TEXT, CsvReader
from openaml.engine.data.files import DataFile, FileFormat, detect_format, open_with_head
from openaml.engine.data.parquet_format import ParquetReader

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "MAX_HEADER_BYTES",
    "MAX_REPORTED_TEXT",
    "READERS",
    "FileLayout",
    "FormatReader",
    "MalformedRow",
    "RawBatch",
    "check_columns",
    "count_records",
    "format_reader",
    "inspect_file",
    "iter_raw_batches",
]

DEFAULT_BLOCK_SIZE = 4 << 20


class FormatReader(Protocol):
    """How files of one format are read; every method gets the file and a stream open at its start."""

    #: The data schema's ``dataFormat`` for files of this format.
    data_format: str
    #: Whether every file stores its column names (Parquet); else a first line may be a header (CSV).
    stores_column_names: bool

    def first_record(self, file: DataFile, stream: BinaryIO) -> list[str]:
        """The first record (a CSV header, if any) or the stored column names.

        Raises :class:`DataError` for an empty file, bytes that are not UTF-8 or a first line too long.
        """
        ...

    def iter_batches(
        self,
        file: DataFile,
        stream: BinaryIO,
        column_names: Sequence[str],
        *,
        has_header: bool,
        block_size: int,
    ) -> Iterator[RawBatch]:
        """The records as :class:`RawBatch` blocks whose columns are ``column_names`` (checked)."""
        ...

    def count_records(
        self,
        file: DataFile,
        stream: BinaryIO,
        column_names: Sequence[str],
        *,
        has_header: bool,
        block_size: int,
    ) -> int:
        """The number of data records, malformed ones included, as cheaply as the format allows."""
        ...


#: The reader of each file format.
READERS: dict[FileFormat, FormatReader] = {
    FileFormat.CSV: CsvReader(compressed=False),
    FileFormat.CSV_GZIP: CsvReader(compressed=True),
    FileFormat.PARQUET: ParquetReader(),
}


def format_reader(file_format: FileFormat) -> FormatReader:
    """The reader of files of ``file_format``."""
    return READERS[file_format]


@dataclass(frozen=True)
class FileLayout:
    """What the first look at a file tells: its format and its first record (the header, if any)."""

    format: FileFormat
    first_record: list[str]

    @property
    def reader(self) -> FormatReader:
        return format_reader(self.format)


def _open(file: DataFile) -> tuple[BinaryIO, FileFormat]:
    """``file`` opened at its start, and its format (from its name and first bytes)."""
    stream, head = open_with_head(file)
    return stream, detect_format(file, head)


def inspect_file(file: DataFile) -> FileLayout:
    """The format of ``file`` and its first record (CSV) or column names (Parquet).

    Raises :class:`DataError` for an empty file, bytes that are not UTF-8 or a first line too long.
    """
    stream, file_format = _open(file)
    with stream:
        return FileLayout(file_format, format_reader(file_format).first_record(file, stream))


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
    stream, file_format = _open(file)
    with stream:
        yield from format_reader(file_format).iter_batches(
            file, stream, column_names, has_header=has_header, block_size=block_size
        )


def count_records(file: DataFile, column_names: Sequence[str], *, has_header: bool, block_size: int) -> int:
    """The number of data records in ``file``, malformed ones included (a cheap pass for CSV)."""
    stream, file_format = _open(file)
    with stream:
        return format_reader(file_format).count_records(
            file, stream, column_names, has_header=has_header, block_size=block_size
        )
