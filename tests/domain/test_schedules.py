"""Retraining schedules: cron evaluation, claiming each due time once, missed runs, pause and resume.

The runner takes a fake clock, so the tests step through days of due times without waiting; the
retrain starter is a stand-in that records its calls (the real one is tested with the model groups).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from openaml.domain import schedules
from openaml.domain.context import ServiceContext
from openaml.domain.retrain_requests import RetrainRequest
from openaml.domain.schedules import ScheduleRunner, ScheduleSpec
from openaml.entities import Caller, Schedule, ScheduleRunOutcome, ScheduleState
from openaml.errors import (
    IdempotentParameterMismatchException,
    InvalidInputException,
    ResourceNotFoundException,
)
from openaml.store.schedules import ScheduleStore

CALLER = Caller("test", "arn:aws:iam::123456789012:user/test")
RETRAIN = RetrainRequest(location="s3://bucket/churn/", promotion="auto", parameters={"sgd.maxPasses": "2"})


def at(text: str) -> float:
    """``"2026-03-02 03:00"`` (UTC) as epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingStarter:
    """Stands in for the model groups' retrain: records each call and answers a new retrain ID."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, RetrainRequest, Caller]] = []
        self._lock = threading.Lock()

    def __call__(self, ctx: ServiceContext, group: str, body: RetrainRequest, caller: Caller) -> str:
        with self._lock:
            self.calls.append((group, body, caller))
            return f"{group}-retrain-{len(self.calls)}"


def nightly(ctx: ServiceContext, now: float, **changes: Any) -> Any:
    spec = ScheduleSpec(
        schedule_id=changes.pop("schedule_id", "nightly"),
        ml_model_id="churn",
        cron=changes.pop("cron", "0 3 * * *"),
        retrain=RETRAIN,
        **changes,
    )
    return schedules.create_schedule(ctx, spec, CALLER, now=now)


def test_each_due_time_starts_one_retrain_and_is_recorded(service_context: ServiceContext) -> None:
    created = nightly(service_context, at("2026-03-01 12:00"))
    assert created.next_run_at == at("2026-03-02 03:00") and created.state is ScheduleState.ENABLED
    clock, starter = FakeClock(at("2026-03-02 02:59")), RecordingStarter()
    runner = ScheduleRunner(service_context, starter, clock=clock)

    assert runner.run_due() == []  # not due yet
    clock.now = at("2026-03-02 03:00:05")
    [run] = runner.run_due()
    assert (run.due_at, run.outcome, run.retrain_id, run.skipped) == (
        at("2026-03-02 03:00"),
        ScheduleRunOutcome.STARTED,
        "churn-retrain-1",
        0,
    )
    assert starter.calls == [("churn", RETRAIN, CALLER)]  # as the schedule's creator, with its body
    assert runner.run_due() == []  # the same due time never runs twice
    assert schedules.get_schedule(service_context, "nightly").next_run_at == at("2026-03-03 03:00")

    clock.now = at("2026-03-03 03:00")
    assert [r.due_at for r in runner.run_due()] == [at("2026-03-03 03:00")]
    history = schedules.schedule_runs(service_context, "nightly")
    assert [r.retrain_id for r in history] == ["churn-retrain-2", "churn-retrain-1"]  # newest first


def test_due_times_missed_while_down_run_once_on_start(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"))
    starter = RecordingStarter()
    # No worker ran for five days: the due times of the 2nd to the 6th have passed.
    runner = ScheduleRunner(service_context, starter, clock=FakeClock(at("2026-03-06 10:00")))
    [run] = runner.run_due()
    assert run.due_at == at("2026-03-02 03:00") and run.skipped == 4
    assert len(starter.calls) == 1 and runner.run_due() == []
    assert schedules.get_schedule(service_context, "nightly").next_run_at == at("2026-03-07 03:00")


def test_workers_racing_for_a_due_time_start_it_once(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"), cron="*/5 * * * *")
    starter = RecordingStarter()
    clock = FakeClock(at("2026-03-01 12:05"))
    contexts = [ServiceContext.from_settings(service_context.settings) for _ in range(4)]
    runners = [ScheduleRunner(ctx, starter, clock=clock) for ctx in contexts]
    barrier = threading.Barrier(len(runners))
    claimed: list[int] = []

    def race(runner: ScheduleRunner) -> None:
        barrier.wait()
        claimed.append(len(runner.run_due()))

    try:
        for minute in ("12:05", "12:10", "12:15"):
            clock.now = at(f"2026-03-01 {minute}")
            threads = [threading.Thread(target=race, args=(runner,)) for runner in runners]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for ctx in contexts:
            ctx.close()
    assert sum(claimed) == 3 and len(starter.calls) == 3
    assert len(schedules.schedule_runs(service_context, "nightly")) == 3


def test_a_retrain_that_cannot_start_is_recorded_with_its_reason(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"))

    def refuse(ctx: ServiceContext, group: str, body: RetrainRequest, caller: Caller) -> str:
        raise ResourceNotFoundException("No model group churn exists.")

    [run] = ScheduleRunner(service_context, refuse, clock=FakeClock(at("2026-03-02 03:00"))).run_due()
    assert run.outcome is ScheduleRunOutcome.FAILED and run.message == "No model group churn exists."
    assert schedules.schedule_runs(service_context, "nightly")[0].message == run.message
    # The schedule goes on with its next due time.
    assert schedules.get_schedule(service_context, "nightly").next_run_at == at("2026-03-03 03:00")


def test_paused_schedules_skip_their_due_times_and_resume_from_now(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"))
    schedules.pause_schedule(service_context, "nightly", now=at("2026-03-01 13:00"))
    starter = RecordingStarter()
    clock = FakeClock(at("2026-03-04 12:00"))
    assert ScheduleRunner(service_context, starter, clock=clock).run_due() == []
    resumed = schedules.resume_schedule(service_context, "nightly", now=clock.now)
    assert resumed.state is ScheduleState.ENABLED and resumed.next_run_at == at("2026-03-05 03:00")
    assert ScheduleRunner(service_context, starter, clock=clock).run_due() == []  # nothing caught up


def test_run_now_makes_a_schedule_due_once(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"))
    schedules.run_schedule_now(service_context, "nightly", now=at("2026-03-01 12:30"))
    starter = RecordingStarter()
    [run] = ScheduleRunner(service_context, starter, clock=FakeClock(at("2026-03-01 12:30:01"))).run_due()
    assert run.due_at == at("2026-03-01 12:30")
    assert schedules.get_schedule(service_context, "nightly").next_run_at == at("2026-03-02 03:00")


def test_time_zones_and_daylight_saving(service_context: ServiceContext) -> None:
    # 03:00 in Paris is 02:00 UTC in winter and 01:00 UTC once summer time starts (29 March 2026).
    created = nightly(service_context, at("2026-03-28 12:00"), timezone="Europe/Paris")
    assert created.next_run_at == at("2026-03-29 01:00")
    with pytest.raises(InvalidInputException, match="not an IANA time zone"):
        nightly(service_context, at("2026-03-28 12:00"), schedule_id="other", timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        ("61 * * * *", "Bad minute"),
        ("0 3 * *", "Wrong number of fields"),
        ("0 3 30 2 *", "Bad day-of-month"),
        ("every night", "Wrong number of fields"),
    ],
)
def test_invalid_cron_expressions_are_refused_with_the_reason(
    service_context: ServiceContext, cron: str, reason: str
) -> None:
    with pytest.raises(InvalidInputException, match=reason):
        nightly(service_context, at("2026-03-01 12:00"), cron=cron)
    assert schedules.list_schedules(service_context) == []


def test_creating_again_is_idempotent_other_parameters_are_refused(
    service_context: ServiceContext,
) -> None:
    first = nightly(service_context, at("2026-03-01 12:00"))
    assert nightly(service_context, at("2026-03-01 12:10")) == first
    with pytest.raises(IdempotentParameterMismatchException):
        nightly(service_context, at("2026-03-01 12:10"), cron="0 4 * * *")
    with pytest.raises(InvalidInputException, match="ScheduleId"):
        nightly(service_context, at("2026-03-01 12:10"), schedule_id="..")


def test_deleting_a_schedule_removes_it_and_its_runs(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"))
    ScheduleRunner(service_context, RecordingStarter(), clock=FakeClock(at("2026-03-02 03:00"))).run_due()
    schedules.delete_schedule(service_context, "nightly")
    assert schedules.list_schedules(service_context) == []
    assert schedules.schedule_runs(service_context, "nightly") == []
    with pytest.raises(ResourceNotFoundException):
        schedules.delete_schedule(service_context, "nightly")


def test_cron_in_words() -> None:
    assert schedules.explain_cron("0 3 * * 1-5") == "At 03:00 on Monday through Friday"


def test_a_due_time_that_already_ran_is_passed_over_not_run_again(service_context: ServiceContext) -> None:
    nightly(service_context, at("2026-03-01 12:00"))
    starter = RecordingStarter()
    ScheduleRunner(service_context, starter, clock=FakeClock(at("2026-03-02 03:00"))).run_due()
    # Bring the schedule back to the due time that already ran (only a clock set back could).
    schedules.run_schedule_now(service_context, "nightly", now=at("2026-03-02 03:00"))
    assert ScheduleRunner(service_context, starter, clock=FakeClock(at("2026-03-02 03:01"))).run_due() == []
    assert len(starter.calls) == 1
    assert schedules.get_schedule(service_context, "nightly").next_run_at == at("2026-03-03 03:00")


def test_the_retrain_request_is_stored_as_its_record_and_old_rows_still_run(
    service_context: ServiceContext,
) -> None:
    created = nightly(service_context, at("2026-03-01 12:00"))
    assert created.retrain == RETRAIN.to_json()  # the record's own JSON, the retrain's ``Request`` keys
    # A row written before typed records: the body as the caller sent it, with the route's other names.
    sent = {"Location": " s3://bucket/churn/ ", "openaml.promotion": "auto", "holdout": {"Percent": "25"}}
    ScheduleStore(service_context.metadata).add(
        Schedule(
            id="old",
            ml_model_id="churn",
            cron="0 3 * * *",
            timezone="UTC",
            retrain=sent,
            state=ScheduleState.ENABLED,
            next_run_at=at("2026-03-02 03:00"),
            created_at=at("2026-03-01 12:00"),
            last_updated_at=at("2026-03-01 12:00"),
            created_by=CALLER,
        )
    )
    starter = RecordingStarter()
    ScheduleRunner(service_context, starter, clock=FakeClock(at("2026-03-02 03:00"))).run_due()
    assert sorted(starter.calls, key=lambda call: call[1].holdout_percent) == [
        ("churn", RETRAIN, CALLER),
        (
            "churn",
            RetrainRequest(location="s3://bucket/churn/", promotion="auto", holdout_percent=25.0),
            CALLER,
        ),
    ]
