"""The retraining-schedule extension routes: ``/openaml/v1/schedules``.

========  ======================================  ==================================================
method    path                                    does
========  ======================================  ==================================================
POST      ``/schedules``                          create one (body below); answers the schedule
GET       ``/schedules[?MLModelId=group]``        ``{"Schedules": [schedule, ...]}``, oldest first
GET       ``/schedules/{ScheduleId}``             the schedule with ``Runs``, its latest runs
DELETE    ``/schedules/{ScheduleId}``             delete it and its run history
POST      ``/schedules/{ScheduleId}/pause``       stop its due times from starting retrains
POST      ``/schedules/{ScheduleId}/resume``      enable it again from the next due time on
POST      ``/schedules/{ScheduleId}/run``         make it due now (a worker runs it within a poll)
========  ======================================  ==================================================

The creation body: ``{"ScheduleId": "nightly" (optional), "MLModelId": "churn", "Cron": "0 3 * * *",
"Timezone": "UTC" (optional), "Retrain": {...}}``, where ``Retrain`` is the body each run sends to
``POST /openaml/v1/mlmodels/{MLModelId}/retrain`` (location, update mode, holdout, promotion), read
and checked as that route reads it; a schedule answers it normalised, as the retrain's ``Request``.

A schedule answers ``{"ScheduleId", "MLModelId", "Cron", "CronDescription", "Timezone", "Retrain",
"State" (ENABLED|PAUSED), "NextRunAt", "CreatedAt", "LastUpdatedAt", "CreatedByIamUser", "LastRun"}``
and a run ``{"RunId", "DueAt", "StartedAt", "Skipped", "Outcome" (CLAIMED|STARTED|FAILED),
"RetrainId", "Message", "Retrain"}``, where ``Outcome`` says whether the run could start its retrain
and ``Retrain`` how that retrain stands now (``{"Status", "Promoted", "Message"}`` of ``GET
.../retrains/{RetrainId}``; ``null`` without one); times are epoch seconds, like the API's
``CreatedAt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openaml.domain import model_groups
from openaml.domain import schedules as domain
from openaml.domain.context import ServiceContext
from openaml.domain.retrain_requests import RetrainRequest
from openaml.entities import Caller, Schedule, ScheduleRun
from openaml.errors import InvalidInputException
from openaml.operations.extensions import ExtensionHandler, ExtensionRequest
from openaml.operations.retrains import retrain_request

_CREATE_FIELDS = ("ScheduleId", "MLModelId", "Cron", "Timezone", "Retrain")


def run_shape(ctx: ServiceContext, schedule: Schedule, run: ScheduleRun) -> dict[str, Any]:
    return {
        "RunId": run.id,
        "DueAt": run.due_at,
        "StartedAt": run.started_at,
        "Skipped": run.skipped,
        "Outcome": run.outcome.value,
        "RetrainId": run.retrain_id,
        "Message": run.message,
        "Retrain": domain.retrain_state(ctx, schedule, run),
    }


def schedule_shape(ctx: ServiceContext, schedule: Schedule, last_run: ScheduleRun | None) -> dict[str, Any]:
    return {
        "ScheduleId": schedule.id,
        "MLModelId": schedule.ml_model_id,
        "Cron": schedule.cron,
        "CronDescription": domain.explain_cron(schedule.cron),
        "Timezone": schedule.timezone,
        "Retrain": RetrainRequest.from_json(schedule.retrain).to_json(),
        "State": schedule.state.value,
        "NextRunAt": schedule.next_run_at,
        "CreatedAt": schedule.created_at,
        "LastUpdatedAt": schedule.last_updated_at,
        "CreatedByIamUser": schedule.created_by.user_arn,
        "LastRun": None if last_run is None else run_shape(ctx, schedule, last_run),
    }


def _with_last_run(ctx: ServiceContext, schedule: Schedule) -> dict[str, Any]:
    runs = domain.schedule_runs(ctx, schedule.id, limit=1)
    return schedule_shape(ctx, schedule, runs[0] if runs else None)


def _text(body: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInputException(f"{name} is required.")
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInputException(f"{name} must be a non-empty string.")
    return value


def spec_from_body(body: Any) -> domain.ScheduleSpec:
    """The creation body as a :class:`~openaml.domain.schedules.ScheduleSpec`, its types checked and its
    ``Retrain`` read as the retrain route reads its body."""
    if not isinstance(body, Mapping):
        raise InvalidInputException(
            'The body must be a JSON object: {"MLModelId": ..., "Cron": ..., "Retrain": {...}}.'
        )
    unknown = sorted(set(body) - set(_CREATE_FIELDS))
    if unknown:
        raise InvalidInputException(
            f"Unknown field(s) {', '.join(unknown)}; a schedule takes {', '.join(_CREATE_FIELDS)}."
        )
    retrain = body.get("Retrain", {})
    if not isinstance(retrain, Mapping):
        raise InvalidInputException("Retrain must be a JSON object: the body of each retrain request.")
    ml_model_id = _text(body, "MLModelId", required=True)
    cron = _text(body, "Cron", required=True)
    assert ml_model_id is not None and cron is not None
    request = retrain_request(dict(retrain))
    return domain.ScheduleSpec(
        schedule_id=_text(body, "ScheduleId", required=False),
        ml_model_id=ml_model_id,
        cron=cron,
        retrain=request,
        timezone=_text(body, "Timezone", required=False) or domain.DEFAULT_TIMEZONE,
    )


def create_schedule(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    schedule = domain.create_schedule(
        ctx, spec_from_body(request.body), caller, resolve_group=model_groups.require_group
    )
    return _with_last_run(ctx, schedule)


def list_schedules(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    group = request.query.get("MLModelId") or None
    return {"Schedules": [_with_last_run(ctx, schedule) for schedule in domain.list_schedules(ctx, group)]}


def get_schedule(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    schedule = domain.get_schedule(ctx, request.path["ScheduleId"])
    runs = domain.schedule_runs(ctx, schedule.id)
    return {
        **schedule_shape(ctx, schedule, runs[0] if runs else None),
        "Runs": [run_shape(ctx, schedule, run) for run in runs],
    }


def delete_schedule(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    domain.delete_schedule(ctx, request.path["ScheduleId"])
    return {"ScheduleId": request.path["ScheduleId"]}


def pause_schedule(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return _with_last_run(ctx, domain.pause_schedule(ctx, request.path["ScheduleId"]))


def resume_schedule(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return _with_last_run(ctx, domain.resume_schedule(ctx, request.path["ScheduleId"]))


def run_schedule(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return _with_last_run(ctx, domain.run_schedule_now(ctx, request.path["ScheduleId"]))


EXTENSION_ROUTES: list[tuple[str, str, ExtensionHandler]] = [
    ("POST", "/schedules", create_schedule),
    ("GET", "/schedules", list_schedules),
    ("GET", "/schedules/{ScheduleId}", get_schedule),
    ("DELETE", "/schedules/{ScheduleId}", delete_schedule),
    ("POST", "/schedules/{ScheduleId}/pause", pause_schedule),
    ("POST", "/schedules/{ScheduleId}/resume", resume_schedule),
    ("POST", "/schedules/{ScheduleId}/run", run_schedule),
]
