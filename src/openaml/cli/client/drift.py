"""``openaml drift create|show|list``: drift reports of a model's data (docs/insight.md).

``create`` compares a baseline — a model's training datasource (``--model``) or a datasource
(``--baseline-datasource``) — with a current set: a datasource (``--datasource``) or the model's
captured real-time predictions (``--captured``, optionally ``--from``/``--to``).
"""

from __future__ import annotations

import time
from typing import Any

import click
from rich.console import Group

from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import fields_table, rows_table

_POLL_SECONDS = 0.5
_FINISHED = ("COMPLETED", "FAILED")


def _score(value: Any) -> Any:
    return round(float(value), 4) if isinstance(value, int | float) else "-"


def _renderables(report: dict[str, Any]) -> list[Any]:
    summary = [
        ("DriftReportId", report.get("DriftReportId")),
        ("Status", report.get("Status")),
        ("Message", report.get("Message")),
        ("Baseline", report.get("Baseline")),
        ("Current", report.get("Current")),
    ]
    renderables: list[Any] = [fields_table((k, v) for k, v in summary if v is not None)]
    body = report.get("Report")
    if not body:
        return renderables
    renderables.append(
        rows_table(
            ["attribute", "type", "method", "score", "threshold", "drifted"],
            (
                [
                    a["name"],
                    a["type"],
                    a["method"],
                    _score(a["score"]),
                    a["threshold"],
                    "yes" if a["drifted"] else "",
                ]
                for a in body["attributes"]
            ),
            title=f"Drifted: {body['driftedAttributes']} of {body['comparedAttributes']} input attributes "
            f"({body['driftedShare']:.0%})",
        )
    )
    prediction = body.get("predictionDrift")
    if prediction:
        renderables.append(
            fields_table(
                [
                    ("compared", prediction["compared"]),
                    ("method", prediction["method"]),
                    ("score", _score(prediction["score"])),
                    ("threshold", prediction["threshold"]),
                    ("drifted", prediction["drifted"]),
                ],
                title="Prediction drift",
            )
        )
    return renderables


def _get(context: ClientContext, report_id: str) -> dict[str, Any]:
    report: dict[str, Any] = context.client.get_json(f"/driftreports/{report_id}")
    return report


def _wait(context: ClientContext, report_id: str, timeout: float | None) -> dict[str, Any]:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        report = _get(context, report_id)
        if report["Status"] in _FINISHED:
            return report
        if deadline is not None and time.monotonic() > deadline:
            raise CliError(
                f"Drift report {report_id} is still {report['Status']} after {timeout:g} s.", ExitCode.TIMEOUT
            )
        time.sleep(_POLL_SECONDS)


def _present(context: ClientContext, report: dict[str, Any]) -> None:
    context.printer.emit(report, Group(*_renderables(report)))
    if report["Status"] == "FAILED":
        raise CliError(
            f"Drift report {report['DriftReportId']} FAILED: {report.get('Message')}", ExitCode.FAILED
        )


@click.group("drift")
def drift() -> None:
    """Drift reports: is today's data still like the training data?"""


@drift.command("create")
@client_command
@click.argument("report_id", metavar="ID", required=False)
@click.option("--model", "model_id", metavar="ID", help="Baseline: this model's training datasource.")
@click.option("--baseline-datasource", metavar="ID", help="Baseline: this datasource (instead of --model).")
@click.option("--datasource", "datasource_id", metavar="ID", help="Current set: this datasource.")
@click.option("--captured", is_flag=True, help="Current set: the model's captured real-time predictions.")
@click.option("--from", "start", metavar="TIME", help="With --captured: from this time (ISO 8601 or epoch).")
@click.option("--to", "end", metavar="TIME", help="With --captured: until this time (ISO 8601 or epoch).")
@click.option("--name", help="A display name.")
@wait_options
def create(
    context: ClientContext,
    report_id: str | None,
    model_id: str | None,
    baseline_datasource: str | None,
    datasource_id: str | None,
    captured: bool,
    start: str | None,
    end: str | None,
    name: str | None,
    wait: bool,
    timeout: float | None,
) -> None:
    """Start a drift report; with --wait, print each attribute's score and whether it drifted."""
    if bool(model_id) == bool(baseline_datasource):
        raise CliError("Give the baseline: --model or --baseline-datasource.", ExitCode.USAGE)
    if bool(datasource_id) == captured:
        raise CliError("Give the current set: --datasource or --captured.", ExitCode.USAGE)
    if captured and not model_id:
        raise CliError("--captured needs --model (whose captured predictions to read).", ExitCode.USAGE)
    current: dict[str, Any] = {"DataSourceId": datasource_id} if datasource_id else {"MLModelId": model_id}
    for key, value in (("From", start), ("To", end)):
        if value is not None:
            current[key] = float(value) if value.replace(".", "", 1).isdigit() else value
    body: dict[str, Any] = {
        "Baseline": {"MLModelId": model_id} if model_id else {"DataSourceId": baseline_datasource},
        "Current": current,
        **({"DriftReportId": report_id} if report_id else {}),
        **({"DriftReportName": name} if name else {}),
    }
    created = context.client.post_json("/driftreports", body)
    if not wait:
        context.printer.emit(created, f"Drift report {created['DriftReportId']} created.")
        return
    _present(context, _wait(context, created["DriftReportId"], timeout))


@drift.command("show")
@client_command
@click.argument("report_id", metavar="ID")
def show(context: ClientContext, report_id: str) -> None:
    """Show a drift report: per attribute method, score, threshold and drifted; prediction drift."""
    _present(context, _get(context, report_id))


@drift.command("list")
@client_command
@click.option("--model", "model_id", metavar="ID", help="Only the reports of this model.")
def list_reports(context: ClientContext, model_id: str | None) -> None:
    """List drift reports, newest first."""
    listed: dict[str, Any] = context.client.get_json("/driftreports")
    if model_id:  # the client quotes paths whole, so the model filter is applied here
        listed["DriftReports"] = [r for r in listed["DriftReports"] if r.get("MLModelId") == model_id]
    rows = (
        [r["DriftReportId"], r["Status"], r.get("MLModelId") or "", _score(r.get("DriftedShare"))]
        for r in listed["DriftReports"]
    )
    context.printer.emit(listed, rows_table(["id", "status", "model", "drifted share"], rows))
