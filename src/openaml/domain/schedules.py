"""Scheduled retraining: cron schedules that retrain a model group, run by the job workers.

A schedule names a model group, a cron expression (five fields, evaluated by the ``cronsim`` library in
the schedule's IANA time zone, UTC by default) and the body of the retrain request each run sends
(``POST /openaml/v1/mlmodels/{group}/retrain``: location, update mode, holdout, promotion).

Every job worker process runs a :class:`ScheduleRunner` beside its job loop, every
``OPENAML_SCHEDULE_POLL_SECONDS``. The runner claims each due schedule in the database
(:meth:`openaml.store.schedules.ScheduleStore.claim`: a compare-and-set on the due time), so a due
time runs exactly once however many workers and processes look at it, then starts the retrain as the
schedule's creator and records the run: its due time, when it started, the retrain's ID and whether
the retrain could be started (``STARTED``) or not (``FAILED``, with the reason).

Restarts: schedules and their next due time live in the database, so they survive restarts. Due
times that pass while no worker runs (the server was down) are not caught up one by one: the first
worker to look claims the oldest one, runs it **once**, records how many later ones it folded in
(``skipped``) and moves on to the first due time after now. A worker that dies between claiming a
due time and starting its retrain leaves that run ``CLAIMED`` and the retrain not started; the next
due time runs as usual.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from openaml.domain import retrains
from openaml.domain.context import ServiceContext
from openaml.domain.retrain_requests import RetrainRequest
from openaml.entities import Caller, Schedule, ScheduleRun, ScheduleRunOutcome, ScheduleState
from openaml.errors import (
    IdempotentParameterMismatchException,
    InvalidInputException,
    OpenAMLError,
    ResourceNotFoundException,
)
from openaml.store.schedules import ScheduleStore

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "UTC"
#: Schedule IDs follow the API's ID rules: 1–64 of these characters, not ``.`` or ``..``.
SCHEDULE_ID_PATTERN = re.compile(r"[a-zA-Z0-9_.-]{1,64}")
#: Counting the due times a down server missed stops here (an every-minute schedule down for a week).
MAX_SKIPPED_COUNTED = 100_000
#: Runs returned with a schedule.
RECENT_RUNS = 20

#: Starts one retrain of a group: ``(ctx, group, retrain request, caller) -> retrain ID``. Raises an
#: :class:`~openaml.errors.OpenAMLError` with the reason when the request cannot be started.
StartRetrain = Callable[[ServiceContext, str, RetrainRequest, Caller], str]
#: The group a schedule's ``MLModelId`` names, checked at schedule creation: ``(ctx, group) -> group
#: ID`` (the group a version name or version ID names); raises an :class:`~openaml.errors.OpenAMLError`
#: (``ResourceNotFoundException``) for an unknown group.
ResolveGroup = Callable[[ServiceContext, str], str]


@dataclass(frozen=True)
class ScheduleSpec:
    """What a caller asks for when creating a schedule (``schedule_id`` ``None``: the server picks one)."""

    schedule_id: str | None
    ml_model_id: str
    cron: str
    retrain: RetrainRequest
    timezone: str = DEFAULT_TIMEZONE


# --- cron expressions ---------------------------------------------------------------------------------


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; an unknown one is an ``InvalidInputException``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInputException(
            f"Timezone {name!r} is not an IANA time zone name (such as 'UTC' or 'Europe/Paris')."
        ) from error


def check_cron(cron: str, zone: str = DEFAULT_TIMEZONE) -> None:
    """Refuse an expression ``cronsim`` cannot evaluate, with its reason (``Bad minute``, ...)."""
    if not isinstance(cron, str) or not cron.strip():
        raise InvalidInputException("Cron must be a cron expression of five fields, such as '0 3 * * *'.")
    try:
        CronSim(cron, datetime.fromtimestamp(0, time_zone(zone)))
    except CronSimError as error:
        raise InvalidInputException(
            f"Cron {cron!r} is not a valid cron expression: {error}. Give five fields: minute hour "
            "day-of-month month day-of-week, such as '0 3 * * *' (every day at 03:00)."
        ) from error


def next_due(cron: str, zone: str, after: float) -> float | None:
    """The first due time of ``cron`` strictly after ``after`` (epoch seconds); ``None`` if none comes."""
    try:
        return next(CronSim(cron, datetime.fromtimestamp(after, time_zone(zone)))).timestamp()
    except StopIteration:  # no match in the next 50 years (e.g. the 30th of February)
        return None


def due_times_between(cron: str, zone: str, after: float, until: float) -> int:
    """How many due times of ``cron`` fall in ``(after, until]`` (counted up to a bound)."""
    count = 0
    for moment in CronSim(cron, datetime.fromtimestamp(after, time_zone(zone))):
        if moment.timestamp() > until or count >= MAX_SKIPPED_COUNTED:
            break
        count += 1
    return count


def explain_cron(cron: str) -> str | None:
    """``At 03:00 on Monday through Friday``: the expression in words (``None`` if it has none)."""
    try:
        return str(CronSim(cron, datetime.fromtimestamp(0, time_zone(DEFAULT_TIMEZONE))).explain())
    except Exception:  # explaining is a courtesy; a valid expression it cannot word still runs
        return None


# --- use cases ----------------------------------------------------------------------------------------


def _store(ctx: ServiceContext) -> ScheduleStore:
    return ScheduleStore(ctx.metadata)


def _check_id(schedule_id: str) -> None:
    if not SCHEDULE_ID_PATTERN.fullmatch(schedule_id) or schedule_id in (".", ".."):
        raise InvalidInputException(
            f"ScheduleId {schedule_id!r} is not valid: use 1 to 64 letters, digits, '_', '.' and '-' "
            "(not '.' or '..')."
        )


def create_schedule(
    ctx: ServiceContext,
    spec: ScheduleSpec,
    caller: Caller,
    *,
    resolve_group: ResolveGroup | None = None,
    now: float | None = None,
) -> Schedule:
    """Create a schedule whose first run is the first due time after ``now``.

    Creating it again with the same ID and the same parameters returns it unchanged; other
    parameters give an ``IdempotentParameterMismatchException``. ``resolve_group`` checks the group
    (so an unknown one is refused now, not at 3 a.m.; the retrain request was checked when it was
    read); the schedule keeps the group's ID even when a version of it was named. The retrain request
    is stored as :meth:`RetrainRequest.to_json`.
    """
    now = time.time() if now is None else now
    schedule_id = spec.schedule_id if spec.schedule_id is not None else f"sch-{uuid.uuid4().hex[:12]}"
    _check_id(schedule_id)
    check_cron(spec.cron, spec.timezone)
    group = spec.ml_model_id if resolve_group is None else resolve_group(ctx, spec.ml_model_id)
    schedule = Schedule(
        id=schedule_id,
        ml_model_id=group,
        cron=spec.cron,
        timezone=spec.timezone,
        retrain=spec.retrain.to_json(),
        state=ScheduleState.ENABLED,
        next_run_at=next_due(spec.cron, spec.timezone, now),
        created_at=now,
        last_updated_at=now,
        created_by=caller,
    )
    store = _store(ctx)
    if store.add(schedule):
        return schedule
    existing = store.get(schedule_id)
    if existing is not None and _same_parameters(existing, schedule):
        return existing
    raise IdempotentParameterMismatchException(
        f"Schedule {schedule_id} already exists with other parameters; delete it first or pick another ID."
    )


def _same_parameters(first: Schedule, second: Schedule) -> bool:
    return (first.ml_model_id, first.cron, first.timezone) == (
        second.ml_model_id,
        second.cron,
        second.timezone,
    ) and RetrainRequest.from_json(first.retrain) == RetrainRequest.from_json(second.retrain)


def get_schedule(ctx: ServiceContext, schedule_id: str) -> Schedule:
    schedule = _store(ctx).get(schedule_id)
    if schedule is None:
        raise ResourceNotFoundException(f"No schedule {schedule_id} exists.")
    return schedule


def list_schedules(ctx: ServiceContext, ml_model_id: str | None = None) -> list[Schedule]:
    return _store(ctx).all(ml_model_id)


def schedule_runs(ctx: ServiceContext, schedule_id: str, limit: int = RECENT_RUNS) -> list[ScheduleRun]:
    """The latest runs of a schedule, newest first."""
    return _store(ctx).runs(schedule_id, limit)


def retrain_state(ctx: ServiceContext, schedule: Schedule, run: ScheduleRun) -> dict[str, Any] | None:
    """How the retrain a run started stands now: ``{"Status", "Promoted", "Message"}`` of the retrain
    (``None`` when the run started none, or the retrain or its group is gone)."""
    if run.retrain_id is None:
        return None
    try:
        retrain = retrains.get_retrain(ctx, schedule.ml_model_id, run.retrain_id)
    except OpenAMLError:
        return None
    return {
        "Status": retrain.status,
        "Promoted": (retrain.result or {}).get("promoted"),
        "Message": retrain.message,
    }


def delete_schedule(ctx: ServiceContext, schedule_id: str) -> None:
    """Delete a schedule and its run history; retrains it started go on."""
    if not _store(ctx).remove(schedule_id):
        raise ResourceNotFoundException(f"No schedule {schedule_id} exists.")


def pause_schedule(ctx: ServiceContext, schedule_id: str, *, now: float | None = None) -> Schedule:
    """Stop a schedule's due times from starting retrains until it is resumed."""
    now = time.time() if now is None else now
    schedule = get_schedule(ctx, schedule_id)
    _store(ctx).set_state(schedule_id, ScheduleState.PAUSED, schedule.next_run_at, now)
    return get_schedule(ctx, schedule_id)


