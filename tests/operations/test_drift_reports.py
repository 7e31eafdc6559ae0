"""Prediction capture and drift reports through the live server: real Predict calls, signed routes."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.api import finished, signed_request
from tests.support.server import LiveServer


def _wait(condition: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="module")
def captured_model(server: LiveServer, datasets_dir: Path) -> str:
    """A titanic SGD model capturing every real-time record, with 40 Predict calls made."""
    ml = server.client()
    suffix = time.time_ns()
    data_source_id, model_id = f"ds-drift-{suffix}", f"ml-drift-{suffix}"
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "titanic.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "survived"}),
        },
    )
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType="BINARY",
        TrainingDataSourceId=data_source_id,
        Parameters={"openaml.algorithms": "sgd", "openaml.captureRate": "1"},
    )
    model = finished(lambda: ml.get_ml_model(MLModelId=model_id))
    assert model["Status"] == "COMPLETED", model.get("Message")
    ml.create_realtime_endpoint(MLModelId=model_id)
    _wait(lambda: ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["EndpointStatus"] == "READY")
    url = ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["EndpointUrl"]
    with (datasets_dir / "titanic.csv").open(newline="") as file:
        rows = [row for _, row in zip(range(40), csv.DictReader(file), strict=False)]
    for row in rows:
        record = {k: v for k, v in row.items() if k != "survived" and v}
        ml.predict(MLModelId=model_id, Record=record, PredictEndpoint=url)
    # The server writes what it captured every 5 s (capture_flush_seconds): on a loaded machine the 40
    # calls span several flushes, so wait until the stored bytes stop growing for two of them.
    capture = f"/openaml/v1/mlmodels/{model_id}/capture"
    _settled(lambda: signed_request(server, "GET", capture).json()["Bytes"], quiet_seconds=11)
    return model_id


def _settled(value: Any, quiet_seconds: float, timeout: float = 120) -> Any:
    """``value()`` once it is non-zero and has not changed for ``quiet_seconds``."""
    deadline = time.monotonic() + timeout
    last, since = value(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = value()
        if current != last:
            last, since = current, time.monotonic()
        elif current and time.monotonic() - since >= quiet_seconds:
            return current
    raise AssertionError("value did not settle in time")


def test_captured_predictions_are_written_and_the_rate_can_change(
    server: LiveServer, captured_model: str
) -> None:
    path = f"/openaml/v1/mlmodels/{captured_model}/capture"
    state = _wait(lambda: (s := signed_request(server, "GET", path).json())["Files"] >= 1 and s)
    assert state["CaptureRate"] == 1.0 and state["Bytes"] > 0
    changed = signed_request(server, "PUT", path, {"CaptureRate": 0.25})
    assert changed.status_code == 200 and changed.json() == {"MLModelId": captured_model, "CaptureRate": 0.25}
    assert signed_request(server, "GET", path).json()["CaptureRate"] == 0.25
    bad = signed_request(server, "PUT", path, {"CaptureRate": 2})
    assert bad.status_code == 400 and bad.json()["__type"] == "InvalidInputException"
    assert "between 0 and 1" in bad.json()["message"]
    missing = signed_request(server, "PUT", "/openaml/v1/mlmodels/ml-nope/capture", {"CaptureRate": 0.5})
    assert missing.json()["__type"] == "ResourceNotFoundException"


def test_a_drift_report_of_captured_predictions(server: LiveServer, captured_model: str) -> None:
    capture = f"/openaml/v1/mlmodels/{captured_model}/capture"
    _wait(lambda: signed_request(server, "GET", capture).json()["Files"] >= 1)
    created = signed_request(
        server,
        "POST",
        "/openaml/v1/driftreports",
        {
            "DriftReportName": "captured",
            "Baseline": {"MLModelId": captured_model},
            "Current": {"MLModelId": captured_model, "From": "2020-01-01T00:00:00"},
        },
    )
    assert created.status_code == 200, created.text
    report_id = created.json()["DriftReportId"]
    got = _wait(
        lambda: (
            (r := signed_request(server, "GET", f"/openaml/v1/driftreports/{report_id}").json())["Status"]
            in ("COMPLETED", "FAILED")
            and r
        )
    )
    assert got["Status"] == "COMPLETED", got["Message"]
    report = got["Report"]
    assert report["rows"]["current"] == 40 and report["comparedAttributes"] >= 5
    for entry in report["attributes"]:
        assert {"method", "score", "threshold", "drifted"} <= set(entry)
    assert 0.0 <= report["driftedShare"] <= 1.0
    assert report["predictionDrift"]["compared"] == "predictedScore"
    listed = signed_request(server, "GET", f"/openaml/v1/driftreports?MLModelId={captured_model}").json()
    assert [r["DriftReportId"] for r in listed["DriftReports"]] == [report_id]
    assert listed["DriftReports"][0]["Name"] == "captured"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Baseline": {"MLModelId": "x"}}, "Current must be an object"),
        ({"Baseline": {"DataSourceId": "ds-nope"}, "Current": {"DataSourceId": "ds-nope"}}, "ds-nope"),
        (
            {"Baseline": {"DataSourceId": "a"}, "Current": {"DataSourceId": "b"}, "Thresholds": {"psi": 1}},
            "psi",
        ),
        ({"Baseline": {"DataSourceId": "a"}, "Current": {"MLModelId": "b", "From": "yesterday"}}, "ISO 8601"),
        ([], "JSON object"),
    ],
)
def test_bad_drift_report_requests_are_refused_with_a_reason(
    server: LiveServer, body: Any, message: str
) -> None:
    response = signed_request(server, "POST", "/openaml/v1/driftreports", body)
    assert response.status_code in (400, 404)
    assert message in response.json()["message"]
    unknown = signed_request(server, "GET", "/openaml/v1/driftreports/dr-unknown")
    assert unknown.json()["__type"] == "ResourceNotFoundException"
