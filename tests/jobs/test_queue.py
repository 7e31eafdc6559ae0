"""The durable job queue: claiming, leases, dead workers, cancellation, on both back ends."""

from __future__ import annotations

import threading
import time

from openaml.entities import EntityStatus, JobState, Resource, ResourceKind
from openaml.jobs.queue import AbandonedJob, JobQueue
from openaml.jobs.worker import JobContext, Worker


def add_job(ctx, resource_id: str) -> None:
    now = time.time()
    ctx.resources.create(
        Resource(
            kind=ResourceKind.DATA_SOURCE,
            id=resource_id,
            status=EntityStatus.PENDING,
            created_at=now,
            last_updated_at=now,
            created_by="x",
        ),
        "work",
    )


def test_each_job_is_claimed_once(service_context) -> None:
    add_job(service_context, "a")
    queue: JobQueue = service_context.jobs
    first = queue.claim("w1")
    assert first is not None and not isinstance(first, AbandonedJob) and first.resource_id == "a"
    assert queue.claim("w2") is None
    assert queue.finish(first, "w1")
    assert queue.jobs_for(ResourceKind.DATA_SOURCE, "a")[0].state is JobState.SUCCEEDED


def test_a_dead_workers_job_is_retried_then_failed(service_context) -> None:
    add_job(service_context, "b")
    queue = JobQueue(service_context.metadata, lease_seconds=30, max_attempts=2)
    start = time.time()
    first = queue.claim("w1", now=start)
    assert first is not None and not isinstance(first, AbandonedJob)
    assert queue.claim("w2", now=start + 10) is None  # lease still held
    second = queue.claim("w2", now=start + 31)  # w1 died: lease ran out
    assert second is not None and not isinstance(second, AbandonedJob) and second.attempts == 2
    assert not queue.heartbeat(first, "w1")  # the old owner lost the job
    abandoned = queue.claim("w3", now=start + 62)
    assert isinstance(abandoned, AbandonedJob) and "stopped unexpectedly 2 time(s)" in (
        abandoned.job.error or ""
    )
    assert queue.claim("w3", now=start + 100) is None


def test_cancelling_stops_a_running_body(service_context) -> None:
    add_job(service_context, "c")
    queue = JobQueue(service_context.metadata, lease_seconds=0.3, max_attempts=2)
    stopped = threading.Event()

    def body(job, context: JobContext) -> None:
        queue.cancel_for(ResourceKind.DATA_SOURCE, "c")
        deadline = time.monotonic() + 20
        while not context.should_stop() and time.monotonic() < deadline:
            time.sleep(0.02)
        if context.should_stop():
            stopped.set()

    worker = Worker(queue, {"work": body}, on_abandoned=lambda job: None, on_crash=lambda job, error: None)
    assert worker.run_once()
    assert stopped.is_set()
    assert queue.jobs_for(ResourceKind.DATA_SOURCE, "c")[0].state is JobState.CANCELLED


def test_a_crashing_body_fails_its_job_and_reports_it(service_context) -> None:
    add_job(service_context, "d")
    crashes = []

    def body(job, context: JobContext) -> None:
        raise ValueError("boom")

    worker = Worker(
        service_context.jobs,
        {"work": body},
        on_abandoned=lambda job: None,
        on_crash=lambda job, error: crashes.append(error),
    )
    assert worker.run_once()
    assert crashes == ["ValueError: boom"]
    job = service_context.jobs.jobs_for(ResourceKind.DATA_SOURCE, "d")[0]
    assert job.state is JobState.FAILED and job.error == "ValueError: boom"


def test_a_worker_runs_its_tick_beside_the_job_loop_until_stopped(service_context) -> None:
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        ticks.append(time.monotonic())
        if len(ticks) == 2:
            raise RuntimeError("a failing tick is logged, and the next one runs")
        if len(ticks) >= 4:
            stop.set()

    worker = Worker(
        service_context.jobs,
        {},
        on_abandoned=lambda job: None,
        on_crash=lambda job, error: None,
        poll_seconds=0.01,
        tick=tick,
        tick_seconds=0.01,
    )
    runner = threading.Thread(target=worker.run_forever, args=(stop,))
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive() and len(ticks) >= 4
