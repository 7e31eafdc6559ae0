"""The job worker: claims jobs, runs their bodies, and keeps their leases alive.

Job bodies are plain callables registered by job type (the composition root wires in the domain's
bodies). While a body runs, a heartbeat thread renews the lease; when the lease cannot be renewed
(the resource was deleted and the job cancelled), :meth:`JobContext.should_stop` turns true and the
body stops at its next check.

Beside its job loop a worker can run a periodic ``tick`` in a thread of its own (the composition root
gives it the schedule runner, :class:`openaml.domain.schedules.ScheduleRunner`), so that a long job
does not hold up what the tick starts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from openaml.entities import Job
from openaml.jobs.queue import AbandonedJob, JobQueue

log = logging.getLogger(__name__)


#: Longest a running job goes on after its resource is deleted, before its body is told to stop.
CANCEL_CHECK_SECONDS = 1.0


class JobCancelled(Exception):
    """Raised inside a job body that noticed its job was cancelled."""


@dataclass
class JobContext:
    """What a job body gets besides its job: a way to learn it should stop."""

    job: Job
    _stop: threading.Event = field(default_factory=threading.Event)

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def check_cancelled(self) -> None:
        if self._stop.is_set():
            raise JobCancelled(f"job {self.job.id} was cancelled")


JobBody = Callable[[Job, JobContext], None]


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs jobs from a :class:`JobQueue` one at a time."""

    def __init__(
        self,
        queue: JobQueue,
        bodies: Mapping[str, JobBody],
        *,
        on_abandoned: Callable[[Job], None],
        on_crash: Callable[[Job, str], None],
        worker_id: str | None = None,
        poll_seconds: float = 0.5,
        tick: Callable[[], object] | None = None,
        tick_seconds: float = 10.0,
    ) -> None:
        self.queue = queue
        self.bodies = bodies
        self.on_abandoned = on_abandoned
        self.on_crash = on_crash
        self.worker_id = worker_id or new_worker_id()
        self.poll_seconds = poll_seconds
        self.tick = tick
        self.tick_seconds = tick_seconds

    def run_once(self) -> bool:
        """Claim and run one job; False when there was nothing to do."""
        claimed = self.queue.claim(self.worker_id)
        if claimed is None:
            return False
        if isinstance(claimed, AbandonedJob):
            self.on_abandoned(claimed.job)
            return True
        self._run(claimed)
        return True

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.worker_id)
        ticker = None
        if self.tick is not None:
            ticker = threading.Thread(target=self._tick_forever, args=(stop,), daemon=True, name="tick")
            ticker.start()
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be briefly unavailable; keep the worker alive
                log.exception("worker %s: claiming a job failed", self.worker_id)
                busy = False
            if not busy:
                stop.wait(self.poll_seconds)
        if ticker is not None:
            ticker.join()
        log.info("worker %s stopped", self.worker_id)

    def _tick_forever(self, stop: threading.Event) -> None:
        assert self.tick is not None
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the database may be briefly unavailable; try again at the next tick
                log.exception("worker %s: the periodic tick failed", self.worker_id)
            stop.wait(self.tick_seconds)

    def _run(self, job: Job) -> None:
        context = JobContext(job)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job, context, done), daemon=True)
        beat.start()
        error: str | None = None
        try:
            body = self.bodies.get(job.job_type)
            if body is None:
                raise RuntimeError(f"no job body is registered for job type {job.job_type!r}")
            body(job, context)
        except JobCancelled:
            log.info("job %s (%s %s) cancelled", job.id, job.resource_kind, job.resource_id)
        except Exception as exc:
            log.error("job %s failed:\n%s", job.id, traceback.format_exc())
            error = f"{exc.__class__.__name__}: {exc}"
            self.on_crash(job, error)
        finally:
            done.set()
            beat.join()
        self.queue.finish(job, self.worker_id, error=error)

    def _heartbeat(self, job: Job, context: JobContext, done: threading.Event) -> None:
        # Each heartbeat also tells whether the job was cancelled (its resource deleted), so beats come
        # at least every CANCEL_CHECK_SECONDS, not only as often as the lease needs.
        interval = max(min(self.queue.lease_seconds / 3, CANCEL_CHECK_SECONDS), 0.05)
        while not done.wait(interval):
            try:
                alive = self.queue.heartbeat(job, self.worker_id)
            except Exception:
                log.exception("heartbeat of job %s failed", job.id)
                continue
            if not alive:
                context._stop.set()
                return
