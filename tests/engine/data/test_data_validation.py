"""Typing and validating records: the NUMERIC and BINARY rules, record reports, kept invalid rows."""

from __future__ import annotations

import math
from collections.abc import Callable

import pyarrow as pa
import pytest

from openaml.engine.data.files import DataFile
from openaml.engine.data.reading import iter_raw_batches
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.data.validation import (
    TypedBatch,
    ValidationOptions,
    parse_binary,
    parse_numeric,
    validate_batch,
)

MakeFile = Callable[..., DataFile]
SCHEMA = DataSchema(
    attributes=(
        Attribute("id", AttributeType.NUMERIC),
        Attribute("amount", AttributeType.NUMERIC),
        Attribute("flag", AttributeType.BINARY),
        Attribute("note", AttributeType.TEXT),
    ),
    target_attribute_name="flag",
    row_id="id",
)


def validate(file: DataFile, schema: DataSchema = SCHEMA, **options: object) -> TypedBatch:
    (raw,) = list(iter_raw_batches(file, schema.names, has_header=True))
    return validate_batch(raw, schema, ValidationOptions(**options), first_index=0, report_limit=100)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42.0), ("-1.5", -1.5), (".5", 0.5), ("1e-3", 0.001), ("+7", 7.0), (" 3 ", 3.0), ("1.", 1.0)],
)
def test_numeric_values(text: str, value: float) -> None:
    values, invalid = parse_numeric(pa.array(["1", text]))

    assert values.to_pylist() == [1.0, value]
    assert not invalid.any()


@pytest.mark.parametrize("text", ["NA", "#N/A", "1,000", "nan", "inf", "-Infinity", "1e999", "0x10", "12abc"])
def test_invalid_numeric_values(text: str) -> None:
    values, invalid = parse_numeric(pa.array(["1", text, None]))

    assert values.to_pylist() == [1.0, None, None]
    assert invalid.tolist() == [False, True, False]


def test_whitespace_only_numeric_is_missing() -> None:
    values, invalid = parse_numeric(pa.array(["   ", "x"]))

    assert values.to_pylist() == [None, None]
    assert invalid.tolist() == [False, True]


def test_binary_literals_in_any_case_with_whitespace() -> None:
    texts = ["1", "y", "YES", "t", " True ", "0", "n", "No", "F", " FaLSe ", "2", "maybe", None, ""]

    values, invalid = parse_binary(pa.array(texts))

    assert values.to_pylist() == [1.0] * 5 + [0.0] * 5 + [None] * 4
    assert invalid.tolist() == [False] * 10 + [True, True, False, False]


def test_parquet_booleans_and_integers_are_binary() -> None:
    assert parse_binary(pa.array([True, False, None]))[0].to_pylist() == [1.0, 0.0, None]
    values, invalid = parse_binary(pa.array([0, 1, 2]))
    assert values.to_pylist() == [0.0, 1.0, None]
    assert invalid.tolist() == [False, False, True]


def test_parquet_numbers_nan_is_missing() -> None:
    values, invalid = parse_numeric(pa.array([1.0, math.nan, None, math.inf]))

    assert values.to_pylist() == [1.0, None, None, None]
    assert invalid.tolist() == [False, False, False, True]


def test_invalid_records_are_reported_with_row_numbers_and_reasons(make_file: MakeFile) -> None:
    file = make_file("id,amount,flag,note\nA-1,10,yes,ok\nA-2,ten,no,x\nA-3,3,perhaps,y\nA-4,4\nA-5,5,,z\n")

    batch = validate(file, require_target=True)

    assert batch.records == 5
    assert batch.invalid_records == 4
    assert [(r.row_number, r.attribute, r.value, r.reason) for r in batch.invalid_reports] == [
        (3, "amount", "ten", "not a finite number"),
        (4, "flag", "perhaps", "not a BINARY value (1, y, yes, t, true, 0, n, no, f, false)"),
        (5, None, "A-4,4", "expected 4 fields, found 2"),
        (6, "flag", None, "missing; the target is required"),
    ]
    assert batch.invalid_by_attribute == {"amount": 1, "flag": 2}
    assert batch.columns.to_pylist() == [{"id": "A-1", "amount": 10.0, "flag": 1.0, "note": "ok"}]
    assert batch.invalid_reports[0].describe() == (
        "mem://data/part-0.csv row 3, attribute 'amount': 'ten' is not a finite number"
    )


def test_missing_target_is_fine_when_not_required(make_file: MakeFile) -> None:
    batch = validate(make_file("id,amount,flag,note\n1,,,\n"), require_target=False)

    assert batch.invalid_records == 0
    assert batch.columns.to_pylist() == [{"id": "1", "amount": None, "flag": None, "note": None}]


def test_row_id_is_never_validated_and_stays_text(make_file: MakeFile) -> None:
    batch = validate(make_file("id,amount,flag,note\n007,1,1,a\nnot-a-number,2,0,b\n"))

    assert batch.invalid_records == 0
    assert batch.columns.column("id").to_pylist() == ["007", "not-a-number"]


def test_records_over_the_size_limit_are_invalid(make_file: MakeFile) -> None:
    file = make_file("id,amount,flag,note\n1,1,1," + "w" * 300 + "\n2,2,0,short\n")

    batch = validate(file, max_record_bytes=200)

    assert batch.invalid_records == 1
    (report,) = batch.invalid_reports
    assert report.row_number == 2
    assert report.reason == "too large: 306 bytes where at most 200 are allowed"


def test_keep_invalid_leaves_null_rows_in_place(make_file: MakeFile) -> None:
    file = make_file("id,amount,flag,note\nA,1,1,a\nB,x,0,b\nC,3\nD,4,0,d\n")

    batch = validate(file, keep_invalid=True)

    assert batch.row_numbers.tolist() == [2, 3, 4, 5]
    assert batch.valid.tolist() == [True, False, False, True]
    assert batch.columns.to_pylist() == [
        {"id": "A", "amount": 1.0, "flag": 1.0, "note": "a"},
        {"id": None, "amount": None, "flag": None, "note": None},
        {"id": None, "amount": None, "flag": None, "note": None},
        {"id": "D", "amount": 4.0, "flag": 0.0, "note": "d"},
    ]


def test_selection_skips_unselected_records_before_validation(make_file: MakeFile) -> None:
    (raw,) = list(iter_raw_batches(make_file("a\n1\nx\n3\n4\n"), ["a"], has_header=True))
    schema = DataSchema(attributes=(Attribute("a", AttributeType.NUMERIC),))

    batch = validate_batch(
        raw, schema, ValidationOptions(), first_index=10, select=lambda positions: positions % 2 == 0
    )

    assert batch.records == 2
    assert batch.columns.column("a").to_pylist() == [1.0, 3.0]
    assert batch.row_numbers.tolist() == [2, 4]
