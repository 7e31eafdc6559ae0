"""The Dask runner: a killed worker's task runs again; an unreachable scheduler is a clear error."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from openaml.engine.cluster import Cluster, ClusterSettings, ClusterStopped, ClusterUnavailable, connect


def _dies_once(item: int, marker_folder: str) -> int:
    """Kills its worker process the first time it runs item 1 (as an out-of-memory kill would)."""
    marker = Path(marker_folder) / f"ran-{item}"
    if item == 1 and not marker.exists():
        marker.touch()
        os._exit(1)
    return item * 10


def _slow(item: int) -> int:
    import time

    time.sleep(30)
    return item


@pytest.mark.dask
def test_a_killed_workers_task_runs_again(dask_scheduler: str, tmp_path: Path) -> None:
    with connect(ClusterSettings(dask_scheduler, timeout_seconds=30, retries=0)) as cluster:
        done: list[int] = []
        assert cluster.map(_dies_once, [0, 1, 2], str(tmp_path), on_done=done.append) == [0, 10, 20]
    assert (tmp_path / "ran-1").exists() and done[-1] == 3


@pytest.mark.dask
def test_a_stop_request_cancels_the_tasks(dask_scheduler: str) -> None:
    with (
        connect(ClusterSettings(dask_scheduler, timeout_seconds=30)) as cluster,
        pytest.raises(ClusterStopped),
    ):
        cluster.map(_slow, [1, 2], should_stop=lambda: True)


def test_an_unreachable_scheduler_is_named_in_the_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with (
        pytest.raises(ClusterUnavailable, match="Could not reach the Dask scheduler at tcp://127"),
        connect(ClusterSettings(address, timeout_seconds=1)),
    ):
        pass


_SCHEDULER_PROCESS = """
import time
from distributed import LocalCluster
cluster = LocalCluster(
    n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
)
print(cluster.scheduler_address, flush=True)
time.sleep(600)
"""


def _map_one(cluster: Cluster) -> None:
    cluster.map(_slow, [1])


def _wait_for_one(cluster: Cluster) -> None:
    """As the AutoML search waits for its trials: submit, then wait (far longer than the scheduler lives)."""
    future = cluster.submit(_slow, 1)
    cluster.wait([future], timeout=60)
    cluster.result(future)


@pytest.mark.dask
@pytest.mark.parametrize("waiting", [_map_one, _wait_for_one], ids=["map", "submit-and-wait"])
def test_a_scheduler_lost_while_tasks_run_stops_the_wait_with_a_message(
    waiting: Callable[[Cluster], None],
) -> None:
    """A scheduler killed mid-job ends the wait with ClusterUnavailable, never a job stuck forever."""
    import subprocess
    import sys
    import threading

    process = subprocess.Popen([sys.executable, "-c", _SCHEDULER_PROCESS], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        with connect(ClusterSettings(address, timeout_seconds=3)) as cluster:
            threading.Timer(1.0, process.kill).start()
            with pytest.raises(
                ClusterUnavailable,
                match=r"scheduler at tcp://127\.0\.0\.1:[0-9]+ (was lost|stopped answering)",
            ):
                waiting(cluster)
    finally:
        process.kill()
        process.wait()
