"""Fixtures of the security tests: finished resources to aim requests at, and a raw signed HTTP client."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.api import finished
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send_signed(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    sign: bool = True,
    timeout: float = 60,
) -> RawResponse:
    """One request with ``path`` sent exactly as given (no dot-segment clean-up), SigV4-signed by botocore."""
    url = server.url + path
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if sign:
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(
            request
        )
    netloc = urllib.parse.urlsplit(server.url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@pytest.fixture(scope="session")
def finished_resources(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """A COMPLETED DataSource, MLModel (SGD), Evaluation and BatchPrediction on the shared server."""
    assert server.scratch is not None
    ml = server.client()
    suffix = uuid.uuid4().hex[:8]
    ids = {
        "DataSourceId": f"ds-sec-{suffix}",
        "MLModelId": f"ml-sec-{suffix}",
        "EvaluationId": f"ev-sec-{suffix}",
        "BatchPredictionId": f"bp-sec-{suffix}",
    }
    ml.create_data_source_from_s3(
        DataSourceId=ids["DataSourceId"],
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "penguins.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "species"}),
        },
    )
    ml.create_ml_model(
        MLModelId=ids["MLModelId"],
        MLModelType="MULTICLASS",
        TrainingDataSourceId=ids["DataSourceId"],
        Parameters={"openaml.algorithms": "sgd"},
    )
    ml.create_evaluation(
        EvaluationId=ids["EvaluationId"],
        MLModelId=ids["MLModelId"],
        EvaluationDataSourceId=ids["DataSourceId"],
    )
    ml.create_batch_prediction(
        BatchPredictionId=ids["BatchPredictionId"],
        MLModelId=ids["MLModelId"],
        BatchPredictionDataSourceId=ids["DataSourceId"],
        OutputUri=str(server.scratch / f"bp-sec-{suffix}") + "/",
    )
    for got in (
        finished(lambda: ml.get_evaluation(EvaluationId=ids["EvaluationId"])),
        finished(lambda: ml.get_batch_prediction(BatchPredictionId=ids["BatchPredictionId"])),
    ):
        assert got["Status"] == "COMPLETED", got.get("Message")
    return ids
