"""The exact result file format, with a fake model whose scores are known: CSV text, quoting, Parquet."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from tests.engine.batch.support import FixedModel, MemoryOutputs

from openaml.engine.batch import BatchResult, OutputFormat, score_files
from openaml.engine.batch.scoring import UNSCORABLE_REASON
from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType

T = AttributeType
MODEL_SCHEMA = DataSchema(
    attributes=(Attribute("x", T.NUMERIC), Attribute("colour", T.CATEGORICAL), Attribute("y", T.BINARY)),
    target_attribute_name="y",
)
BATCH_SCHEMA = DataSchema(
    attributes=(Attribute("id", T.TEXT), Attribute("colour", T.CATEGORICAL), Attribute("x", T.NUMERIC)),
    row_id="id",
)


def memory_file(text: str, uri: str = "mem://in/data.csv") -> DataFile:
    data = text.encode("utf-8")
    return DataFile(uri=uri, size=len(data), open=lambda: io.BytesIO(data))


def run(
    text: str,
    model_type: ModelType,
    outputs: MemoryOutputs,
    *,
    classes: tuple[str, ...] | None = None,
    schema: DataSchema = BATCH_SCHEMA,
    **options: Any,
) -> BatchResult:
    return score_files(
        [memory_file(text)],
        schema,
        FixedModel(model_type, classes, "x"),
        MODEL_SCHEMA,
        model_type=model_type,
        classes=classes,
        score_threshold=0.5,
        open_output=outputs.open,
        output_name_for=lambda file: "result",
        **options,
    )


def test_binary_lines_are_exact_and_tags_are_quoted_only_when_csv_needs_it() -> None:
    text = (
        'id,colour,x\nplain,red,0.5\n"a,b",red,0.25\n"say ""hi""",blue,1e-7\n"two\nlines",red,1\n,red,0.75\n'
    )
    outputs = MemoryOutputs()

    run(text, ModelType.BINARY, outputs)

    assert outputs.text("result") == (
        'tag,bestAnswer,score\nplain,1,0.5\n"a,b",0,0.25\n"say ""hi""",0,1e-7\n"two\nlines",1,1\n,1,0.75\n'
    )
    frame = outputs.frame("result")
    assert frame["tag"].tolist()[:4] == ["plain", "a,b", 'say "hi"', "two\nlines"]
    assert pd.isna(frame["tag"].iloc[4]) and frame["score"].iloc[4] == 0.75


def test_unscorable_records_are_blank_lines_with_a_reason() -> None:
    outputs = MemoryOutputs()

    result = run("id,colour,x\na,red,0.5\nb,red,\nc,red,0.1\n", ModelType.REGRESSION, outputs)

    assert outputs.text("result") == "tag,score\na,0.5\n\nc,0.1\n"
    assert result.invalid_records == 1
    assert [(report.row_number, report.reason) for report in result.first_invalid_records] == [
        (3, UNSCORABLE_REASON)
    ]


def test_multiclass_header_quotes_class_labels() -> None:
    outputs = MemoryOutputs()
    classes = ("small, cheap", "big")

    run("id,colour,x\na,red,0.25\n", ModelType.MULTICLASS, outputs, classes=classes)

    assert outputs.text("result") == 'tag,"small, cheap",big\na,0.25,0.75\n'
    assert list(outputs.frame("result").columns) == ["tag", "small, cheap", "big"]


def test_parquet_output_has_the_same_columns_with_nulls_for_unscored_records() -> None:
    outputs = MemoryOutputs()
    text = "id,colour,x\na,red,0.75\nb,red,oops\nc,blue,0.25\n"

    result = run(text, ModelType.BINARY, outputs, output_format="parquet")
    again = MemoryOutputs()
    run(text, ModelType.BINARY, again, output_format=OutputFormat.PARQUET)

    table = pq.read_table(io.BytesIO(outputs.files["result"]))
    assert table.column_names == ["tag", "bestAnswer", "score"]
    assert table.to_pydict() == {
        "tag": ["a", None, "c"],  # the data engine keeps no value of an invalid record
        "bestAnswer": [1, None, 0],
        "score": [0.75, None, 0.25],
    }
    assert result.invalid_records == 1
    assert again.files == outputs.files


def test_the_row_id_cannot_be_a_model_input() -> None:
    attributes = (Attribute("colour", T.CATEGORICAL), Attribute("x", T.NUMERIC))
    schema = DataSchema(attributes=attributes, row_id="x")

    with pytest.raises(DataError, match="uses 'x' as its rowId, but the model uses it as an input"):
        run("colour,x\nred,1\n", ModelType.REGRESSION, MemoryOutputs(), schema=schema)


def test_two_inputs_may_not_share_a_result_file() -> None:
    files = [memory_file("id,colour,x\n", f"mem://{folder}/part.csv") for folder in ("a", "b")]

    with pytest.raises(DataError, match=r"would both write their results to out/part\.csv\.gz"):
        score_files(
            files,
            BATCH_SCHEMA,
            FixedModel(ModelType.REGRESSION, None, "x"),
            MODEL_SCHEMA,
            model_type=ModelType.REGRESSION,
            classes=None,
            score_threshold=0.5,
            open_output=MemoryOutputs().open,
            output_name_for=lambda file: "out/" + file.uri.rsplit("/", 1)[-1] + ".gz",
        )


def test_a_header_that_does_not_match_the_schema_fails_before_writing() -> None:
    outputs = MemoryOutputs()

    with pytest.raises(DataError, match="column 2 is 'x' where 'colour' was expected"):
        run("id,x,colour\na,1,red\n", ModelType.REGRESSION, outputs)
    assert outputs.files == {}


def test_scores_read_back_as_the_same_doubles() -> None:
    values = [0.1, 1 / 3, 2e-9, 123456.789, -0.0, 5e-324]
    text = "id,colour,x\n" + "".join(f"r{index},red,{value!r}\n" for index, value in enumerate(values))
    outputs = MemoryOutputs()

    run(text, ModelType.REGRESSION, outputs)

    assert outputs.frame("result")["score"].tolist() == values
