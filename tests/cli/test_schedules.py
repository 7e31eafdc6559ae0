"""``openaml schedule ...`` against a live server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_client_commands import as_json, openaml, succeeded
from tests.support.server import LiveServer


def test_schedule_create_list_show_pause_resume_delete(
    server: LiveServer, penguins: dict[str, str], tmp_path: Path, new_id: Any
) -> None:
    group = penguins["model"]  # every model is version 1 of a group with its ID
    schedule_id = new_id("sch")
    created = succeeded(
        openaml(
            server,
            *("schedule", "create", schedule_id, "--model", group, "--cron", "0 3 * * 1"),
            *("--timezone", "Europe/Paris", "--holdout", "random", "--promotion", "auto"),
            *("--min-improvement", "0.01", "--param", "sgd.maxPasses=2"),
        )
    )
    assert "At 03:00 on Monday" in created.stdout and "Europe/Paris" in created.stdout

    listed = as_json(openaml(server, "schedule", "list", "--model", group, "-o", "json"))
    assert [item["ScheduleId"] for item in listed] == [schedule_id]
    shown = as_json(openaml(server, "schedule", "show", schedule_id, "-o", "json"))
    assert shown["Runs"] == [] and shown["Retrain"] == {  # normalised, as a retrain's Request
        "location": None,
        "dataSourceId": None,
        "holdout": {"rule": "random", "percent": 20.0},
        "updateMode": "refit",
        "promotion": "auto",
        "promotionMetric": None,
        "minImprovement": 0.01,
        "parameters": {"sgd.maxPasses": "2"},
    }
    body = tmp_path / "retrain.json"
    body.write_text(json.dumps({"updateMode": "research"}))
    from_file = as_json(
        openaml(
            server,
            *("schedule", "create", new_id("sch"), "--model", group, "--cron", "0 4 * * *"),
            *("--retrain-json", str(body), "-o", "json"),
        )
    )
    assert from_file["Retrain"]["updateMode"] == "research"
    succeeded(openaml(server, "schedule", "delete", from_file["ScheduleId"]))

    assert as_json(openaml(server, "schedule", "pause", schedule_id, "-o", "json"))["State"] == "PAUSED"
    assert "PAUSED" in succeeded(openaml(server, "schedule", "list")).stdout
    assert as_json(openaml(server, "schedule", "resume", schedule_id, "-o", "json"))["State"] == "ENABLED"

    deleted = succeeded(openaml(server, "schedule", "delete", schedule_id))
    assert f"Schedule {schedule_id} deleted." in deleted.stdout
    missing = openaml(server, "schedule", "show", schedule_id)
    assert missing.exit_code == 4 and "ResourceNotFoundException" in missing.stderr


def test_an_invalid_cron_expression_or_group_says_why(server: LiveServer, new_id: Any) -> None:
    refused = openaml(server, "schedule", "create", new_id("sch"), "--model", "churn", "--cron", "0 25 * * *")
    assert refused.exit_code == 1
    assert "InvalidInputException" in refused.stderr and "Bad hour" in refused.stderr
    unknown = openaml(
        server, "schedule", "create", new_id("sch"), "--model", "no-such-group", "--cron", "0 3 * * *"
    )
    assert unknown.exit_code == 4 and "no-such-group" in unknown.stderr
