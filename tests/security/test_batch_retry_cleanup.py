"""Issue 13 item 3: a batch prediction killed while writing leaves no unfinished outputs after its retry.

A worker killed with ``kill -9`` while writing a result file leaves, locally, a hidden ``.partial``
temporary file beside it, and on S3 a multipart upload that was never completed (invisible, but stored
and billed). The retry, run by another worker once the dead one's lease ran out, removes them — and
only them: other batch predictions writing to the same place keep theirs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest

from openaml.cli.runtime import build_worker
from openaml.config import load_settings
from openaml.domain import batch_predictions
from openaml.domain.context import ServiceContext
from openaml.domain.resources import start_resource
from openaml.entities import Caller, EntityStatus, ResourceKind
from openaml.jobs.queue import AbandonedJob, JobQueue
from openaml.operations import batch_predictions as batch_prediction_operations
from openaml.operations import data_sources as data_source_operations
from openaml.operations import ml_models as ml_model_operations

CALLER = Caller("test", "arn:aws:iam::123456789012:user/test")


def open_context(tmp_path: Path, **settings: Any) -> ServiceContext:
    values = {"data_dir": tmp_path / "data", "data_roots": (str(tmp_path / "io"),), **settings}
    ctx = ServiceContext.from_settings(load_settings(env={}, overrides=values))
    ctx.metadata.check_schema(initialize_empty=True)
    return ctx


@pytest.fixture()
def local_ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    ctx = open_context(tmp_path)
    yield ctx
    ctx.close()


def run_all_jobs(ctx: ServiceContext) -> None:
    worker = build_worker(ctx)
    while worker.run_once():
        pass


def trained_model_and_input(ctx: ServiceContext, folder: Path) -> tuple[str, str]:
    """A COMPLETED BINARY model and a COMPLETED datasource to score, both of a small generated table."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    x = rng.normal(size=400)
    pd.DataFrame({"x": x, "z": rng.normal(size=400), "y": (x > 0).astype(int)}).to_csv(
        folder / "train.csv", index=False
    )
    spec = {
        "DataLocationS3": str(folder / "train.csv"),
        "DataSchema": json.dumps({"targetAttributeName": "y"}),
    }
    data_source_operations.create_data_source_from_s3(
        ctx, {"DataSourceId": "ds-train", "DataSpec": spec, "ComputeStatistics": True}, CALLER
    )
    run_all_jobs(ctx)
    ml_model_operations.create_ml_model(
        ctx,
        {
            "MLModelId": "ml-1",
            "MLModelType": "BINARY",
            "TrainingDataSourceId": "ds-train",
            "Parameters": {"openaml.algorithms": "sgd"},
        },
        CALLER,
    )
    run_all_jobs(ctx)
    assert ctx.resources.get(ResourceKind.ML_MODEL, "ml-1").status is EntityStatus.COMPLETED  # type: ignore[union-attr]
    return "ml-1", "ds-train"


def request_batch_and_die_in_it(ctx: ServiceContext, batch_id: str, output_uri: str) -> None:
    """Create the batch prediction, then claim and start its job like a worker that is killed at once."""
    batch_prediction_operations.create_batch_prediction(
        ctx,
        {
            "BatchPredictionId": batch_id,
            "MLModelId": "ml-1",
            "BatchPredictionDataSourceId": "ds-train",
            "OutputUri": output_uri,
        },
        CALLER,
    )
    job = JobQueue(ctx.metadata, lease_seconds=0.2).claim("worker-that-is-killed")
    assert job is not None and not isinstance(job, AbandonedJob) and job.resource_id == batch_id
    assert start_resource(ctx, ResourceKind.BATCH_PREDICTION, batch_id, "Scoring") is not None


def retry(ctx: ServiceContext, batch_id: str) -> dict[str, Any]:
    time.sleep(0.3)  # the killed worker's lease runs out
    assert build_worker(ctx).run_once()
    batch = ctx.resources.get(ResourceKind.BATCH_PREDICTION, batch_id)
    assert batch is not None and batch.status is EntityStatus.COMPLETED, batch
    return batch.details


