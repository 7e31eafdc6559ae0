"""Keeping the job workers of ``openaml serve`` alive, and telling every serving process how many are.

A :class:`WorkerSupervisor` starts the configured number of worker processes and, from a thread of the
process that started them, checks them every :data:`CHECK_SECONDS`. A worker that died (killed, out
of memory, crashed) is started again after a back-off: :data:`FIRST_RESTART_DELAY_SECONDS`, doubling
with each death in a row up to :data:`MAX_RESTART_DELAY_SECONDS`; a worker that stayed up
:data:`STABLE_SECONDS` starts the count afresh. A worker that keeps dying soon after it starts is
logged as an error each time, with its exit status, so an operator sees why jobs stop moving. Nothing
is restarted once the server is shutting down.

The job of a worker that died is not lost: its lease runs out and any live worker takes it over (or
fails it with a message after ``job_max_attempts`` starts), see :mod:`openaml.jobs.queue`.

The serving processes answer ``GET /health`` but need not be the supervising process (with several
HTTP workers, uvicorn's own supervisor forks them), so the supervisor publishes its count in a small
JSON :class:`WorkerStatusFile` in the data directory, replaced atomically on every change and at
least every :data:`STATUS_REFRESH_SECONDS`. A file not refreshed for :data:`STATUS_STALE_SECONDS`
means the supervisor itself is gone, and so (through their orphan watchdog) are its workers.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: How often the supervisor looks at its workers.
CHECK_SECONDS = 0.5
#: Wait before the first restart of a worker that died; doubled for each further death in a row.
FIRST_RESTART_DELAY_SECONDS = 1.0
#: The longest wait between restarts of a worker that keeps dying.
MAX_RESTART_DELAY_SECONDS = 60.0
#: A worker that ran this long before it died is restarted after the first delay again.
STABLE_SECONDS = 60.0
#: Deaths in a row, each soon after a start, from which a worker is reported as crashing at start.
CRASH_LOOP_DEATHS = 3
#: The status file is rewritten at least this often, so readers can tell a live supervisor.
STATUS_REFRESH_SECONDS = 2.0
#: A status file older than this was left by a supervisor that is gone.
STATUS_STALE_SECONDS = 15.0
#: How long a stopping worker may finish its current step before it is killed.
STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class WorkerHealth:
    """How many job workers run, of how many configured."""

    alive: int
    configured: int

    @property
    def degraded(self) -> bool:
        return self.alive < self.configured


class WorkerStatusFile:
    """The supervisor's count of live workers in ``path``: written by it, read by every serving process.

    ``configured`` is what a reader assumes when the file is missing, unreadable or stale: none alive.
    """

    def __init__(self, path: Path, configured: int, *, stale_after: float = STATUS_STALE_SECONDS) -> None:
        self.path = path
        self.configured = configured
        self.stale_after = stale_after

    @staticmethod
    def in_data_dir(data_dir: Path, configured: int) -> WorkerStatusFile:
        """This process's status file: ``run/job-workers.<host>.<pid>.json`` in the data directory.

        Host and process ID keep apart servers that share one data directory. Files left by servers of
        this host that were killed are removed.
        """
        folder = data_dir / "run"
        host = socket.gethostname().replace("/", "_")
        for left in folder.glob(f"job-workers.{host}.*.json"):
            pid = left.name.removeprefix(f"job-workers.{host}.").removesuffix(".json")
            if pid.isdigit() and int(pid) != os.getpid() and not _process_exists(int(pid)):
                left.unlink(missing_ok=True)
        return WorkerStatusFile(folder / f"job-workers.{host}.{os.getpid()}.json", configured)

    def write(self, health: WorkerHealth, pids: list[int | None]) -> None:
        """Replace the file atomically (readers see the old or the new content, never a mix)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        content = {
            "alive": health.alive,
            "configured": health.configured,
            "pids": pids,
            "supervisor_pid": os.getpid(),
            "updated_at": time.time(),
        }
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".job-workers.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w") as file:
                json.dump(content, file)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self) -> WorkerHealth:
        """The published count; none alive when the supervisor wrote nothing lately."""
        try:
            content: Mapping[str, Any] = json.loads(self.path.read_text())
            if time.time() - float(content["updated_at"]) > self.stale_after:
                return WorkerHealth(0, self.configured)
            return WorkerHealth(int(content["alive"]), int(content["configured"]))
        except (OSError, ValueError, KeyError, TypeError):
            return WorkerHealth(0, self.configured)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe_exit(exitcode: int | None) -> str:
    """``exit code 1`` or ``killed by SIGKILL``, for log lines."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


@dataclass
class _Slot:
    """One configured worker: its current process (None while waiting to restart) and its history."""

    index: int
    process: BaseProcess | None = None
    started_at: float = 0.0
    deaths_in_a_row: int = 0
    restart_at: float = 0.0


class WorkerSupervisor:
    """Starts ``count`` workers with ``start_worker(index)`` and restarts those that die, with back-off.

    ``shutting_down`` tells when the server began to stop: from then on nothing is restarted (the
    workers may already have had the same signal as the server). ``status`` (optional) is kept current.
    """

    def __init__(
        self,
        start_worker: Callable[[int], BaseProcess],
        count: int,
        *,
        status: WorkerStatusFile | None = None,
        shutting_down: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start_worker = start_worker
        self._slots = [_Slot(index) for index in range(count)]
        self._status = status
        self._shutting_down = shutting_down
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._published: tuple[WorkerHealth, float] | None = None

    # --- Lifecycle ---------------------------------------------------------------------------------

    def start(self, *, supervise: bool = True) -> None:
        """Start every worker and publish the status; with ``supervise``, check them from a thread."""
        with self._lock:
            now = self._clock()
            for slot in self._slots:
                self._launch(slot, now)
            self._publish(now, force=True)
        if supervise:
            self._thread = threading.Thread(target=self._run, name="job-worker-supervisor", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop supervising, then stop every worker (SIGTERM, then SIGKILL after a grace period)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            processes = [slot.process for slot in self._slots if slot.process is not None]
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=STOP_GRACE_SECONDS)
                if process.is_alive():
                    process.kill()
                    process.join()
            if self._status is not None:
                self._status.remove()

    # --- Supervision -------------------------------------------------------------------------------

    def check(self) -> None:
        """One round: note the workers that died, start those whose back-off is over, publish the count."""
        with self._lock:
            if self._stop.is_set() or self._shutting_down():
                return
            now = self._clock()
            for slot in self._slots:
                if slot.process is not None and not slot.process.is_alive():
                    self._note_death(slot, now)
                if slot.process is None and now >= slot.restart_at:
                    self._restart(slot, now)
            self._publish(now)

    def _run(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            try:
                self.check()
            except Exception:  # a failed start or status write must not end supervision
                log.exception("supervising the job workers failed; trying again")

    def _launch(self, slot: _Slot, now: float) -> BaseProcess:
        slot.process = self._start_worker(slot.index)
        slot.started_at = now
        return slot.process

    def _restart(self, slot: _Slot, now: float) -> None:
        try:
            process = self._launch(slot, now)
        except Exception:  # e.g. no memory or process slots left: try again after the back-off
            slot.deaths_in_a_row += 1
            slot.restart_at = now + self._delay(slot)
            log.exception(
                "starting job worker %d failed; next try in %.0f s", slot.index + 1, slot.restart_at - now
            )
            return
        log.warning("job worker %d restarted (pid %s)", slot.index + 1, process.pid)

    @staticmethod
    def _delay(slot: _Slot) -> float:
        doubled = FIRST_RESTART_DELAY_SECONDS * 2 ** (slot.deaths_in_a_row - 1)
        return float(min(doubled, MAX_RESTART_DELAY_SECONDS))

    def _note_death(self, slot: _Slot, now: float) -> None:
        assert slot.process is not None
        process, slot.process = slot.process, None
        process.join(timeout=0)
        lived = now - slot.started_at
        slot.deaths_in_a_row = 1 if lived >= STABLE_SECONDS else slot.deaths_in_a_row + 1
        delay = self._delay(slot)
        slot.restart_at = now + delay
        how = describe_exit(process.exitcode)
        if slot.deaths_in_a_row >= CRASH_LOOP_DEATHS:
            log.error(
                "job worker %d (pid %s) keeps dying within a minute of starting: %d times in a row, "
                "this time with %s after %.1f s. Jobs wait until a worker runs; see the worker's own "
                "error above. Next try in %.0f s.",
                slot.index + 1,
                process.pid,
                slot.deaths_in_a_row,
                how,
                lived,
                delay,
            )
        else:
            log.warning(
                "job worker %d (pid %s) died (%s) after %.1f s; restarting it in %.0f s. Its job, if any, "
                "is taken over by a live worker when its lease runs out.",
                slot.index + 1,
                process.pid,
                how,
                lived,
                delay,
            )

    def _health(self) -> WorkerHealth:
        alive = sum(1 for slot in self._slots if slot.process is not None and slot.process.is_alive())
        return WorkerHealth(alive, len(self._slots))

    def _publish(self, now: float, *, force: bool = False) -> None:
        if self._status is None:
            return
        health = self._health()
        if (
            force
            or self._published is None
            or self._published[0] != health
            or now - self._published[1] >= STATUS_REFRESH_SECONDS
        ):
            pids = [slot.process.pid if slot.process is not None else None for slot in self._slots]
            self._status.write(health, pids)
            self._published = (health, now)
