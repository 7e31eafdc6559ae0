"""After a crash, nothing stays INPROGRESS: a dead worker's job is taken over, or failed with a message."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import LiveServer

from openaml.domain.resources import start_resource
from openaml.entities import ResourceKind
from openaml.jobs.queue import JobQueue


def crash_mid_job(data_dir: Path, datasets_dir: Path, data_source_id: str) -> None:
    """Create a datasource, then claim its job like a worker that dies without a trace."""
    from openaml.cli.runtime import open_context
    from openaml.config import load_settings

    first = LiveServer(data_dir, workers=0, env={"OPENAML_DATA_ROOTS": str(datasets_dir)}).start()
    try:
        first.client().create_data_source_from_s3(
            DataSourceId=data_source_id, DataSpec={"DataLocationS3": str(datasets_dir / "penguins.csv")}
        )
    finally:
        first.stop()
    ctx = open_context(load_settings(env={}, overrides={"data_dir": data_dir}), initialize_empty=False)
    try:
        job = JobQueue(ctx.metadata, lease_seconds=1).claim("worker-that-dies")
        assert job is not None
        start_resource(ctx, ResourceKind.DATA_SOURCE, data_source_id)
    finally:
        ctx.close()


def final_status(client: Any, data_source_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.get_data_source(DataSourceId=data_source_id)
        if got["Status"] not in ("PENDING", "INPROGRESS"):
            return got  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"{data_source_id} stayed {got['Status']}")


@pytest.mark.parametrize(("max_attempts", "expected"), [(2, "COMPLETED"), (1, "FAILED")])
def test_a_dead_workers_job_is_retried_or_failed_after_restart(
    tmp_path: Path, datasets_dir: Path, max_attempts: int, expected: str
) -> None:
    crash_mid_job(tmp_path / "data", datasets_dir, "ds-crashed")
    restarted = LiveServer(
        tmp_path / "data",
        workers=1,
        env={
            "OPENAML_DATA_ROOTS": str(datasets_dir),
            "OPENAML_JOB_LEASE_SECONDS": "1",
            "OPENAML_JOB_MAX_ATTEMPTS": str(max_attempts),
        },
    ).start()
    try:
        got = final_status(restarted.client(), "ds-crashed")
        assert got["Status"] == expected, got
        if expected == "FAILED":
            assert "stopped unexpectedly" in got["Message"]
    finally:
        restarted.stop()


def test_job_workers_end_with_the_server(tmp_path: Path) -> None:
    import psutil

    server = LiveServer(tmp_path / "data", workers=2).start()
    assert server.process is not None
    workers = psutil.Process(server.process.pid).children()
    assert len(workers) >= 2
    server.stop()
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert alive == []
