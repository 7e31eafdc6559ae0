"""Model exports through the live server: POST/GET /openaml/v1/mlmodels/{id}/exports, the presigned
download, refusals, and ``openaml model export``."""

from __future__ import annotations

import io
import json
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pandas as pd
import pytest
from click.testing import CliRunner
from tests.support.api import finished, signed_json_request
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli import main

SENTIMENT_SCHEMA = {
    "version": "1.0",
    "targetAttributeName": "sentiment",
    "dataFileContainsHeader": True,
    "attributes": [
        {"attributeName": "text", "attributeType": "TEXT"},
        {"attributeName": "source", "attributeType": "CATEGORICAL"},
        {"attributeName": "sentiment", "attributeType": "BINARY"},
    ],
}


@pytest.fixture(scope="module")
def models(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """A LightGBM AutoML model and an SGD model of the sentiment sentences (text + category)."""
    ml = server.client()
    suffix = time.time_ns()
    ids = {"data": f"ds-export-{suffix}", "automl": f"ml-export-{suffix}", "sgd": f"ml-export-sgd-{suffix}"}
    ml.create_data_source_from_s3(
        DataSourceId=ids["data"],
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "sentiment_sentences.csv"),
            "DataSchema": json.dumps(SENTIMENT_SCHEMA),
        },
    )
    # A stacked ensemble is not exported (tested in tests/engine/export): the AutoML model here is a
    # weighted average, whatever its members validate.
    parameters = {
        "automl": {"openaml.algorithms": "lightgbm", "openaml.stacking": "false"},
        "sgd": {"openaml.algorithms": "sgd"},
    }
    for key in ("automl", "sgd"):
        ml.create_ml_model(
            MLModelId=ids[key],
            MLModelType="BINARY",
            TrainingDataSourceId=ids["data"],
            Parameters=parameters[key] | {"openaml.timeBudgetSeconds": "5"},
        )
    for key in ("automl", "sgd"):
        got = finished(lambda i=ids[key]: ml.get_ml_model(MLModelId=i))
        assert got["Status"] == "COMPLETED", got.get("Message")
    return ids


def wait_for_export(server: LiveServer, model_id: str, export_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, listing = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{model_id}/exports")
        assert status == 200, listing
        export: dict[str, Any] = next(e for e in listing["Exports"] if e["ExportId"] == export_id)
        if export["Status"] in ("COMPLETED", "FAILED"):
            return export
        time.sleep(0.3)
    raise AssertionError("the export did not finish in time")


def test_an_onnx_export_runs_as_a_job_reports_parity_and_downloads_presigned(
    server: LiveServer, models: dict[str, str], datasets_dir: Path
) -> None:
    model_id = models["automl"]
    status, created = signed_json_request(
        server, "POST", f"/openaml/v1/mlmodels/{model_id}/exports", {"format": "onnx"}
    )
    assert status == 200 and created["Status"] == "PENDING", created

    export = wait_for_export(server, model_id, created["ExportId"])

    assert export["Status"] == "COMPLETED", export["Message"]
    parity = export["Parity"]
    assert parity["labelAgreement"] >= 0.999 and parity["passed"]
    records = len(pd.read_csv(datasets_dir / "sentiment_sentences.csv"))  # the real or the small copy
    assert parity["maxAbsScoreDifference"] < 1e-4 and parity["rows"] == min(records, 10_000)
    assert parity["source"].startswith("training DataSource")
    with urllib.request.urlopen(export["DownloadUrl"]) as response:  # presigned: no credentials needed
        content = response.read()
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    sentences = pd.read_csv(datasets_dir / "sentiment_sentences.csv").head(20)
    feeds = {
        "text": sentences["text"].fillna("").to_numpy(dtype=object).reshape(-1, 1),
        "source": sentences["source"].fillna("").to_numpy(dtype=object).reshape(-1, 1),
    }
    scores, labels = session.run(["score", "label"], feeds)
    assert np.all((scores >= 0) & (scores <= 1))
    assert set(labels) <= {"0", "1"}
    assert session.get_modelmeta().custom_metadata_map["openaml.mlModelId"] == model_id


def test_an_sgd_model_exports_too(server: LiveServer, models: dict[str, str]) -> None:
    model_id = models["sgd"]
    status, created = signed_json_request(
        server, "POST", f"/openaml/v1/mlmodels/{model_id}/exports", {"format": "onnx"}
    )
    assert status == 200, created

    export = wait_for_export(server, model_id, created["ExportId"])

    assert export["Status"] == "COMPLETED", export["Message"]
    assert export["Parity"]["labelAgreement"] == 1.0 and export["Parity"]["maxAbsScoreDifference"] < 1e-9


def test_exports_that_cannot_be_exact_are_refused_up_front(
    server: LiveServer, models: dict[str, str]
) -> None:
    sgd = f"/openaml/v1/mlmodels/{models['sgd']}/exports"
    status, refused = signed_json_request(server, "POST", sgd, {"format": "lightgbm"})
    assert status == 400 and refused["__type"] == "InvalidInputException"
    assert "cannot be exported as lightgbm exactly" in refused["message"] and "sgd" in refused["message"]

    status, refused = signed_json_request(server, "POST", sgd, {"format": "pickle"})
    assert status == 400 and "format must be one of onnx, lightgbm" in refused["message"]
    status, refused = signed_json_request(server, "POST", sgd, None)
    assert status == 400 and refused["__type"] == "InvalidInputException"

    status, missing = signed_json_request(
        server, "POST", "/openaml/v1/mlmodels/no-such-model/exports", {"format": "onnx"}
    )
    assert status in (400, 404) and missing["__type"] == "ResourceNotFoundException"
    status, listing = signed_json_request(server, "GET", f"/openaml/v1/mlmodels/{models['automl']}/exports")
    assert status == 200 and all(export["Format"] in ("onnx", "lightgbm") for export in listing["Exports"])


def test_the_cli_exports_waits_and_downloads(
    server: LiveServer, models: dict[str, str], tmp_path: Path
) -> None:
    environment = {
        "OPENAML_ENDPOINT_URL": server.url,
        "OPENAML_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "OPENAML_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "OPENAML_OUTPUT": None,
    }
    target = tmp_path / "model.zip"
    result = CliRunner().invoke(
        main,
        ["model", "export", models["automl"], "--format", "lightgbm", "--file", str(target), "-o", "json"],
        env=environment,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["Status"] == "COMPLETED"
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    assert "pipeline.json" in archive.namelist() and "booster-0.txt" in archive.namelist()

    refused = CliRunner().invoke(
        main, ["model", "export", models["sgd"], "--format", "lightgbm"], env=environment
    )
    assert refused.exit_code != 0 and "cannot be exported as lightgbm exactly" in refused.output
