"""The typed creation records: a JSON round trip keeps derived values, and legacy rows still load."""

from __future__ import annotations

import json

import pytest

from openaml.domain.records import (
    BatchPredictionRequest,
    DataSourceSpec,
    EvaluationRequest,
    ModelType,
    SchemaHints,
    SqlOrigin,
    TimeSplitOrigin,
    TrainedModelOutcome,
    TrainingRequest,
)
from openaml.engine.automl.parameters import AutoMLParameters
from openaml.engine.sgd.parameters import SGDParameters
from openaml.errors import InvalidInputException

REARRANGEMENT = json.dumps({"splitting": {"percentBegin": 0, "percentEnd": 70}})


def test_a_data_source_spec_parses_its_schema_and_rearrangement_once_and_round_trips() -> None:
    spec = DataSourceSpec(
        compute_statistics=True,
        location="/data/train.csv",
        schema_text=json.dumps({"targetAttributeName": "y", "rowId": "id"}),
        rearrangement_text=REARRANGEMENT,
    )
    assert spec.schema == SchemaHints(target_attribute_name="y", row_id="id")
    assert spec.rearrangement is not None and spec.rearrangement.percent_end == 70
    loaded = DataSourceSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert loaded == spec
    assert loaded.schema == spec.schema and loaded.rearrangement == spec.rearrangement


def test_a_bad_schema_or_rearrangement_fails_when_the_spec_is_built() -> None:
    with pytest.raises(InvalidInputException, match="not valid JSON"):
        DataSourceSpec(compute_statistics=False, location="/d", schema_text="{nope")
    with pytest.raises(InvalidInputException):
        DataSourceSpec(compute_statistics=False, location="/d", rearrangement_text="[1]")


def test_a_legacy_s3_request_dict_still_loads() -> None:
    legacy = {
        "DataSpec": {
            "DataLocationS3": "s3://bucket/train/",
            "DataSchemaLocationS3": "s3://bucket/train.schema",
            "DataRearrangement": REARRANGEMENT,
        },
        "ComputeStatistics": True,
    }
    spec = DataSourceSpec.from_json(legacy)
    assert spec == DataSourceSpec(
        compute_statistics=True,
        location="s3://bucket/train/",
        schema_location="s3://bucket/train.schema",
        rearrangement_text=REARRANGEMENT,
    )
    assert spec.data_location == "s3://bucket/train/"
    assert spec.rearrangement is not None and spec.rearrangement.percent_end == 70


def test_a_legacy_sql_request_dict_still_loads_and_reads_from_its_snapshot() -> None:
    legacy = {
        "DataSpec": {
            "DatabaseInformation": {"InstanceIdentifier": "db1", "DatabaseName": "shop"},
            "SelectSqlQuery": "SELECT * FROM t",
            "DatabaseCredentials": {"Username": "reader"},
            "S3StagingLocation": "/staging/",
            "ResourceRole": "r",
            "ServiceRole": "s",
            "SubnetId": "subnet-1",
            "SecurityGroupIds": ["sg-1"],
        },
        "RoleARN": "arn:aws:iam::1:role/x",
        "ComputeStatistics": False,
        "RDSMetadata": {"Database": {}},
        "SnapshotUri": "file:///staging/ds.parquet",
        "SqlDatabase": "db1",
    }
    spec = DataSourceSpec.from_json(legacy)
    assert spec.sql == SqlOrigin(
        engine="RDS",
        database_identifier="db1",
        database_name="shop",
        user_name="reader",
        select_sql_query="SELECT * FROM t",
        staging_location="/staging/",
        role_arn="arn:aws:iam::1:role/x",
        resource_role="r",
        service_role="s",
        subnet_id="subnet-1",
        security_group_ids=("sg-1",),
    )
    assert spec.data_location == "file:///staging/ds.parquet"
    assert DataSourceSpec.from_json(spec.to_json()) == spec


def test_a_time_split_part_reads_from_its_snapshot_and_round_trips() -> None:
    origin = TimeSplitOrigin(
        "s3://b/data/", ("s3://b/data/a.csv", "s3://b/data/b.csv"), "date", 25.0, "holdout"
    )
    spec = DataSourceSpec(
        compute_statistics=True,
        location="s3://b/data/",
        snapshot_location="/srv/u/x.parquet",
        time_split=origin,
    )
    assert spec.data_location == "/srv/u/x.parquet"
    assert DataSourceSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_a_training_request_is_parsed_at_construction_and_stored_parsed() -> None:
    request = TrainingRequest(
        model_type=ModelType.BINARY,
        training_data_source_id="ds-1",
        parameters={"openaml.timeBudgetSeconds": "30", "openaml.algorithms": "linear,lightgbm"},
    )
    assert request.mode == "automl"
    assert request.algorithm_parameters == AutoMLParameters(
        time_budget_seconds=30.0, algorithms=("linear", "lightgbm")
    )
    assert request.effective_parameters["openaml.timeBudgetSeconds"] == "30"
    stored = json.loads(json.dumps(request.to_json()))
    assert stored["algorithmParameters"]["time_budget_seconds"] == 30.0
    loaded = TrainingRequest.from_json(stored)
    assert loaded == request and loaded.algorithm_parameters == request.algorithm_parameters


