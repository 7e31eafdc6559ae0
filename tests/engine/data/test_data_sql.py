"""Snapshotting SQL query results to Parquet: SQLite always, the real PostgreSQL when reachable."""

from __future__ import annotations

import io
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import ingest
from openaml.engine.data.sql import snapshot_sql_query

MakeFile = Callable[..., DataFile]
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE orders (id INTEGER, amount REAL, country TEXT, note TEXT, paid INTEGER)"
        )
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            [(i, i * 1.5, ["FR", "DE"][i % 2], None if i < 3 else f"n{i}", i % 2) for i in range(25)],
        )
    return f"sqlite:///{path}"


def snapshot(url: str, query: str, batch_rows: int = 10) -> tuple[int, pa.Table]:
    sink = io.BytesIO()
    rows = snapshot_sql_query(url, query, sink, batch_rows=batch_rows)
    return rows, pq.read_table(io.BytesIO(sink.getvalue()))


def test_sqlite_query_is_snapshotted_in_chunks(sqlite_url: str) -> None:
    rows, table = snapshot(sqlite_url, "SELECT * FROM orders WHERE country LIKE 'F%' ORDER BY id")

    assert rows == 13
    assert table.schema.names == ["id", "amount", "country", "note", "paid"]
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("amount").type == pa.float64()
    assert table.schema.field("note").type == pa.string()  # no value in the first chunk
    assert table.column("note").to_pylist()[:3] == [None, None, "n4"]
    assert pq.ParquetFile(io.BytesIO(pq_bytes(table))).metadata.num_rows == 13


def pq_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_snapshot_becomes_a_datasource(sqlite_url: str, make_file: MakeFile) -> None:
    rows, table = snapshot(sqlite_url, "SELECT amount, country, paid FROM orders")
    file = make_file(pq_bytes(table), uri="mem://snapshots/ds-1.parquet")

    report = ingest([file], None, compute_statistics=True, require_target=True, target_attribute_name="paid")

    assert report.valid_records == rows == 25
    assert [a.type.value for a in report.schema.attributes] == ["NUMERIC", "CATEGORICAL", "BINARY"]


def test_empty_result_is_a_valid_empty_file(sqlite_url: str) -> None:
    rows, table = snapshot(sqlite_url, "SELECT id, country FROM orders WHERE id < 0")

    assert rows == 0
    assert table.num_rows == 0 and table.schema.names == ["id", "country"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("DELETE FROM orders", "must be a SELECT query"),
        ("SELECT nope FROM orders", "The SQL query failed: no such column: nope"),
        ("SELECT id, id FROM orders", "more than one column named 'id'"),
        ("WITH x AS (SELECT 1) DELETE FROM orders", "attempt to write a readonly database"),
    ],
)
def test_bad_queries_fail_clearly_and_change_nothing(sqlite_url: str, query: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        snapshot(sqlite_url, query)

    assert snapshot(sqlite_url, "SELECT COUNT(*) AS n FROM orders")[1].column("n").to_pylist() == [25]


@pytest.fixture()
def postgres_table() -> Iterator[tuple[str, str]]:
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    table = f"openaml_snapshot_{uuid.uuid4().hex[:10]}"
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"CREATE TABLE {table} (id int, price numeric(8, 2), label text, seen timestamptz, ref uuid)"
            )
            connection.exec_driver_sql(f"CREATE SEQUENCE {table}_seq")
            connection.exec_driver_sql(
                f"INSERT INTO {table} SELECT g, g * 1.25, 'l' || mod(g, 3), now(), gen_random_uuid() "
                "FROM generate_series(1, 120) AS g"
            )
    except sqlalchemy.exc.OperationalError as error:
        engine.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.__class__.__name__}")
    try:
        yield POSTGRES_URL, table
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            connection.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {table}_seq")
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_query_is_snapshotted(postgres_table: tuple[str, str]) -> None:
    url, table = postgres_table

    rows, snapshot_table = snapshot(
        url, f"SELECT * FROM {table} WHERE label LIKE 'l%' ORDER BY id", batch_rows=50
    )

    assert rows == 120
    assert snapshot_table.schema.field("price").type == pa.float64()
    assert snapshot_table.schema.field("ref").type == pa.string()
    assert snapshot_table.column("price").to_pylist()[:2] == [1.25, 2.5]


@pytest.mark.postgres
def test_postgresql_transaction_is_read_only(postgres_table: tuple[str, str]) -> None:
    url, table = postgres_table

    # nextval() is not undone by a rollback: only a read-only transaction stops it.
    with pytest.raises(DataError, match="read-only transaction"):
        snapshot(url, f"SELECT nextval('{table}_seq') AS n")

    assert snapshot(url, f"SELECT last_value, is_called FROM {table}_seq")[1].to_pylist() == [
        {"last_value": 1, "is_called": False}
    ]
