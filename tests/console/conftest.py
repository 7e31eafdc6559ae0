"""Fixtures of the console tests: a browser-like HTTP client signed in to the shared live server."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    """An HTTP client that keeps cookies, like a browser, and fills in the CSRF token of forms."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)

    def csrf_token(self, path: str = "/console/") -> str:
        match = _CSRF.search(self.http.get(path).text)
        assert match is not None, f"no form with a CSRF token on {path}"
        return match.group(1)

    def sign_in(self, access_key_id: str = ACCESS_KEY_ID, secret: str = SECRET_ACCESS_KEY) -> httpx.Response:
        token = self.csrf_token("/console/sign-in")
        form = {"csrf_token": token, "access_key_id": access_key_id, "secret_access_key": secret}
        return self.http.post("/console/sign-in", data=form | {"next": "/console/"})

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        """Submit a form as the console's own pages do (with this session's CSRF token)."""
        return self.http.post(path, data={"csrf_token": self.csrf_token(), **data})

    def wait(self, reference: str, timeout: float = 180) -> dict[str, Any]:
        """Poll the console's status endpoint until ``collection/id`` finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state: dict[str, Any] = self.get(f"/console/api/status?r={reference}").json()["resources"][0]
            if state.get("status") in ("COMPLETED", "FAILED") and state.get("endpointStatus") != "UPDATING":
                return state
            time.sleep(0.3)
        raise AssertionError(f"{reference} did not finish: {state}")


def notices(html: str) -> list[str]:
    """The texts of the messages (errors, confirmations) a page shows."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'class="notice[^"]*"[^>]*>(.*?)</', html, re.S)
    ]


@pytest.fixture()
def anonymous(server: LiveServer) -> Iterator[ConsoleClient]:
    client = ConsoleClient(server)
    yield client
    client.http.close()


@pytest.fixture()
def console(anonymous: ConsoleClient) -> ConsoleClient:
    """A client signed in with the server's test key pair."""
    assert anonymous.sign_in().status_code == 303
    return anonymous


#: Classes of the generated multiclass data: long names that differ only in their middle, as HAR's do.
LONG_CLASSES = (
    "WALKING_DOWNSTAIRS_LONG_CLASS_NAME",
    "WALKING_UPSTAIRS_LONG_CLASS_NAME",
    "WALKING",
    "SITTING",
    "STANDING",
    "LAYING",
)
LONG_ATTRIBUTE = "body_acceleration_magnitude_mean_over_the_whole_window_in_g"


@dataclass(frozen=True)
class LongClassModel:
    """A COMPLETED AutoML MULTICLASS model with a READY endpoint, its datasource and its evaluation."""

    data_source_id: str
    model_id: str
    evaluation_id: str
    header: str
    row: str


@pytest.fixture(scope="session")
def long_class_model(server: LiveServer) -> LongClassModel:
    """Trained through the API on 300 generated rows whose class and attribute names are long."""
    assert server.scratch is not None
    rng = random.Random(7)
    lines = [f"{LONG_ATTRIBUTE},x2,activity"]
    for index in range(300):
        label = index % len(LONG_CLASSES)
        lines.append(f"{label + rng.gauss(0, 0.3):.4f},{rng.random():.4f},{LONG_CLASSES[label]}")
    location = server.scratch / "activities-long-names.csv"
    location.write_text("\n".join(lines) + "\n")
    ml = server.client()
    suffix = str(abs(hash(server.url)))[:8]
    ids = LongClassModel(
        f"ds-long-classes-{suffix}",
        f"ml-long-classes-{suffix}",
        f"ev-long-classes-{suffix}",
        lines[0],
        lines[1],
    )
    ml.create_data_source_from_s3(
        DataSourceId=ids.data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(location),
            "DataSchema": json.dumps({"targetAttributeName": "activity"}),
        },
    )
    ml.create_ml_model(
        MLModelId=ids.model_id,
        MLModelType="MULTICLASS",
        TrainingDataSourceId=ids.data_source_id,
        Parameters={"openaml.timeBudgetSeconds": "5", "openaml.algorithms": "linear,lightgbm"},
    )
    ml.create_evaluation(
        EvaluationId=ids.evaluation_id, MLModelId=ids.model_id, EvaluationDataSourceId=ids.data_source_id
    )
    deadline = time.monotonic() + 240
    while ml.get_evaluation(EvaluationId=ids.evaluation_id)["Status"] not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline, "the long-class model was not evaluated in time"
        time.sleep(0.3)
    assert ml.get_ml_model(MLModelId=ids.model_id)["Status"] == "COMPLETED"
    ml.create_realtime_endpoint(MLModelId=ids.model_id)
    while ml.get_ml_model(MLModelId=ids.model_id)["EndpointInfo"]["EndpointStatus"] != "READY":
        assert time.monotonic() < deadline, "the long-class model's endpoint did not start in time"
        time.sleep(0.3)
    return ids
