"""The job worker supervisor (issue 13 item 3): dead workers come back after a back-off; the count is public.

Processes are stand-ins with the :class:`multiprocessing.process.BaseProcess` methods the supervisor
uses, and time is a fake clock, so the back-off schedule is checked exactly without waiting.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from openaml.jobs.supervisor import (
    MAX_RESTART_DELAY_SECONDS,
    STABLE_SECONDS,
    WorkerHealth,
    WorkerStatusFile,
    WorkerSupervisor,
)


class StandIn:
    """A worker process that lives until :meth:`die` (or terminate/kill)."""

    next_pid = 1000

    def __init__(self) -> None:
        StandIn.next_pid += 1
        self.pid = StandIn.next_pid
        self.exitcode: int | None = None
        self.terminated = False

    def is_alive(self) -> bool:
        return self.exitcode is None

    def die(self, exitcode: int = -9) -> None:
        self.exitcode = exitcode

    def terminate(self) -> None:
        self.terminated = True
        self.die(0)

    def kill(self) -> None:
        self.die(-9)

    def join(self, timeout: float | None = None) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def started(tmp_path: Path) -> tuple[WorkerSupervisor, list[StandIn], Clock, WorkerStatusFile]:
    processes: list[StandIn] = []

    def start(index: int) -> Any:
        processes.append(StandIn())
        return processes[-1]

    clock = Clock()
    status = WorkerStatusFile(tmp_path / "run" / "status.json", configured=2)
    supervisor = WorkerSupervisor(start, 2, status=status, clock=clock)
    supervisor.start(supervise=False)
    return supervisor, processes, clock, status


def test_a_dead_worker_is_restarted_after_a_back_off_and_health_is_degraded_meanwhile(started: Any) -> None:
    supervisor, processes, clock, status = started
    assert status.read() == WorkerHealth(2, 2) and not status.read().degraded
    processes[0].die()
    clock.now = 5.0
    supervisor.check()
    assert status.read() == WorkerHealth(1, 2) and status.read().degraded
    clock.now = 5.9
    supervisor.check()
    assert len(processes) == 2  # still waiting
    clock.now = 6.0
    supervisor.check()
    assert len(processes) == 3 and status.read() == WorkerHealth(2, 2)
    assert json.loads(status.path.read_text())["pids"] == [processes[2].pid, processes[1].pid]


def test_the_back_off_doubles_up_to_a_limit_and_restarts_afresh_after_a_stable_run(started: Any) -> None:
    supervisor, processes, clock, _ = started
    delays = []
    for _ in range(9):
        processes[-2 if len(processes) == 2 else -1].die()
        supervisor.check()
        died_at = clock.now
        while len(processes) == len(delays) + 2:
            clock.now += 0.25
            supervisor.check()
        delays.append(clock.now - died_at)
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert MAX_RESTART_DELAY_SECONDS == 60
    clock.now += STABLE_SECONDS
    processes[-1].die()
    supervisor.check()
    clock.now += 1
    supervisor.check()
    assert len(processes) == 12  # a worker that had stayed up comes back after the first delay


def test_a_worker_that_keeps_dying_at_start_is_logged_as_an_error(
    started: Any, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor, processes, clock, _ = started
    with caplog.at_level(logging.WARNING, logger="openaml.jobs.supervisor"):
        for _ in range(3):
            processes[-1].die(1)
            supervisor.check()
            clock.now += MAX_RESTART_DELAY_SECONDS
            supervisor.check()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "keeps dying within a minute of starting: 3 times in a row" in errors[0]
    assert "exit code 1" in errors[0]
    assert any(
        "killed by" not in r.getMessage() and "died (exit code 1)" in r.getMessage() for r in caplog.records
    )


def test_a_worker_that_cannot_be_started_is_tried_again_after_the_back_off(started: Any) -> None:
    supervisor, processes, clock, status = started
    failing = True

    def start(index: int) -> Any:
        if failing:
            raise OSError("no more processes")
        processes.append(StandIn())
        return processes[-1]

    supervisor._start_worker = start
    processes[0].die()
    supervisor.check()  # noted dead; restart due in 1 s
    clock.now = 1.0
    supervisor.check()  # the start fails: next try after 2 s
    assert status.read() == WorkerHealth(1, 2)
    failing = False
    clock.now = 2.9
    supervisor.check()
    assert len(processes) == 2
    clock.now = 3.0
    supervisor.check()
    assert len(processes) == 3 and status.read() == WorkerHealth(2, 2)


def test_nothing_is_restarted_while_the_server_shuts_down_and_stop_ends_every_worker(tmp_path: Path) -> None:
    processes: list[StandIn] = []
    shutting_down = False

    def start(index: int) -> Any:
        processes.append(StandIn())
        return processes[-1]

    clock = Clock()
    status = WorkerStatusFile(tmp_path / "status.json", configured=2)
    supervisor = WorkerSupervisor(start, 2, status=status, clock=clock, shutting_down=lambda: shutting_down)
    supervisor.start(supervise=False)
    processes[0].die(0)  # the worker had the same SIGINT as the server
    shutting_down = True
    clock.now = 100
    supervisor.check()
    assert len(processes) == 2
    supervisor.stop()
    assert processes[1].terminated and not processes[1].is_alive()
    assert not status.path.exists()


def test_a_stale_or_missing_status_file_means_no_worker_is_alive(tmp_path: Path) -> None:
    status = WorkerStatusFile(tmp_path / "status.json", configured=3, stale_after=10)
    assert status.read() == WorkerHealth(0, 3)
    status.write(WorkerHealth(3, 3), [1, 2, 3])
    assert status.read() == WorkerHealth(3, 3)
    content = json.loads(status.path.read_text())
    status.path.write_text(json.dumps(content | {"updated_at": time.time() - 11}))
    assert status.read() == WorkerHealth(0, 3)
    status.path.write_text("{not json")
    assert status.read() == WorkerHealth(0, 3)


def test_status_files_of_killed_servers_on_this_host_are_removed(tmp_path: Path) -> None:
    mine = WorkerStatusFile.in_data_dir(tmp_path, 1)
    mine.write(WorkerHealth(1, 1), [1])
    host = mine.path.name.split(".")[1]
    gone = tmp_path / "run" / f"job-workers.{host}.999999999.json"
    gone.write_text("{}")
    other_host = tmp_path / "run" / "job-workers.elsewhere.999999999.json"
    other_host.write_text("{}")
    again = WorkerStatusFile.in_data_dir(tmp_path, 1)
    assert again.path == mine.path and mine.path.exists()
    assert not gone.exists() and other_host.exists()
    assert str(os.getpid()) in mine.path.name
