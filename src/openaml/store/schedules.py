"""Retraining schedules and their runs in the metadata database.

A due time is taken by exactly one worker, whichever process and database back end: :meth:`claim`
moves the schedule's ``next_run_at`` forward with a compare-and-set update (``WHERE next_run_at =
<the due time it read>``) and records the run in the same transaction. A second worker that read the
same due time updates no row and records nothing; the unique ``(schedule_id, due_at)`` constraint of
``schedule_runs`` would refuse a second run of one due time even so.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from openaml.entities import Caller, Schedule, ScheduleRun, ScheduleRunOutcome, ScheduleState
from openaml.errors import InternalServerException
from openaml.store.metadata import MetadataStore
from openaml.store.tables import ScheduleRow, ScheduleRunRow


def _is_conflict(error: InternalServerException) -> bool:
    """Whether a failed transaction broke a unique or primary key (the session wraps driver errors)."""
    return isinstance(error.__cause__, IntegrityError)


def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(
        id=row.id,
        ml_model_id=row.ml_model_id,
        cron=row.cron,
        timezone=row.timezone,
        retrain=dict(row.retrain),
        state=ScheduleState(row.state),
        next_run_at=row.next_run_at,
        created_at=row.created_at,
        last_updated_at=row.last_updated_at,
        created_by=Caller(row.created_by_key, row.created_by_arn),
    )


def _run(row: ScheduleRunRow) -> ScheduleRun:
    return ScheduleRun(
        id=row.id,
        schedule_id=row.schedule_id,
        due_at=row.due_at,
        started_at=row.started_at,
        skipped=row.skipped,
        outcome=ScheduleRunOutcome(row.outcome),
        retrain_id=row.retrain_id,
        message=row.message,
    )


class ScheduleStore:
    """Reads and writes the ``schedules`` and ``schedule_runs`` tables."""

    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    def add(self, schedule: Schedule) -> bool:
        """Insert a new schedule; False when one with its ID exists already."""
        try:
            with self._metadata.session() as session:
                if session.get(ScheduleRow, schedule.id) is not None:
                    return False
                session.add(
                    ScheduleRow(
                        id=schedule.id,
                        ml_model_id=schedule.ml_model_id,
                        cron=schedule.cron,
                        timezone=schedule.timezone,
                        retrain=dict(schedule.retrain),
                        state=schedule.state.value,
                        next_run_at=schedule.next_run_at,
                        created_at=schedule.created_at,
                        last_updated_at=schedule.last_updated_at,
                        created_by_key=schedule.created_by.access_key_id,
                        created_by_arn=schedule.created_by.user_arn,
                    )
                )
            return True
        except InternalServerException as error:
            if not _is_conflict(error):
                raise
            return False  # created by a concurrent request between the check and the insert

    def get(self, schedule_id: str) -> Schedule | None:
        with self._metadata.session(write=False) as session:
            row = session.get(ScheduleRow, schedule_id)
            return None if row is None else _schedule(row)

    def all(self, ml_model_id: str | None = None) -> list[Schedule]:
        """Every schedule (of one model group when given), oldest first."""
        query = select(ScheduleRow).order_by(ScheduleRow.created_at, ScheduleRow.id)
        if ml_model_id is not None:
            query = query.where(ScheduleRow.ml_model_id == ml_model_id)
        with self._metadata.session(write=False) as session:
            return [_schedule(row) for row in session.scalars(query).all()]

    def set_state(
        self, schedule_id: str, state: ScheduleState, next_run_at: float | None, now: float
    ) -> bool:
        """Pause or resume a schedule (with its new next due time); False when it does not exist."""
        with self._metadata.session() as session:
            result = session.execute(
                update(ScheduleRow)
                .where(ScheduleRow.id == schedule_id)
                .values(state=state.value, next_run_at=next_run_at, last_updated_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def remove(self, schedule_id: str) -> bool:
        """Delete a schedule and its runs; False when it did not exist."""
        with self._metadata.session() as session:
            session.execute(delete(ScheduleRunRow).where(ScheduleRunRow.schedule_id == schedule_id))
            result = session.execute(delete(ScheduleRow).where(ScheduleRow.id == schedule_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def due(self, now: float) -> list[Schedule]:
        """The enabled schedules whose next due time has come, earliest first."""
        with self._metadata.session(write=False) as session:
            rows = session.scalars(
                select(ScheduleRow)
                .where(
                    ScheduleRow.state == ScheduleState.ENABLED.value,
                    ScheduleRow.next_run_at.is_not(None),
                    ScheduleRow.next_run_at <= now,
                )
                .order_by(ScheduleRow.next_run_at, ScheduleRow.id)
            ).all()
            return [_schedule(row) for row in rows]

    def claim(
        self, schedule: Schedule, *, next_run_at: float | None, started_at: float, skipped: int
    ) -> ScheduleRun | None:
        """Take the due time ``schedule.next_run_at`` and record its run as CLAIMED.

        Returns ``None`` when another worker took it first, or the schedule was paused, changed or
        deleted since it was read.
        """
        due_at = schedule.next_run_at
        if due_at is None:
            return None
        try:
            with self._metadata.session() as session:
                result = session.execute(
                    update(ScheduleRow)
                    .where(
                        ScheduleRow.id == schedule.id,
                        ScheduleRow.state == ScheduleState.ENABLED.value,
                        ScheduleRow.next_run_at == due_at,
                    )
                    .values(next_run_at=next_run_at)
                )
                if not result.rowcount:  # type: ignore[attr-defined]
                    return None
                row = ScheduleRunRow(
                    schedule_id=schedule.id,
                    due_at=due_at,
                    started_at=started_at,
                    skipped=skipped,
                    outcome=ScheduleRunOutcome.CLAIMED.value,
                )
                session.add(row)
                session.flush()
                return _run(row)
        except InternalServerException as error:
            if not _is_conflict(error):
                raise
            # This due time already has its run (only if next_run_at was set back to it): move on
            # without running it again, so the schedule cannot stay stuck on it.
            with self._metadata.session() as session:
                session.execute(
                    update(ScheduleRow)
                    .where(ScheduleRow.id == schedule.id, ScheduleRow.next_run_at == due_at)
                    .values(next_run_at=next_run_at)
                )
            return None

    def record_outcome(
        self, run_id: int, outcome: ScheduleRunOutcome, *, retrain_id: str | None, message: str | None
    ) -> None:
        with self._metadata.session() as session:
            session.execute(
                update(ScheduleRunRow)
                .where(ScheduleRunRow.id == run_id)
                .values(outcome=outcome.value, retrain_id=retrain_id, message=message)
            )

    def runs(self, schedule_id: str, limit: int = 50) -> list[ScheduleRun]:
        """The latest runs of a schedule, newest first."""
        with self._metadata.session(write=False) as session:
            rows = session.scalars(
                select(ScheduleRunRow)
                .where(ScheduleRunRow.schedule_id == schedule_id)
                .order_by(ScheduleRunRow.due_at.desc(), ScheduleRunRow.id.desc())
                .limit(limit)
            ).all()
            return [_run(row) for row in rows]

    def make_due(self, schedule_id: str, now: float) -> bool:
        """Bring an enabled schedule's next due time forward to ``now``; False when nothing changed."""
        with self._metadata.session() as session:
            result = session.execute(
                update(ScheduleRow)
                .where(ScheduleRow.id == schedule_id, ScheduleRow.state == ScheduleState.ENABLED.value)
                .values(next_run_at=now, last_updated_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
