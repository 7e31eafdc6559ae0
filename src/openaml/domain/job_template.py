"""The one shape of every job body: fetch → skip if done → wait for dependencies → start → work → finish.

:func:`run_job` owns the life cycle a job body shares with the others, so each body is only its own
``work``:

1. fetch the resource; a DELETED, COMPLETED or FAILED (or vanished) resource is left alone;
2. wait until every :class:`Dependency` is COMPLETED — one that is or becomes FAILED or DELETED fails
   this resource with the dependency's message;
3. mark the resource INPROGRESS (``started_at``; its first progress report);
4. call ``work`` with a :class:`StartedJob`: the resource, its dependencies, progress reports and the
   cancellation check;
5. on an :class:`Outcome`, write the job log and complete the resource with its details and compute
   time; on a request or data error, log it and fail the resource with the error's message; when the
   job was cancelled (the resource was deleted), stop with :class:`JobCancelled`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.domain.resources import (
    complete_resource,
    discard_unfinished_files,
    fail_resource,
    report_progress,
    start_resource,
    wait_until_completed,
    write_job_log,
)
from openaml.engine.cluster import ClusterUnavailable
from openaml.engine.data.errors import DataError
from openaml.entities import EntityStatus, Job, Resource, ResourceKind
from openaml.errors import InvalidInputException, LimitExceededException
from openaml.jobs.worker import JobCancelled, JobContext
from openaml.progress import JobProgress

log = logging.getLogger(__name__)

#: The errors that fail a resource with their message (the request or the data is at fault).
FAILING_ERRORS: tuple[type[Exception], ...] = (
    InvalidInputException,
    LimitExceededException,
    DataError,
    ClusterUnavailable,  # the configured Dask scheduler is unreachable or went away
)


@dataclass(frozen=True)
class Dependency:
    """A resource the job needs COMPLETED before it starts; ``role`` names it in messages."""

    kind: ResourceKind
    resource_id: str
    role: str


@dataclass(frozen=True)
class Outcome:
    """What a finished ``work`` produced: the resource's details, ``Message`` and job log."""

    details: Mapping[str, Any]
    message: str | None = None
    log_lines: Sequence[str] = ()
    #: Extra resource fields to set on completion (the denormalised filter fields).
    links: Mapping[str, Any] = field(default_factory=dict)
    #: Whether the resource reports ``ComputeTime`` (a datasource without statistics does not).
    report_compute_time: bool = True


@dataclass
class StartedJob:
    """What ``work`` gets: the started resource, its COMPLETED dependencies, progress and cancellation."""

    ctx: ServiceContext
    job: Job
    context: JobContext
    resource: Resource
    #: The dependencies, COMPLETED, in the order they were declared.
    dependencies: list[Resource]
    started_wall: float = field(default_factory=time.monotonic)
    started_cpu: float = field(default_factory=time.process_time)

    def seconds_elapsed(self) -> float:
        """Wall-clock seconds since the resource started."""
        return time.monotonic() - self.started_wall

    def progress(self, report: JobProgress | str) -> None:
        """Store a progress report (and the ``Message`` rendered from it), stamped with the elapsed time."""
        progress = JobProgress(report) if isinstance(report, str) else report
        report_progress(
            self.ctx,
            self.resource.kind,
            self.resource.id,
            replace(progress, seconds_elapsed=round(self.seconds_elapsed(), 3)),
        )

    def should_stop(self) -> bool:
        return self.context.should_stop()

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the resource was deleted (its job cancelled)."""
        self.context.check_cancelled()

    def compute_time_ms(self) -> int:
        return int((time.process_time() - self.started_cpu) * 1000)


Work = Callable[[StartedJob], Outcome]


def run_job(
    ctx: ServiceContext,
    job: Job,
    context: JobContext,
    *,
    kind: ResourceKind,
    label: str,
    activity: str,
    start: str | JobProgress,
    work: Work,
    dependencies: Callable[[Resource], Sequence[Dependency]] = lambda resource: (),
    stopped: tuple[type[Exception], ...] = (),
    failure_log: Callable[[str], Sequence[str]] | None = None,
) -> None:
    """Run one job body through the shared life cycle (see the module docstring).

    ``label`` names the resource in cancellation messages (``"model"``: "model M was deleted"),
    ``activity`` the job in a failure's log (``"training"``: "training FAILED: ..."); ``start`` is the
    first progress report;
    ``stopped`` are the engine's own "the caller asked me to stop" exceptions, which mean cancellation;
    ``failure_log`` writes the job log of a failure (default: one line ``"<activity> FAILED: <message>"``).
    """
    resource = ctx.resources.get(kind, job.resource_id)
    if resource is None or resource.status not in (EntityStatus.PENDING, EntityStatus.INPROGRESS):
        state = resource.status.value if resource is not None else "gone"
        log.info("%s %s is %s; its job has nothing to do", kind.value, job.resource_id, state)
        return
    try:
        needed = [
            wait_until_completed(ctx, dependency.kind, dependency.resource_id, dependency.role, context)
            for dependency in dependencies(resource)
        ]
        started = start_resource(ctx, kind, resource.id, start)
        if started is None:
            return
        if job.attempts > 1:  # a killed run may have left temporary files in the resource's folder
            removed = discard_unfinished_files(ctx, kind, resource.id)
            log.info(
                "%s %s: removed %d unfinished file(s) of an earlier run", kind.value, resource.id, removed
            )
        running = StartedJob(ctx, job, context, started, needed)
        outcome = work(running)
        context.check_cancelled()  # a resource deleted while it worked must not look complete
    except stopped as exc:
        raise JobCancelled(f"{label} {resource.id} was deleted") from exc
    except JobCancelled:
        raise
    except FAILING_ERRORS as exc:
        message = str(getattr(exc, "message", exc))
        log.info("%s %s failed: %s", kind.value, resource.id, message)
        lines = failure_log(message) if failure_log is not None else [f"{activity} FAILED: {message}"]
        write_job_log(ctx, kind, resource.id, lines)
        fail_resource(ctx, kind, resource.id, message)
        return
    write_job_log(ctx, kind, resource.id, outcome.log_lines)
    complete_resource(
        ctx,
        kind,
        resource.id,
        details=outcome.details,
        compute_time_ms=running.compute_time_ms() if outcome.report_compute_time else None,
        message=outcome.message,
        links=outcome.links,
    )
    log.info("%s %s completed", kind.value, resource.id)
