"""``openaml schedule ...`` against a live server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_client_commands import as_json, openaml, succeeded
from tests.support.server import LiveServer


def test_schedule_create_list_show_pause_resume_delete(
    server: LiveServer, tmp_path: Path, new_id: Any
) -> None:
    schedule_id = new_id("sch")
    retrain = tmp_path / "retrain.json"
    retrain.write_text(json.dumps({"Location": "s3://bucket/churn/"}))
    created = succeeded(
        openaml(
            server,
            *("schedule", "create", schedule_id, "--model", "churn", "--cron", "0 3 * * 1"),
            *("--timezone", "Europe/Paris", "--retrain-json", str(retrain)),
        )
    )
    assert "At 03:00 on Monday" in created.stdout and "Europe/Paris" in created.stdout

    listed = as_json(openaml(server, "schedule", "list", "--model", "churn", "-o", "json"))
    assert schedule_id in {item["ScheduleId"] for item in listed}
    shown = as_json(openaml(server, "schedule", "show", schedule_id, "-o", "json"))
    assert shown["Retrain"] == {"Location": "s3://bucket/churn/"} and shown["Runs"] == []

    assert as_json(openaml(server, "schedule", "pause", schedule_id, "-o", "json"))["State"] == "PAUSED"
    assert "PAUSED" in succeeded(openaml(server, "schedule", "list")).stdout
    assert as_json(openaml(server, "schedule", "resume", schedule_id, "-o", "json"))["State"] == "ENABLED"

    assert (
        f"Schedule {schedule_id} deleted."
        in succeeded(openaml(server, "schedule", "delete", schedule_id)).stdout
    )
    missing = openaml(server, "schedule", "show", schedule_id)
    assert missing.exit_code == 4 and "ResourceNotFoundException" in missing.stderr


def test_an_invalid_cron_expression_says_why(server: LiveServer, new_id: Any) -> None:
    refused = openaml(server, "schedule", "create", new_id("sch"), "--model", "churn", "--cron", "0 25 * * *")
    assert refused.exit_code == 1
    assert "InvalidInputException" in refused.stderr and "Bad hour" in refused.stderr
