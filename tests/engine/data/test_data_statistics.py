"""Statistics: the contract's JSON shape and exact values on small hand-made data, and the sketches."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import ingest
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.data.sketches import (
    DistinctCounter,
    GrowingHistogram,
    HeavyHitters,
    Moments,
    RowSample,
    hash_floats,
    hash_strings,
)
from openaml.engine.data.statistics import QUANTILES, StatisticsAccumulator, StatisticsLimits

MakeFile = Callable[..., DataFile]

CSV = """id,age,color,flag,review,y
r1,10,red,yes,good good value,1
r2,20,blue,no,bad value,0
r3,,red,yes,good,1
r4,40,red,no,,0
r5,oops,green,yes,good again,1
r6,30,,t,fine,1
"""
SCHEMA = DataSchema(
    attributes=(
        Attribute("id", AttributeType.CATEGORICAL),
        Attribute("age", AttributeType.NUMERIC),
        Attribute("color", AttributeType.CATEGORICAL),
        Attribute("flag", AttributeType.BINARY),
        Attribute("review", AttributeType.TEXT),
        Attribute("y", AttributeType.BINARY),
    ),
    target_attribute_name="y",
    row_id="id",
)


@pytest.fixture()
def statistics(make_file: MakeFile) -> dict[str, Any]:
    report = ingest([make_file(CSV)], SCHEMA, compute_statistics=True, require_target=True)
    assert report.statistics is not None
    return report.statistics


def attribute(statistics: dict[str, Any], name: str) -> dict[str, Any]:
    return next(entry for entry in statistics["attributes"] if entry["name"] == name)


def test_summary_counts(statistics: dict[str, Any]) -> None:
    assert {key: statistics[key] for key in ("version", "recordsRead", "validRecords", "invalidRecords")} == {
        "version": 1,
        "recordsRead": 6,
        "validRecords": 5,
        "invalidRecords": 1,
    }
    assert statistics["targetAttributeName"] == "y"
    assert [entry["name"] for entry in statistics["attributes"]] == SCHEMA.names


def test_numeric_attribute(statistics: dict[str, Any]) -> None:
    age = attribute(statistics, "age")

    assert age["role"] == "input"
    assert (age["count"], age["missing"], age["invalid"], age["distinct"]) == (4, 1, 1, 4)
    numeric = age["numeric"]
    assert (numeric["min"], numeric["max"], numeric["mean"]) == (10.0, 40.0, 25.0)
    assert numeric["stddev"] == pytest.approx(np.std([10, 20, 40, 30], ddof=1))
    assert list(numeric["quantiles"]) == [str(q) for q in QUANTILES]
    assert numeric["quantiles"]["0.5"] == 25.0
    assert numeric["histogram"]["edges"][0] == 10.0
    assert numeric["histogram"]["edges"][-1] == 40.0
    assert sum(numeric["histogram"]["counts"]) == 4
    assert "topValues" not in age and "text" not in age


def test_categorical_and_binary_attributes(statistics: dict[str, Any]) -> None:
    color = attribute(statistics, "color")
    flag = attribute(statistics, "flag")

    assert (color["count"], color["missing"], color["distinct"]) == (4, 1, 2)
    assert color["topValues"] == [{"value": "red", "count": 3}, {"value": "blue", "count": 1}]
    assert flag["topValues"] == [{"value": "1", "count": 3}, {"value": "0", "count": 2}]
    assert flag["distinct"] == 2
    assert "numeric" not in color


def test_text_attribute(statistics: dict[str, Any]) -> None:
    review = attribute(statistics, "review")

    assert (review["count"], review["missing"], review["distinct"]) == (4, 1, 4)
    assert review["text"] == {
        "tokens": 7,
        "distinctTokens": 4,
        "tokensPerRecord": {"min": 1, "max": 3, "mean": 1.75},
        "tokenLength": {"min": 3, "max": 5},
        "topTokens": [
            {"token": "good", "count": 3, "records": 2},
            {"token": "value", "count": 2, "records": 2},
            {"token": "bad", "count": 1, "records": 1},
            {"token": "fine", "count": 1, "records": 1},
        ],
    }


def test_text_values_differing_only_in_whitespace_count_once(make_file: MakeFile) -> None:
    schema = DataSchema(attributes=(Attribute("t", AttributeType.TEXT),))
    rows = ["a b", " a  b ", "b a", "a\tb", '"a\nb"', "a"]

    report = ingest(
        [make_file("t\n" + "\n".join(rows) + "\n")], schema, compute_statistics=True, require_target=False
    )

    assert report.statistics is not None
    assert report.statistics["attributes"][0]["distinct"] == 3


def test_row_id_target_and_correlations(statistics: dict[str, Any]) -> None:
    row_id = attribute(statistics, "id")
    target = attribute(statistics, "y")

    assert row_id["role"] == "rowId"
    assert set(row_id) >= {"count", "distinct"} and "topValues" not in row_id
    assert row_id["correlationToTarget"] is None
    assert target["role"] == "target" and target["correlationToTarget"] is None
    flag = attribute(statistics, "flag")["correlationToTarget"]
    assert flag["measure"] == "mutualInformation"
    # flag equals the target on the valid records: MI = H(y) = H(3/5, 2/5) bits.
    assert flag["value"] == pytest.approx(-(0.6 * math.log2(0.6) + 0.4 * math.log2(0.4)))
    assert statistics["target"] == {
        "name": "y",
        "type": "BINARY",
        "distribution": [{"value": "1", "count": 3}, {"value": "0", "count": 2}],
    }


def test_no_target_means_no_correlations(make_file: MakeFile) -> None:
    schema = DataSchema(attributes=(Attribute("a", AttributeType.NUMERIC),))

    report = ingest([make_file("a\n1\n2\n")], schema, compute_statistics=True, require_target=False)

    assert report.statistics is not None
    assert report.statistics["target"] is None
    assert report.statistics["attributes"][0]["correlationToTarget"] is None


def test_numeric_target_distribution_and_every_type_pair(make_file: MakeFile) -> None:
    rows = [f"{i % 7},{['a', 'b', 'c'][i % 3]},{i % 2},word{i % 5} other,{(i % 7) * 2}" for i in range(300)]
    schema = DataSchema(
        attributes=(
            Attribute("n", AttributeType.NUMERIC),
            Attribute("c", AttributeType.CATEGORICAL),
            Attribute("b", AttributeType.BINARY),
            Attribute("t", AttributeType.TEXT),
            Attribute("y", AttributeType.NUMERIC),
        ),
        target_attribute_name="y",
    )

    report = ingest(
        [make_file("n,c,b,t,y\n" + "\n".join(rows))], schema, compute_statistics=True, require_target=True
    )

    assert report.statistics is not None
    correlations = {e["name"]: e["correlationToTarget"] for e in report.statistics["attributes"]}
    assert correlations["n"]["value"] > 1.0  # n determines y
    assert all(correlations[name]["value"] >= 0.0 for name in "cbt")
    target = report.statistics["target"]
    assert target["numeric"]["max"] == 12.0
    assert {entry["value"] for entry in target["distribution"]} == {"0", "2", "4", "6", "8", "10", "12"}


def test_limits_scale_with_the_number_of_attributes() -> None:
    wide = DataSchema(attributes=tuple(Attribute(f"a{i}", AttributeType.NUMERIC) for i in range(1000)))

    assert StatisticsLimits.for_schema(wide) == StatisticsLimits(sample_rows=1_000, distinct_capacity=2_000)
    assert StatisticsLimits.for_schema(SCHEMA) == StatisticsLimits()


def test_statistics_of_an_accumulator_without_records() -> None:
    result = StatisticsAccumulator(SCHEMA).result()

    assert result["recordsRead"] == 0
    assert attribute(result, "age")["numeric"]["min"] is None


# --- sketches --------------------------------------------------------------------------------------


def test_moments_merge_batches_exactly() -> None:
    values = np.random.default_rng(1).normal(5, 2, 10_001)
    moments = Moments()
    for part in np.array_split(values, 7):
        moments.add(part)

    assert moments.count == len(values)
    assert moments.mean == pytest.approx(values.mean())
    assert moments.stddev == pytest.approx(values.std(ddof=1))
    assert (moments.minimum, moments.maximum) == (values.min(), values.max())


def test_growing_histogram_keeps_exact_counts_while_its_range_doubles() -> None:
    histogram = GrowingHistogram(bins=64)
    batches = [np.array([5.0, 5.5, 6.0]), np.array([-100.0, 0.0]), np.array([1e4, 7.0])]
    for batch in batches:
        histogram.add(batch)

    result = histogram.result(-100.0, 1e4, max_bins=10)

    assert sum(result["counts"]) == 7
    assert len(result["counts"]) <= 10
    assert result["edges"][0] == -100.0 and result["edges"][-1] == 1e4
    assert result["counts"][-1] == 1


def test_constant_values_make_one_bin() -> None:
    histogram = GrowingHistogram()
    histogram.add(np.full(10, 3.0))

    assert histogram.result(3.0, 3.0) == {"edges": [3.0, 3.0], "counts": [10]}


def test_distinct_counter_is_exact_then_close() -> None:
    counter = DistinctCounter(capacity=1000)
    counter.add(hash_floats(np.arange(500, dtype=np.float64)))
    counter.add(hash_floats(np.arange(500, dtype=np.float64)))
    assert (counter.count, counter.is_exact) == (500, True)

    for start in range(0, 200_000, 50_000):
        counter.add(hash_floats(np.arange(start, start + 50_000, dtype=np.float64)))

    assert not counter.is_exact
    assert counter.count == pytest.approx(200_000, rel=0.03)


def test_string_hashes_identify_values() -> None:
    hashes = hash_strings(pa.array(["a", "b", "a", ""]))

    assert hashes[0] == hashes[2] and len(set(hashes.tolist())) == 3


def test_heavy_hitters_keep_frequent_values_when_bounded() -> None:
    counter = HeavyHitters(capacity=10)
    counter.add(["common"] * 1 + [f"rare{i}" for i in range(100)], [500] + [1] * 100)

    assert not counter.is_exact
    assert counter.most_common(1)[0][0] == "common"
    assert 400 <= counter.most_common(1)[0][1] <= 500


def test_row_sample_is_bounded_uniform_and_reproducible() -> None:
    def sample() -> list[int]:
        rows = RowSample(size=1000)
        for start in range(0, 100_000, 10_000):
            positions = np.arange(start, start + 10_000, dtype=np.int64)
            rows.add(pa.record_batch({"v": positions}), positions)
        table = rows.rows()
        assert table is not None
        return sorted(table.column("v").to_pylist())

    values = sample()

    assert len(values) == 1000
    assert values == sample()
    assert 40_000 < float(np.mean(values)) < 60_000
