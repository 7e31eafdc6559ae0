"""Tests of the server-side input validator driven by botocore's ``machinelearning`` model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.model import Shape
from botocore.serialize import create_serializer

from openaml.errors import InvalidInputException, UnknownOperationException
from openaml.operations.validation import InputValidator, load_service_model, operation_names

AMAZON_ML_OPERATIONS = {
    *("AddTags", "DescribeTags", "DeleteTags", "Predict"),
    *("CreateDataSourceFromS3", "CreateDataSourceFromRDS", "CreateDataSourceFromRedshift"),
    *("GetDataSource", "UpdateDataSource", "DeleteDataSource", "DescribeDataSources"),
    *("CreateMLModel", "GetMLModel", "UpdateMLModel", "DeleteMLModel", "DescribeMLModels"),
    *("CreateEvaluation", "GetEvaluation", "UpdateEvaluation", "DeleteEvaluation", "DescribeEvaluations"),
    *("CreateBatchPrediction", "GetBatchPrediction", "UpdateBatchPrediction", "DeleteBatchPrediction"),
    *("DescribeBatchPredictions", "CreateRealtimeEndpoint", "DeleteRealtimeEndpoint"),
}

#: Sample values for string shapes whose pattern a plain "x" would not match.
SAMPLE_STRINGS = {"S3Url": "s3://bucket/data/banking.csv", "VipURL": "http://127.0.0.1:8080"}


@pytest.fixture(scope="module")
def validator() -> InputValidator:
    return InputValidator(load_service_model())


def sample_value(shape: Shape, all_members: bool) -> Any:
    """A value of ``shape`` that the model allows: only required members, or every member."""
    match shape.type_name:
        case "structure":
            return {
                name: sample_value(member, all_members)
                for name, member in shape.members.items()
                if all_members or name in shape.required_members
            }
        case "list":
            return [sample_value(shape.member, all_members)]
        case "map":
            return {"key": sample_value(shape.value, all_members)}
        case "string" if shape.enum:
            return shape.enum[0]
        case "string":
            return SAMPLE_STRINGS.get(shape.name, "x" * max(shape.metadata.get("min", 1), 1))
        case "integer" | "long":
            return shape.metadata.get("min", 1)
        case "float" | "double":
            return 0.5
        case "boolean":
            return True
    raise AssertionError(f"no sample for shape {shape.name} of type {shape.type_name}")


def as_boto3_sends(operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The JSON body botocore would send for ``params`` (it raises if botocore itself rejects them)."""
    operation = load_service_model().operation_model(operation_name)
    request = create_serializer("json", include_validation=True).serialize_to_request(params, operation)
    body: dict[str, Any] = json.loads(request["body"])
    return body


def error_of(validator: InputValidator, operation_name: str, params: dict[str, Any]) -> str:
    with pytest.raises(InvalidInputException) as caught:
        validator.validate(operation_name, params)
    return caught.value.message


# --- The model ------------------------------------------------------------------------------------


def test_operation_names_are_the_28_amazon_ml_operations() -> None:
    assert len(operation_names()) == 28
    assert set(operation_names()) == AMAZON_ML_OPERATIONS


def test_service_model_is_loaded_once() -> None:
    assert load_service_model() is load_service_model()
    assert load_service_model().metadata["targetPrefix"] == "AmazonML_20141212"


def test_unknown_operation_is_refused(validator: InputValidator) -> None:
    with pytest.raises(UnknownOperationException, match="CreateThing"):
        validator.validate("CreateThing", {})


# --- Valid calls pass -----------------------------------------------------------------------------


@pytest.mark.parametrize("all_members", [False, True], ids=["required-only", "every-member"])
@pytest.mark.parametrize("operation_name", sorted(AMAZON_ML_OPERATIONS))
def test_what_boto3_sends_for_a_valid_call_passes(
    validator: InputValidator, operation_name: str, all_members: bool
) -> None:
    input_shape = load_service_model().operation_model(operation_name).input_shape
    params = sample_value(input_shape, all_members)
    validator.validate(operation_name, as_boto3_sends(operation_name, params))


def test_realistic_create_data_source_from_s3_passes(validator: InputValidator) -> None:
    rearrangement = json.dumps({"splitting": {"percentBegin": 0, "percentEnd": 70}})
    validator.validate(
        "CreateDataSourceFromS3",
        {
            "DataSourceId": "ds-banking-train",
            "DataSourceName": "Banking (training 70 %)",
            "DataSpec": {
                "DataLocationS3": "s3://ml-data/banking.csv",
                "DataSchemaLocationS3": "s3://ml-data/banking.csv.schema",
                "DataRearrangement": rearrangement,
            },
            "ComputeStatistics": True,
        },
    )


