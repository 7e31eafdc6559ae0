"""Issue 13 item 3, fault injection: ``kill -9`` of every job worker during ingest, training and scoring.

One server, never restarted by hand, with two job workers and a short job lease. In each phase the
test waits until the job is running, kills every job worker, and requires the entity to end COMPLETED
(or FAILED with a message) within the lease time plus a minute: the supervisor starts new workers and
one of them takes the job over when the dead worker's lease runs out. Each job must have been started
twice (proof that the kill hit it mid-run), and the killed batch prediction leaves no ``.partial``
file behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from tests.support.server import LiveServer
from tests.support.workers import health, kill_job_workers, wait_for_job_workers

from openaml.cli.runtime import open_context
from openaml.config import load_settings
from openaml.entities import ResourceKind

LEASE_SECONDS = 3
ROWS = 400_000  # enough that each job runs a second or more, even on a fast machine


def write_table(path: Path) -> None:
    rng = np.random.default_rng(13)
    features = rng.normal(size=(ROWS, 4))
    table = pd.DataFrame(features, columns=["a", "b", "c", "d"])
    table["kind"] = rng.choice(["x", "y", "z"], size=ROWS)
    table["label"] = (features[:, 0] + rng.normal(size=ROWS) > 0).astype(int)
    pa_csv.write_csv(pa.Table.from_pandas(table.round(4), preserve_index=False), path)


def kill_workers_while_running(server: LiveServer, get: Callable[[], dict[str, Any]]) -> None:
    """Wait until the entity's job runs, then ``kill -9`` every job worker."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        got = get()
        if got["Status"] == "INPROGRESS":
            assert kill_job_workers(server), "no job worker to kill"
            return
        assert got["Status"] == "PENDING", f"the job ended before it could be killed: {got}"
        time.sleep(0.02)
    raise AssertionError(f"the job never started: {got}")


def ends_within_lease_plus_a_minute(get: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    deadline = time.monotonic() + LEASE_SECONDS + 60
    while time.monotonic() < deadline:
        got = get()
        if got["Status"] in ("COMPLETED", "FAILED"):
            assert got["Status"] == "COMPLETED" or got.get("Message"), got
            return got
        time.sleep(0.2)
    raise AssertionError(f"still {got['Status']} a minute after the lease ran out: {got}")


def test_killing_every_worker_in_each_phase_never_leaves_an_entity_unfinished(tmp_path: Path) -> None:
    io = tmp_path / "io"
    io.mkdir()
    write_table(io / "table.csv")
    server = LiveServer(
        tmp_path / "data",
        workers=2,
        env={"OPENAML_DATA_ROOTS": str(io), "OPENAML_JOB_LEASE_SECONDS": str(LEASE_SECONDS)},
    ).start()
    try:
        ml = server.client()
        wait_for_job_workers(server, 2)

        ml.create_data_source_from_s3(
            DataSourceId="ds-fault",
            ComputeStatistics=True,
            DataSpec={
                "DataLocationS3": str(io / "table.csv"),
                "DataSchema": json.dumps({"targetAttributeName": "label"}),
            },
        )
        get_data_source = lambda: ml.get_data_source(DataSourceId="ds-fault")  # noqa: E731
        kill_workers_while_running(server, get_data_source)
        assert ends_within_lease_plus_a_minute(get_data_source)["Status"] == "COMPLETED"

        ml.create_ml_model(
            MLModelId="ml-fault",
            MLModelType="BINARY",
            TrainingDataSourceId="ds-fault",
            Parameters={"openaml.timeBudgetSeconds": "5", "openaml.algorithms": "linear,lightgbm"},
        )
        get_model = lambda: ml.get_ml_model(MLModelId="ml-fault")  # noqa: E731
        kill_workers_while_running(server, get_model)
        assert ends_within_lease_plus_a_minute(get_model)["Status"] == "COMPLETED"

        ml.create_batch_prediction(
            BatchPredictionId="bp-fault",
            MLModelId="ml-fault",
            BatchPredictionDataSourceId="ds-fault",
            OutputUri=str(io / "out") + "/",
        )
        get_batch = lambda: ml.get_batch_prediction(BatchPredictionId="bp-fault")  # noqa: E731
        kill_workers_while_running(server, get_batch)
        batch = ends_within_lease_plus_a_minute(get_batch)
        assert batch["Status"] == "COMPLETED" and batch["TotalRecordCount"] == ROWS, batch

        assert list((io / "out").rglob("*.partial")) == []
        assert (io / "out" / "batch-prediction" / "result" / "bp-fault-table.csv.gz").is_file()
        wait_for_job_workers(server, 2)
        assert health(server)["status"] == "ok"
    finally:
        server.stop()

    ctx = open_context(
        load_settings(env={}, overrides={"data_dir": tmp_path / "data"}), initialize_empty=False
    )
    try:
        for kind, resource_id in [
            (ResourceKind.DATA_SOURCE, "ds-fault"),
            (ResourceKind.ML_MODEL, "ml-fault"),
            (ResourceKind.BATCH_PREDICTION, "bp-fault"),
        ]:
            (job,) = ctx.jobs.jobs_for(kind, resource_id)
            assert job.attempts == 2, (kind, job)  # the kill hit the running job, and it was taken over
    finally:
        ctx.close()
