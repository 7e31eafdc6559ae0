"""Jobs on a Dask cluster (``OPENAML_DASK_SCHEDULER``) give what the same jobs give run locally.

Two live servers read the same S3 data from the moto server: ``server`` runs its data passes in its
job worker, ``dask_server`` on a two-worker ``LocalCluster``. Ingest statistics, the SGD model trained
and evaluated on rearranged slices, and the batch prediction files must agree.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import socket
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest

from openaml.config import load_settings
from openaml.domain import data_sources
from openaml.domain.context import ServiceContext
from openaml.domain.records import DataSourceSpec
from openaml.entities import EntityStatus, ResourceKind
from tests.domain.conftest import CALLER, HINTS, run_jobs, write_table
from tests.support.api import finished, signed_get
from tests.support.server import LiveServer

SCHEMA = {
    "version": "1.0",
    "targetAttributeName": "y",
    "rowId": "id",
    "dataFormat": "CSV",
    "dataFileContainsHeader": True,
    "attributes": [
        {"attributeName": "id", "attributeType": "CATEGORICAL"},
        {"attributeName": "x", "attributeType": "NUMERIC"},
        {"attributeName": "z", "attributeType": "NUMERIC"},
        {"attributeName": "city", "attributeType": "CATEGORICAL"},
        {"attributeName": "note", "attributeType": "TEXT"},
        {"attributeName": "y", "attributeType": "BINARY"},
    ],
}


def _upload_parts(s3: Any, bucket: str, prefix: str, *, labelled: bool, parts: int = 3) -> None:
    rng = np.random.default_rng(11)
    for part in range(parts):
        rows = 400
        x = rng.normal(size=rows)
        frame = pd.DataFrame(
            {
                "id": [f"r{part}-{i}" for i in range(rows)],
                "x": np.round(x, 5),
                "z": np.where(np.arange(rows) % 13 == 0, np.nan, np.round(rng.normal(size=rows), 5)),
                "city": rng.choice(["Paris", "Lyon", "Nice"], size=rows),
                "note": [" ".join(rng.choice(["good", "bad", "slow"], size=2)) for _ in range(rows)],
                "y": (x + rng.normal(scale=0.5, size=rows) > 0).astype(int),
            }
        )
        if not labelled:
            frame = frame.drop(columns=["y"])
        s3.put_object(Bucket=bucket, Key=f"{prefix}/part-{part}.csv", Body=frame.to_csv(index=False).encode())


def _datasource(
    ml: Any, ds_id: str, location: str, splitting: str | None = None, labelled: bool = True
) -> None:
    spec = {"DataLocationS3": location}
    schema = (
        SCHEMA
        if labelled
        else {**SCHEMA, "targetAttributeName": None, "attributes": SCHEMA["attributes"][:-1]}
    )
    spec["DataSchema"] = json.dumps(schema)
    if splitting:
        spec["DataRearrangement"] = json.dumps({"splitting": json.loads(splitting)})
    ml.create_data_source_from_s3(DataSourceId=ds_id, DataSpec=spec, ComputeStatistics=labelled)


def _statistics(server: LiveServer, ds_id: str) -> dict[str, Any]:
    return json.loads(signed_get(server, f"/openaml/v1/datasources/{ds_id}/statistics"))  # type: ignore[no-any-return]


def _assert_same_statistics(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Equal, except that merged histogram bins may differ at their edges (see engine/data/sketches)."""
    for key in ("recordsRead", "validRecords", "invalidRecords", "target"):
        assert ours[key] == theirs[key], key
    for mine, local in zip(ours["attributes"], theirs["attributes"], strict=True):
        numeric, expected = mine.pop("numeric", None), local.pop("numeric", None)
        correlation, expected_correlation = mine.pop("correlationToTarget"), local.pop("correlationToTarget")
        assert mine == local
        if expected is not None:
            for key in ("min", "max", "mean", "stddev"):
                assert math.isclose(numeric[key], expected[key], rel_tol=1e-9), key
            assert numeric["quantiles"] == expected["quantiles"]
            assert sum(numeric["histogram"]["counts"]) == sum(expected["histogram"]["counts"])
        if expected_correlation is not None:
            assert correlation["value"] == pytest.approx(expected_correlation["value"], abs=1e-9)


