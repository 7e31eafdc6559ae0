"""Finding and killing the job worker processes of a live server, for fault-injection tests."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Collection
from typing import Any

import httpx
import psutil

from tests.support.server import LiveServer


def job_worker_pids(server: LiveServer) -> list[int]:
    """The live job workers of ``server``: the supervisor's published PIDs that are its child processes.

    With several HTTP serving processes the server has other children too; the status file tells which
    are job workers.
    """
    assert server.process is not None
    children = [
        child
        for child in psutil.Process(server.process.pid).children()
        if child.status() != psutil.STATUS_ZOMBIE
    ]
    status_files = list((server.data_dir / "run").glob(f"job-workers.*.{server.process.pid}.json"))
    if not status_files:  # a server without a supervisor: its spawned children (one serving process)
        return [
            child.pid
            for child in children
            if "spawn_main" in " ".join(child.cmdline())
            and "resource_tracker" not in " ".join(child.cmdline())
        ]
    try:
        published = [pid for pid in json.loads(status_files[0].read_text())["pids"] if pid is not None]
    except (OSError, ValueError):
        return []  # removed as the server stops: the caller asks again
    alive = {child.pid for child in children}
    return [pid for pid in published if pid in alive]


def wait_for_job_workers(
    server: LiveServer, count: int, *, other_than: Collection[int] = (), timeout: float = 120
) -> list[int]:
    """Wait until ``count`` job workers run (none of them in ``other_than``); return their PIDs."""
    deadline = time.monotonic() + timeout
    pids: list[int] = []
    while time.monotonic() < deadline:
        pids = job_worker_pids(server)
        if len(pids) == count and not set(pids).intersection(other_than):
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {count} new job workers, found {pids}:\n" + "".join(server.output[-50:]))


def kill_job_workers(server: LiveServer) -> list[int]:
    """``kill -9`` every job worker of ``server``; returns the PIDs killed."""
    pids = job_worker_pids(server)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def health(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(server.url + "/health", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
