"""Drift reports, prediction capture and the evaluation drift alert, in process (jobs run here)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from openaml.config import Settings
from openaml.domain import captures, data_sources, drift_reports, evaluations, ml_models
from openaml.domain.captures import CaptureWriter
from openaml.domain.context import ServiceContext
from openaml.domain.records import (
    DataSourceSpec,
    DriftReportRequest,
    EvaluationRequest,
    ModelType,
    TrainingRequest,
)
from openaml.entities import EntityStatus, ResourceKind
from openaml.errors import InvalidInputException
from tests.domain.conftest import CALLER, HINTS, run_jobs

ROWS = 3000


def _table(path: Path, *, shift: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=ROWS) + shift
    frame = pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=ROWS),
            "color": rng.choice(["red", "blue", "green"], ROWS),
            "y": (x - shift + rng.normal(scale=0.5, size=ROWS) > 0).astype(int),
        }
    )
    frame.to_csv(path, index=False)
    return path


def _datasource(ctx: ServiceContext, path: Path, data_source_id: str) -> str:
    spec = DataSourceSpec(compute_statistics=True, location=str(path), schema_text=HINTS)
    data_sources.create_data_source(ctx, CALLER, data_source_id=data_source_id, name=None, spec=spec)
    return data_source_id


@pytest.fixture()
def trained(ctx: ServiceContext, io_dir: Path) -> dict[str, str]:
    _datasource(ctx, _table(io_dir / "train.csv", shift=0.0, seed=1), "ds-train")
    _datasource(ctx, _table(io_dir / "same.csv", shift=0.0, seed=2), "ds-same")
    _datasource(ctx, _table(io_dir / "shifted.csv", shift=3.0, seed=3), "ds-shifted")
    request = TrainingRequest(
        ModelType.BINARY, "ds-train", {"openaml.algorithms": "sgd", "openaml.captureRate": "0.5"}
    )
    ml_models.create_ml_model(ctx, CALLER, ml_model_id="ml-drift", name=None, request=request)
    run_jobs(ctx)
    model = ctx.resources.get(ResourceKind.ML_MODEL, "ml-drift")
    assert model is not None and model.status is EntityStatus.COMPLETED, model and model.message
    return {"model": "ml-drift", "same": "ds-same", "shifted": "ds-shifted"}


def _run_report(ctx: ServiceContext, report_id: str, request: DriftReportRequest) -> dict[str, Any]:
    drift_reports.create_drift_report(ctx, CALLER, report_id=report_id, name=None, request=request)
    run_jobs(ctx)
    resource = ctx.resources.get(ResourceKind.DRIFT_REPORT, report_id)
    assert resource is not None and resource.status is EntityStatus.COMPLETED, resource and resource.message
    report = drift_reports.load_report(ctx, resource)
    assert report is not None
    return report


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in report["attributes"]}


def test_a_model_baseline_against_a_shifted_datasource(ctx: ServiceContext, trained: dict[str, str]) -> None:
    report = _run_report(
        ctx,
        "dr-shifted",
        DriftReportRequest(baseline_ml_model_id=trained["model"], current_data_source_id=trained["shifted"]),
    )
    attributes = _by_name(report)
    assert attributes["x"]["drifted"] and attributes["x"]["method"] == "psi"
    assert not attributes["z"]["drifted"] and not attributes["color"]["drifted"]
    assert attributes["color"]["method"] == "jensenShannon"
    assert report["driftedShare"] == pytest.approx(1 / 3)
    prediction = report["predictionDrift"]
    assert prediction["method"] == "psi" and prediction["compared"] == "predictedScore"
    assert prediction["drifted"]
    same = _run_report(
        ctx,
        "dr-same",
        DriftReportRequest(baseline_data_source_id="ds-train", current_data_source_id=trained["same"]),
    )
    assert same["driftedAttributes"] == 0 and same["predictionDrift"] is None


def test_a_datasource_without_a_stored_sample_gets_one_made(
    ctx: ServiceContext, trained: dict[str, str]
) -> None:
    stored = data_sources.sample_uri(ctx, trained["shifted"])
    ctx.objects.server_files.delete(stored)
    report = _run_report(
        ctx,
        "dr-lazy",
        DriftReportRequest(baseline_data_source_id="ds-train", current_data_source_id=trained["shifted"]),
    )
    assert _by_name(report)["x"]["drifted"]
    assert ctx.objects.server_files.exists(stored)


def test_requests_need_one_baseline_and_one_current_set(ctx: ServiceContext, trained: dict[str, str]) -> None:
    with pytest.raises(InvalidInputException, match="one baseline"):
        drift_reports.create_drift_report(
            ctx,
            CALLER,
            report_id="dr-bad",
            name=None,
            request=DriftReportRequest(baseline_data_source_id="ds-train"),
        )
    with pytest.raises(Exception, match="ds-nope"):
        drift_reports.create_drift_report(
            ctx,
            CALLER,
            report_id="dr-bad",
            name=None,
            request=DriftReportRequest(baseline_data_source_id="ds-nope", current_data_source_id="ds-train"),
        )


def _records(path: Path, count: int) -> list[dict[str, str]]:
    frame = pd.read_csv(path).head(count)
    return [{k: str(v) for k, v in row.items() if k != "y"} for row in frame.to_dict("records")]


def test_capture_samples_at_the_rate_and_feeds_a_drift_report(
    ctx: ServiceContext, trained: dict[str, str], io_dir: Path
) -> None:
    writer = CaptureWriter(ctx)
    records = _records(io_dir / "shifted.csv", 2000)
    predictions = [{"predictedLabel": "1", "predictedScores": {"1": 0.9}} for _ in records]
    writer.offer(trained["model"], 0.0, records, predictions)
    assert writer.flush() == 0
    writer.offer(trained["model"], 0.25, records, predictions)
    written = writer.flush()
    assert 400 <= written <= 600  # 2000 records at 25 %: within 5 standard deviations
    writer.offer(trained["model"], 1.0, records, predictions)
    assert writer.flush() == 2000
    files = captures.list_capture_files(ctx, trained["model"])
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert len(files) == 2 and all(f"/date={day}/part-" in f.uri for f in files)
    report = _run_report(
        ctx,
        "dr-captured",
        DriftReportRequest(baseline_ml_model_id=trained["model"], current_ml_model_id=trained["model"]),
    )
    assert _by_name(report)["x"]["drifted"] and not _by_name(report)["z"]["drifted"]
    assert report["rows"]["current"] == written + 2000
    assert report["predictionDrift"]["current"] == "captured real-time predictions"
    assert report["predictionDrift"]["drifted"]  # every captured score is 0.9
    windowed = _run_report(
        ctx,
        "dr-window",
        DriftReportRequest(
            baseline_ml_model_id=trained["model"],
            current_ml_model_id=trained["model"],
            start=time.time() - 3600,
            end=time.time() + 3600,
        ),
    )
    assert windowed["rows"]["current"] == written + 2000
    empty_window = DriftReportRequest(
        baseline_ml_model_id=trained["model"], current_ml_model_id=trained["model"], start=1.0, end=2.0
    )
    drift_reports.create_drift_report(ctx, CALLER, report_id="dr-empty", name=None, request=empty_window)
    run_jobs(ctx)
    failed = ctx.resources.get(ResourceKind.DRIFT_REPORT, "dr-empty")
    assert failed is not None and failed.status is EntityStatus.FAILED
    assert "no captured predictions" in (failed.message or "")


def _with_capture_limit(ctx: ServiceContext, limit: int) -> ServiceContext:
    values = {**ctx.settings.values, "capture_max_bytes_per_model": limit}
    return dataclasses.replace(ctx, settings=Settings(values=values, sources=ctx.settings.sources))


def test_capture_files_rotate_oldest_first(
    ctx: ServiceContext, trained: dict[str, str], io_dir: Path
) -> None:
    small = _with_capture_limit(ctx, 1)
    writer = CaptureWriter(ctx)
    records = _records(io_dir / "same.csv", 100)
    predictions = [{"predictedLabel": "0", "predictedScores": {"0": 0.2}} for _ in records]
    for _ in range(4):
        writer.offer(trained["model"], 1.0, records, predictions)
        writer.flush()
    files = captures.list_capture_files(ctx, trained["model"])
    assert len(files) == 4
    one_file = files[0].size
    limited = _with_capture_limit(ctx, int(2.5 * one_file))
    removed = CaptureWriter(limited).rotate(trained["model"])
    kept = captures.list_capture_files(ctx, trained["model"])
    assert removed == 2 and [f.uri for f in kept] == [f.uri for f in files[2:]]
    assert CaptureWriter(small).rotate(trained["model"]) == 2
    assert captures.list_capture_files(ctx, trained["model"]) == []


def test_capture_rate_comes_from_the_parameters_then_the_endpoint(
    ctx: ServiceContext, trained: dict[str, str]
) -> None:
    model = ctx.resources.get(ResourceKind.ML_MODEL, trained["model"])
    assert model is not None
    parameters = TrainingRequest.from_json(model.request).parameters
    assert captures.capture_rate_of(parameters, model.details) == 0.5
    captures.set_capture_rate(ctx, model.id, 0.0)
    model = ctx.resources.get(ResourceKind.ML_MODEL, trained["model"])
    assert model is not None and captures.capture_rate_of(parameters, model.details) == 0.0
    with pytest.raises(InvalidInputException, match="between 0 and 1"):
        TrainingRequest(ModelType.BINARY, "ds-train", {"openaml.captureRate": "2"})


def test_an_evaluation_on_drifted_data_gets_a_drift_alert(
    ctx: ServiceContext, trained: dict[str, str]
) -> None:
    for evaluation_id, data_source_id in (("ev-shifted", trained["shifted"]), ("ev-same", trained["same"])):
        evaluations.create_evaluation(
            ctx,
            CALLER,
            evaluation_id=evaluation_id,
            name=None,
            request=EvaluationRequest(trained["model"], data_source_id),
        )
    run_jobs(ctx)
    codes = {}
    for evaluation_id in ("ev-shifted", "ev-same"):
        evaluation = ctx.resources.get(ResourceKind.EVALUATION, evaluation_id)
        assert evaluation is not None and evaluation.status is EntityStatus.COMPLETED, evaluation.message
        codes[evaluation_id] = {alert["code"]: alert["message"] for alert in evaluation.details["Alerts"]}
    assert "DataDrift" in codes["ev-shifted"] and "'x' (psi" in codes["ev-shifted"]["DataDrift"]
    assert "DataDrift" not in codes["ev-same"]
    report = json.loads(ctx.objects.server_files.read_bytes(evaluations.report_uri(ctx, "ev-shifted")))
    assert any(alert["code"] == "DataDrift" for alert in report["alerts"])


def test_an_evaluation_read_frame_by_frame_reports_what_one_frame_does(
    ctx: ServiceContext, trained: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    details = {}
    for evaluation_id, streamed in (("ev-frame", False), ("ev-streamed", True)):
        monkeypatch.setattr(evaluations, "STREAMED_EVALUATION_RECORDS", 0 if streamed else 10**9)
        evaluations.create_evaluation(
            ctx,
            CALLER,
            evaluation_id=evaluation_id,
            name=None,
            request=EvaluationRequest(trained["model"], trained["shifted"]),
        )
        run_jobs(ctx)
        evaluation = ctx.resources.get(ResourceKind.EVALUATION, evaluation_id)
        assert evaluation is not None and evaluation.status is EntityStatus.COMPLETED, evaluation.message
        details[evaluation_id] = evaluation.details
    assert details["ev-streamed"]["Records"] == details["ev-frame"]["Records"] == ROWS
    assert details["ev-streamed"]["PerformanceMetrics"] == details["ev-frame"]["PerformanceMetrics"]
    assert [a["code"] for a in details["ev-streamed"]["Alerts"]] == [
        a["code"] for a in details["ev-frame"]["Alerts"]
    ]
