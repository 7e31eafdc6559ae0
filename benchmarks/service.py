"""What the real-time benchmarks share: the service they start and the models they train on it.

``running_server`` starts ``openaml serve --port 0`` (one job worker, ``http_workers`` serving
processes) on a data directory with the benchmark's own key pair; ``client`` is boto3 pointed at it;
``train_models`` creates, through boto3 as a user would, the development datasets' datasources, the
models ``<dataset>-<mode>`` and their real-time endpoints; ``sample_records`` picks the records
``Predict`` sends and ``sign`` signs a request with SigV4 as boto3 does.

Used by ``benchmarks/predict.py``, ``benchmarks/explain.py`` and ``benchmarks/capture.py``;
``listening_url`` also serves ``predict.py``'s bare floor server, which prints the same line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

DEFAULT_DATASETS_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
KEY, SECRET, REGION = "OAMLBENCHMARK0000001", "benchmark-secret-key-000000000000", "us-east-1"
#: The ``X-Amz-Target`` of ``Predict``.
TARGET = "AmazonML_20141212.Predict"


@dataclass(frozen=True)
class Dataset:
    """A development dataset a model is trained on."""

    file: str
    target: str
    model_type: str


DATASETS = {
    "titanic": Dataset("titanic.csv", "survived", "BINARY"),
    "har": Dataset("har_train_sample.csv", "activity", "MULTICLASS"),
}


def listening_url(process: subprocess.Popen[str], name: str) -> str:
    """The URL in the ``listening on <url>`` line ``process`` prints (stdout piped, as text) once it
    serves; the rest of its output is then drained in the background so that it never blocks."""
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"listening on (\S+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return match.group(1)
    raise RuntimeError(f"{name} did not start")


@contextmanager
def running_server(data_dir: Path, roots: Path, http_workers: int) -> Iterator[str]:
    """``openaml serve --port 0`` with one job worker; yields its URL."""
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("OPENAML_")},
        "OPENAML_ACCESS_KEY_ID": KEY,
        "OPENAML_SECRET_ACCESS_KEY": SECRET,
        "OPENAML_DATA_ROOTS": str(roots),
        "OPENAML_HTTP_WORKERS": str(http_workers),
        "OPENAML_JOB_POLL_SECONDS": "0.2",
        "OPENAML_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "openaml", "serve", "--port", "0", "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield listening_url(process, "the server")
    finally:
        process.terminate()
        process.wait(timeout=30)


def client(url: str) -> Any:
    """A boto3 ``machinelearning`` client of the server at ``url``, with the benchmark's key pair."""
    return boto3.client(
        "machinelearning",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )


def wait_until(get: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 1800.0) -> Any:
    """Poll ``get()`` until ``done`` says its answer is final."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = get()
        if done(got):
            return got
        time.sleep(0.5)
    raise TimeoutError("the service did not finish in time")


def train_models(
    ml: Any, names: Sequence[str], datasets_dir: Path, roots: Path, automl_parameters: Mapping[str, str]
) -> None:
    """Create the datasources, the models ``names`` (``<dataset>-<mode>``, mode ``sgd`` or ``automl``
    with ``automl_parameters``) and their real-time endpoints; return once every endpoint is READY."""
    for dataset_name in dict.fromkeys(name.split("-")[0] for name in names):
        dataset = DATASETS[dataset_name]
        shutil.copy(datasets_dir / dataset.file, roots / dataset.file)
        ml.create_data_source_from_s3(
            DataSourceId=f"ds-{dataset_name}",
            ComputeStatistics=True,
            DataSpec={
                "DataLocationS3": str(roots / dataset.file),
                "DataSchema": json.dumps({"targetAttributeName": dataset.target}),
            },
        )
    for name in names:
        dataset_name, mode = name.split("-")
        parameters = {"openaml.algorithms": "sgd"} if mode == "sgd" else dict(automl_parameters)
        ml.create_ml_model(
            MLModelId=name,
            MLModelType=DATASETS[dataset_name].model_type,
            TrainingDataSourceId=f"ds-{dataset_name}",
            Parameters=parameters,
        )
    for name in names:
        model = wait_until(
            lambda n=name: ml.get_ml_model(MLModelId=n), lambda m: m["Status"] in ("COMPLETED", "FAILED")
        )
        if model["Status"] == "FAILED":
            raise RuntimeError(f"training {name} failed: {model.get('Message')}")
        ml.create_realtime_endpoint(MLModelId=name)
        print(f"trained {name}: {model.get('Message')}", flush=True)
    for name in names:
        wait_until(
            lambda n=name: ml.get_ml_model(MLModelId=n)["EndpointInfo"],
            lambda endpoint: endpoint["EndpointStatus"] == "READY",
        )


def sample_records(datasets_dir: Path, dataset: Dataset, count: int) -> list[dict[str, str]]:
    """``count`` records of the dataset as ``Predict`` sends them: strings, no target, no empty values."""
    raw = pd.read_csv(datasets_dir / dataset.file, dtype=str, keep_default_na=False)
    sample = raw.drop(columns=[dataset.target]).sample(n=min(count, len(raw)), random_state=0)
    return [{key: value for key, value in row.items() if value != ""} for row in sample.to_dict("records")]


def sign(method: str, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with the SigV4 signature of the request added, as boto3 signs it."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(KEY, SECRET), "machinelearning", REGION).add_auth(request)
    return dict(request.headers.items())
