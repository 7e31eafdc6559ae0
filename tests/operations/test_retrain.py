"""Retraining a model group end to end through boto3 and the retrain route, with Predict under load.

Train on months 1-6 of a drifting, time-ordered dataset, append months 7-9 as new files under the
prefix, retrain with automatic promotion twice: once with an improvement no model can reach (the alias
stays), once with a negative one (the alias moves). Predict against the group ID runs in threads from
before the promotion until after the alias was flipped back and forth: no call may fail, and every
answer names one of the two versions.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.operations.test_realtime import ready_endpoint, wait_for
from tests.support.api import finished, signed_json_request
from tests.support.model_groups import SCHEMA, write_months
from tests.support.server import ACCESS_KEY_ID, LiveServer
from tests.support.workers import kill_job_workers, wait_for_job_workers

SGD = {"openaml.algorithms": "sgd", "sgd.maxPasses": "3"}
RECORD = {"day": "250", "x1": "0.4", "x2": "0.9"}


def _retrain(server: LiveServer, group: str, body: dict[str, Any]) -> dict[str, Any]:
    status, started = signed_json_request(server, "POST", f"/openaml/v1/mlmodels/{group}/retrain", body)
    assert status == 200, started
    assert started["Status"] == "PENDING"
    path = f"/openaml/v1/mlmodels/{group}/retrains/{started['RetrainId']}"
    return wait_for(  # type: ignore[no-any-return]
        lambda: (r := signed_json_request(server, "GET", path)[1])["Status"] in ("COMPLETED", "FAILED") and r,
        timeout=300,
    )


class PredictLoad:
    """Threads calling Predict on one ID with boto3 until stopped; they keep every answer and error."""

    def __init__(self, server: LiveServer, model_id: str, url: str, threads: int = 3) -> None:
        self.versions: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(server.client(), model_id, url), daemon=True)
            for _ in range(threads)
        ]

    def _run(self, client: Any, model_id: str, url: str) -> None:
        while not self._stop.is_set():
            try:
                answer = client.predict(MLModelId=model_id, Record=RECORD, PredictEndpoint=url)
                self.versions.append(answer["Prediction"]["details"]["openaml.modelVersion"])
            except Exception as error:  # every failure is a finding of the test
                self.errors.append(repr(error))
            time.sleep(0.005)

    def __enter__(self) -> PredictLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def latest(self) -> str | None:
        return self.versions[-1] if self.versions else None


def test_retrain_on_appended_months_promotes_only_a_winner_and_predict_never_fails(
    server: LiveServer, ml: Any
) -> None:
    assert server.scratch is not None
    group = f"churn-{uuid.uuid4().hex[:8]}"
    prefix = server.scratch / group
    write_months(prefix, range(1, 7))
    ml.create_data_source_from_s3(
        DataSourceId=f"{group}-ds",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": f"{prefix}/", "DataSchema": SCHEMA},
    )
    ml.create_ml_model(
        MLModelId=group, MLModelType="BINARY", TrainingDataSourceId=f"{group}-ds", Parameters=SGD
    )
    assert finished(lambda: ml.get_ml_model(MLModelId=group))["Status"] == "COMPLETED"
    url = ready_endpoint(ml, group)
    write_months(prefix, range(7, 10))  # the new observations: three more files under the prefix

    kept = _retrain(
        server,
        group,
        {"holdout": {"rule": "time", "percent": 20}, "promotion": "auto", "minImprovement": 1.0},
    )
    assert kept["Status"] == "COMPLETED", kept["Message"]
    assert kept["ChallengerVersion"] == f"{group}.v2" and kept["Promoted"] is False
    comparison = kept["Comparison"]
    assert comparison["Metric"] == "BinaryAUC" and comparison["ChallengerWins"] is False
    assert 0.5 < comparison["ChampionScore"] <= 1 and 0.5 < comparison["ChallengerScore"] <= 1
    assert ml.get_ml_model(MLModelId=group)["MLModelId"] == group  # champion unchanged
    # One holdout, shared: both evaluations score it; with the training set it covers all 9 months.
    holdout = ml.get_data_source(DataSourceId=kept["HoldoutDataSourceId"])
    training = ml.get_data_source(DataSourceId=kept["TrainingDataSourceId"])
    assert holdout["DataSizeInBytes"] > 0 and holdout["NumberOfFiles"] == training["NumberOfFiles"] == 9
    assert {
        ml.get_evaluation(EvaluationId=kept[key])["EvaluationDataSourceId"]
        for key in ("ChampionEvaluationId", "ChallengerEvaluationId")
    } == {kept["HoldoutDataSourceId"]}
    tags = ml.describe_tags(ResourceId=kept["HoldoutDataSourceId"], ResourceType="DataSource")["Tags"]
    assert {"Key": "openaml:modelGroup", "Value": group} in tags

    with PredictLoad(server, group, url) as load:
        wait_for(lambda: load.versions)
        promoted = _retrain(
            server,
            group,
            {"openaml.promotion": "auto", "openaml.minImprovement": "-1", "holdout": {"percent": 20}},
        )
        assert promoted["Status"] == "COMPLETED", promoted["Message"]
        assert promoted["ChallengerVersion"] == f"{group}.v3" and promoted["Promoted"] is True
        assert ml.get_ml_model(MLModelId=group)["MLModelId"] == f"{group}.v3"
        wait_for(lambda: load.latest() == f"{group}.v3", timeout=60)
        for version in ("v1", "v3", "v1", "v3"):
            status, _ = signed_json_request(
                server,
                "PUT",
                f"/openaml/v1/mlmodels/{group}/aliases/champion",
                {"version": version, "reason": "swap under load"},
            )
            assert status == 200
            wait_for(lambda v=version: load.latest() == f"{group}.{v}", timeout=60)
    assert load.errors == []
    assert set(load.versions) == {f"{group}.v1", f"{group}.v3"}
    _, history = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{group}/history")
    automatic = [c for c in history["Changes"] if c["Alias"] == "champion" and c["Comparison"]]
    assert len(automatic) == 1 and automatic[0]["ToVersion"] == 3
    assert automatic[0]["ChangedBy"] == ACCESS_KEY_ID and automatic[0]["Comparison"]["ChallengerScore"]


@pytest.fixture(scope="module")
def small_group(server: LiveServer) -> str:
    """A COMPLETED model on one month of data: the group the refused requests name."""
    assert server.scratch is not None
    ml = server.client()
    group = f"bad-{uuid.uuid4().hex[:8]}"
    write_months(server.scratch / group, range(1, 2), rows_per_month=40)
    ml.create_data_source_from_s3(
        DataSourceId=f"{group}-ds",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(server.scratch / group / "month-01.csv"), "DataSchema": SCHEMA},
    )
    ml.create_ml_model(
        MLModelId=group, MLModelType="BINARY", TrainingDataSourceId=f"{group}-ds", Parameters=SGD
    )
    assert finished(lambda: ml.get_ml_model(MLModelId=group))["Status"] == "COMPLETED"
    return group


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"promotionMetric": "RegressionRMSE"}, "does not apply to a BINARY model"),
        ({"holdout": {"rule": "time", "attribute": "day"}}, "not supported yet"),
        ({"holdout": {"rule": "newest"}}, "time, random"),
        ({"holdout": {"percent": 95}}, "between 1 and 90"),
        ({"holdout": {"percent": 0}}, "between 1 and 90"),
        ({"promotion": "sometimes"}, "manual or auto"),
        ({"updateMode": "magic"}, "refit"),
        ({"parameters": {"openaml.updateMode": "refit"}}, "the retrain sets them"),
        ({"parameters": {"sgd.maxPasses": "many"}}, "sgd.maxPasses"),
    ],
)
def test_a_bad_retrain_request_is_refused_before_anything_is_created(
    server: LiveServer, small_group: str, body: dict[str, Any], words: str
) -> None:
    status, error = signed_json_request(server, "POST", f"/openaml/v1/mlmodels/{small_group}/retrain", body)
    assert status == 400 and error["__type"] == "InvalidInputException"
    assert words in error["message"]
    _, retrains = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{small_group}/retrains")
    assert retrains["Retrains"] == []
    _, versions = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{small_group}/versions")
    assert len(versions["Versions"]) == 1


def test_retraining_an_unknown_group_is_not_found(server: LiveServer) -> None:
    status, error = signed_json_request(server, "POST", "/openaml/v1/mlmodels/no-such-group/retrain", {})
    assert status == 404 and error["__type"] == "ResourceNotFoundException"


def test_a_retrain_survives_killed_job_workers(tmp_path: Path) -> None:
    """Job workers killed (``kill -9``) while the retrain's jobs run: the retried jobs finish it.

    Slow (~45 s on a shared machine) for a reason: its own server, and the supervisor restarts a killed
    worker after a back-off that doubles with each kill (1 + 2 + 4 s).
    """
    scratch = tmp_path / "io"
    group = "killed"
    write_months(scratch / group, range(1, 4), rows_per_month=80)
    live = LiveServer(
        tmp_path / "data",
        workers=1,
        scratch=scratch,
        env={
            "OPENAML_DATA_ROOTS": str(scratch),
            "OPENAML_JOB_LEASE_SECONDS": "1",
            "OPENAML_JOB_MAX_ATTEMPTS": "6",
        },
    ).start()
    try:
        ml = live.client()
        ml.create_data_source_from_s3(
            DataSourceId="killed-ds",
            ComputeStatistics=True,
            DataSpec={"DataLocationS3": f"{scratch / group}/", "DataSchema": SCHEMA},
        )
        ml.create_ml_model(
            MLModelId=group, MLModelType="BINARY", TrainingDataSourceId="killed-ds", Parameters=SGD
        )
        assert finished(lambda: ml.get_ml_model(MLModelId=group))["Status"] == "COMPLETED"
        write_months(scratch / group, range(4, 6), rows_per_month=80)
        status, started = signed_json_request(
            live, "POST", f"/openaml/v1/mlmodels/{group}/retrain", {"promotion": "auto", "minImprovement": -1}
        )
        assert status == 200, started
        killed: list[int] = []
        for _ in range(3):
            killed += kill_job_workers(live)
            wait_for_job_workers(live, 1, other_than=killed)
        path = f"/openaml/v1/mlmodels/{group}/retrains/{started['RetrainId']}"
        done = wait_for(
            lambda: (
                (r := signed_json_request(live, "GET", path)[1])["Status"] in ("COMPLETED", "FAILED") and r
            ),
            timeout=300,
        )
        assert done["Status"] == "COMPLETED", done["Message"]
        assert done["Promoted"] is True and ml.get_ml_model(MLModelId=group)["MLModelId"] == f"{group}.v2"
    finally:
        live.stop()
