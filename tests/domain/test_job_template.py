"""The job template: one life cycle (skip, wait, start, progress, fail, cancel, complete) for every job body.

In-process: a ServiceContext on a temporary SQLite data directory (``ctx`` of conftest.py), and a
datasource resource whose job runs a ``work`` function written here instead of the real ingest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest

from openaml.domain.context import ServiceContext
from openaml.domain.job_template import Dependency, Outcome, StartedJob, run_job
from openaml.domain.resources import artifact_uri, create_resource, delete_resource, fail_resource
from openaml.entities import EntityStatus, Job, ResourceKind
from openaml.errors import InvalidInputException
from openaml.jobs.queue import JobQueue
from openaml.jobs.worker import JobCancelled, JobContext
from openaml.progress import JobProgress

KIND = ResourceKind.DATA_SOURCE


@dataclass(frozen=True)
class NoRequest:
    """A creation record with nothing in it: these jobs read no request."""

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NoRequest:
        return cls()


class Stopped(Exception):
    """What an engine raises when its ``should_stop`` said so."""


def new_job(ctx: ServiceContext, resource_id: str) -> Job:
    create_resource(
        ctx,
        kind=KIND,
        resource_id=resource_id,
        name=None,
        request=NoRequest(),
        created_by="me",
        job_type="test",
    )
    job = JobQueue(ctx.metadata).claim("test-worker")
    assert isinstance(job, Job) and job.resource_id == resource_id
    return job


def run(ctx: ServiceContext, job: Job, work: object, **options: object) -> None:
    run_job(
        ctx,
        job,
        JobContext(job),
        kind=KIND,
        label="thing",
        activity="testing",
        start="Getting ready",
        work=work,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def log_text(ctx: ServiceContext, resource_id: str) -> str:
    return ctx.objects.server_files.read_bytes(artifact_uri(ctx, KIND, resource_id, "log.txt")).decode()


def test_work_runs_started_reports_progress_and_completes(ctx: ServiceContext) -> None:
    job = new_job(ctx, "ds-ok")
    seen: list[tuple[EntityStatus, str | None, dict[str, object] | None]] = []

    def work(started: StartedJob) -> Outcome:
        assert started.resource.status is EntityStatus.INPROGRESS
        now = ctx.resources.get(KIND, "ds-ok")
        assert now is not None
        seen.append((now.status, now.message, now.progress))
        started.progress(JobProgress("Reading the data", bytes_done=50, bytes_total=200))
        now = ctx.resources.get(KIND, "ds-ok")
        assert now is not None
        seen.append((now.status, now.message, now.progress))
        return Outcome(details={"Answer": 42}, message="All done.", log_lines=["did it"])

    run(ctx, job, work)

    assert seen[0][:2] == (EntityStatus.INPROGRESS, "Getting ready")
    assert seen[0][2] is not None and seen[0][2]["phase"] == "Getting ready"
    _status, message, progress = seen[1]
    assert message == "Reading the data: 25% of 0.0 MB"
    assert progress is not None
    assert (progress["bytesDone"], progress["bytesTotal"], progress["fractionDone"]) == (50, 200, 0.25)
    assert progress["secondsElapsed"] >= 0 and progress["message"] == message
    done = ctx.resources.get(KIND, "ds-ok")
    assert done is not None
    assert (done.status, done.message, done.details, done.progress) == (
        EntityStatus.COMPLETED,
        "All done.",
        {"Answer": 42},
        None,
    )
    assert done.started_at is not None and done.compute_time_ms is not None
    assert "did it" in log_text(ctx, "ds-ok")


def test_a_resource_no_longer_pending_is_left_alone(ctx: ServiceContext) -> None:
    job = new_job(ctx, "ds-gone")
    delete_resource(ctx, KIND, "ds-gone")
    calls: list[StartedJob] = []
    run(ctx, job, lambda started: calls.append(started) or Outcome(details={}))
    resource = ctx.resources.get(KIND, "ds-gone")
    assert calls == [] and resource is not None and resource.status is EntityStatus.DELETED


def test_a_failed_dependency_fails_the_resource_with_its_message(ctx: ServiceContext) -> None:
    new_job(ctx, "ds-parent")
    fail_resource(ctx, KIND, "ds-parent", "the file was empty")
    job = new_job(ctx, "ds-child")
    calls: list[StartedJob] = []
    run(
        ctx,
        job,
        lambda started: calls.append(started) or Outcome(details={}),
        dependencies=lambda resource: [Dependency(KIND, "ds-parent", "Parent DataSource")],
    )
    child = ctx.resources.get(KIND, "ds-child")
    assert calls == [] and child is not None
    assert child.status is EntityStatus.FAILED
    assert child.message == "Parent DataSource ds-parent is FAILED and cannot be used: the file was empty"
    assert f"testing FAILED: {child.message}" in log_text(ctx, "ds-child")


def test_completed_dependencies_are_handed_to_the_work(ctx: ServiceContext) -> None:
    parent_job = new_job(ctx, "ds-dep")
    run(ctx, parent_job, lambda started: Outcome(details={"Rows": 3}))
    job = new_job(ctx, "ds-user")
    got: list[int] = []

    def work(started: StartedJob) -> Outcome:
        got.extend(dependency.details["Rows"] for dependency in started.dependencies)
        return Outcome(details={}, report_compute_time=False)

    run(ctx, job, work, dependencies=lambda resource: [Dependency(KIND, "ds-dep", "DataSource")])
    user = ctx.resources.get(KIND, "ds-user")
    assert got == [3] and user is not None
    assert user.status is EntityStatus.COMPLETED and user.compute_time_ms is None


def test_a_request_error_in_the_work_fails_the_resource_readably(ctx: ServiceContext) -> None:
    job = new_job(ctx, "ds-bad")

    def work(started: StartedJob) -> Outcome:
        raise InvalidInputException("The target column 'y' is missing.")

    run(ctx, job, work, failure_log=lambda message: ["custom log", f"because: {message}"])
    bad = ctx.resources.get(KIND, "ds-bad")
    assert bad is not None
    assert (bad.status, bad.message, bad.progress) == (
        EntityStatus.FAILED,
        "The target column 'y' is missing.",
        None,
    )
    assert "because: The target column 'y' is missing." in log_text(ctx, "ds-bad")


def test_an_engine_stop_or_a_deletion_while_working_is_a_cancellation(ctx: ServiceContext) -> None:
    job = new_job(ctx, "ds-stop")

    def stopping(started: StartedJob) -> Outcome:
        raise Stopped()

    with pytest.raises(JobCancelled, match="thing ds-stop was deleted"):
        run(ctx, job, stopping, stopped=(Stopped,))

    job = new_job(ctx, "ds-deleted")
    context = JobContext(job)

    def deleted_meanwhile(started: StartedJob) -> Outcome:
        delete_resource(ctx, KIND, "ds-deleted")
        context._stop.set()  # what the worker does when it sees the job cancelled
        return Outcome(details={"Looks": "complete"})

    with pytest.raises(JobCancelled):
        run_job(
            ctx,
            job,
            context,
            kind=KIND,
            label="thing",
            activity="testing",
            start="Getting ready",
            work=deleted_meanwhile,
        )
    deleted = ctx.resources.get(KIND, "ds-deleted")
    assert deleted is not None and deleted.status is EntityStatus.DELETED and deleted.details == {}


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_retried_job_first_removes_what_a_killed_run_left_half_written(
    ctx: ServiceContext, attempt: int
) -> None:
    """Issue 13 item 3: when a job is retried after its worker was killed, nothing half-written stays."""
    job = replace(new_job(ctx, f"ds-retried-{attempt}"), attempts=attempt)
    folder = ctx.objects.server_files.local_path(ctx.objects.data_uri("datasources", job.resource_id))
    assert folder is not None
    (folder / "model").mkdir(parents=True)
    leftovers = [folder / ".statistics.json.k2j4h1x0.partial", folder / "model" / ".model.x81hq.tmp"]
    leftovers[0].write_text("{half")
    leftovers[1].mkdir()
    (leftovers[1] / "model.joblib").write_bytes(b"half")
    kept = [folder / "statistics.json", folder / ".finished-hidden-file"]
    for path in kept:
        path.write_text("whole")
    seen: list[bool] = []

    def work(started: StartedJob) -> Outcome:
        seen.append(any(path.exists() for path in leftovers))
        return Outcome(details={})

    run(ctx, job, work)

    # A first run may share its folder with nothing unfinished; a retry starts clean.
    assert seen == [attempt == 1]
    assert all(path.exists() for path in kept)