def test_realistic_predict_passes(validator: InputValidator) -> None:
    validator.validate(
        "Predict",
        {
            "MLModelId": "ml-banking",
            "Record": {"age": "44", "job": "blue-collar", "marital status": "", "éducation": "basic.4y"},
            "PredictEndpoint": "http://127.0.0.1:8080",
        },
    )


def test_realistic_add_tags_passes(validator: InputValidator) -> None:
    validator.validate(
        "AddTags",
        {
            "ResourceId": "ml-banking",
            "ResourceType": "MLModel",
            "Tags": [{"Key": "project", "Value": "churn"}, {"Key": "owner"}, {"Key": "stage", "Value": ""}],
        },
    )


# --- Required members, types, nulls and unknown members --------------------------------------------


def test_missing_required_members_are_each_reported(validator: InputValidator) -> None:
    message = error_of(validator, "CreateMLModel", {"MLModelName": "m"})
    assert message.startswith("3 validation errors detected: ")
    for member in ("MLModelId", "MLModelType", "TrainingDataSourceId"):
        assert f"Value null at '{member}' failed to satisfy constraint: Member must not be null" in message


def test_missing_nested_required_member_is_named_by_its_path(validator: InputValidator) -> None:
    message = error_of(validator, "CreateDataSourceFromS3", {"DataSourceId": "ds-1", "DataSpec": {}})
    assert message == (
        "1 validation error detected: Value null at 'DataSpec.DataLocationS3' "
        "failed to satisfy constraint: Member must not be null"
    )


def test_null_value_is_rejected(validator: InputValidator) -> None:
    message = error_of(validator, "DescribeMLModels", {"Limit": None})
    assert "Value null at 'Limit' failed to satisfy constraint: Member must not be null" in message


@pytest.mark.parametrize(
    ("operation_name", "params", "expected"),
    [
        ("DescribeMLModels", {"Limit": True}, "Value 'true' at 'Limit' failed to satisfy constraint: "),
        (
            "DescribeMLModels",
            {"Limit": 10.0},
            "at 'Limit' failed to satisfy constraint: Member must be an integer",
        ),
        ("DeleteMLModel", {"MLModelId": 42}, "Value '42' at 'MLModelId' failed to satisfy constraint: "),
        ("GetMLModel", {"MLModelId": "m", "Verbose": "true"}, "at 'Verbose' failed to satisfy constraint: "),
        ("UpdateMLModel", {"MLModelId": "m", "ScoreThreshold": False}, "at 'ScoreThreshold' failed"),
        ("UpdateMLModel", {"MLModelId": "m", "ScoreThreshold": "0.5"}, "Member must be a finite number"),
        (
            "UpdateMLModel",
            {"MLModelId": "m", "ScoreThreshold": float("nan")},
            "Member must be a finite number",
        ),
        ("CreateDataSourceFromS3", {"DataSourceId": "d", "DataSpec": "s3://b/k"}, "Member must be an object"),
        ("AddTags", {"ResourceId": "m", "ResourceType": "MLModel", "Tags": {}}, "Member must be an array"),
        ("Predict", {"MLModelId": "m", "Record": [], "PredictEndpoint": "http://h"}, "must be an object"),
    ],
)
def test_wrong_json_types_are_rejected(
    validator: InputValidator, operation_name: str, params: dict[str, Any], expected: str
) -> None:
    assert expected in error_of(validator, operation_name, params)


def test_int_for_string_and_string_for_bool_name_the_expected_type(validator: InputValidator) -> None:
    message = error_of(validator, "GetDataSource", {"DataSourceId": 7, "Verbose": "yes"})
    assert "Value '7' at 'DataSourceId' failed to satisfy constraint: Member must be a string" in message
    assert "at 'Verbose' failed to satisfy constraint: Member must be a boolean" in message


def test_integer_is_accepted_for_a_float(validator: InputValidator) -> None:
    validator.validate("UpdateMLModel", {"MLModelId": "m", "ScoreThreshold": 1})


def test_record_value_of_wrong_type_is_named_by_its_key(validator: InputValidator) -> None:
    message = error_of(
        validator, "Predict", {"MLModelId": "m", "Record": {"age": 44}, "PredictEndpoint": "http://h"}
    )
    assert "Value '44' at 'Record.age' failed to satisfy constraint: Member must be a string" in message


