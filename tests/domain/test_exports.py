"""Export use cases in process: an export that fails its parity check, crashes or is abandoned fails
alone, with a message, and the model stays COMPLETED."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openaml.domain import data_sources, exports, jobs, ml_models
from openaml.domain.context import ServiceContext
from openaml.domain.records import DataSourceSpec, ModelType, TrainingRequest
from openaml.engine.export import ParityReport
from openaml.entities import EntityStatus, Job, JobState, ResourceKind
from tests.domain.conftest import CALLER, HINTS, run_jobs, write_table


@pytest.fixture()
def model_id(ctx: ServiceContext, io_dir: Path) -> str:
    spec = DataSourceSpec(
        compute_statistics=True, location=str(write_table(io_dir / "t.csv")), schema_text=HINTS
    )
    data_sources.create_data_source(ctx, CALLER, data_source_id="ds", name=None, spec=spec)
    request = TrainingRequest(ModelType.BINARY, "ds", {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"})
    ml_models.create_ml_model(ctx, CALLER, ml_model_id="ml", name=None, request=request)
    run_jobs(ctx)
    return "ml"


def model_status(ctx: ServiceContext, model_id: str) -> EntityStatus:
    model = ctx.resources.get(ResourceKind.ML_MODEL, model_id)
    assert model is not None
    return model.status


def test_an_export_completes_with_its_parity_report(ctx: ServiceContext, model_id: str) -> None:
    exports.create_export(ctx, CALLER, model_id, "onnx")
    run_jobs(ctx)
    (export,) = exports.list_exports(ctx, model_id)
    assert export["Status"] == "COMPLETED" and export["Parity"]["rows"] == 300
    content, _ = exports.export_file(ctx, model_id, export["ExportId"])
    assert len(content) == export["SizeInBytes"]


def test_an_export_below_the_agreement_fails_and_keeps_no_file(
    ctx: ServiceContext, model_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def poor(*args: Any, **kwargs: Any) -> ParityReport:
        return ParityReport(
            rows=300, max_abs_difference=0.4, label_agreement=0.9, share_above_tolerance=0.2, source="x"
        )

    monkeypatch.setattr(exports, "check_parity", poor)
    exports.create_export(ctx, CALLER, model_id, "onnx")
    run_jobs(ctx)
    (export,) = exports.list_exports(ctx, model_id)
    assert export["Status"] == "FAILED" and "90.0000% of 300 rows" in export["Message"]
    assert "FileName" not in export and export["Parity"]["passed"] is False
    assert model_status(ctx, model_id) is EntityStatus.COMPLETED


def test_a_crashed_or_abandoned_export_job_fails_its_exports_only(
    ctx: ServiceContext, model_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("converter bug")

    monkeypatch.setattr(exports, "export_onnx", broken)
    exports.create_export(ctx, CALLER, model_id, "onnx")
    run_jobs(ctx)
    (first,) = exports.list_exports(ctx, model_id)
    assert first["Status"] == "FAILED" and "converter bug" in first["Message"]

    exports.create_export(ctx, CALLER, model_id, "onnx")
    job = Job(
        0, exports.EXPORT_JOB, ResourceKind.ML_MODEL, model_id, JobState.FAILED, 2, 0.0, error="worker died"
    )
    jobs.fail_abandoned_job(ctx, job)
    second = exports.list_exports(ctx, model_id)[1]
    assert second["Status"] == "FAILED" and "worker died" in second["Message"]
    assert model_status(ctx, model_id) is EntityStatus.COMPLETED
