"""Streaming CSV and Parquet reading: formats, quoting, encodings, record numbers, header checks."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile, FileFormat
from openaml.engine.data.reading import (
    READERS,
    MalformedRow,
    count_records,
    format_reader,
    inspect_file,
    iter_raw_batches,
)

MakeFile = Callable[..., DataFile]


@dataclass
class ReadResult:
    """Everything the batches of one file held, merged."""

    rows: list[dict[str, object]]
    row_numbers: list[int]
    malformed: list[MalformedRow]
    first_record_number: int


def read_all(
    file: DataFile, names: list[str], *, has_header: bool = True, block_size: int = 1 << 20
) -> ReadResult:
    batches = list(iter_raw_batches(file, names, has_header=has_header, block_size=block_size))
    return ReadResult(
        rows=[row for b in batches for row in b.columns.to_pylist()],
        row_numbers=[int(n) for b in batches for n in b.row_numbers],
        malformed=[row for b in batches for row in b.malformed],
        first_record_number=batches[0].first_record_number,
    )


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_rfc4180_quoting_and_embedded_newlines(make_file: MakeFile) -> None:
    file = make_file('name,note\r\n"Smith, J.","said ""hi""\nthen left"\r\nplain,\r\n')

    batch = read_all(file, ["name", "note"])

    assert batch.rows == [
        {"name": "Smith, J.", "note": 'said "hi"\nthen left'},
        {"name": "plain", "note": None},
    ]
    assert batch.row_numbers == [2, 3]


def test_only_empty_fields_are_missing(make_file: MakeFile) -> None:
    batch = read_all(make_file('a,b,c,d\nNA,#N/A,"",null\n'), ["a", "b", "c", "d"])

    assert batch.rows == [{"a": "NA", "b": "#N/A", "c": None, "d": "null"}]


def test_byte_order_mark_is_skipped(make_file: MakeFile) -> None:
    file = make_file(b"\xef\xbb\xbfx,y\n1,2\n")

    assert inspect_file(file).first_record == ["x", "y"]
    assert read_all(file, ["x", "y"]).rows == [{"x": "1", "y": "2"}]


@pytest.mark.parametrize("uri", ["mem://data/part.csv.gz", "mem://data/part.csv"])
def test_gzip_is_recognised_by_suffix_or_magic_bytes(make_file: MakeFile, uri: str) -> None:
    file = make_file(gzip.compress(b"x,y\n1,2\n3,4\n"), uri=uri)

    assert inspect_file(file).format is FileFormat.CSV_GZIP
    assert [row["y"] for row in read_all(file, ["x", "y"]).rows] == ["2", "4"]


@pytest.mark.parametrize("uri", ["mem://data/part.parquet", "mem://data/part-0000"])
def test_parquet_is_recognised_by_suffix_or_magic_bytes(make_file: MakeFile, uri: str) -> None:
    table = pa.table(
        {"x": [1.5, None], "label": pa.array(["a", "b"]).dictionary_encode(), "flag": [True, False]}
    )
    file = make_file(parquet_bytes(table), uri=uri)

    layout = inspect_file(file)
    batch = read_all(file, ["x", "label", "flag"])

    assert layout.format is FileFormat.PARQUET
    assert layout.first_record == ["x", "label", "flag"]
    assert batch.rows == [
        {"x": 1.5, "label": "a", "flag": True},
        {"x": None, "label": "b", "flag": False},
    ]
    assert batch.row_numbers == [1, 2]


def test_malformed_records_are_numbered_and_the_rest_keep_their_numbers(make_file: MakeFile) -> None:
    lines = ["a,b,c", "1,2,3", "4,5", "", '"x\ny",8,9', "7,8,9,10", *["1,1,1"] * 3000, "9,9"]
    file = make_file("\n".join(lines) + "\n")

    batch = read_all(file, ["a", "b", "c"], block_size=4096)

    assert [(row.row_number, row.text, row.reason) for row in batch.malformed] == [
        (3, "4,5", "expected 3 fields, found 2"),
        (5, "7,8,9,10", "expected 3 fields, found 4"),
        (3006, "9,9", "expected 3 fields, found 2"),
    ]
    assert batch.row_numbers[:3] == [2, 4, 6]
    assert batch.row_numbers[-1] == 3005
    assert count_records(file, ["a", "b", "c"], has_header=True, block_size=4096) == 3005


def test_headerless_files_number_records_from_one(make_file: MakeFile) -> None:
    batch = read_all(make_file("1,2\n3,4\n"), ["a", "b"], has_header=False)

    assert batch.row_numbers == [1, 2]
    assert batch.first_record_number == 1


def test_header_mismatch_names_the_file_and_the_column(make_file: MakeFile) -> None:
    file = make_file("a,B,c\n1,2,3\n", uri="mem://data/part-7.csv")

    with pytest.raises(DataError, match=r"part-7\.csv.*column 2 is 'B' where 'b' was expected"):
        list(iter_raw_batches(file, ["a", "b", "c"], has_header=True))
    with pytest.raises(DataError, match="has 3 columns where 2 were expected"):
        list(iter_raw_batches(file, ["a", "B"], has_header=True))


@pytest.mark.parametrize("content", [b"", b"\n\n"])
def test_an_empty_file_is_reported(make_file: MakeFile, content: bytes) -> None:
    with pytest.raises(DataError, match=r"mem://data/part-0\.csv is empty"):
        inspect_file(make_file(content))


@pytest.mark.parametrize("good_rows", [1, 5000])
def test_non_utf8_bytes_are_reported_with_row_and_column(make_file: MakeFile, good_rows: int) -> None:
    file = make_file(b"name,city\n" + b"ok,Paris\n" * good_rows + b"bad,Z\xfcrich\n")

    with pytest.raises(
        DataError, match=rf"Row {good_rows + 2} of mem://data/part-0\.csv, column 'city'.*not UTF-8"
    ):
        list(iter_raw_batches(file, ["name", "city"], has_header=True, block_size=4096))


def test_non_utf8_header_is_reported(make_file: MakeFile) -> None:
    with pytest.raises(DataError, match=r"first line .* not UTF-8"):
        inspect_file(make_file(b"n\xe4me,city\n1,2\n"))


def test_a_record_longer_than_the_block_fails_clearly(make_file: MakeFile) -> None:
    file = make_file("a,b\n" + "1," + "x" * 10_000 + "\n")

    with pytest.raises(DataError, match="record too long to read"):
        list(iter_raw_batches(file, ["a", "b"], has_header=True, block_size=1024))


def test_a_broken_parquet_file_is_reported(make_file: MakeFile) -> None:
    with pytest.raises(DataError, match="not a readable Parquet file"):
        inspect_file(make_file(b"PAR1 this is not parquet", uri="mem://x.parquet"))


def test_local_files_and_progress_bytes(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a\n" + "1\n" * 5000)
    file = DataFile.from_path(path)

    batches = list(iter_raw_batches(file, ["a"], has_header=True, block_size=1024))

    assert file.uri == path.resolve().as_uri()
    assert sum(b.columns.num_rows for b in batches) == 5000
    assert batches[-1].bytes_done == file.size


def test_every_format_has_a_reader_that_says_how_its_files_name_their_columns(make_file: MakeFile) -> None:
    csv_layout = inspect_file(make_file(gzip.compress(b"x,y\n1,2\n"), uri="mem://data/part.csv.gz"))
    parquet_layout = inspect_file(make_file(parquet_bytes(pa.table({"x": [1]})), uri="mem://data/p.parquet"))

    assert set(READERS) == set(FileFormat)
    assert format_reader(FileFormat.CSV_GZIP) is csv_layout.reader
    assert (csv_layout.reader.data_format, csv_layout.reader.stores_column_names) == ("CSV", False)
    assert (parquet_layout.reader.data_format, parquet_layout.reader.stores_column_names) == ("PARQUET", True)
