"""The time split by a column: the newest records by a date or a number, whatever the file order."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.data.time_split import write_time_split

SCHEMA = DataSchema(
    attributes=(
        Attribute("when", AttributeType.CATEGORICAL),
        Attribute("n", AttributeType.NUMERIC),
        Attribute("y", AttributeType.BINARY),
    ),
    target_attribute_name="y",
)


def _files(tmp_path: Path, *contents: str) -> list[DataFile]:
    files = []
    for number, text in enumerate(contents):
        path = tmp_path / f"part-{number}.csv"
        path.write_text("when,n,y\n" + text)
        files.append(DataFile.from_path(path))
    return files


def _part(files: list[DataFile], attribute: str, percent: float, part: str) -> list[dict[str, str]]:
    sink = io.BytesIO()
    write_time_split(files, SCHEMA, attribute, percent, part, sink)  # type: ignore[arg-type]
    return pq.read_table(io.BytesIO(sink.getvalue())).to_pylist()  # type: ignore[no-any-return]


def test_the_holdout_is_the_newest_records_by_date_not_by_file_order(tmp_path: Path) -> None:
    files = _files(
        tmp_path,
        "2026-03-01,1,1\n2026-04-01,2,0\n2026-01-15,3,1\n",
        "2026-02-01,4,0\n,5,1\nnot a date,6,0\n2026-01-01T10:00:00+02:00,7,1\n2026-05-01,8,0\n",
    )
    holdout = _part(files, "when", 25, "holdout")
    training = _part(files, "when", 25, "training")
    assert [r["when"] for r in holdout] == ["2026-04-01", "2026-05-01"]  # round(8 x 25 %) = 2
    assert len(training) == 6 and {"", "not a date"} <= {r["when"] or "" for r in training}
    assert {r["n"] for r in holdout} | {r["n"] for r in training} == {str(i) for i in range(1, 9)}


def test_a_numeric_attribute_splits_by_number_with_ties_in_the_holdout(tmp_path: Path) -> None:
    files = _files(tmp_path, "x,10,1\nx,2,0\nx,10,1\n", "x,3,0\nx,1,1\n")
    assert sorted(r["n"] for r in _part(files, "n", 20, "holdout")) == ["10", "10"]
    assert sorted(r["n"] for r in _part(files, "n", 20, "training")) == ["1", "2", "3"]


def test_a_column_without_dates_fails_with_a_message(tmp_path: Path) -> None:
    files = _files(tmp_path, "soon,1,1\nlater,2,0\n")
    with pytest.raises(DataError, match="No record has a date in the column 'when'"):
        _part(files, "when", 50, "holdout")
