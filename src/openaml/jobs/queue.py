"""A durable job queue kept in the metadata database.

Jobs are created together with their resource (see :meth:`ResourceStore.create`). A worker claims
the oldest runnable job with a compare-and-set update, which works the same on SQLite and PostgreSQL,
and holds it under a lease that it renews by heartbeats. A job whose lease ran out (its worker died)
is claimable again until it has been started ``max_attempts`` times; then it is failed with a
message. Cancelling (deleting the resource) marks the job, and the worker notices at its next
heartbeat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from openaml.entities import Job, JobState, ResourceKind
from openaml.store.metadata import MetadataStore
from openaml.store.tables import JobRow


def _to_entity(row: JobRow) -> Job:
    return Job(
        id=row.id,
        job_type=row.job_type,
        resource_kind=ResourceKind(row.resource_kind),
        resource_id=row.resource_id,
        state=JobState(row.state),
        attempts=row.attempts,
        created_at=row.created_at,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
    )


@dataclass(frozen=True)
class AbandonedJob:
    """A job whose workers died too often; its resource must be failed with ``job.error``."""

    job: Job


class JobQueue:
    """Claiming, renewing, finishing and cancelling jobs."""

    def __init__(
        self, metadata: MetadataStore, *, lease_seconds: float = 30.0, max_attempts: int = 2
    ) -> None:
        self.metadata = metadata
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts

    def claim(self, worker_id: str, now: float | None = None) -> Job | AbandonedJob | None:
        """Take the oldest runnable job for ``worker_id``.

        Returns the claimed job, an :class:`AbandonedJob` that was just failed because its attempts
        are used up (the caller fails its resource), or ``None`` when nothing is runnable.
        """
        for _ in range(10):
            now = time.time() if now is None else now
            with self.metadata.session(write=False) as session:
                candidate = session.scalars(
                    select(JobRow)
                    .where(
                        or_(
                            JobRow.state == JobState.QUEUED.value,
                            (JobRow.state == JobState.RUNNING.value) & (JobRow.lease_expires_at < now),
                        )
                    )
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(1)
                ).first()
                if candidate is None:
                    return None
                seen = (candidate.id, candidate.state, candidate.attempts)
            with self.metadata.session() as session:
                row = session.get(JobRow, seen[0])
                if row is None or (row.id, row.state, row.attempts) != seen:
                    continue  # another worker was faster; look again
                if row.attempts >= self.max_attempts:
                    row.state = JobState.FAILED.value
                    row.finished_at = now
                    row.lease_owner = None
                    row.error = (
                        f"the worker running this job stopped unexpectedly {row.attempts} time(s) "
                        "(process killed, out of memory or server restart); giving up"
                    )
                    session.flush()
                    return AbandonedJob(_to_entity(row))
                row.state = JobState.RUNNING.value
                row.attempts += 1
                row.lease_owner = worker_id
                row.lease_expires_at = now + self.lease_seconds
                row.started_at = row.started_at or now
                session.flush()
                return _to_entity(row)
        return None

    def enqueue(self, job_type: str, kind: ResourceKind, resource_id: str) -> int:
        """Queue one more job on an existing resource (a later step, or work on a finished one such as an
        export); its ID."""
        with self.metadata.session() as session:
            row = JobRow(
                job_type=job_type,
                resource_kind=kind.value,
                resource_id=resource_id,
                state=JobState.QUEUED.value,
                attempts=0,
                created_at=time.time(),
            )
            session.add(row)
            session.flush()
            return row.id

    def heartbeat(self, job: Job, worker_id: str) -> bool:
        """Renew the lease; False means the job is no longer ours (cancelled or taken over)."""
        with self.metadata.session() as session:
            result = session.execute(
                update(JobRow)
                .where(
                    JobRow.id == job.id,
                    JobRow.lease_owner == worker_id,
                    JobRow.state == JobState.RUNNING.value,
                )
                .values(lease_expires_at=time.time() + self.lease_seconds)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def finish(self, job: Job, worker_id: str, *, error: str | None = None) -> bool:
        """Mark the job succeeded (or failed with ``error``); False if it was cancelled meanwhile."""
        state = JobState.FAILED if error else JobState.SUCCEEDED
        with self.metadata.session() as session:
            result = session.execute(
                update(JobRow)
                .where(
                    JobRow.id == job.id,
                    JobRow.lease_owner == worker_id,
                    JobRow.state == JobState.RUNNING.value,
                )
                .values(state=state.value, finished_at=time.time(), lease_owner=None, error=error)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def cancel_for(self, kind: ResourceKind, resource_id: str) -> int:
        """Cancel every unfinished job of a resource; returns how many were cancelled."""
        with self.metadata.session() as session:
            result = session.execute(
                update(JobRow)
                .where(
                    JobRow.resource_kind == kind.value,
                    JobRow.resource_id == resource_id,
                    JobRow.state.in_([JobState.QUEUED.value, JobState.RUNNING.value]),
                )
                .values(state=JobState.CANCELLED.value, finished_at=time.time(), lease_owner=None)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def jobs_for(self, kind: ResourceKind, resource_id: str) -> list[Job]:
        with self.metadata.session(write=False) as session:
            rows = session.scalars(
                select(JobRow)
                .where(JobRow.resource_kind == kind.value, JobRow.resource_id == resource_id)
                .order_by(JobRow.id)
            ).all()
            return [_to_entity(r) for r in rows]
