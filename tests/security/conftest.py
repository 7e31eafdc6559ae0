"""Fixtures of the security tests: servers with two serving processes and a second key pair, finished
resources to aim requests at, and a raw signed HTTP client."""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.conftest import _drop_postgres_database, _postgres_database
from tests.console.conftest import ConsoleClient
from tests.support.api import finished
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

#: A key pair besides the test pair, so that locking it out leaves the test pair usable.
SPARE_ACCESS_KEY_ID = "OAMLSPAREKEY00000001"
SPARE_SECRET_ACCESS_KEY = "spare-secret-access-key-0123456789"


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, env: dict[str, str]) -> LiveServer:
    data = tmp_path_factory.mktemp(name)
    credentials = data / "spare-credentials.json"
    credentials.write_text(
        json.dumps([{"access_key_id": SPARE_ACCESS_KEY_ID, "secret_access_key": SPARE_SECRET_ACCESS_KEY}])
    )
    credentials.chmod(0o600)
    return LiveServer(
        data / "data",
        env={"OPENAML_HTTP_WORKERS": "2", "OPENAML_CREDENTIALS_FILE": str(credentials), **env},
        workers=0,
    ).start()


@pytest.fixture(scope="session")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with two serving processes that trusts no proxy (the default)."""
    server = _start(tmp_path_factory, "two-processes", {})
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def on_each_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, two_processes: LiveServer
) -> Iterator[LiveServer]:
    """:func:`two_processes`, and the same on the real PostgreSQL as the metadata database."""
    if request.param == "sqlite":
        yield two_processes
        return
    url = _postgres_database()
    server = _start(tmp_path_factory, "two-processes-postgres", {"OPENAML_DATABASE_URL": url})
    yield server
    server.stop()
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def behind_local_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with two serving processes that believes forwarded headers from 127.0.0.1."""
    server = _start(tmp_path_factory, "behind-proxy", {"OPENAML_TRUSTED_PROXIES": "127.0.0.1"})
    yield server
    server.stop()


def fresh_client(server: LiveServer) -> ConsoleClient:
    """A browser of its own, on a new connection (which either serving process may accept)."""
    return ConsoleClient(server)


def log_lines(server: LiveServer, text: str) -> list[str]:
    """The server's log lines that contain ``text``."""
    return [line for line in list(server.output) if text in line]


_PROCESS = re.compile(r"^\S+ \S+ \S+ (\S+) ")


def process_of(line: str) -> str:
    """The name of the process that wrote a log line (see ``openaml.cli.runtime.configure_logging``)."""
    match = _PROCESS.match(line)
    assert match is not None, line
    return match.group(1)


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