def _start_everything(ml: Any, bucket: str, tag: str) -> None:
    """Ask one server to ingest, train, evaluate and batch-predict (the jobs wait for each other)."""
    train, test, unlabelled = f"ds-train-{tag}", f"ds-test-{tag}", f"ds-in-{tag}"
    _datasource(ml, train, f"s3://{bucket}/train/", '{"percentBegin": 0, "percentEnd": 70}')
    _datasource(ml, test, f"s3://{bucket}/train/", '{"percentBegin": 70, "percentEnd": 100}')
    _datasource(ml, unlabelled, f"s3://{bucket}/score/", labelled=False)
    ml.create_ml_model(
        MLModelId=f"ml-{tag}",
        MLModelType="BINARY",
        TrainingDataSourceId=train,
        Parameters={"openaml.algorithms": "sgd"},
    )
    ml.create_evaluation(EvaluationId=f"ev-{tag}", MLModelId=f"ml-{tag}", EvaluationDataSourceId=test)
    ml.create_batch_prediction(
        BatchPredictionId=f"bp-{tag}",
        MLModelId=f"ml-{tag}",
        BatchPredictionDataSourceId=unlabelled,
        OutputUri=f"s3://{bucket}/out-{tag}/",
    )


def _finished_everything(ml: Any, tag: str) -> dict[str, Any]:
    """What each step of :func:`_start_everything` produced, once all are done."""
    done = {
        "train": finished(lambda: ml.get_data_source(DataSourceId=f"ds-train-{tag}")),
        "model": finished(lambda: ml.get_ml_model(MLModelId=f"ml-{tag}")),
        "evaluation": finished(lambda: ml.get_evaluation(EvaluationId=f"ev-{tag}")),
        "batch": finished(lambda: ml.get_batch_prediction(BatchPredictionId=f"bp-{tag}")),
    }
    for step, got in done.items():
        assert got["Status"] == "COMPLETED", (tag, step, got.get("Message"))
    return done