def test_unknown_members_are_named(validator: InputValidator) -> None:
    message = error_of(
        validator,
        "CreateDataSourceFromS3",
        {"DataSourceId": "d", "DataSpec": {"DataLocationS3": "s3://b", "Schema": "{}"}, "Name": "n"},
    )
    assert 'Unknown parameter in input: "Name", must be one of: DataSourceId, DataSourceName' in message
    assert 'Unknown parameter in DataSpec: "Schema", must be one of: DataLocationS3,' in message


# --- Lengths, ranges, patterns and enums -------------------------------------------------------------


def test_too_long_string_is_rejected_and_capped_in_the_message(validator: InputValidator) -> None:
    message = error_of(validator, "DeleteDataSource", {"DataSourceId": "a" * 5000})
    assert "failed to satisfy constraint: Member must have length less than or equal to 64" in message
    assert "a" * 200 + "...' at 'DataSourceId'" in message
    assert len(message) < 400


def test_too_long_tag_list_is_rejected(validator: InputValidator) -> None:
    tags = [{"Key": f"k{i}"} for i in range(101)]
    message = error_of(validator, "AddTags", {"ResourceId": "m", "ResourceType": "MLModel", "Tags": tags})
    assert (
        "at 'Tags' failed to satisfy constraint: Member must have length less than or equal to 100" in message
    )


@pytest.mark.parametrize(
    ("limit", "constraint"),
    [(0, "greater than or equal to 1"), (101, "less than or equal to 100")],
)
def test_limit_outside_1_to_100_is_rejected(validator: InputValidator, limit: int, constraint: str) -> None:
    message = error_of(validator, "DescribeDataSources", {"Limit": limit})
    assert message == (
        f"1 validation error detected: Value '{limit}' at 'Limit' failed to satisfy constraint: "
        f"Member must have value {constraint}"
    )


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_inclusive(validator: InputValidator, limit: int) -> None:
    validator.validate("DescribeDataSources", {"Limit": limit})


@pytest.mark.parametrize("operation", ["CreateDataSourceFromS3", "GetMLModel", "CreateEvaluation"])
def test_entity_ids_dot_and_dot_dot_are_rejected(validator: InputValidator, operation: str) -> None:
    """Issue 13 item 7: they match the model's pattern but name no folder of their own."""
    member = {"CreateDataSourceFromS3": "DataSourceId", "GetMLModel": "MLModelId"}.get(operation, "MLModelId")
    for entity_id in (".", ".."):
        assert (
            f"Value '{entity_id}' at '{member}' failed to satisfy constraint: Member must not be '.' or '..'"
            in error_of(validator, operation, {member: entity_id})
        )
    validator.validate("GetMLModel", {"MLModelId": "..."})


