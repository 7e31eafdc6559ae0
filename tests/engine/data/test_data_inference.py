"""Schema inference: header detection, the type rules in their documented order, roles."""

from __future__ import annotations

import io
from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import generated_names, infer_schema, infer_type, looks_like_header
from openaml.engine.data.schema import AttributeType

MakeFile = Callable[..., DataFile]
B, C, N, T = AttributeType.BINARY, AttributeType.CATEGORICAL, AttributeType.NUMERIC, AttributeType.TEXT


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([None, "", "  "], C),
        (["yes", "No", " TRUE ", "f", None], B),
        (["0", "1", "1"], B),
        (["1", "1"], B),
        (["1", "2", "3.5", "-1e3", None], N),
        (["17", "3", "120000"], N),
        (["02134", "10001", "90210"], C),
        (["007", "12"], C),
        (["New York", "Paris", "San Jose"], C),
        (["2011-01-01", "2011-01-02"], C),
        (["1", "2", "NA"], C),
        (["a great product", "would not buy it again", "ok I guess"], T),
    ],
)
def test_type_rules(values: list[str | None], expected: AttributeType) -> None:
    assert infer_type(pa.array(values, type=pa.string())) is expected


@pytest.mark.parametrize(
    ("fields", "is_header"),
    [
        (["age", "income", "y"], True),
        (["1", "2", "3"], False),
        (["age", "17", "y"], False),
        (["age", "", "y"], False),
        (["age", "age"], False),
        (["red", "small", "yes"], True),
    ],
)
def test_header_detection(fields: list[str], is_header: bool) -> None:
    assert looks_like_header(fields) is is_header


def test_generated_names_are_zero_padded() -> None:
    assert generated_names(3) == ["Var01", "Var02", "Var03"]
    assert generated_names(120)[-1] == "Var120"


def test_inferred_schema_with_target_and_row_id(make_file: MakeFile) -> None:
    rows = [
        f"{i},{20 + i % 50},{('Oslo', 'Rome')[i % 2]},a fine stay number {i},{('no', 'yes')[i % 3 > 0]}"
        for i in range(200)
    ]
    file = make_file("id,age,city,review,churned\n" + "\n".join(rows) + "\n")

    schema = infer_schema([file], target_attribute_name="churned", row_id="id")

    assert [(a.name, a.type) for a in schema.attributes] == [
        ("id", N),
        ("age", N),
        ("city", C),
        ("review", T),
        ("churned", B),
    ]
    assert schema.target_attribute_name == "churned"
    assert schema.row_id == "id"
    assert schema.data_file_contains_header


def test_target_is_never_guessed(make_file: MakeFile) -> None:
    assert infer_schema([make_file("x,y\n1,0\n")]).target_attribute_name is None


def test_a_text_target_becomes_categorical(make_file: MakeFile) -> None:
    file = make_file("x,label\n1,a long free text label\n2,another long label here\n")

    assert infer_schema([file], target_attribute_name="label").attribute("label").type is C


def test_headerless_file_gets_generated_names(make_file: MakeFile) -> None:
    schema = infer_schema([make_file("1,2.5,a\n2,3.5,b\n")])

    assert schema.names == ["Var01", "Var02", "Var03"]
    assert not schema.data_file_contains_header
    assert [a.type for a in schema.attributes] == [N, N, C]


def test_header_can_be_forced(make_file: MakeFile) -> None:
    schema = infer_schema([make_file("red,small\nblue,large\n")], data_file_contains_header=False)

    assert schema.names == ["Var01", "Var02"]


def test_unknown_target_or_row_id_names_the_columns(make_file: MakeFile) -> None:
    file = make_file("a,b\n1,2\n")

    with pytest.raises(
        DataError, match=r"The target 'y' is not a column of mem://data/part-0\.csv.*'a', 'b'"
    ):
        infer_schema([file], target_attribute_name="y")
    with pytest.raises(DataError, match="The rowId 'key'"):
        infer_schema([file], row_id="key")


def test_parquet_columns_follow_the_same_rules(make_file: MakeFile) -> None:
    table = pa.table({"n": [1.5, float("nan"), 2.0], "flag": [True, False, None], "code": ["01", "02", "03"]})
    sink = io.BytesIO()
    pq.write_table(table, sink)

    schema = infer_schema([make_file(sink.getvalue(), uri="mem://d/data.parquet")])

    assert [a.type for a in schema.attributes] == [N, B, C]
    assert schema.data_format == "PARQUET"


def test_the_sample_is_bounded(make_file: MakeFile) -> None:
    file = make_file("v\n" + "1\n" * 100 + "word\n")

    assert infer_schema([file], sample_rows=100).attribute("v").type is B
    assert infer_schema([file], sample_rows=101).attribute("v").type is C
