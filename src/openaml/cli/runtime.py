"""Process-level wiring shared by ``openaml serve`` and ``openaml worker``: contexts and workers."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

from openaml.config import Settings
from openaml.domain.context import ServiceContext
from openaml.domain.jobs import fail_abandoned_job, fail_crashed_job, job_bodies
from openaml.domain.schedules import ScheduleRunner, start_group_retrain
from openaml.jobs.worker import Worker


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=str(settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


#: The server's processes create files 0600 and folders 0700 (model artifacts written by libraries too).
PRIVATE_UMASK = 0o077


def keep_created_files_private() -> None:
    """Make everything this process and its children create readable by the server's user only."""
    os.umask(PRIVATE_UMASK)


def open_context(settings: Settings, *, initialize_empty: bool) -> ServiceContext:
    """Open the stores and make sure the database schema is current."""
    ctx = ServiceContext.from_settings(settings)
    ctx.metadata.check_schema(initialize_empty=initialize_empty)
    return ctx


def build_worker(ctx: ServiceContext) -> Worker:
    """A job worker that also starts the retrains of due schedules (``openaml.domain.schedules``)."""
    return Worker(
        ctx.jobs,
        job_bodies(ctx),
        on_abandoned=lambda job: fail_abandoned_job(ctx, job),
        on_crash=lambda job, error: fail_crashed_job(ctx, job, error),
        poll_seconds=float(ctx.settings.job_poll_seconds),
        tick=ScheduleRunner(ctx, start_group_retrain).run_due,
        tick_seconds=float(ctx.settings.schedule_poll_seconds),
    )


def run_worker(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run one job worker until SIGTERM/SIGINT (or ``stop``); the entry of every worker process."""
    configure_logging(settings)
    keep_created_files_private()
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    ctx = open_context(settings, initialize_empty=False)
    try:
        build_worker(ctx).run_forever(stop)
    finally:
        ctx.close()


PARENT_CHECK_SECONDS = 1.0
STOP_GRACE_SECONDS = 10.0


def _stop_when_orphaned(parent_pid: int, stop: threading.Event) -> None:
    """End this worker when the server that started it is gone, however it ended (even SIGKILL).

    The worker stops between jobs; a job still running after the grace period is abandoned — its
    writes are atomic and its lease runs out, so another worker takes it over.
    """
    while not stop.wait(PARENT_CHECK_SECONDS):
        if os.getppid() != parent_pid:
            stop.set()
            time.sleep(STOP_GRACE_SECONDS)
            os._exit(0)


def worker_process_main(values: dict[str, Any], sources: dict[str, str], parent_pid: int) -> None:
    """Target of the worker processes ``openaml serve`` starts (settings travel as plain data)."""
    stop = threading.Event()
    threading.Thread(target=_stop_when_orphaned, args=(parent_pid, stop), daemon=True).start()
    run_worker(Settings(values, sources), stop)