def resume_schedule(ctx: ServiceContext, schedule_id: str, *, now: float | None = None) -> Schedule:
    """Enable a paused schedule again; its next run is the first due time after now (none is caught up)."""
    now = time.time() if now is None else now
    schedule = get_schedule(ctx, schedule_id)
    if schedule.state is ScheduleState.ENABLED:
        return schedule
    next_run_at = next_due(schedule.cron, schedule.timezone, now)
    _store(ctx).set_state(schedule_id, ScheduleState.ENABLED, next_run_at, now)
    return get_schedule(ctx, schedule_id)


def run_schedule_now(ctx: ServiceContext, schedule_id: str, *, now: float | None = None) -> Schedule:
    """Make an enabled schedule due now: a worker runs it at its next look, then the cron goes on."""
    now = time.time() if now is None else now
    schedule = get_schedule(ctx, schedule_id)
    if schedule.state is not ScheduleState.ENABLED:
        raise InvalidInputException(f"Schedule {schedule_id} is {schedule.state.value}; resume it first.")
    _store(ctx).make_due(schedule_id, now)
    return get_schedule(ctx, schedule_id)


# --- running ------------------------------------------------------------------------------------------


class ScheduleRunner:
    """Runs the schedules that are due: one per worker process, called every poll interval.

    ``clock`` gives the current time (epoch seconds); tests pass a fake one to step through due times.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        start_retrain: StartRetrain,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ctx = ctx
        self.start_retrain = start_retrain
        self.clock = clock
        self._store = ScheduleStore(ctx.metadata)

    def run_due(self) -> list[ScheduleRun]:
        """Claim and start every schedule due now; the runs this call recorded (others' are not)."""
        now = self.clock()
        runs = []
        for schedule in self._store.due(now):
            run = self._run(schedule, now)
            if run is not None:
                runs.append(run)
        return runs

    def _run(self, schedule: Schedule, now: float) -> ScheduleRun | None:
        assert schedule.next_run_at is not None
        try:
            following = next_due(schedule.cron, schedule.timezone, max(now, schedule.next_run_at))
            skipped = due_times_between(schedule.cron, schedule.timezone, schedule.next_run_at, now)
        except (OpenAMLError, CronSimError) as error:  # the zone database changed under a stored schedule
            log.error("schedule %s cannot be evaluated: %s", schedule.id, error)
            following, skipped = None, 0
        run = self._store.claim(schedule, next_run_at=following, started_at=now, skipped=skipped)
        if run is None:
            return None  # another worker took this due time
        retrain_id: str | None = None
        message: str | None = None
        try:
            retrain_id = self.start_retrain(
                self.ctx,
                schedule.ml_model_id,
                RetrainRequest.from_json(schedule.retrain),
                schedule.created_by,
            )
            outcome = ScheduleRunOutcome.STARTED
        except OpenAMLError as error:
            outcome, message = ScheduleRunOutcome.FAILED, str(error)
        except Exception as error:  # never let one schedule stop the others or the worker
            log.exception("schedule %s: starting the retrain of %s failed", schedule.id, schedule.ml_model_id)
            outcome = ScheduleRunOutcome.FAILED
            message = (
                f"Starting the retrain failed because of an internal error ({error.__class__.__name__})."
            )
        self._store.record_outcome(run.id, outcome, retrain_id=retrain_id, message=message)
        log.info(
            "schedule %s ran for %s: %s %s",
            schedule.id,
            datetime.fromtimestamp(run.due_at).isoformat(),
            outcome.value,
            retrain_id or message,
        )
        return ScheduleRun(
            id=run.id,
            schedule_id=run.schedule_id,
            due_at=run.due_at,
            started_at=run.started_at,
            skipped=run.skipped,
            outcome=outcome,
            retrain_id=retrain_id,
            message=message,
        )


def start_group_retrain(ctx: ServiceContext, group: str, request: RetrainRequest, caller: Caller) -> str:
    """Start a retrain of ``group`` exactly as ``POST /openaml/v1/mlmodels/{group}/retrain`` would."""
    return retrains.start_retrain(ctx, caller, group, request).id
