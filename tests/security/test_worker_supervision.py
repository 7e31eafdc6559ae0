"""Issue 13 item 3: ``openaml serve`` replaces job workers that die, and ``/health`` says so meanwhile.

Before, a worker killed with ``kill -9`` stayed dead: its jobs waited forever while ``/health`` said
ok. Both serving modes are covered: one serving process that also supervises, and uvicorn's
multiprocess mode, where the serving processes are not the supervising one.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from tests.support.server import LiveServer
from tests.support.workers import health, kill_job_workers, wait_for_job_workers


@pytest.mark.parametrize("http_workers", [1, 2])
def test_killed_job_workers_are_restarted_and_health_is_degraded_until_then(
    tmp_path: Path, http_workers: int
) -> None:
    server = LiveServer(tmp_path / "data", workers=2, env={"OPENAML_HTTP_WORKERS": str(http_workers)}).start()
    try:
        first = wait_for_job_workers(server, 2)
        assert health(server)["workers"] == {"alive": 2, "configured": 2}
        assert health(server)["status"] == "ok"
        kill_job_workers(server)
        seen = [health(server)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seen[-1]["status"] != "degraded":
            seen.append(health(server))
        assert seen[-1]["status"] == "degraded", seen[-1]
        assert seen[-1]["workers"]["alive"] < 2 and seen[-1]["workers"]["configured"] == 2
        while time.monotonic() < deadline and seen[-1]["status"] != "ok":
            seen.append(health(server))
        assert seen[-1] == {**seen[-1], "status": "ok", "workers": {"alive": 2, "configured": 2}}
        replaced = wait_for_job_workers(server, 2, other_than=first)
        assert not set(replaced) & set(first)
        assert "died (killed by SIGKILL)" in "".join(server.output)
    finally:
        server.stop()


@pytest.mark.parametrize("http_workers", [1, 2])
def test_stopping_the_server_stops_its_workers_without_restarting_them(
    tmp_path: Path, http_workers: int
) -> None:
    """Ctrl-C reaches the server and its workers at once; none is restarted, none outlives the server."""
    server = LiveServer(tmp_path / "data", workers=2, env={"OPENAML_HTTP_WORKERS": str(http_workers)}).start()
    assert server.process is not None
    workers = [psutil.Process(pid) for pid in wait_for_job_workers(server, 2)]
    children = psutil.Process(server.process.pid).children(recursive=True)
    for pid in [server.process.pid, *(worker.pid for worker in workers)]:
        os.kill(pid, signal.SIGINT)
    server.process.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
    assert "restarted" not in "".join(server.output)
    assert not list((tmp_path / "data" / "run").glob("job-workers.*.json"))


def test_sigterm_stops_the_workers_and_removes_the_status_file(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", workers=1).start()
    assert server.process is not None
    workers = [psutil.Process(pid) for pid in wait_for_job_workers(server, 1)]
    server.process.terminate()
    server.process.wait(timeout=60)
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert alive == []
    assert not list((tmp_path / "data" / "run").glob("job-workers.*.json"))
