"""The datasource pass and typed frames, on the real datasets and on crafted files."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openaml.engine.data.errors import DataError, IngestStopped
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import ingest as run_ingest
from openaml.engine.data.ingest import (
    iter_frames,
    numbers_as_float32,
    read_frame,
    read_table,
    resolve_schema,
    table_frame,
)
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema

MakeFile = Callable[..., DataFile]
XY_SCHEMA = DataSchema(
    attributes=(Attribute("x", AttributeType.NUMERIC), Attribute("y", AttributeType.BINARY)),
    target_attribute_name="y",
)

# Target, records and columns of the real datasets; their generated stand-ins have as many columns but
# (apart from titanic and penguins) fewer records.
DATASETS = {
    "har_train_sample.csv": ("activity", 1500, 562),
    "titanic.csv": ("survived", 891, 14),
    "caravan.csv": ("Purchase", 5822, 86),
    "sentiment_sentences.csv": ("sentiment", 3000, 3),
    "digits.csv": ("digit", 1797, 65),
    "penguins.csv": ("species", 344, 8),
    "wine_quality.csv": ("quality", 6497, 13),
    "bike_sharing_hourly.csv": ("cnt", 17379, 12),
    "diamonds.csv": ("price", 53940, 10),
    "skin_segmentation.csv": ("skin", 245057, 4),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_ingests_with_statistics(datasets_dir: Path, real_datasets: bool, name: str) -> None:
    target, rows, columns = DATASETS[name]
    file = DataFile.from_path(datasets_dir / name)
    reference = pd.read_csv(datasets_dir / name)
    if not real_datasets:
        rows = len(reference)

    report = run_ingest(
        [file], None, compute_statistics=True, require_target=True, target_attribute_name=target
    )

    assert (report.records_read, report.valid_records, report.invalid_records) == (rows, rows, 0)
    assert len(report.schema.attributes) == columns
    assert report.schema.target_attribute_name == target
    assert report.statistics is not None
    assert report.statistics["validRecords"] == rows
    assert report.number_of_files == 1 and report.data_size_bytes == file.size
    for entry in report.statistics["attributes"]:
        assert entry["missing"] == reference[entry["name"]].isna().sum(), entry["name"]


def test_dataset_types_match_the_documented_rules(datasets_dir: Path) -> None:
    files = [DataFile.from_path(datasets_dir / "titanic.csv")]

    schema = resolve_schema(files, None, target_attribute_name="survived")

    types = {a.name: a.type.value for a in schema.attributes}
    assert types == {
        "survived": "BINARY",
        "pclass": "NUMERIC",
        "sex": "CATEGORICAL",
        "age": "NUMERIC",
        "sibsp": "NUMERIC",
        "parch": "NUMERIC",
        "fare": "NUMERIC",
        "embarked": "CATEGORICAL",
        "class": "CATEGORICAL",
        "who": "CATEGORICAL",
        "adult_male": "BINARY",
        "deck": "CATEGORICAL",
        "embark_town": "CATEGORICAL",
        "alone": "BINARY",
    }


def test_files_of_a_prefix_in_several_formats(datasets_dir: Path, make_file: MakeFile) -> None:
    frame = pd.read_csv(datasets_dir / "penguins.csv")
    first, second, third = frame.iloc[:100], frame.iloc[100:200], frame.iloc[200:]
    parquet = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(third, preserve_index=False), parquet)
    files = [
        make_file(first.to_csv(index=False), uri="mem://p/part-0.csv"),
        make_file(gzip.compress(second.to_csv(index=False).encode()), uri="mem://p/part-1.csv.gz"),
        make_file(parquet.getvalue(), uri="mem://p/part-2.parquet"),
    ]

    report = run_ingest(
        files, None, compute_statistics=True, require_target=True, target_attribute_name="species"
    )

    assert (report.records_read, report.valid_records, report.number_of_files) == (344, 344, 3)
    assert report.statistics is not None
    species = report.statistics["target"]["distribution"]
    assert species[0] == {"value": "Adelie", "count": 152}


def test_header_mismatch_across_files_names_the_file(make_file: MakeFile) -> None:
    files = [
        make_file("a,b\n1,2\n", uri="mem://p/part-0.csv"),
        make_file("a,c\n1,2\n", uri="mem://p/part-1.csv"),
    ]

    with pytest.raises(DataError, match=r"part-1\.csv does not match .* column 2 is 'c' where 'b'"):
        run_ingest(files, None, compute_statistics=False, require_target=False)


def test_target_missing_from_the_header(make_file: MakeFile) -> None:
    schema = DataSchema(
        attributes=(Attribute("a", AttributeType.NUMERIC), Attribute("y", AttributeType.BINARY)),
        target_attribute_name="y",
    )

    with pytest.raises(
        DataError, match=r"target attribute 'y' is not in the header of mem://data/part-0\.csv"
    ):
        run_ingest([make_file("a,b\n1,2\n")], schema, compute_statistics=False, require_target=True)


def test_a_target_is_required_for_training_data(make_file: MakeFile) -> None:
    with pytest.raises(DataError, match="needs a target attribute"):
        run_ingest([make_file("a\n1\n")], None, compute_statistics=False, require_target=True)


def test_invalid_records_are_counted_and_the_first_ones_kept(make_file: MakeFile) -> None:
    rows = "\n".join(["x,y", *[f"{i},{i % 2}" for i in range(100)], "bad,1", "7,maybe", "8"]) + "\n"

    report = run_ingest(
        [make_file(rows)], XY_SCHEMA, compute_statistics=True, require_target=True, max_logged_invalid=2
    )

    assert (report.records_read, report.valid_records, report.invalid_records) == (103, 100, 3)
    assert [(r.row_number, r.attribute) for r in report.first_invalid_records] == [(102, "x"), (103, "y")]
    assert report.statistics is not None and report.statistics["invalidRecords"] == 3


def test_too_many_invalid_records_fail_with_the_first_reasons(make_file: MakeFile) -> None:
    rows = "x,y\n" + "1,0\n" * 10 + "".join(f"n{i},1\n" for i in range(20))

    with pytest.raises(DataError) as failure:
        run_ingest(
            [make_file(rows)], XY_SCHEMA, compute_statistics=False, require_target=True, max_invalid_records=5
        )

    message = failure.value.message
    assert message.startswith("More than 5 records are invalid (the limit)")
    assert "mem://data/part-0.csv row 12, attribute 'x': 'n0' is not a finite number" in message
    assert message.count("is not a finite number") == 5


def test_no_valid_record_fails(make_file: MakeFile) -> None:
    schema = DataSchema(attributes=(Attribute("x", AttributeType.NUMERIC),))

    with pytest.raises(
        DataError, match=r"No valid record remains: all 2 records are invalid\. First invalid"
    ):
        run_ingest([make_file("x\na\nb\n")], schema, compute_statistics=False, require_target=False)
    with pytest.raises(DataError, match="The data has no records"):
        run_ingest([make_file("x\n")], schema, compute_statistics=False, require_target=False)
    with pytest.raises(DataError, match="There are no data files"):
        run_ingest([], schema, compute_statistics=False, require_target=False)


def test_progress_and_stop(make_file: MakeFile) -> None:
    file = make_file("x\n" + "1\n" * 20_000)
    calls: list[tuple[int, int]] = []

    run_ingest(
        [file],
        None,
        compute_statistics=False,
        require_target=False,
        block_size=4096,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls[-1] == (file.size, file.size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    with pytest.raises(IngestStopped):
        run_ingest(
            [file],
            None,
            compute_statistics=False,
            require_target=False,
            block_size=4096,
            should_stop=lambda: True,
        )


def test_schema_target_is_filled_in_but_not_overridden(make_file: MakeFile) -> None:
    file = make_file("a,b\n1,0\n")
    schema = DataSchema(
        attributes=(Attribute("a", AttributeType.NUMERIC), Attribute("b", AttributeType.BINARY))
    )

    assert resolve_schema([file], schema, target_attribute_name="b").target_attribute_name == "b"
    with pytest.raises(DataError, match="use one"):
        resolve_schema(
            [file], DataSchema(schema.attributes, target_attribute_name="a"), target_attribute_name="b"
        )


def test_frames_follow_contract_two(make_file: MakeFile) -> None:
    schema = DataSchema(
        attributes=(
            Attribute("id", AttributeType.NUMERIC),
            Attribute("n", AttributeType.NUMERIC),
            Attribute("b", AttributeType.BINARY),
            Attribute("c", AttributeType.CATEGORICAL),
            Attribute("t", AttributeType.TEXT),
        ),
        row_id="id",
    )

    frame = read_frame(
        [make_file("id,n,b,c,t\n007,1.5,yes,x,hello world\n8,,no,,\n")], schema, require_target=False
    )

    assert frame["n"].dtype == np.float64 and frame["b"].dtype == np.float64
    assert frame["n"].isna().tolist() == [False, True]
    assert frame["b"].tolist() == [1.0, 0.0]
    assert frame["c"].iloc[0] == "x" and pd.isna(frame["c"].iloc[1])
    assert frame["t"].iloc[0] == "hello world"
    assert frame["id"].tolist() == ["007", "8"]


def test_frames_never_span_files_and_keep_invalid_rows_in_place(make_file: MakeFile) -> None:
    schema = DataSchema(
        attributes=(Attribute("k", AttributeType.CATEGORICAL), Attribute("v", AttributeType.NUMERIC)),
        row_id="k",
    )
    files = [
        make_file("k,v\n" + "".join(f"a{i},{i}\n" for i in range(5)) + "a5,x\n", uri="mem://p/a.csv"),
        make_file("k,v\n" + "".join(f"b{i},{i}\n" for i in range(3)), uri="mem://p/b.csv"),
    ]

    batches = list(iter_frames(files, schema, require_target=False, batch_rows=4, keep_invalid=True))

    assert [(b.file_uri, len(b.frame)) for b in batches] == [
        ("mem://p/a.csv", 4),
        ("mem://p/a.csv", 2),
        ("mem://p/b.csv", 3),
    ]
    assert batches[1].valid.tolist() == [True, False]
    assert batches[1].row_numbers.tolist() == [6, 7]
    assert batches[1].frame["k"].tolist()[0] == "a4" and pd.isna(batches[1].frame["v"].iloc[1])
    skipped = list(iter_frames(files, schema, require_target=False, batch_rows=4))
    assert [len(b.frame) for b in skipped] == [4, 1, 3]


def test_read_frame_of_an_empty_selection_has_typed_columns(make_file: MakeFile) -> None:
    schema = DataSchema(
        attributes=(Attribute("v", AttributeType.NUMERIC), Attribute("c", AttributeType.TEXT))
    )

    frame = read_frame([make_file("v,c\n1,a\n")], schema, Rearrangement(0, 0), require_target=False)

    assert list(frame.columns) == ["v", "c"] and len(frame) == 0
    assert frame["v"].dtype == np.float64


def test_read_table_is_the_typed_frame_compacted(make_file: MakeFile) -> None:
    schema = DataSchema(
        attributes=(
            Attribute("id", AttributeType.NUMERIC),
            Attribute("n", AttributeType.NUMERIC),
            Attribute("c", AttributeType.CATEGORICAL),
            Attribute("t", AttributeType.TEXT),
            Attribute("y", AttributeType.NUMERIC),
        ),
        row_id="id",
        target_attribute_name="y",
    )
    files = [
        make_file("id,n,c,t,y\n1,1.1,x,hello,0.1\n2,,y,,0.2\n", uri="mem://p/a.csv"),
        make_file("id,n,c,t,y\n3,2.5,x,bye,0.3\n4,3,,a b,\n", uri="mem://p/b.csv"),
    ]

    table = read_table(files, schema, require_target=True, block_size=16)
    frame = read_frame(files, schema, require_target=True)

    assert table.column_names == ["n", "c", "t", "y"]  # no rowId
    assert pa.types.is_dictionary(table.schema.field("c").type)
    pd.testing.assert_frame_equal(table_frame(table), frame.drop(columns="id"))
    lean = read_table(files, schema, require_target=True, float32=True)
    assert lean.schema.field("n").type == pa.float32() and lean.schema.field("y").type == pa.float64()
    assert numbers_as_float32(table, schema).schema.field("y").type == pa.float64()
    assert lean.column("n").to_pylist()[0] == pytest.approx(1.1) and lean.column("n")[1].as_py() is None
    empty = read_table(files, schema, Rearrangement(0, 0), require_target=True)
    assert empty.num_rows == 0 and empty.column_names == ["n", "c", "t", "y"]
