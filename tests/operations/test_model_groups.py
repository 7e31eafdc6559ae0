"""Model groups through boto3 and the extension routes: versions, aliases, history, resolution, deletes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.api import finished, signed_json_request
from tests.support.model_groups import SCHEMA, write_months
from tests.support.server import ACCESS_KEY_ID, LiveServer

SGD = {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"}


@pytest.fixture()
def group(server: LiveServer, ml: Any) -> dict[str, str]:
    """A COMPLETED model ``g`` (version 1) and a COMPLETED second version ``g.v2`` trained from it."""
    assert server.scratch is not None
    group_id = f"grp-{uuid.uuid4().hex[:8]}"
    folder = server.scratch / group_id
    write_months(folder, range(1, 3), rows_per_month=60)
    ml.create_data_source_from_s3(
        DataSourceId=f"{group_id}-ds",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(folder) + "/", "DataSchema": SCHEMA},
    )
    ml.create_ml_model(
        MLModelId=group_id, MLModelType="BINARY", TrainingDataSourceId=f"{group_id}-ds", Parameters=SGD
    )
    got = finished(lambda: ml.get_ml_model(MLModelId=group_id))  # a parent must be COMPLETED
    assert got["Status"] == "COMPLETED", got.get("Message")
    ml.create_ml_model(
        MLModelId=f"{group_id}.v2",
        MLModelType="BINARY",
        TrainingDataSourceId=f"{group_id}-ds",
        Parameters={**SGD, "openaml.parentMLModelId": group_id},
    )
    got = finished(lambda: ml.get_ml_model(MLModelId=f"{group_id}.v2"))
    assert got["Status"] == "COMPLETED", got.get("Message")
    return {"group": group_id, "ds": f"{group_id}-ds"}


def test_a_plain_model_is_version_1_and_champion_of_its_own_group(ml: Any, group: dict[str, str]) -> None:
    g = group["group"]
    got = ml.get_ml_model(MLModelId=g)
    assert got["MLModelId"] == g
    assert got["TrainingParameters"]["openaml.modelGroup"] == g
    assert got["TrainingParameters"]["openaml.modelVersion"] == f"{g}.v1"
    assert got["TrainingParameters"]["openaml.modelAliases"] == "champion"
    assert ml.get_ml_model(MLModelId=f"{g}.v1")["MLModelId"] == g
    second = ml.get_ml_model(MLModelId=f"{g}.v2")
    assert second["MLModelId"] == f"{g}.v2"
    assert second["TrainingParameters"]["openaml.parentMLModelId"] == g
    assert second["TrainingParameters"]["openaml.modelVersion"] == f"{g}.v2"


def test_versions_aliases_and_history(server: LiveServer, ml: Any, group: dict[str, str]) -> None:
    g = group["group"]
    status, versions = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{g}/versions")
    assert status == 200
    assert versions["Aliases"] == {"champion": f"{g}.v1"}
    assert [(v["Version"], v["MLModelId"], v["Aliases"]) for v in versions["Versions"]] == [
        (1, g, ["champion"]),
        (2, f"{g}.v2", []),
    ]
    assert versions["Versions"][1]["UpdateMode"] == "refit"

    status, moved = signed_json_request(
        server, "PUT", f"/openaml/v1/mlmodels/{g}/aliases/champion", {"version": "v2", "reason": "better"}
    )
    assert status == 200, moved
    assert moved["Version"] == 2 and moved["PreviousVersion"] == 1 and moved["Changed"] is True
    got = ml.get_ml_model(MLModelId=g)
    assert got["MLModelId"] == f"{g}.v2"
    assert got["TrainingParameters"]["openaml.modelVersion"] == f"{g}.v2"

    status, _ = signed_json_request(
        server, "PUT", f"/openaml/v1/mlmodels/{g}/aliases/challenger", {"Version": f"{g}.v1"}
    )
    assert status == 200
    status, rolled = signed_json_request(
        server, "PUT", f"/openaml/v1/mlmodels/{g}.v2/aliases/champion", {"version": 1, "reason": "rollback"}
    )
    assert status == 200 and rolled["Version"] == 1
    status, history = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{g}/history")
    assert status == 200
    changes = [(c["Alias"], c["FromVersion"], c["ToVersion"], c["Reason"]) for c in history["Changes"]]
    assert changes == [
        ("champion", 2, 1, "rollback"),
        ("challenger", None, 1, None),
        ("champion", 1, 2, "better"),
    ]
    assert {c["ChangedBy"] for c in history["Changes"]} == {ACCESS_KEY_ID}


@pytest.mark.parametrize(
    ("body", "alias", "words"),
    [
        ({"version": 7}, "champion", "no version 7"),
        ({"version": "v1"}, "v3", "not allowed"),
        ({"version": None}, "champion", "cannot be removed"),
        ({}, "champion", "Give"),
    ],
)
def test_bad_alias_changes_are_refused_with_a_message(
    server: LiveServer, group: dict[str, str], body: dict[str, Any], alias: str, words: str
) -> None:
    status, error = signed_json_request(
        server, "PUT", f"/openaml/v1/mlmodels/{group['group']}/aliases/{alias}", body
    )
    assert status == 400 and error["__type"] == "InvalidInputException"
    assert words in error["message"]


def test_operations_resolve_the_group_to_its_champion(
    server: LiveServer, ml: Any, group: dict[str, str]
) -> None:
    g = group["group"]
    signed_json_request(server, "PUT", f"/openaml/v1/mlmodels/{g}/aliases/champion", {"version": 2})
    evaluation = f"{g}-ev"
    ml.create_evaluation(EvaluationId=evaluation, MLModelId=g, EvaluationDataSourceId=group["ds"])
    assert ml.get_evaluation(EvaluationId=evaluation)["MLModelId"] == f"{g}.v2"
    ml.add_tags(ResourceId=g, ResourceType="MLModel", Tags=[{"Key": "team", "Value": "risk"}])
    assert ml.describe_tags(ResourceId=f"{g}.v2", ResourceType="MLModel")["Tags"] == [
        {"Key": "team", "Value": "risk"}
    ]
    ml.update_ml_model(MLModelId=g, MLModelName="renamed champion")
    assert ml.get_ml_model(MLModelId=f"{g}.v2")["Name"] == "renamed champion"
    assert ml.get_ml_model(MLModelId=f"{g}.v1").get("Name") != "renamed champion"
    with pytest.raises(ClientError) as missing:
        ml.get_ml_model(MLModelId=f"{g}.v9")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_delete_never_destroys_more_than_the_caller_named(
    server: LiveServer, ml: Any, group: dict[str, str]
) -> None:
    g = group["group"]
    with pytest.raises(ClientError) as by_group:
        ml.delete_ml_model(MLModelId=g)
    assert "2 versions" in by_group.value.response["Error"]["Message"]
    signed_json_request(server, "PUT", f"/openaml/v1/mlmodels/{g}/aliases/champion", {"version": 2})
    with pytest.raises(ClientError) as champion:
        ml.delete_ml_model(MLModelId=f"{g}.v2")
    assert "champion" in champion.value.response["Error"]["Message"]
    assert ml.get_ml_model(MLModelId=f"{g}.v2")["Status"] == "COMPLETED"
    signed_json_request(server, "PUT", f"/openaml/v1/mlmodels/{g}/aliases/challenger", {"version": 1})
    assert ml.delete_ml_model(MLModelId=f"{g}.v1")["MLModelId"] == g
    assert ml.get_ml_model(MLModelId=f"{g}.v1")["Status"] == "DELETED"
    _, versions = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{g}/versions")
    assert versions["Aliases"] == {"champion": f"{g}.v2"}  # the challenger alias went with v1
    # One live version left: the group ID now names only it, so deleting by the group ID is allowed.
    assert ml.delete_ml_model(MLModelId=g)["MLModelId"] == f"{g}.v2"


def test_a_version_must_be_named_by_its_number_and_the_parent_must_exist(
    ml: Any, group: dict[str, str]
) -> None:
    g = group["group"]
    for model_id, parameters, words in [
        (f"{g}.v7", {**SGD, "openaml.parentMLModelId": g}, f"{g}.v3"),
        (f"{g}-x", {**SGD, "openaml.parentMLModelId": "no-such-model"}, "does not exist"),
        (f"{g}-y", {**SGD, "openaml.parentMLModelId": g, "openaml.updateMode": "magic"}, "refit"),
        (f"{g}.v3", SGD, "openaml.parentMLModelId"),
    ]:
        with pytest.raises(ClientError) as refused:
            ml.create_ml_model(
                MLModelId=model_id,
                MLModelType="BINARY",
                TrainingDataSourceId=group["ds"],
                Parameters=parameters,
            )
        assert words in refused.value.response["Error"]["Message"]
    ml.create_ml_model(
        MLModelId=f"{g}-custom",
        MLModelType="BINARY",
        TrainingDataSourceId=group["ds"],
        Parameters={**SGD, "openaml.parentMLModelId": f"{g}.v2", "openaml.updateMode": "refit"},
    )
    assert ml.get_ml_model(MLModelId=f"{g}.v3")["MLModelId"] == f"{g}-custom"
