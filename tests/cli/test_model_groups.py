"""``openaml model versions|history|promote|rollback`` against a live server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from tests.cli.test_client_commands import as_json, openaml, succeeded
from tests.support.api import finished
from tests.support.model_groups import SCHEMA, write_months
from tests.support.server import LiveServer

SGD = {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"}


@pytest.fixture(scope="module")
def two_versions(server: LiveServer) -> str:
    """A group whose version 1 and version 2 (trained with ``openaml.parentMLModelId``) are COMPLETED."""
    assert server.scratch is not None
    ml = server.client()
    group = f"cli-grp-{uuid.uuid4().hex[:8]}"
    folder = server.scratch / group
    write_months(folder, range(1, 3), rows_per_month=60)
    ml.create_data_source_from_s3(
        DataSourceId=f"{group}-ds",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(folder) + "/", "DataSchema": SCHEMA},
    )
    ml.create_ml_model(
        MLModelId=group, MLModelType="BINARY", TrainingDataSourceId=f"{group}-ds", Parameters=SGD
    )
    ml.create_ml_model(
        MLModelId=f"{group}.v2",
        MLModelType="BINARY",
        TrainingDataSourceId=f"{group}-ds",
        Parameters={**SGD, "openaml.parentMLModelId": group},
    )
    for model_id in (group, f"{group}.v2"):
        assert finished(lambda m=model_id: ml.get_ml_model(MLModelId=m))["Status"] == "COMPLETED"
    return group


def test_versions_promote_rollback_and_history(server: LiveServer, two_versions: str) -> None:
    group = two_versions
    listed = succeeded(openaml(server, "model", "versions", group))
    assert f"Model group {group}" in listed.stdout and f"{group}.v2" in listed.stdout
    assert f"champion → {group}.v1" in listed.stdout

    rollback = openaml(server, "model", "rollback", group)
    assert rollback.exit_code == 1 and "never moved" in rollback.stderr

    promoted = succeeded(openaml(server, "model", "promote", group, "v2", "--reason", "better AUC"))
    assert f"champion of {group} now points at {group}.v2 (was v1)." in promoted.stdout
    again = succeeded(openaml(server, "model", "promote", group, "2"))
    assert "nothing changed" in again.stdout

    rolled = as_json(openaml(server, "model", "rollback", group, "-o", "json"))
    assert rolled["Version"] == 1 and rolled["PreviousVersion"] == 2 and rolled["Changed"] is True
    versions = as_json(openaml(server, "model", "versions", group, "-o", "json"))
    assert versions["Aliases"]["champion"] == f"{group}.v1"

    history = as_json(openaml(server, "model", "history", group, "-o", "json"))
    assert [(c["FromVersion"], c["ToVersion"]) for c in history["Changes"]] == [(2, 1), (1, 2)]
    assert history["Changes"][1]["Reason"] == "better AUC"
    assert (
        "rolled back with openaml model rollback"
        in succeeded(openaml(server, "model", "history", group)).stdout
    )


def test_retrain_waits_for_the_comparison_and_reports_the_promotion(
    server: LiveServer, two_versions: str, tmp_path: Path
) -> None:
    group = two_versions
    retrained = as_json(
        openaml(
            server,
            *("model", "retrain", group, "--holdout", "time", "--holdout-percent", "30"),
            *("--promotion", "auto", "--min-improvement", "-1", "-o", "json"),
        )
    )
    assert retrained["Status"] == "COMPLETED" and retrained["Promoted"] is True, retrained
    assert retrained["ChallengerVersion"] == f"{group}.v3"
    assert retrained["Comparison"]["ChallengerWins"] is True
    picture = tmp_path / "comparison.png"
    shown = succeeded(
        openaml(server, "model", "retrain-status", group, retrained["RetrainId"], "--png", str(picture))
    )
    assert f"promoted: champion is now {group}.v3" in shown.stdout
    assert picture.read_bytes().startswith(b"\x89PNG")
    versions = as_json(openaml(server, "model", "versions", group, "-o", "json"))
    assert versions["Aliases"]["champion"] == f"{group}.v3"
