"""Training use cases in process: the request's parameters are parsed once, at request time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openaml.domain import data_sources, ml_models, records
from openaml.domain.context import ServiceContext
from openaml.domain.records import DataSourceSpec, ModelType, TrainingRequest
from openaml.entities import EntityStatus, ResourceKind
from tests.domain.conftest import CALLER, HINTS, run_jobs, write_table


@pytest.fixture()
def training_data(ctx: ServiceContext, io_dir: Path) -> str:
    data = write_table(io_dir / "train.csv")
    spec = DataSourceSpec(compute_statistics=True, location=str(data), schema_text=HINTS)
    data_sources.create_data_source(ctx, CALLER, data_source_id="ds-train", name=None, spec=spec)
    run_jobs(ctx)
    return "ds-train"


def test_the_training_job_uses_the_parameters_parsed_at_request_time(
    ctx: ServiceContext, training_data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = TrainingRequest(
        ModelType.BINARY, training_data, {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"}
    )
    ml_models.create_ml_model(ctx, CALLER, ml_model_id="ml-1", name=None, request=request)

    def parse_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the training job parsed the request's Parameters again")

    monkeypatch.setattr(records, "parse_sgd_parameters", parse_again)
    monkeypatch.setattr(records, "parse_automl_parameters", parse_again)
    run_jobs(ctx)
    model = ctx.resources.get(ResourceKind.ML_MODEL, "ml-1")
    assert model is not None and model.status is EntityStatus.COMPLETED, model.message
    assert model.details["Mode"] == "sgd"
    assert model.details["TrainingParameters"]["sgd.maxPasses"] == "2"
    assert TrainingRequest.from_json(model.request) == request


def test_a_stored_training_request_holds_the_parsed_automl_settings(
    ctx: ServiceContext, training_data: str
) -> None:
    request = TrainingRequest(ModelType.BINARY, training_data, {"openaml.timeBudgetSeconds": "5"})
    created = ml_models.create_ml_model(ctx, CALLER, ml_model_id="ml-2", name=None, request=request)
    stored = created.request["algorithmParameters"]
    assert stored["time_budget_seconds"] == 5.0 and created.request["mode"] == "automl"
