"""The schedule routes through a live server whose two job worker processes run due schedules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.api import signed_request
from tests.support.server import LiveServer

SCHEDULES = "/openaml/v1/schedules"


@pytest.fixture(scope="module")
def scheduling_server(tmp_path_factory: pytest.TempPathFactory, datasets_dir: Path) -> Iterator[LiveServer]:
    """A server with two job workers that look for due schedules every 0.1 s."""
    server = LiveServer(
        tmp_path_factory.mktemp("scheduling"),
        workers=2,
        env={"OPENAML_DATA_ROOTS": str(datasets_dir), "OPENAML_SCHEDULE_POLL_SECONDS": "0.1"},
    ).start()
    yield server
    server.stop()


def wait_for_run(server: LiveServer, schedule_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, schedule = signed_request(server, "GET", f"{SCHEDULES}/{schedule_id}")
        assert status == 200, schedule
        if schedule["Runs"] and schedule["Runs"][0]["Outcome"] != "CLAIMED":
            return schedule  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"schedule {schedule_id} did not run in {timeout} s")


def test_invalid_cron_is_refused_with_the_reason(scheduling_server: LiveServer) -> None:
    status, answer = signed_request(
        scheduling_server, "POST", SCHEDULES, {"MLModelId": "churn", "Cron": "61 * * * *", "Retrain": {}}
    )
    assert status == 400 and answer["__type"] == "InvalidInputException"
    assert "Bad minute" in answer["message"]
    status, answer = signed_request(scheduling_server, "POST", SCHEDULES, {"MLModelId": "churn"})
    assert status == 400 and answer["message"] == "Cron is required."
    status, answer = signed_request(scheduling_server, "POST", SCHEDULES, ["not", "an", "object"])
    assert status == 400 and answer["__type"] == "InvalidInputException"


def test_create_run_by_a_worker_pause_resume_and_delete(scheduling_server: LiveServer) -> None:
    body = {
        "ScheduleId": "weekly-churn",
        "MLModelId": "no-such-group",
        "Cron": "0 3 * * 1",
        "Timezone": "Europe/Paris",
        "Retrain": {"Location": "/nowhere/"},
    }
    status, created = signed_request(scheduling_server, "POST", SCHEDULES, body)
    assert status == 200, created
    assert created["State"] == "ENABLED" and created["CronDescription"] == "At 03:00 on Monday"
    assert created["NextRunAt"] > time.time() and created["LastRun"] is None
    assert signed_request(scheduling_server, "POST", SCHEDULES, body) == (200, created)  # idempotent

    status, listed = signed_request(scheduling_server, "GET", SCHEDULES)
    assert status == 200 and "weekly-churn" in {item["ScheduleId"] for item in listed["Schedules"]}

    # Make it due now: one of the two workers claims it (exactly once) and records the outcome.
    status, _ = signed_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/run")
    assert status == 200
    ran = wait_for_run(scheduling_server, "weekly-churn")
    [run] = ran["Runs"]
    assert run["Outcome"] == "FAILED" and "no-such-group" in run["Message"]
    assert ran["NextRunAt"] == created["NextRunAt"]  # the cron goes on where it was
    time.sleep(0.5)  # both workers have looked again by now
    assert len(signed_request(scheduling_server, "GET", f"{SCHEDULES}/weekly-churn")[1]["Runs"]) == 1

    status, paused = signed_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/pause")
    assert status == 200 and paused["State"] == "PAUSED"
    status, answer = signed_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/run")
    assert status == 400 and "resume it first" in answer["message"]
    status, resumed = signed_request(scheduling_server, "POST", f"{SCHEDULES}/weekly-churn/resume")
    assert status == 200 and resumed["State"] == "ENABLED"

    assert signed_request(scheduling_server, "DELETE", f"{SCHEDULES}/weekly-churn") == (
        200,
        {"ScheduleId": "weekly-churn"},
    )
    status, answer = signed_request(scheduling_server, "GET", f"{SCHEDULES}/weekly-churn")
    assert status == 404 and answer["__type"] == "ResourceNotFoundException"


def test_schedules_survive_a_restart(scheduling_server: LiveServer) -> None:
    body = {"ScheduleId": "kept", "MLModelId": "churn", "Cron": "*/10 * * * *", "Retrain": {}}
    status, created = signed_request(scheduling_server, "POST", SCHEDULES, body)
    assert status == 200
    scheduling_server.stop()
    scheduling_server.start()
    status, again = signed_request(scheduling_server, "GET", f"{SCHEDULES}/kept")
    assert status == 200 and again["NextRunAt"] == created["NextRunAt"] and again["State"] == "ENABLED"
