"""``openaml schedule create|list|show|delete|pause|resume|run``: scheduled retraining of a model group.

The commands call the ``/openaml/v1/schedules`` extension routes (signed like every request); see
:mod:`openaml.operations.schedules` for the JSON shapes and docs/lifecycle.md for the behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Group
from rich.text import Text

from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import fields_table, from_epoch, rows_table
from openaml.cli.client.retraining import retrain_body, retrain_options

SCHEDULES = "/schedules"
OUTCOME_STYLES = {"STARTED": "green", "FAILED": "bold red", "CLAIMED": "yellow"}
STATE_STYLES = {"ENABLED": "green", "PAUSED": "yellow"}


def runs_table(runs: list[dict[str, Any]], title: str = "Runs (newest first)") -> Any:
    return rows_table(
        ["due", "started", "outcome", "retrain", "retrain status", "skipped", "message"],
        (
            [
                from_epoch(run.get("DueAt")),
                from_epoch(run.get("StartedAt")),
                Text(str(run.get("Outcome")), style=OUTCOME_STYLES.get(str(run.get("Outcome")), "")),
                run.get("RetrainId"),
                (run.get("Retrain") or {}).get("Status"),
                run.get("Skipped"),
                run.get("Message"),
            ]
            for run in runs
        ),
        title=title,
    )


def schedule_fields(schedule: dict[str, Any]) -> Any:
    last = schedule.get("LastRun") or {}
    return fields_table(
        [
            ("schedule", schedule.get("ScheduleId")),
            ("model group", schedule.get("MLModelId")),
            (
                "cron",
                f"{schedule.get('Cron')}  ({schedule.get('CronDescription') or '-'}, "
                f"{schedule.get('Timezone')})",
            ),
            (
                "state",
                Text(str(schedule.get("State")), style=STATE_STYLES.get(str(schedule.get("State")), "")),
            ),
            ("next run", from_epoch(schedule.get("NextRunAt")) or "never"),
            (
                "last run",
                f"{last.get('Outcome')} {last.get('RetrainId') or last.get('Message') or ''}".strip()
                if last
                else None,
            ),
            ("retrain", json.dumps(schedule.get("Retrain") or {})),
            ("created", from_epoch(schedule.get("CreatedAt"))),
            ("created by", schedule.get("CreatedByIamUser")),
        ]
    )


def _present(context: ClientContext, schedule: dict[str, Any]) -> None:
    renderables: list[Any] = [schedule_fields(schedule)]
    if schedule.get("Runs"):
        renderables.append(runs_table(schedule["Runs"]))
    context.printer.emit(schedule, Group(*renderables))


@click.group("schedule")
def schedule() -> None:
    """Scheduled retraining: retrain a model group on a cron schedule, run by the job workers."""


def retrain_body_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--retrain-json",
        "retrain_json",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A JSON file with the retrain request body each run sends.",
    )(function)


@schedule.command("create")
@client_command
@click.argument("schedule_id", metavar="ID")
@click.option("--model", "group", required=True, metavar="GROUP", help="The model group to retrain.")
@click.option(
    "--cron", required=True, metavar="EXPR", help="Five cron fields, e.g. '0 3 * * 1' (Mondays 03:00)."
)
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone the cron is read in.")
@retrain_options
@retrain_body_option
def create(
    context: ClientContext,
    schedule_id: str,
    group: str,
    cron: str,
    timezone: str,
    retrain_json: Path | None,
    **options: Any,
) -> None:
    """Create schedule ID: retrain GROUP at each due time of the cron expression.

    Each run sends the retrain options given here (as `openaml model retrain` does), or the body in
    --retrain-json.
    """
    retrain = retrain_body(**options)
    if retrain_json is not None:
        if retrain:
            raise CliError("Give the retrain options or --retrain-json, not both.", ExitCode.USAGE)
        try:
            retrain = json.loads(retrain_json.read_text(encoding="utf-8"))
        except ValueError as error:
            raise CliError(f"{retrain_json} is not JSON: {error}", ExitCode.USAGE) from error
    created = context.client.post_json(
        SCHEDULES,
        {
            "ScheduleId": schedule_id,
            "MLModelId": group,
            "Cron": cron,
            "Timezone": timezone,
            "Retrain": retrain,
        },
    )
    _present(context, created)


@schedule.command("list")
@client_command
@click.option("--model", "group", metavar="GROUP", help="Only the schedules of this model group.")
def list_command(context: ClientContext, group: str | None) -> None:
    """List the schedules with their next and last runs."""
    schedules = context.client.get_json(SCHEDULES)["Schedules"]
    if group is not None:
        schedules = [item for item in schedules if item.get("MLModelId") == group]
    context.printer.emit(
        schedules,
        rows_table(
            ["schedule", "model group", "cron", "state", "next run", "last run"],
            (
                [
                    item.get("ScheduleId"),
                    item.get("MLModelId"),
                    item.get("Cron"),
                    Text(str(item.get("State")), style=STATE_STYLES.get(str(item.get("State")), "")),
                    from_epoch(item.get("NextRunAt")),
                    (item.get("LastRun") or {}).get("Outcome"),
                ]
                for item in schedules
            ),
        ),
    )


def _path(schedule_id: str, action: str = "") -> str:
    return f"{SCHEDULES}/{schedule_id}" + (f"/{action}" if action else "")


@schedule.command("show")
@client_command
@click.argument("schedule_id", metavar="ID")
def show(context: ClientContext, schedule_id: str) -> None:
    """Show a schedule and its latest runs."""
    _present(context, context.client.get_json(_path(schedule_id)))


@schedule.command("delete")
@client_command
@click.argument("schedule_id", metavar="ID")
def delete(context: ClientContext, schedule_id: str) -> None:
    """Delete a schedule and its run history (retrains it started go on)."""
    answer = context.client.delete_json(_path(schedule_id))
    context.printer.emit(answer, f"Schedule {schedule_id} deleted.")


def _action(name: str, summary: str) -> None:
    @schedule.command(name, help=summary)
    @client_command
    @click.argument("schedule_id", metavar="ID")
    def command(context: ClientContext, schedule_id: str) -> None:
        _present(context, context.client.post_json(_path(schedule_id, name), {}))


_action("pause", "Pause a schedule: its due times start nothing until it is resumed.")
_action("resume", "Resume a paused schedule from its next due time (missed ones are not caught up).")
_action("run", "Make a schedule due now: a job worker starts its retrain within a poll interval.")
