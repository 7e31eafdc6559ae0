"""Training a model from a parent through the use cases: what is checked at request time, what the
child inherits and records, and each update mode end to end (in process, tiny budgets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from openaml.domain import data_sources, ml_models
from openaml.domain.context import ServiceContext
from openaml.domain.records import DataSourceSpec, ModelType, TrainingRequest
from openaml.engine.models import read_manifest
from openaml.entities import EntityStatus, Resource, ResourceKind
from openaml.errors import InvalidInputException
from tests.domain.conftest import CALLER, HINTS, run_jobs

RECIPE = json.dumps(
    {
        "groups": {"NUMBERS": "group('x','z')"},
        "assignments": {},
        "outputs": ["NUMBERS", "quantile_bin(x, 5)"],
    }
)
FAST = {"openaml.timeBudgetSeconds": "5", "openaml.maxTrials": "4"}


def _table(path: Path, seed: int, *, flip: bool = False, columns: tuple[str, ...] = ("x", "z")) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=300)
    y = (x > 0).astype(int)
    frame = pd.DataFrame({name: x if name == "x" else rng.normal(size=300) for name in columns})
    frame["y"] = 1 - y if flip else y
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def _data_source(ctx: ServiceContext, io_dir: Path, name: str, **options: Any) -> str:
    spec = DataSourceSpec(
        compute_statistics=True, location=str(_table(io_dir / f"{name}.csv", **options)), schema_text=HINTS
    )
    data_sources.create_data_source(ctx, CALLER, data_source_id=name, name=None, spec=spec)
    run_jobs(ctx)
    return name


def _train(
    ctx: ServiceContext, model_id: str, data_source: str, parameters: dict[str, str], **extra: Any
) -> Resource:
    request = TrainingRequest(ModelType.BINARY, data_source, parameters, **extra)
    ml_models.create_ml_model(ctx, CALLER, ml_model_id=model_id, name=None, request=request)
    run_jobs(ctx)
    model = ctx.resources.get(ResourceKind.ML_MODEL, model_id)
    assert model is not None and model.status is EntityStatus.COMPLETED, model and model.message
    return model


def _leaderboard(ctx: ServiceContext, model_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        ctx.objects.server_files.read_bytes(ml_models.leaderboard_uri(ctx, model_id))
    )
    return document


@pytest.fixture()
def old_data(ctx: ServiceContext, io_dir: Path) -> str:
    return _data_source(ctx, io_dir, "ds-old", seed=0)


@pytest.fixture()
def new_data(ctx: ServiceContext, io_dir: Path) -> str:
    return _data_source(ctx, io_dir, "ds-new", seed=1, flip=True)


def test_refit_is_the_default_and_trains_the_parents_members_on_the_new_data(
    ctx: ServiceContext, old_data: str, new_data: str
) -> None:
    _train(ctx, "churn-1", old_data, FAST | {"openaml.algorithms": "linear,lightgbm"})
    # A generous budget (it only caps a refit), so that no member is cut short on a busy machine.
    child = _train(
        ctx, "churn-2", new_data, {"openaml.parentMLModelId": "churn-1", "openaml.timeBudgetSeconds": "60"}
    )

    parameters = child.details["TrainingParameters"]
    assert parameters["openaml.timeBudgetSeconds"] == "60"  # the request's own value wins
    assert parameters["openaml.parentMLModelId"] == "churn-1" and parameters["openaml.updateMode"] == "refit"
    assert parameters["openaml.algorithms"] == "linear,lightgbm"  # inherited from the parent
    parent_board, board = _leaderboard(ctx, "churn-1"), _leaderboard(ctx, "churn-2")
    members = [(e["family"], e["parameters"]) for e in parent_board["candidates"] if e["ensembleWeight"]]
    assert [(e["family"], e["parameters"]) for e in board["candidates"]] == members  # no search
    assert board["updateMode"] == "refit" and board["parentMLModelId"] == "churn-1"
    manifest = read_manifest(ml_models.model_directory(ctx, "churn-2"))["metadata"]
    assert [m["family"] for m in manifest["members"]] == [family for family, _ in members]
    assert manifest["updateMode"] == "refit"


def test_research_and_warmstart_train_from_the_parent(
    ctx: ServiceContext, old_data: str, new_data: str
) -> None:
    # A holdout: with k-fold validation its members would be bagged, which cannot warm-start.
    _train(
        ctx, "boost-1", old_data, FAST | {"openaml.algorithms": "lightgbm", "openaml.validationFolds": "0"}
    )
    research = _train(
        ctx, "boost-2", new_data, {"openaml.parentMLModelId": "boost-1", "openaml.updateMode": "research"}
    )
    warm = _train(
        ctx, "boost-3", new_data, {"openaml.parentMLModelId": "boost-1", "openaml.updateMode": "Warmstart"}
    )

    assert research.details["TrainingParameters"]["openaml.updateMode"] == "research"
    assert "parent" in {entry["origin"] for entry in _leaderboard(ctx, "boost-2")["candidates"]}
    assert warm.details["TrainingParameters"]["openaml.updateMode"] == "warmstart"
    assert _leaderboard(ctx, "boost-3")["updateMode"] == "warmstart"


def test_a_parent_with_bagged_members_is_refused_a_warm_start_at_request_time(
    ctx: ServiceContext, old_data: str, new_data: str
) -> None:
    # a budget no fold fit is cut short by on a loaded machine (a cut-short fold is refit, not bagged);
    # the four trials end the search long before it
    roomy = FAST | {"openaml.timeBudgetSeconds": "60"}
    _train(ctx, "bag-1", old_data, roomy | {"openaml.algorithms": "lightgbm", "openaml.validationFolds": "3"})
    manifest = read_manifest(ml_models.model_directory(ctx, "bag-1"))["metadata"]
    assert [m["baggedFolds"] for m in manifest["members"]] == [3] * len(manifest["members"])

    message = _refused(ctx, new_data, {"openaml.parentMLModelId": "bag-1", "openaml.updateMode": "warmstart"})

    assert "bag-1's LightGBM member(s) 1" in message and "are bagged" in message


def test_an_sgd_parent_is_refit_with_its_recipe_and_sgd_parameters(
    ctx: ServiceContext, old_data: str, new_data: str
) -> None:
    parent = _train(
        ctx, "sgd-1", old_data, {"sgd.maxPasses": "3", "sgd.l1RegularizationAmount": "1e-06"}, recipe=RECIPE
    )
    child = _train(ctx, "sgd-2", new_data, {"openaml.parentMLModelId": "sgd-1"})

    assert child.details["Mode"] == "sgd" and child.details["Recipe"] == parent.details["Recipe"]
    parameters = child.details["TrainingParameters"]
    assert parameters["sgd.maxPasses"] == "3" and parameters["sgd.l1RegularizationAmount"] == "1e-06"
    assert parameters["openaml.parentMLModelId"] == "sgd-1" and parameters["openaml.updateMode"] == "refit"


def _refused(ctx: ServiceContext, data_source: str, parameters: dict[str, str], **extra: Any) -> str:
    with pytest.raises(InvalidInputException) as error:
        request = TrainingRequest(extra.pop("model_type", ModelType.BINARY), data_source, parameters, **extra)
        ml_models.create_ml_model(ctx, CALLER, ml_model_id="refused", name=None, request=request)
    assert ctx.resources.get(ResourceKind.ML_MODEL, "refused") is None
    return str(error.value)


def test_bad_update_requests_are_refused_before_any_work(
    ctx: ServiceContext, io_dir: Path, old_data: str, new_data: str
) -> None:
    _train(ctx, "lin-1", old_data, FAST | {"openaml.algorithms": "linear"})
    _train(ctx, "sgd-1", old_data, {"openaml.algorithms": "sgd"})
    lacking = _data_source(ctx, io_dir, "ds-lacking", seed=2, columns=("x",))
    pending = TrainingRequest(ModelType.BINARY, old_data, FAST)
    ml_models.create_ml_model(ctx, CALLER, ml_model_id="pending-1", name=None, request=pending)
    parent = {"openaml.parentMLModelId": "lin-1"}

    message = _refused(ctx, new_data, parent | {"openaml.updateMode": "retrain"})
    assert "'retrain'" in message and "refit, research, warmstart" in message
    assert "does not exist" in _refused(ctx, new_data, {"openaml.parentMLModelId": "nobody"})
    assert "PENDING" in _refused(ctx, new_data, {"openaml.parentMLModelId": "pending-1"})
    assert "BINARY" in _refused(ctx, new_data, parent, model_type=ModelType.REGRESSION)
    assert "missing attributes: z" in _refused(ctx, lacking, parent)
    message = _refused(ctx, new_data, parent | {"openaml.updateMode": "warmstart"})
    assert "cannot warm-start: linear." in message and "lin-1" in message
    assert "only refit" in _refused(
        ctx, new_data, {"openaml.parentMLModelId": "sgd-1", "openaml.updateMode": "research"}
    )
    assert "SGD" in _refused(ctx, new_data, parent, recipe=RECIPE)
    assert "applies only when" in _refused(ctx, new_data, {"openaml.updateMode": "refit"})