def test_entity_id_not_matching_the_pattern_is_rejected(validator: InputValidator) -> None:
    assert error_of(validator, "GetDataSource", {"DataSourceId": "x y"}) == (
        "1 validation error detected: Value 'x y' at 'DataSourceId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )


def test_empty_entity_id_breaks_both_length_and_pattern_but_is_reported_once(
    validator: InputValidator,
) -> None:
    message = error_of(validator, "GetDataSource", {"DataSourceId": ""})
    assert message.startswith("1 validation error detected: ")
    assert "Member must have length greater than or equal to 1" in message


def test_whitespace_only_name_is_rejected_and_empty_name_accepted(validator: InputValidator) -> None:
    message = error_of(validator, "UpdateDataSource", {"DataSourceId": "d", "DataSourceName": "   "})
    assert (
        "at 'DataSourceName' failed to satisfy constraint: Member must satisfy regular expression" in message
    )
    validator.validate("UpdateDataSource", {"DataSourceId": "d", "DataSourceName": ""})


@pytest.mark.parametrize(
    ("operation_name", "params", "expected"),
    [
        (
            "CreateMLModel",
            {"MLModelId": "m", "MLModelType": "FOO", "TrainingDataSourceId": "d"},
            "Value 'FOO' at 'MLModelType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [REGRESSION, BINARY, MULTICLASS]",
        ),
        (
            "DescribeEvaluations",
            {"SortOrder": "up"},
            "Value 'up' at 'SortOrder' failed to satisfy constraint: "
            "Member must satisfy enum value set: [asc, dsc]",
        ),
        ("DescribeTags", {"ResourceId": "m", "ResourceType": "mlmodel"}, "at 'ResourceType' failed"),
        ("DescribeDataSources", {"FilterVariable": "MLModelType"}, "at 'FilterVariable' failed"),
    ],
)
def test_values_outside_the_enum_are_rejected(
    validator: InputValidator, operation_name: str, params: dict[str, Any], expected: str
) -> None:
    assert expected in error_of(validator, operation_name, params)


# --- Tags -----------------------------------------------------------------------------------------


def add_tags(*tags: dict[str, str]) -> dict[str, Any]:
    return {"ResourceId": "ml-1", "ResourceType": "MLModel", "Tags": list(tags)}


@pytest.mark.parametrize("text", ["Größe", "名前", "projet été", "a.b:c/d=e+f-g@h_i", "50%", "٣"])
def test_tag_with_unicode_letters_and_allowed_signs_is_accepted(validator: InputValidator, text: str) -> None:
    validator.validate("AddTags", add_tags({"Key": text, "Value": text}))
    validator.validate("DeleteTags", {"ResourceId": "ml-1", "ResourceType": "MLModel", "TagKeys": [text]})


@pytest.mark.parametrize("text", ["a*b", "x#y", "<tag>", "semi;colon", "line\nbreak"])
def test_tag_key_with_other_characters_is_rejected_with_its_index(
    validator: InputValidator, text: str
) -> None:
    message = error_of(validator, "AddTags", add_tags({"Key": "fine"}, {"Key": text}))
    assert (
        "at 'Tags[1].Key' failed to satisfy constraint: Member must satisfy regular expression pattern"
        in message
    )


def test_multiple_errors_are_collected_in_one_message(validator: InputValidator) -> None:
    message = error_of(
        validator, "AddTags", {"ResourceId": "a b", "ResourceType": "MLModel", "Tags": [{"Key": ""}]}
    )
    assert message == (
        "2 validation errors detected: "
        "Value '' at 'Tags[0].Key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value 'a b' at 'ResourceId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )


# --- OpenAML's overrides of the model ---------------------------------------------------------------


def create_from(location: str) -> dict[str, Any]:
    return {"DataSourceId": "ds-1", "DataSpec": {"DataLocationS3": location}}


@pytest.mark.parametrize(
    "location",
    ["s3://bucket", "s3://bucket/", "s3://bucket/dir/data.csv", "file:///srv/data/x.csv", "/srv/x.csv"],
)
def test_s3_url_accepts_s3_file_and_absolute_local_locations(
    validator: InputValidator, location: str
) -> None:
    validator.validate("CreateDataSourceFromS3", create_from(location))
    validator.validate(
        "CreateBatchPrediction",
        {
            "BatchPredictionId": "bp",
            "MLModelId": "m",
            "BatchPredictionDataSourceId": "d",
            "OutputUri": location,
        },
    )


@pytest.mark.parametrize(
    "location", ["data/x.csv", "./x.csv", "http://bucket/x.csv", "s3://", "s3:///key", "file://rel/x.csv", ""]
)
def test_s3_url_rejects_other_locations_saying_what_is_accepted(
    validator: InputValidator, location: str
) -> None:
    message = error_of(validator, "CreateDataSourceFromS3", create_from(location))
    assert f"Value '{location}' at 'DataSpec.DataLocationS3' failed to satisfy constraint: " in message
    assert "s3://bucket[/key] URL, a file:///absolute/path URL or an absolute local path" in message


def predict_at(endpoint: str) -> dict[str, Any]:
    return {"MLModelId": "ml-1", "Record": {"a": "1"}, "PredictEndpoint": endpoint}


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:8080",
        "http://localhost:9000/",
        "HTTPS://ml.internal/base?x=1",
        "https://realtime.machinelearning.us-east-1.amazonaws.com",
    ],
)
def test_predict_endpoint_accepts_any_absolute_http_url(validator: InputValidator, endpoint: str) -> None:
    validator.validate("Predict", predict_at(endpoint))


@pytest.mark.parametrize("endpoint", ["localhost:9000", "ftp://host", "http://", "/predict", ""])
def test_predict_endpoint_rejects_what_is_not_an_http_url(validator: InputValidator, endpoint: str) -> None:
    message = error_of(validator, "Predict", predict_at(endpoint))
    assert "at 'PredictEndpoint' failed to satisfy constraint: Member must be an absolute http" in message


def test_sensitive_values_are_not_echoed(validator: InputValidator) -> None:
    params = sample_value(load_service_model().operation_model("CreateDataSourceFromRDS").input_shape, False)
    params["RDSData"]["DatabaseCredentials"]["Password"] = "secret"
    message = error_of(validator, "CreateDataSourceFromRDS", params)
    assert "Value '***' at 'RDSData.DatabaseCredentials.Password'" in message
    assert "secret" not in message
