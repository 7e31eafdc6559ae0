"""Batch predictions through boto3: Amazon ML's output layout, read back record for record."""

from __future__ import annotations

import gzip
import io
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.support.api import finished
from tests.support.server import LiveServer


def trained(ml: Any, location: str, schema: dict[str, Any], model_type: str, wait: bool = True) -> str:
    """An SGD model of the data at ``location``, COMPLETED (or, without ``wait``, just requested)."""
    suffix = time.time_ns()
    ml.create_data_source_from_s3(
        DataSourceId=f"ds-bp-{suffix}",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": location, "DataSchema": json.dumps(schema)},
    )
    ml.create_ml_model(
        MLModelId=f"ml-bp-{suffix}",
        MLModelType=model_type,
        TrainingDataSourceId=f"ds-bp-{suffix}",
        Parameters={"openaml.algorithms": "sgd"},
    )
    if not wait:
        return f"ml-bp-{suffix}"
    got = finished(lambda: ml.get_ml_model(MLModelId=f"ml-bp-{suffix}"))
    assert got["Status"] == "COMPLETED", got.get("Message")
    return f"ml-bp-{suffix}"


def batch(
    ml: Any, model_id: str, location: str, output: str, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    suffix = time.time_ns()
    spec = {"DataLocationS3": location}
    if schema is not None:
        spec["DataSchema"] = json.dumps(schema)
    ml.create_data_source_from_s3(DataSourceId=f"ds-in-{suffix}", DataSpec=spec)
    ml.create_batch_prediction(
        BatchPredictionId=f"bp-{suffix}",
        MLModelId=model_id,
        BatchPredictionDataSourceId=f"ds-in-{suffix}",
        OutputUri=output,
    )
    return finished(lambda: ml.get_batch_prediction(BatchPredictionId=f"bp-{suffix}"))


def read_result(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(gzip.decompress(data)), skip_blank_lines=False)


def test_local_results_line_up_with_the_inputs_for_every_model_type(
    ml: Any, server: LiveServer, datasets_dir: Path
) -> None:
    assert server.scratch is not None
    cases = [
        ("penguins", "species", "MULTICLASS"),
        ("titanic", "survived", "BINARY"),
        ("wine_quality", "quality", "REGRESSION"),
    ]
    for dataset, target, model_type in cases:
        source = pd.read_csv(datasets_dir / f"{dataset}.csv")
        model_id = trained(
            ml, str(datasets_dir / f"{dataset}.csv"), {"targetAttributeName": target}, model_type
        )
        unlabelled = server.scratch / f"{dataset}-input.csv"
        source.drop(columns=[target]).head(300).to_csv(unlabelled, index=False)
        output = str(server.scratch / f"out-{dataset}") + "/"
        got = batch(ml, model_id, str(unlabelled), output)
        assert got["Status"] == "COMPLETED", got.get("Message")
        assert got["TotalRecordCount"] == 300 and got["InvalidRecordCount"] == 0
        manifest = json.loads(
            Path(output, "batch-prediction", f"{got['BatchPredictionId']}.manifest").read_text()
        )
        (result_path,) = manifest.values()
        assert result_path.endswith(f"result/{got['BatchPredictionId']}-{dataset}-input.csv.gz")
        result = read_result(Path(result_path.removeprefix("file://")).read_bytes())
        assert len(result) == 300
        if model_type == "BINARY":
            assert list(result.columns) == ["bestAnswer", "score"]
            assert ((result["score"] >= 0.5).astype(int) == result["bestAnswer"]).all()
        elif model_type == "MULTICLASS":
            assert set(result.columns) == set(source[target].dropna().unique())
            assert result.sum(axis=1).round(4).eq(1).all()
        else:
            assert list(result.columns) == ["score"]


def test_s3_prefix_of_several_files_with_row_ids_and_invalid_records(
    ml: Any, server: LiveServer, server_s3: Any, datasets_dir: Path
) -> None:
    model_id = trained(
        ml, str(datasets_dir / "penguins.csv"), {"targetAttributeName": "species"}, "MULTICLASS"
    )
    bucket = f"bp-{time.time_ns()}"
    server_s3.create_bucket(Bucket=bucket)
    frame = pd.read_csv(datasets_dir / "penguins.csv").drop(columns=["species"]).head(40)
    frame.insert(0, "id", [f"p{i}" for i in range(40)])
    part_one = frame.head(25).to_csv(index=False)
    part_two = frame.tail(15).to_csv(index=False).replace("\n", "\n", 1)
    lines = part_two.splitlines()
    lines[3] = lines[3].split(",", 1)[0] + ",Biscoe,not-a-number,1,1,1,male,2009"
    server_s3.put_object(Bucket=bucket, Key="in/a.csv", Body=part_one.encode())
    server_s3.put_object(Bucket=bucket, Key="in/b.csv", Body=("\n".join(lines) + "\n").encode())
    schema = {
        "version": "1.0",
        "rowId": "id",
        "dataFileContainsHeader": True,
        "attributes": [
            {"attributeName": "id", "attributeType": "CATEGORICAL"},
            *(
                {
                    "attributeName": c,
                    "attributeType": "NUMERIC" if frame[c].dtype.kind in "if" else "CATEGORICAL",
                }
                for c in frame.columns[1:]
            ),
        ],
    }
    got = batch(ml, model_id, f"s3://{bucket}/in/", f"s3://{bucket}/out/", schema)
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert got["TotalRecordCount"] == 40 and got["InvalidRecordCount"] == 1
    manifest = json.loads(
        server_s3.get_object(Bucket=bucket, Key=f"out/batch-prediction/{got['BatchPredictionId']}.manifest")[
            "Body"
        ].read()
    )
    assert list(manifest) == [f"s3://{bucket}/in/a.csv", f"s3://{bucket}/in/b.csv"]
    second_key = manifest[f"s3://{bucket}/in/b.csv"].removeprefix(f"s3://{bucket}/")
    second = read_result(server_s3.get_object(Bucket=bucket, Key=second_key)["Body"].read())
    assert len(second) == 15 and second.columns[0] == "tag"
    assert second["tag"].iloc[0] == "p25" and pd.isna(
        second["tag"].iloc[2]
    )  # a blank line for the bad record
    with pytest.raises(ml.exceptions.InvalidInputException, match=r"outside|allowed"):
        ml.create_batch_prediction(
            BatchPredictionId=f"bp-{time.time_ns()}",
            MLModelId=model_id,
            BatchPredictionDataSourceId=got["BatchPredictionDataSourceId"],
            OutputUri="/etc/",
        )


def test_missing_attributes_are_refused(ml: Any, server: LiveServer, datasets_dir: Path) -> None:
    assert server.scratch is not None
    model_id = trained(
        ml, str(datasets_dir / "penguins.csv"), {"targetAttributeName": "species"}, "MULTICLASS"
    )
    narrow = server.scratch / "narrow.csv"
    pd.read_csv(datasets_dir / "penguins.csv")[["island", "sex"]].to_csv(narrow, index=False)
    data_source_id = f"ds-narrow-{time.time_ns()}"
    ml.create_data_source_from_s3(DataSourceId=data_source_id, DataSpec={"DataLocationS3": str(narrow)})
    finished(lambda: ml.get_data_source(DataSourceId=data_source_id))
    with pytest.raises(ml.exceptions.InvalidInputException, match="bill_length_mm"):
        ml.create_batch_prediction(
            BatchPredictionId=f"bp-{time.time_ns()}",
            MLModelId=model_id,
            BatchPredictionDataSourceId=data_source_id,
            OutputUri=str(server.scratch) + "/o/",
        )


def test_deleting_a_running_batch_prediction_stops_it_before_any_manifest(
    ml: Any, server: LiveServer, datasets_dir: Path
) -> None:
    assert server.scratch is not None
    model_id = trained(
        ml, str(datasets_dir / "penguins.csv"), {"targetAttributeName": "species"}, "MULTICLASS"
    )
    folder = server.scratch / f"big-{time.time_ns()}"
    folder.mkdir()
    rows = pd.read_csv(datasets_dir / "penguins.csv").drop(columns=["species"])
    for part in range(4):  # enough records that scoring takes seconds
        rows.sample(n=250_000, replace=True, random_state=part).to_csv(
            folder / f"part{part}.csv", index=False
        )
    data_source_id = f"ds-big-{time.time_ns()}"
    ml.create_data_source_from_s3(DataSourceId=data_source_id, DataSpec={"DataLocationS3": f"{folder}/"})
    assert finished(lambda: ml.get_data_source(DataSourceId=data_source_id))["Status"] == "COMPLETED"
    batch_id, output = f"bp-big-{time.time_ns()}", f"{server.scratch}/out-big/"
    ml.create_batch_prediction(
        BatchPredictionId=batch_id,
        MLModelId=model_id,
        BatchPredictionDataSourceId=data_source_id,
        OutputUri=output,
    )
    deadline = time.monotonic() + 120
    while (status := ml.get_batch_prediction(BatchPredictionId=batch_id)["Status"]) == "PENDING":
        assert time.monotonic() < deadline, "the batch prediction never started"
        time.sleep(0.05)
    assert status == "INPROGRESS"

    ml.delete_batch_prediction(BatchPredictionId=batch_id)

    assert ml.get_batch_prediction(BatchPredictionId=batch_id)["Status"] == "DELETED"
    # The one job worker is free again (the deleted job stopped) once a new batch prediction completes.
    small = batch(ml, model_id, str(datasets_dir / "penguins.csv"), f"{server.scratch}/out-small/")
    assert small["Status"] == "COMPLETED", small.get("Message")
    assert ml.get_batch_prediction(BatchPredictionId=batch_id)["Status"] == "DELETED"
    assert not Path(output, "batch-prediction", f"{batch_id}.manifest").exists()


def test_a_model_still_training_is_waited_for_and_a_deleted_one_refused(
    ml: Any, server: LiveServer, datasets_dir: Path
) -> None:
    penguins = str(datasets_dir / "penguins.csv")
    model_id = trained(ml, penguins, {"targetAttributeName": "species"}, "MULTICLASS", wait=False)
    assert ml.get_ml_model(MLModelId=model_id)["Status"] in ("PENDING", "INPROGRESS")

    got = batch(ml, model_id, penguins, f"{server.scratch}/out-waiting/")

    assert got["Status"] == "COMPLETED", got.get("Message")
    assert ml.get_ml_model(MLModelId=model_id)["Status"] == "COMPLETED"
    ml.delete_ml_model(MLModelId=model_id)
    with pytest.raises(ml.exceptions.InvalidInputException, match=f"MLModel {model_id} is DELETED"):
        ml.create_batch_prediction(
            BatchPredictionId=f"bp-{time.time_ns()}",
            MLModelId=model_id,
            BatchPredictionDataSourceId=got["BatchPredictionDataSourceId"],
            OutputUri=f"{server.scratch}/out-deleted/",
        )
