"""Drift reports on the statistics path: a shifted column is flagged, an unchanged one is not, at 1M rows.

Each side is a 1,000,000-row Parquet datasource read by the ingest pass with statistics; the report
compares the bounded record samples the statistics keep (as drift reports of datasources do).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import ingest
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.drift.measures import jensen_shannon, normalised_wasserstein, population_stability_index
from openaml.engine.drift.report import PredictionSample, compare_frames, compare_predictions
from openaml.engine.models import ModelType

ROWS = 1_000_000
SCHEMA = DataSchema(
    attributes=(
        Attribute("steady", AttributeType.NUMERIC),
        Attribute("shifted", AttributeType.NUMERIC),
        Attribute("city", AttributeType.CATEGORICAL),
        Attribute("mix", AttributeType.CATEGORICAL),
        Attribute("flag", AttributeType.BINARY),
    ),
    data_format="PARQUET",
)


def _parquet(seed: int, *, shift: float, mix: tuple[float, float, float]) -> DataFile:
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "steady": rng.normal(50.0, 10.0, ROWS),
            "shifted": rng.normal(100.0 + shift, 15.0, ROWS),
            "city": rng.choice(np.array(["paris", "lyon", "nice", "lille"]), ROWS),
            "mix": rng.choice(np.array(["a", "b", "c"]), ROWS, p=list(mix)),
            "flag": rng.integers(0, 2, ROWS).astype(np.float64),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    data = sink.getvalue()
    return DataFile(uri=f"mem://drift/{seed}.parquet", size=len(data), open=lambda: io.BytesIO(data))


def _sample(file: DataFile) -> Any:
    report = ingest([file], SCHEMA, compute_statistics=True, require_target=False)
    assert report.statistics is not None and report.sample is not None
    shifted = next(a for a in report.statistics["attributes"] if a["name"] == "shifted")
    assert len(shifted["numeric"]["quantileEdges"]) == 11
    assert report.statistics["sampleRows"] == report.sample.num_rows <= 50_000
    return report.sample.to_pandas()


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    baseline = _sample(_parquet(1, shift=0.0, mix=(0.5, 0.3, 0.2)))
    current = _sample(_parquet(2, shift=15.0, mix=(0.2, 0.3, 0.5)))
    return compare_frames(SCHEMA, baseline, current)


def test_a_shifted_column_drifts_and_an_unchanged_one_does_not_at_1m_rows(report: dict[str, Any]) -> None:
    by_name = {a["name"]: a for a in report["attributes"]}
    assert by_name["shifted"]["method"] == "psi" and by_name["shifted"]["drifted"]
    assert by_name["shifted"]["score"] > 0.25 and by_name["shifted"]["wasserstein"] > 0.8
    assert by_name["mix"]["method"] == "jensenShannon" and by_name["mix"]["drifted"]
    for name in ("steady", "city", "flag"):
        assert not by_name[name]["drifted"], by_name[name]
        assert by_name[name]["level"] == "ok"
    assert by_name["steady"]["score"] < 0.01 and by_name["steady"]["wasserstein"] < 0.05
    assert report["comparedAttributes"] == 5 and report["driftedAttributes"] == 2
    assert report["driftedShare"] == pytest.approx(0.4)


def test_every_entry_has_method_score_threshold_and_histograms(report: dict[str, Any]) -> None:
    for entry in report["attributes"]:
        assert {"method", "score", "threshold", "drifted", "missing"} <= set(entry)
        if entry["type"] == "NUMERIC":
            histogram = entry["histogram"]
            assert len(histogram["edges"]) == len(histogram["baseline"]) + 1 == 31
            assert sum(histogram["baseline"]) == pytest.approx(1.0)
        else:
            assert sum(entry["categories"]["current"]) == pytest.approx(1.0)


def test_measures_on_known_cases() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 50_000)
    edges = list(np.quantile(base, np.linspace(0, 1, 11)))
    assert population_stability_index(base, rng.normal(0, 1, 50_000), edges) < 0.01
    # Everything beyond the baseline's range lands in the outer bins (clipping) and still counts.
    assert population_stability_index(base, base + 100.0, edges) > 5
    assert normalised_wasserstein(base, base + 2.0) == pytest.approx(2.0, rel=0.02)
    assert jensen_shannon({"a": 1}, {"b": 1}) == pytest.approx(1.0)
    assert jensen_shannon({"a": 3, "b": 1}, {"a": 6, "b": 2}) == pytest.approx(0.0)


def test_prediction_drift_by_score_and_by_label() -> None:
    rng = np.random.default_rng(0)
    scores = rng.beta(2, 5, 20_000)
    same = compare_predictions(
        ModelType.BINARY, PredictionSample(scores), PredictionSample(rng.beta(2, 5, 20_000))
    )
    moved = compare_predictions(
        ModelType.BINARY, PredictionSample(scores), PredictionSample(rng.beta(5, 2, 20_000))
    )
    assert same["method"] == "psi" and not same["drifted"] and moved["drifted"]
    labels = compare_predictions(
        ModelType.MULTICLASS,
        PredictionSample(labels=["a"] * 90 + ["b"] * 10),
        PredictionSample(labels=["a"] * 10 + ["b"] * 90),
    )
    assert (
        labels["method"] == "jensenShannon" and labels["drifted"] and labels["compared"] == "predictedLabel"
    )
