"""Training a model from a parent through boto3: CreateMLModel's openaml.parentMLModelId and
openaml.updateMode parameters, what GetMLModel and the leaderboard show, and the typed refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from tests.support.api import finished, signed_get
from tests.support.server import LiveServer


@pytest.fixture()
def titanic(ml: Any, datasets_dir: Path, new_id: Any) -> str:
    data_source_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "titanic.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "survived"}),
        },
    )
    got = finished(lambda: ml.get_data_source(DataSourceId=data_source_id))
    assert got["Status"] == "COMPLETED", got.get("Message")
    return data_source_id


def test_a_model_is_refit_from_its_parent_and_says_so(
    ml: Any, server: LiveServer, titanic: str, new_id: Any
) -> None:
    parent_id, child_id = new_id("ml"), new_id("ml")
    ml.create_ml_model(
        MLModelId=parent_id,
        MLModelType="BINARY",
        TrainingDataSourceId=titanic,
        Parameters={"openaml.timeBudgetSeconds": "5", "openaml.algorithms": "linear,lightgbm"},
    )
    assert finished(lambda: ml.get_ml_model(MLModelId=parent_id))["Status"] == "COMPLETED"
    ml.create_ml_model(
        MLModelId=child_id,
        MLModelType="BINARY",
        TrainingDataSourceId=titanic,
        Parameters={"openaml.parentMLModelId": parent_id},
    )
    child = finished(lambda: ml.get_ml_model(MLModelId=child_id))

    assert child["Status"] == "COMPLETED", child.get("Message")
    assert child["TrainingParameters"]["openaml.parentMLModelId"] == parent_id
    assert child["TrainingParameters"]["openaml.updateMode"] == "refit"
    board = json.loads(signed_get(server, f"/openaml/v1/mlmodels/{child_id}/leaderboard"))
    assert board["updateMode"] == "refit" and board["parentMLModelId"] == parent_id
    assert {entry["origin"] for entry in board["candidates"]} == {"refit"}


def test_bad_update_parameters_are_refused_as_invalid_input(ml: Any, titanic: str, new_id: Any) -> None:
    cases = [
        ({"openaml.parentMLModelId": "no-such-model"}, "does not exist"),
        ({"openaml.parentMLModelId": "x", "openaml.updateMode": "fast"}, "refit, research, warmstart"),
    ]
    for parameters, expected in cases:
        with pytest.raises(botocore.exceptions.ClientError) as error:
            ml.create_ml_model(
                MLModelId=new_id("ml"),
                MLModelType="BINARY",
                TrainingDataSourceId=titanic,
                Parameters=parameters,
            )
        assert error.value.response["Error"]["Code"] == "InvalidInputException"
        assert expected in error.value.response["Error"]["Message"]
