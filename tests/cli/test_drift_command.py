"""``openaml drift create|show|list`` against the live server (penguins: training vs evaluation split)."""

from __future__ import annotations

import json
from typing import Any

from tests.cli.test_client_commands import as_json, openaml, succeeded
from tests.support.server import LiveServer


def test_drift_create_show_and_list(server: LiveServer, penguins: dict[str, str], new_id: Any) -> None:
    report_id = new_id("dr")
    created = as_json(
        openaml(
            server,
            "drift",
            "create",
            report_id,
            "--model",
            penguins["model"],
            "--datasource",
            penguins["evaluation"],
            "--timeout",
            "120",
            "-o",
            "json",
        )
    )
    assert created["Status"] == "COMPLETED" and created["DriftReportId"] == report_id
    names = {a["name"] for a in created["Report"]["attributes"]}
    assert {"island", "bill_length_mm", "species"} <= names
    assert created["Report"]["predictionDrift"]["compared"] == "predictedLabel"
    table = succeeded(openaml(server, "drift", "show", report_id)).stdout
    assert "bill_length_mm" in table and "psi" in table and "jensenShannon" in table
    listed = json.loads(
        succeeded(openaml(server, "drift", "list", "--model", penguins["model"], "-o", "json")).stdout
    )
    assert report_id in [r["DriftReportId"] for r in listed["DriftReports"]]


def test_drift_usage_errors_and_unknown_reports(server: LiveServer, penguins: dict[str, str]) -> None:
    usage = openaml(server, "drift", "create", "--datasource", penguins["evaluation"])
    assert usage.exit_code == 2 and "--model or --baseline-datasource" in usage.output
    missing = openaml(server, "drift", "show", "dr-missing")
    assert missing.exit_code == 4 and "dr-missing" in missing.output