def test_a_retried_local_batch_prediction_removes_the_killed_runs_partial_files(
    local_ctx: ServiceContext, tmp_path: Path
) -> None:
    ctx = local_ctx
    trained_model_and_input(ctx, tmp_path / "io")
    output = tmp_path / "io" / "out"
    request_batch_and_die_in_it(ctx, "bp-1", str(output) + "/")
    killed_writes = []
    for uri in [
        batch_predictions.result_uri(str(output), "bp-1", str(tmp_path / "io" / "train.csv")),
        batch_predictions.manifest_uri(str(output), "bp-1"),
        batch_predictions.result_uri(str(output), "bp-10", str(tmp_path / "io" / "train.csv")),
    ]:
        # A write that never ends: what a killed worker leaves (the generator is kept from closing).
        write = ctx.objects.open_write(uri)
        write.__enter__().write(b"half a result")
        killed_writes.append(write)
    partial = sorted(p.name for p in output.rglob("*.partial"))
    assert len(partial) == 3 and all(name.startswith(".bp-1") for name in partial)

    details = retry(ctx, "bp-1")

    left = sorted(p.name for p in output.rglob("*.partial"))
    assert len(left) == 1 and left[0].startswith(".bp-10-"), left  # another batch prediction's write stays
    assert (output / "batch-prediction" / "result" / "bp-1-train.csv.gz").is_file()
    assert details["TotalRecordCount"] == 400


def s3_uploads(endpoint: str, bucket: str) -> list[str]:
    uploads = boto3.client("s3", endpoint_url=endpoint).list_multipart_uploads(Bucket=bucket)
    return sorted(upload["Key"] for upload in uploads.get("Uploads", []))


def test_a_retried_s3_batch_prediction_aborts_the_killed_runs_multipart_uploads(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    ctx = open_context(
        tmp_path, data_roots=(str(tmp_path / "io"), f"s3://{s3_bucket}"), s3_endpoint_url=s3_endpoint
    )
    try:
        trained_model_and_input(ctx, tmp_path / "io")
        output = f"s3://{s3_bucket}/out/"
        request_batch_and_die_in_it(ctx, "bp-1", output)
        s3 = boto3.client("s3", endpoint_url=s3_endpoint)
        mine = batch_predictions.result_uri(output, "bp-1", str(tmp_path / "io" / "train.csv"))
        other = batch_predictions.result_uri(output, "bp-10", str(tmp_path / "io" / "train.csv"))
        for uri in (mine, other):
            key = uri.removeprefix(f"s3://{s3_bucket}/")
            upload = s3.create_multipart_upload(Bucket=s3_bucket, Key=key)
            s3.upload_part(Bucket=s3_bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x")
        assert len(s3_uploads(s3_endpoint, s3_bucket)) == 2

        details = retry(ctx, "bp-1")

        assert s3_uploads(s3_endpoint, s3_bucket) == [other.removeprefix(f"s3://{s3_bucket}/")]
        assert details["TotalRecordCount"] == 400
        assert ctx.objects.exists(mine)
    finally:
        ctx.close()


def test_a_batch_prediction_failed_after_too_many_deaths_leaves_no_partial_files(
    tmp_path: Path,
) -> None:
    ctx = open_context(tmp_path, job_max_attempts=1)
    try:
        trained_model_and_input(ctx, tmp_path / "io")
        output = tmp_path / "io" / "out"
        request_batch_and_die_in_it(ctx, "bp-1", str(output) + "/")
        write = ctx.objects.open_write(
            batch_predictions.result_uri(str(output), "bp-1", str(tmp_path / "io" / "train.csv"))
        )
        write.__enter__().write(b"half a result")
        time.sleep(0.3)
        assert build_worker(ctx).run_once()
        batch = ctx.resources.get(ResourceKind.BATCH_PREDICTION, "bp-1")
        assert batch is not None and batch.status is EntityStatus.FAILED
        assert "stopped unexpectedly" in (batch.message or "")
        assert list(output.rglob("*.partial")) == []
    finally:
        ctx.close()