def test_a_recipe_or_the_sgd_switch_asks_for_amazon_mls_model() -> None:
    by_switch = TrainingRequest(
        ModelType.REGRESSION, "ds", {"openaml.algorithms": "sgd", "sgd.maxPasses": "3"}
    )
    assert by_switch.mode == "sgd" and by_switch.algorithm_parameters == SGDParameters(max_passes=3)
    by_recipe = TrainingRequest(ModelType.REGRESSION, "ds", {}, recipe_location="s3://b/recipe.json")
    assert by_recipe.mode == "sgd" and by_recipe.recipe_text is None
    assert TrainingRequest.from_json(by_switch.to_json()).algorithm_parameters == SGDParameters(max_passes=3)


def test_bad_training_parameters_fail_when_the_request_is_built() -> None:
    with pytest.raises(InvalidInputException):
        TrainingRequest(ModelType.BINARY, "ds", {"openaml.timeBudgetSeconds": "soon"})
    with pytest.raises(InvalidInputException):
        TrainingRequest(ModelType.BINARY, "ds", {"sgd.noSuchThing": "1"})


def test_the_explain_setting_is_checked_in_both_modes_and_kept() -> None:
    automl = TrainingRequest(ModelType.BINARY, "ds", {"openaml.explain": "top:5", "openaml.seed": "1"})
    sgd = TrainingRequest(ModelType.BINARY, "ds", {"openaml.explain": "top=2", "openaml.algorithms": "sgd"})

    assert automl.explain_top == 5 and sgd.explain_top == 2
    assert TrainingRequest.from_json(automl.to_json()).explain_top == 5
    assert TrainingRequest(ModelType.BINARY, "ds", {}).explain_top == 0
    with pytest.raises(InvalidInputException, match=r"openaml\.explain"):
        TrainingRequest(ModelType.BINARY, "ds", {"openaml.explain": "all", "openaml.algorithms": "sgd"})


def test_legacy_model_evaluation_and_batch_request_dicts_still_load() -> None:
    model = TrainingRequest.from_json(
        {
            "MLModelType": "MULTICLASS",
            "TrainingDataSourceId": "ds-1",
            "Parameters": {"openaml.seed": "4"},
            "Recipe": None,
            "RecipeUri": None,
        }
    )
    assert model == TrainingRequest(ModelType.MULTICLASS, "ds-1", {"openaml.seed": "4"})
    assert model.mode == "automl" and model.seed == 4
    assert EvaluationRequest.from_json({"MLModelId": "ml", "EvaluationDataSourceId": "ds"}) == (
        EvaluationRequest("ml", "ds")
    )
    assert BatchPredictionRequest.from_json(
        {"MLModelId": "ml", "BatchPredictionDataSourceId": "ds", "OutputUri": "s3://b/out/"}
    ) == BatchPredictionRequest("ml", "ds", "s3://b/out/")
    for record in (EvaluationRequest("ml", "ds"), BatchPredictionRequest("ml", "ds", "s3://b/out/")):
        assert type(record).from_json(record.to_json()) == record


def test_a_trained_models_details_read_as_its_outcome() -> None:
    schema = json.dumps(
        {
            "version": "1.0",
            "targetAttributeName": "y",
            "dataFormat": "CSV",
            "dataFileContainsHeader": True,
            "attributes": [
                {"attributeName": "x", "attributeType": "NUMERIC"},
                {"attributeName": "y", "attributeType": "BINARY"},
            ],
        }
    )
    binary = TrainedModelOutcome.from_details({"Schema": schema, "ScoreThreshold": 0.7, "Recipe": "r"})
    assert (binary.stored_score_threshold, binary.score_threshold, binary.recipe) == (0.7, 0.7, "r")
    assert binary.schema.target_attribute_name == "y" and binary.schema is binary.schema  # parsed once
    regression = TrainedModelOutcome.from_details({"Schema": schema, "Recipe": None})
    assert (regression.stored_score_threshold, regression.score_threshold, regression.recipe) == (
        None,
        0.5,
        None,
    )
