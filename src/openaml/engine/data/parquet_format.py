"""Reading Parquet files as streams of raw columns: numbers, booleans and text, in their stored types.

Parquet needs random access: a stream that cannot seek (an S3 object read sequentially) is first
copied to a temporary file. Batches hold a number of rows derived from the block size and the column
count, so memory stays bounded like the CSV reader's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from openaml.engine.data.batches import RawBatch, check_columns
from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile, seekable


class ParquetReader:
    """Parquet files: column names are always stored (``has_header`` is ignored); records count from 1."""

    data_format = "PARQUET"
    stores_column_names = True

    def first_record(self, file: DataFile, stream: BinaryIO) -> list[str]:
        """The stored column names."""
        return list(_open_parquet(file, stream).schema_arrow.names)

    def iter_batches(
        self,
        file: DataFile,
        stream: BinaryIO,
        column_names: Sequence[str],
        *,
        has_header: bool,
        block_size: int,
    ) -> Iterator[RawBatch]:
        return _iter_parquet(file, stream, column_names, block_size)

    def count_records(
        self,
        file: DataFile,
        stream: BinaryIO,
        column_names: Sequence[str],
        *,
        has_header: bool,
        block_size: int,
    ) -> int:
        """The row count from the file's metadata, once its columns are checked."""
        parquet = _open_parquet(file, stream)
        check_columns(file, list(parquet.schema_arrow.names), column_names)
        return int(parquet.metadata.num_rows)


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
