"""The schedule routes through a live server whose two job worker processes run due schedules: a
schedule made due starts one real retrain of a model group, however many workers look."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.support.api import finished, signed_json_request
from tests.support.model_groups import SCHEMA, write_months
from tests.support.server import LiveServer

SCHEDULES = "/openaml/v1/schedules"
SGD = {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"}


@pytest.fixture(scope="module")
def scheduling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with two job workers that look for due schedules every 0.1 s."""
    scratch = tmp_path_factory.mktemp("scheduling-data")
    server = LiveServer(
        tmp_path_factory.mktemp("scheduling"),
        workers=2,
        scratch=scratch,
        env={"OPENAML_DATA_ROOTS": str(scratch), "OPENAML_SCHEDULE_POLL_SECONDS": "0.1"},
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def group(scheduling_server: LiveServer) -> str:
    """Model group ``churn``: an SGD model trained on two months of files under one prefix."""
    assert scheduling_server.scratch is not None
    prefix = scheduling_server.scratch / "churn"
    write_months(prefix, range(1, 3), rows_per_month=60)
    ml = scheduling_server.client()
    ml.create_data_source_from_s3(
        DataSourceId="churn-ds",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(prefix) + "/", "DataSchema": SCHEMA},
    )
    ml.create_ml_model(
        MLModelId="churn", MLModelType="BINARY", TrainingDataSourceId="churn-ds", Parameters=SGD
    )
    assert finished(lambda: ml.get_ml_model(MLModelId="churn"))["Status"] == "COMPLETED"
    return "churn"


def wait_for_run(server: LiveServer, schedule_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, schedule = signed_json_request(server, "GET", f"{SCHEDULES}/{schedule_id}")
        assert status == 200, schedule
        if schedule["Runs"] and schedule["Runs"][0]["Outcome"] != "CLAIMED":
            return schedule  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"schedule {schedule_id} did not run in {timeout} s")


def test_invalid_cron_is_refused_with_the_reason(scheduling_server: LiveServer) -> None:
    status, answer = signed_json_request(
        scheduling_server, "POST", SCHEDULES, {"MLModelId": "churn", "Cron": "61 * * * *", "Retrain": {}}
    )
    assert status == 400 and answer["__type"] == "InvalidInputException"
    assert "Bad minute" in answer["message"]
    status, answer = signed_json_request(scheduling_server, "POST", SCHEDULES, {"MLModelId": "churn"})
    assert status == 400 and answer["message"] == "Cron is required."
    status, answer = signed_json_request(scheduling_server, "POST", SCHEDULES, ["not", "an", "object"])
    assert status == 400 and answer["__type"] == "InvalidInputException"


def test_unknown_groups_and_bad_retrain_bodies_are_refused_at_creation(
    scheduling_server: LiveServer, group: str
) -> None:
    status, answer = signed_json_request(
        scheduling_server, "POST", SCHEDULES, {"MLModelId": "no-such-group", "Cron": "0 3 * * *"}
    )
    assert status == 404 and "no-such-group" in answer["message"]
    body = {"MLModelId": group, "Cron": "0 3 * * *", "Retrain": {"promotion": "sometimes"}}
    status, answer = signed_json_request(scheduling_server, "POST", SCHEDULES, body)
    assert status == 400 and '"promotion" must be manual or auto' in answer["message"]


def test_create_run_by_a_worker_pause_resume_and_delete(scheduling_server: LiveServer, group: str) -> None:
    body = {
        "ScheduleId": "weekly-churn",
        "MLModelId": f"{group}.v1",
        "Cron": "0 3 * * 1",
        "Timezone": "Europe/Paris",
        "Retrain": {"holdout": {"rule": "time", "percent": 25}, "parameters": SGD},
    }
    status, created = signed_json_request(scheduling_server, "POST", SCHEDULES, body)
    assert status == 200, created
    assert created["MLModelId"] == group  # the group a version name names
    assert created["State"] == "ENABLED" and created["CronDescription"] == "At 03:00 on Monday"
    assert created["NextRunAt"] > time.time() and created["LastRun"] is None
    assert signed_json_request(scheduling_server, "POST", SCHEDULES, body) == (200, created)  # idempotent

    status, listed = signed_json_request(scheduling_server, "GET", SCHEDULES)
    assert status == 200 and "weekly-churn" in {item["ScheduleId"] for item in listed["Schedules"]}

    # Make it due now: one of the two workers claims it (exactly once) and records the outcome.
    status, _ = signed_json_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/run")
    assert status == 200
    ran = wait_for_run(scheduling_server, "weekly-churn")
    [run] = ran["Runs"]
    assert run["Outcome"] == "STARTED" and run["RetrainId"] == f"{group}.v2", run
    status, retrain = signed_json_request(
        scheduling_server, "GET", f"/openaml/v1/mlmodels/{group}/retrains/{group}.v2"
    )
    assert status == 200 and retrain["Request"]["holdout"] == {"rule": "time", "percent": 25.0}
    assert run["Retrain"]["Status"] in ("PENDING", "INPROGRESS", "COMPLETED")
    assert ran["NextRunAt"] == created["NextRunAt"]  # the cron goes on where it was
    time.sleep(0.5)  # both workers have looked again by now
    assert len(signed_json_request(scheduling_server, "GET", f"{SCHEDULES}/weekly-churn")[1]["Runs"]) == 1

    status, paused = signed_json_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/pause")
    assert status == 200 and paused["State"] == "PAUSED"
    status, answer = signed_json_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/run")
    assert status == 400 and "resume it first" in answer["message"]
    status, resumed = signed_json_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/resume")
    assert status == 200 and resumed["State"] == "ENABLED"

    assert signed_json_request(scheduling_server, "DELETE", f"{SCHEDULES}/weekly-churn") == (
        200,
        {"ScheduleId": "weekly-churn"},
    )
    status, answer = signed_json_request(scheduling_server, "GET", f"{SCHEDULES}/weekly-churn")
    assert status == 404 and answer["__type"] == "ResourceNotFoundException"


def test_schedules_survive_a_restart(scheduling_server: LiveServer, group: str) -> None:
    body = {"ScheduleId": "kept", "MLModelId": group, "Cron": "*/10 * * * *", "Retrain": {}}
    status, created = signed_json_request(scheduling_server, "POST", SCHEDULES, body)
    assert status == 200
    scheduling_server.stop()
    scheduling_server.start()
    status, again = signed_json_request(scheduling_server, "GET", f"{SCHEDULES}/kept")
    assert status == 200 and again["NextRunAt"] == created["NextRunAt"] and again["State"] == "ENABLED"
