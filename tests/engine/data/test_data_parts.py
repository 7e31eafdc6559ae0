"""The datasource pass split by file (as Dask workers run it) gives what one pass gives."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import frame_from_tables, ingest, read_frame
from openaml.engine.data.parts import (
    IngestLimits,
    count_part_records,
    ingest_part,
    merge_ingest,
    needs_positions,
    plan_parts,
    read_part,
)
from openaml.engine.data.rearrangement import Rearrangement, parse_data_rearrangement
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.data.sketches import DistinctCounter, GrowingHistogram, HeavyHitters, Moments, mix64
from openaml.engine.data.validation import ValidationOptions

MakeFile = Callable[..., DataFile]
SCHEMA = DataSchema(
    attributes=(
        Attribute("id", AttributeType.CATEGORICAL),
        Attribute("x", AttributeType.NUMERIC),
        Attribute("city", AttributeType.CATEGORICAL),
        Attribute("flag", AttributeType.BINARY),
        Attribute("note", AttributeType.TEXT),
        Attribute("y", AttributeType.BINARY),
    ),
    target_attribute_name="y",
    row_id="id",
)


def _files(make_file: MakeFile, parts: int = 3, rows: int = 300) -> list[DataFile]:
    rng = np.random.default_rng(7)
    files = []
    for part in range(parts):
        lines = ["id,x,city,flag,note,y"]
        for row in range(rows):
            x = "" if row % 17 == 0 else f"{rng.normal(part * 3, 2):.4f}"
            x = "oops" if row % 101 == 5 else x  # an invalid record now and then
            city = ["Paris", "Lyon", "Nice", "Lille"][int(rng.integers(4))]
            note = " ".join(["good", "bad", "fine", "slow"][int(i)] for i in rng.integers(4, size=3))
            lines.append(f"r{part}-{row},{x},{city},{row % 2},{note},{int(rng.integers(2))}")
        files.append(make_file("\n".join(lines) + "\n", uri=f"mem://data/part-{part}.csv"))
    return files


LIMITS = IngestLimits(
    compute_statistics=True,
    require_target=False,
    max_invalid_records=1000,
    max_logged_invalid=1000,
    max_record_bytes=100_000,
)


def _by_parts(files: list[DataFile], rearrangement: Rearrangement | None = None) -> Any:
    counts = [count_part_records(file, SCHEMA) for file in files] if needs_positions(rearrangement) else None
    parts = plan_parts(files, counts, rearrangement)
    results = [ingest_part(part, SCHEMA, rearrangement, LIMITS) for part in parts]
    return merge_ingest(results, files, SCHEMA, rearrangement, LIMITS)


def _one_pass(files: list[DataFile], rearrangement: Rearrangement | None = None) -> Any:
    return ingest(files, SCHEMA, rearrangement, compute_statistics=True, require_target=False)


def _attributes(statistics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in statistics["attributes"]}


def test_statistics_merged_from_files_match_one_pass(make_file: MakeFile) -> None:
    files = _files(make_file)
    merged, single = _by_parts(files), _one_pass(files)
    assert (merged.records_read, merged.valid_records, merged.invalid_records) == (
        single.records_read,
        single.valid_records,
        single.invalid_records,
    )
    assert [r.row_number for r in merged.first_invalid_records] == [
        r.row_number for r in single.first_invalid_records
    ]
    ours, theirs = _attributes(merged.statistics), _attributes(single.statistics)
    for name in ("id", "city", "flag", "note", "y"):
        assert ours[name] == theirs[name], name
    x, expected = ours["x"], theirs["x"]
    for key in ("count", "missing", "invalid", "distinct"):
        assert x[key] == expected[key]
    for key in ("min", "max", "mean", "stddev"):
        assert math.isclose(x["numeric"][key], expected["numeric"][key], rel_tol=1e-9)
    assert x["numeric"]["quantiles"] == expected["numeric"]["quantiles"]  # the sample holds every record
    assert sum(x["numeric"]["histogram"]["counts"]) == sum(expected["numeric"]["histogram"]["counts"])
    assert x["correlationToTarget"]["value"] == pytest.approx(expected["correlationToTarget"]["value"])
    assert merged.statistics["target"] == single.statistics["target"]


@pytest.mark.parametrize(
    "splitting",
    [
        '{"percentBegin": 20, "percentEnd": 70}',
        '{"percentBegin": 0, "percentEnd": 40, "strategy": "random", "randomSeed": "s"}',
    ],
)
def test_rearranged_parts_select_the_records_of_one_pass(make_file: MakeFile, splitting: str) -> None:
    files = _files(make_file)
    rearrangement = parse_data_rearrangement('{"splitting": ' + splitting + "}")
    merged, single = _by_parts(files, rearrangement), _one_pass(files, rearrangement)
    assert (merged.records_read, merged.valid_records) == (single.records_read, single.valid_records)
    assert _attributes(merged.statistics)["id"] == _attributes(single.statistics)["id"]


def test_frames_read_in_parts_equal_one_read(make_file: MakeFile) -> None:
    files = _files(make_file)
    options = ValidationOptions(require_target=True)
    tables = [read_part(part, SCHEMA, None, options) for part in plan_parts(files, None, None)]
    frame = frame_from_tables(tables, SCHEMA)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(frame, read_frame(files, SCHEMA, require_target=True))


def test_a_part_returns_its_data_error(make_file: MakeFile) -> None:
    bad = make_file("id,x,city\nr1,1,Paris\n", uri="mem://data/bad.csv")
    result = ingest_part(plan_parts([bad], None, None)[0], SCHEMA, None, LIMITS)
    assert result.error is not None and "bad.csv" in result.error
    with pytest.raises(DataError, match=r"bad\.csv"):
        merge_ingest([result], [bad], SCHEMA, None, LIMITS)


def test_sketches_merge_like_one_stream() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 5000), rng.normal(10, 3, 7000)
    moments, left, right = Moments(), Moments(), Moments()
    moments.add(np.concatenate([a, b]))
    left.add(a)
    right.add(b)
    left.merge(right)
    assert (left.count, left.minimum, left.maximum) == (moments.count, moments.minimum, moments.maximum)
    assert left.mean == pytest.approx(moments.mean) and left.stddev == pytest.approx(moments.stddev)

    histogram, other = GrowingHistogram(), GrowingHistogram()
    histogram.add(a)
    other.add(b)
    histogram.merge(other)
    result = histogram.result(left.minimum, left.maximum)
    assert sum(result["counts"]) == 12_000

    many, few = DistinctCounter(100), DistinctCounter(100)
    many.add(mix64(np.arange(5000, dtype=np.uint64)))
    few.add(mix64(np.arange(5000, 5010, dtype=np.uint64)))
    few.merge(many)
    assert not few.is_exact and few.count == pytest.approx(5010, rel=0.05)

    top, more = HeavyHitters(10), HeavyHitters(10)
    top.add(["a", "b"], [5, 1])
    more.add(["a", "c"], [2, 3])
    top.merge(more)
    assert top.most_common(2) == [("a", 7), ("c", 3)] and top.is_exact
