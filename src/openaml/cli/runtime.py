"""Process-level wiring shared by ``openaml serve`` and ``openaml worker``: contexts and workers."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from openaml.config import Settings
from openaml.domain.context import ServiceContext
from openaml.domain.jobs import fail_abandoned_job, fail_crashed_job, job_bodies
from openaml.jobs.worker import Worker


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=str(settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def open_context(settings: Settings, *, initialize_empty: bool) -> ServiceContext:
    """Open the stores and make sure the database schema is current."""
    ctx = ServiceContext.from_settings(settings)
    ctx.metadata.check_schema(initialize_empty=initialize_empty)
    return ctx


def build_worker(ctx: ServiceContext) -> Worker:
    return Worker(
        ctx.jobs,
        job_bodies(ctx),
        on_abandoned=lambda job: fail_abandoned_job(ctx, job),
        on_crash=lambda job, error: fail_crashed_job(ctx, job, error),
        poll_seconds=float(ctx.settings.job_poll_seconds),
    )


def run_worker(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run one job worker until SIGTERM/SIGINT (or ``stop``); the entry of every worker process."""
    configure_logging(settings)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    ctx = open_context(settings, initialize_empty=False)
    try:
        build_worker(ctx).run_forever(stop)
    finally:
        ctx.close()


def worker_process_main(values: dict[str, Any], sources: dict[str, str]) -> None:
    """Target of the worker processes ``openaml serve`` starts (settings travel as plain data)."""
    run_worker(Settings(values, sources))
