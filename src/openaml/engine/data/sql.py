"""Snapshotting a SQL query's result to Parquet, so a SQL datasource stays reproducible.

The query runs in a transaction that is made read-only where the database allows it (PostgreSQL
``SET TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``) and is always rolled back, so a
datasource can never change the database. Rows are fetched in chunks of ``batch_rows`` (a server-side
cursor where the driver has one) and written as Parquet row groups, so memory stays bounded.

Column types come from the first chunk's values: integers, floats, booleans, strings, dates and
times keep their types; ``DECIMAL``/``NUMERIC`` values become doubles; a column with no value in the
first chunk, and values of other kinds (UUIDs, JSON, arrays), are written as text.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Sequence
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy
from sqlalchemy.exc import SQLAlchemyError

from openaml.engine.data.errors import DataError

DEFAULT_SQL_BATCH_ROWS = 50_000
# The first keyword after blanks, comments and opening parentheses.
_QUERY_START = re.compile(r"^(?:\s+|--[^\n]*\n|/\*.*?\*/|\()*(?:select|with|values|table)\b", re.I | re.S)
_PLAIN_TYPES = (
    bool,
    int,
    float,
    str,
    bytes,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
)


def snapshot_sql_query(
    sqlalchemy_url: str, query: str, sink: BinaryIO, *, batch_rows: int = DEFAULT_SQL_BATCH_ROWS
) -> int:
    """Run ``query`` on the database at ``sqlalchemy_url`` and write its result to ``sink`` as Parquet.

    Returns the number of rows written. Raises :class:`DataError` when the query fails or its
    columns cannot be written (the message never includes the URL, which may hold a password).
    """
    if not _QUERY_START.match(query):
        raise DataError("The SQL query must be a SELECT query (or start with WITH, VALUES or TABLE).")
    engine = sqlalchemy.create_engine(sqlalchemy_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            _make_read_only(connection)
            result = connection.execution_options(
                stream_results=True, max_row_buffer=batch_rows, no_parameters=True
            ).exec_driver_sql(query)
            if not result.returns_rows:
                raise DataError("The SQL query returns no result set: it must be a SELECT query.")
            written = _write_parquet(list(result.keys()), result, sink, batch_rows)
            transaction.rollback()
            return written
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise DataError(f"The SQL query failed: {detail}") from None
    finally:
        engine.dispose()


def _make_read_only(connection: sqlalchemy.Connection) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")


def _write_parquet(
    names: list[str], result: sqlalchemy.CursorResult[Any], sink: BinaryIO, batch_rows: int
) -> int:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DataError(
            f"The SQL query returns more than one column named {duplicates[0]!r}; give the columns "
            "distinct names (SELECT a.id AS a_id, ...)."
        )
    writer: pq.ParquetWriter | None = None
    written = 0
    try:
        for rows in result.partitions(batch_rows):
            columns = list(zip(*rows, strict=True))
            if writer is None:
                schema = pa.schema(
                    [
                        pa.field(name, _column_type(values))
                        for name, values in zip(names, columns, strict=True)
                    ]
                )
                writer = pq.ParquetWriter(sink, schema)
            arrays = [
                _to_arrow(field.name, values, field.type)
                for field, values in zip(writer.schema, columns, strict=True)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=writer.schema))
            written += len(rows)
        if writer is None:
            schema = pa.schema([pa.field(name, pa.string()) for name in names])
            writer = pq.ParquetWriter(sink, schema)
            writer.write_table(schema.empty_table())
    finally:
        if writer is not None:
            writer.close()
    return written


def _column_type(values: Sequence[Any]) -> pa.DataType:
    """The Arrow type of a column from its first values (text when unknown)."""
    present = [value for value in values if value is not None]
    if not present:
        return pa.string()
    if all(
        isinstance(value, decimal.Decimal | float | int) and not isinstance(value, bool) for value in present
    ):
        if any(isinstance(value, decimal.Decimal | float) for value in present):
            return pa.float64()
        return pa.int64()
    if not all(isinstance(value, _PLAIN_TYPES) for value in present):
        return pa.string()
    try:
        return pa.array(present).type
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.string()


def _to_arrow(name: str, values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_string(kind):
        return pa.array([None if value is None else _as_text(value) for value in values], type=kind)
    if pa.types.is_floating(kind):
        values = [None if value is None else float(value) for value in values]
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        raise DataError(
            f"The SQL column {name!r} changes type within the result (first {kind}); cast it in the query."
        ) from None


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
