"""Model groups in process: resolution, alias rules, the serving routes during a swap, retrain jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openaml.domain import data_sources, ml_models, model_groups, promotion, retrains
from openaml.domain.context import ServiceContext
from openaml.domain.endpoints import EndpointRegistry, create_realtime_endpoint
from openaml.domain.records import DataSourceSpec, ModelType, TrainingRequest
from openaml.domain.retrain_requests import RetrainRequest
from openaml.entities import EntityStatus, ResourceKind
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.jobs.worker import JobContext
from tests.domain.conftest import CALLER, HINTS, run_jobs, write_table

SGD = {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"}
RECORD = {"x": "0.3", "z": "1.0"}


def _model(ctx: ServiceContext, model_id: str, parent: str | None = None) -> None:
    parameters = SGD | ({model_groups.PARENT_PARAMETER: parent} if parent else {})
    request = TrainingRequest(ModelType.BINARY, "ds", parameters)
    ml_models.create_ml_model(ctx, CALLER, ml_model_id=model_id, name=None, request=request)


@pytest.fixture()
def group(ctx: ServiceContext, io_dir: Path) -> str:
    """Model ``m`` (version 1) and ``m.v2`` trained from it, both COMPLETED."""
    data = write_table(io_dir / "data" / "part-1.csv")
    spec = DataSourceSpec(compute_statistics=True, location=str(data.parent) + "/", schema_text=HINTS)
    data_sources.create_data_source(ctx, CALLER, data_source_id="ds", name=None, spec=spec)
    _model(ctx, "m")
    run_jobs(ctx)  # a parent must be COMPLETED
    _model(ctx, "m.v2", parent="m")
    run_jobs(ctx)
    return "m"


def test_group_ids_version_names_and_version_ids_resolve(ctx: ServiceContext, group: str) -> None:
    assert model_groups.resolve(ctx, "m") == model_groups.ResolvedModel("m", "m", "m", 1, "champion")
    assert model_groups.resolve(ctx, "m.v1").ml_model_id == "m"
    assert model_groups.resolve(ctx, "m.v2") == model_groups.ResolvedModel("m.v2", "m.v2", "m", 2)
    assert model_groups.resolve(ctx, "unknown").ml_model_id == "unknown"
    with pytest.raises(ResourceNotFoundException, match="no version 5"):
        model_groups.resolve(ctx, "m.v5")
    promotion.move_alias(ctx, "AKID", "m", "champion", 2, reason="test")
    assert model_groups.resolve(ctx, "m").ml_model_id == "m.v2"
    assert model_groups.model_group_parameters(ctx, ctx.resources.get(ResourceKind.ML_MODEL, "m.v2")) == {
        "openaml.modelGroup": "m",
        "openaml.modelVersion": "m.v2",
        "openaml.modelAliases": "champion",
    }


def test_a_plain_model_writes_no_group_rows(ctx: ServiceContext, group: str) -> None:
    _model(ctx, "solo")
    assert ctx.model_groups.version_of_model("solo") is None
    assert model_groups.resolve(ctx, "solo").version == 1
    assert [v.version for v in model_groups.list_versions(ctx, "solo")] == [1]


def test_only_a_completed_version_can_be_champion(ctx: ServiceContext, group: str) -> None:
    _model(ctx, "m.v3", parent="m.v2")  # PENDING: its job has not run
    with pytest.raises(InvalidInputException, match="Only a COMPLETED version"):
        promotion.move_alias(ctx, "AKID", "m", "champion", 3, reason=None)
    assert promotion.move_alias(ctx, "AKID", "m", "candidate", 3, reason=None) is not None
    assert model_groups.aliases_of(ctx, "m") == {"candidate": 3, "champion": 1}
    assert promotion.move_alias(ctx, "AKID", "m", "candidate", 3, reason=None) is None  # no change


def test_predict_on_the_group_moves_only_once_the_new_champion_is_loaded(
    ctx: ServiceContext, group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_realtime_endpoint(ctx, "m")
    registry = EndpointRegistry(ctx)
    registry.refresh()

    def version(model_id: str) -> str:
        return str(registry.predict(model_id, [RECORD])[0]["details"]["openaml.modelVersion"])

    assert version("m") == version("m.v1") == "m.v1"
    promotion.move_alias(ctx, "AKID", "m", "champion", 2, reason="swap")
    model = ctx.resources.get(ResourceKind.ML_MODEL, "m.v2")
    assert model is not None and model.endpoint_status == "UPDATING"  # the endpoint follows the champion
    original_load = registry._load
    monkeypatch.setattr(registry, "_load", lambda model: (_ for _ in ()).throw(OSError("slow disk")))
    registry.refresh()  # m.v2 cannot be loaded yet: the group keeps answering with m.v1
    assert version("m") == "m.v1"
    monkeypatch.setattr(registry, "_load", original_load)
    registry.refresh()
    assert version("m") == "m.v2" and version("m.v1") == "m.v1"
    assert ctx.resources.get(ResourceKind.ML_MODEL, "m.v2").endpoint_status == "READY"  # type: ignore[union-attr]


def test_comparison_directions() -> None:
    rmse = retrains.compare("RegressionRMSE", 2.0, 1.5, 0.1)
    assert rmse["Improvement"] == 0.5 and rmse["ChallengerWins"] and not rmse["HigherIsBetter"]
    auc = retrains.compare("BinaryAUC", 0.80, 0.79, 0.0)
    assert auc["Improvement"] == pytest.approx(-0.01) and not auc["ChallengerWins"]
    assert not retrains.compare("BinaryAUC", None, 0.9, -1.0)["ChallengerWins"]


def _compare_job(ctx: ServiceContext, retrain_id: str) -> Any:
    jobs = ctx.jobs.jobs_for(ResourceKind.ML_MODEL, retrain_id)
    return next(job for job in jobs if job.job_type == retrains.COMPARE_JOB)


def test_a_retried_comparison_keeps_its_promotion(ctx: ServiceContext, group: str) -> None:
    spec = RetrainRequest(promotion="auto", min_improvement=-1, holdout_percent=30)
    record = retrains.start_retrain(ctx, CALLER, "m", spec)
    assert record.id == "m.v3" and record.status == "PENDING"
    run_jobs(ctx)
    done = ctx.model_groups.retrain("m.v3")
    assert done is not None and done.status == "COMPLETED", done
    assert done.result is not None and done.result["promoted"] is True
    assert model_groups.aliases_of(ctx, "m") == {"challenger": 3, "champion": 3}
    # A worker that died after moving the alias: the job runs again and still reports the promotion.
    ctx.model_groups.update_retrain("m.v3", status="INPROGRESS")
    job = _compare_job(ctx, "m.v3")
    retrains.run_compare_job(ctx, job, JobContext(job))
    again = ctx.model_groups.retrain("m.v3")
    assert again is not None and again.status == "COMPLETED" and again.result["promoted"] is True  # type: ignore[index]
    assert [c.to_version for c in ctx.model_groups.history("m") if c.alias == "champion"] == [3]


def test_a_retrain_whose_challenger_fails_is_failed_with_the_reason(
    ctx: ServiceContext, group: str, io_dir: Path
) -> None:
    broken = io_dir / "broken.csv"
    broken.write_text("x,z\n1,2\n3,4\n")  # no target column
    spec = RetrainRequest(location=str(broken), promotion="auto")
    retrains.start_retrain(ctx, CALLER, "m.v2", spec)
    run_jobs(ctx)
    record = ctx.model_groups.retrain("m.v3")
    assert record is not None and record.status == "FAILED" and record.message
    challenger = ctx.resources.get(ResourceKind.ML_MODEL, "m.v3")
    assert challenger is not None and challenger.status is EntityStatus.FAILED
    assert model_groups.aliases_of(ctx, "m") == {"champion": 1}