@pytest.mark.dask
@pytest.mark.s3
def test_jobs_on_the_cluster_match_the_local_jobs(
    ml: Any, server: LiveServer, dask_server: LiveServer, server_s3: Any
) -> None:
    bucket = f"openaml-dask-{uuid.uuid4().hex[:12]}"
    server_s3.create_bucket(Bucket=bucket)
    _upload_parts(server_s3, bucket, "train", labelled=True)
    _upload_parts(server_s3, bucket, "score", labelled=False)

    _start_everything(ml, bucket, "local")
    _start_everything(dask_server.client(), bucket, "dask")  # both servers work at the same time
    local = _finished_everything(ml, "local")
    remote = _finished_everything(dask_server.client(), "dask")

    _assert_same_statistics(_statistics(dask_server, "ds-train-dask"), _statistics(server, "ds-train-local"))
    for key in ("NumberOfFiles", "DataSizeInBytes"):
        assert remote["train"][key] == local["train"][key]
    metrics = remote["evaluation"]["PerformanceMetrics"]["Properties"]
    expected = local["evaluation"]["PerformanceMetrics"]["Properties"]
    assert float(metrics["BinaryAUC"]) == pytest.approx(float(expected["BinaryAUC"]), abs=0.02)

    assert remote["batch"]["TotalRecordCount"] == local["batch"]["TotalRecordCount"] == 1200
    for part in range(3):
        ours = server_s3.get_object(
            Bucket=bucket, Key=f"out-dask/batch-prediction/result/bp-dask-part-{part}.csv.gz"
        )
        theirs = server_s3.get_object(
            Bucket=bucket, Key=f"out-local/batch-prediction/result/bp-local-part-{part}.csv.gz"
        )
        ours_bytes, theirs_bytes = (
            gzip.decompress(ours["Body"].read()),
            gzip.decompress(theirs["Body"].read()),
        )
        assert len(pd.read_csv(io.BytesIO(ours_bytes))) == 400
        assert ours_bytes == theirs_bytes  # the same result file, record for record, score for score
    manifest = json.loads(
        server_s3.get_object(Bucket=bucket, Key="out-dask/batch-prediction/bp-dask.manifest")["Body"].read()
    )
    assert manifest == {
        f"s3://{bucket}/score/part-{part}.csv": f"s3://{bucket}/out-dask/batch-prediction/result/bp-dask-part-{part}.csv.gz"
        for part in range(3)
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.dask
def test_an_unreachable_scheduler_fails_the_job_with_a_message(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    settings = load_settings(
        env={},
        overrides={
            "data_dir": tmp_path / "data",
            "data_roots": (str(tmp_path / "io"),),
            "dask_scheduler": address,
            "dask_timeout_seconds": 1.0,
        },
    )
    ctx = ServiceContext.from_settings(settings)
    try:
        ctx.metadata.check_schema(initialize_empty=True)
        data = write_table(tmp_path / "io" / "train.csv")
        spec = DataSourceSpec(compute_statistics=True, location=str(data), schema_text=HINTS)
        data_sources.create_data_source(ctx, CALLER, data_source_id="ds-1", name=None, spec=spec)
        run_jobs(ctx)
        done = ctx.resources.get(ResourceKind.DATA_SOURCE, "ds-1")
        assert done is not None and done.status is EntityStatus.FAILED
        assert done.message is not None and f"Could not reach the Dask scheduler at {address}" in done.message
    finally:
        ctx.close()


@pytest.mark.dask
@pytest.mark.s3
def test_automl_training_on_the_cluster_matches_the_local_training(
    ml: Any, server: LiveServer, dask_server: LiveServer, server_s3: Any
) -> None:
    """The AutoML search's trials run on the cluster, its studies in the server's metadata database;
    the model evaluates like the one trained locally."""
    bucket = f"openaml-dask-automl-{uuid.uuid4().hex[:12]}"
    server_s3.create_bucket(Bucket=bucket)
    _upload_parts(server_s3, bucket, "train", labelled=True)
    parameters = {
        "openaml.algorithms": "linear,lightgbm",
        "openaml.maxTrials": "4",
        "openaml.timeBudgetSeconds": "60",
    }
    for client, tag in ((ml, "local"), (dask_server.client(), "dask")):
        _datasource(
            client, f"ds-automl-{tag}", f"s3://{bucket}/train/", '{"percentBegin": 0, "percentEnd": 70}'
        )
        _datasource(
            client, f"ds-held-{tag}", f"s3://{bucket}/train/", '{"percentBegin": 70, "percentEnd": 100}'
        )
        client.create_ml_model(
            MLModelId=f"ml-automl-{tag}",
            MLModelType="BINARY",
            TrainingDataSourceId=f"ds-automl-{tag}",
            Parameters=parameters,
        )
        client.create_evaluation(
            EvaluationId=f"ev-automl-{tag}",
            MLModelId=f"ml-automl-{tag}",
            EvaluationDataSourceId=f"ds-held-{tag}",
        )
    scores = {}
    for client, tag in ((ml, "local"), (dask_server.client(), "dask")):
        done = finished(lambda client=client, tag=tag: client.get_evaluation(EvaluationId=f"ev-automl-{tag}"))
        assert done["Status"] == "COMPLETED", (tag, done.get("Message"))
        scores[tag] = float(done["PerformanceMetrics"]["Properties"]["BinaryAUC"])
    assert scores["dask"] == pytest.approx(scores["local"], abs=0.03)

    from openaml.engine.automl.dispatch import study_storage

    storage = study_storage(f"sqlite:///{dask_server.data_dir / 'metadata.db'}")
    try:
        studies = [summary for summary in optuna.get_all_study_summaries(storage) if summary.n_trials]
        assert {summary.study_name.rsplit("/", 1)[1] for summary in studies} == {"linear", "lightgbm"}
        assert sum(summary.n_trials for summary in studies) >= 4
    finally:
        storage.engine.dispose()


@pytest.mark.dask
def test_the_compact_training_table_read_on_the_cluster_equals_the_local_one(
    dask_scheduler: str, tmp_path: Path
) -> None:
    import pyarrow as pa

    from openaml.domain.cluster import read_table_on_cluster
    from openaml.engine.cluster import ClusterSettings
    from openaml.engine.data.files import DataFile
    from openaml.engine.data.ingest import read_table, resolve_schema

    paths = []
    for index in range(3):
        path = tmp_path / f"part-{index}.csv"
        rows = [f"{i * 0.5},{'abc'[(i + index) % 3]},{i % 2}" for i in range(200 + index)]
        path.write_text("x,c,y\n" + "\n".join(rows) + "\n")
        paths.append(path)
    files = [DataFile.from_path(path) for path in paths]
    schema = resolve_schema(files, None, target_attribute_name="y")
    settings = ClusterSettings(dask_scheduler, timeout_seconds=30, retries=0)

    for float32 in (False, True):
        remote = read_table_on_cluster(settings, files, schema, None, require_target=True, float32=float32)
        local = read_table(files, schema, require_target=True, float32=float32)

        assert remote.num_rows == local.num_rows == 603
        assert remote.schema.equals(local.schema) and remote.to_pylist() == local.to_pylist()
        assert str(remote.schema.field("c").type).startswith("dictionary")
        assert remote.schema.field("x").type == (pa.float32() if float32 else pa.float64())
