"""Real-time endpoints and Predict through boto3, as the seed's prediction script uses them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer


def wait_for(condition: Any, timeout: float = 120, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def train(ml: Any, datasets_dir: Path, dataset: str, target: str, model_type: str, prefix: str) -> str:
    data_source_id, model_id = f"ds-{prefix}-{time.time_ns()}", f"ml-{prefix}-{time.time_ns()}"
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / f"{dataset}.csv"),
            "DataSchema": json.dumps({"targetAttributeName": target}),
        },
    )
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType=model_type,
        TrainingDataSourceId=data_source_id,
        Parameters={"openaml.algorithms": "sgd"},
    )
    got = wait_for(
        lambda: (m := ml.get_ml_model(MLModelId=model_id))["Status"] in ("COMPLETED", "FAILED") and m
    )
    assert got["Status"] == "COMPLETED", got.get("Message")
    return model_id


def ready_endpoint(ml: Any, model_id: str) -> str:
    info = ml.create_realtime_endpoint(MLModelId=model_id)["RealtimeEndpointInfo"]
    assert info["EndpointStatus"] in ("UPDATING", "READY") and info["PeakRequestsPerSecond"] > 0
    endpoint = wait_for(
        lambda: (e := ml.get_ml_model(MLModelId=model_id)["EndpointInfo"])["EndpointStatus"] == "READY" and e
    )
    assert endpoint["EndpointUrl"].startswith("http://") and endpoint["CreatedAt"]
    return str(endpoint["EndpointUrl"])


@pytest.fixture(scope="module")
def models(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    ml = server.client()
    return {
        "BINARY": train(ml, datasets_dir, "titanic", "survived", "BINARY", "rt-bin"),
        "MULTICLASS": train(ml, datasets_dir, "penguins", "species", "MULTICLASS", "rt-multi"),
        "REGRESSION": train(ml, datasets_dir, "wine_quality", "quality", "REGRESSION", "rt-reg"),
    }


def test_the_seeds_prediction_script_works(ml: Any, models: dict[str, str]) -> None:
    model_id = models["MULTICLASS"]
    ready_endpoint(ml, model_id)
    url = ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["EndpointUrl"]
    record = {
        "island": "Biscoe",
        "bill_length_mm": "48.6",
        "bill_depth_mm": "16.0",
        "flipper_length_mm": "230",
        "body_mass_g": "5800",
        "sex": "male",
        "year": "2009",
    }
    prediction = ml.predict(MLModelId=model_id, Record=record, PredictEndpoint=url)["Prediction"]
    assert prediction["predictedLabel"] == "Gentoo"
    assert set(prediction["predictedScores"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert abs(sum(prediction["predictedScores"].values()) - 1) < 1e-4
    assert prediction["details"] == {
        "PredictiveModelType": "MULTICLASS",
        "Algorithm": "SGD",
        "openaml.algorithm": "sgd",
        "openaml.missingAttributes": "0",
        "openaml.modelVersion": f"{model_id}.v1",
    }


def test_binary_and_regression_shapes_and_the_threshold(ml: Any, models: dict[str, str]) -> None:
    binary, regression = models["BINARY"], models["REGRESSION"]
    url = ready_endpoint(ml, binary)
    record = {
        "pclass": "1",
        "sex": "female",
        "age": "30",
        "fare": "80",
        "class": "First",
        "who": "woman",
        "unknown_attribute": "ignored",
        "survived": "0",
    }
    first = ml.predict(MLModelId=binary, Record=record, PredictEndpoint=url)["Prediction"]
    ((label, score),) = first["predictedScores"].items()
    assert first["predictedLabel"] == label == "1" and score > 0.5
    ml.update_ml_model(MLModelId=binary, ScoreThreshold=0.999)
    assert ml.get_ml_model(MLModelId=binary)["ScoreThreshold"] == pytest.approx(0.999)
    after = wait_for(
        lambda: (
            (p := ml.predict(MLModelId=binary, Record=record, PredictEndpoint=url)["Prediction"])[
                "predictedLabel"
            ]
            == "0"
            and p
        ),
        timeout=10,
    )
    assert after["predictedScores"] == {"0": pytest.approx(score)}

    url = ready_endpoint(ml, regression)
    value = ml.predict(
        MLModelId=regression,
        Record={"alcohol": "12.5", "color": "red", "volatile acidity": "bad"},
        PredictEndpoint=url,
    )["Prediction"]
    assert set(value) == {"predictedValue", "details"} and 2 < value["predictedValue"] < 9


def test_predict_errors(ml: Any, server: LiveServer, models: dict[str, str], new_id: Any) -> None:
    with pytest.raises(ml.exceptions.ResourceNotFoundException):
        ml.predict(MLModelId="ml-not-there", Record={}, PredictEndpoint=server.url)
    model_id = models["REGRESSION"]
    ready_endpoint(ml, model_id)
    with pytest.raises(ml.exceptions.LimitExceededException, match="limit"):
        ml.predict(MLModelId=model_id, Record={"alcohol": "x" * 200_000}, PredictEndpoint=server.url)
    ml.delete_realtime_endpoint(MLModelId=model_id)
    assert ml.get_ml_model(MLModelId=model_id)["EndpointInfo"] == {
        "EndpointStatus": "NONE",
        "PeakRequestsPerSecond": 0,
    }

    def unmounted() -> bool:
        try:
            ml.predict(MLModelId=model_id, Record={"alcohol": "10"}, PredictEndpoint=server.url)
        except ml.exceptions.PredictorNotMountedException:
            return True
        return False

    wait_for(unmounted, timeout=10)
    assert ml.describe_ml_models(FilterVariable="RealtimeEndpointStatus", EQ="NONE")["Results"]
    pending = new_id("ml")
    ml.create_ml_model(
        MLModelId=pending,
        MLModelType="REGRESSION",
        TrainingDataSourceId=ml.get_ml_model(MLModelId=model_id)["TrainingDataSourceId"],
        Parameters={"openaml.algorithms": "sgd"},
    )
    with pytest.raises(ml.exceptions.InvalidInputException, match="COMPLETED"):
        ml.create_realtime_endpoint(MLModelId=pending)


def test_many_records_in_one_call(ml: Any, server: LiveServer, models: dict[str, str]) -> None:
    model_id = models["BINARY"]
    ready_endpoint(ml, model_id)
    url = f"{server.url}/openaml/v1/mlmodels/{model_id}/predictions"

    def post(records: list[dict[str, str]]) -> httpx.Response:
        body = json.dumps({"Records": records}).encode()
        request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(
            request
        )
        return httpx.post(url, content=body, headers=dict(request.headers.items()))

    response = post([{"sex": "female", "pclass": "1"}, {"sex": "male", "pclass": "3"}, {"age": ""}])
    assert response.status_code == 200, response.text
    predictions = response.json()["Predictions"]
    assert len(predictions) == 3 and all(p["details"]["PredictiveModelType"] == "BINARY" for p in predictions)
    refused = post([{"sex": "female"}, {"Sex": "female"}])
    assert refused.status_code == 400 and "Record 1 holds none" in refused.json()["message"]


def test_endpoints_survive_a_restart_and_rate_limits_apply(tmp_path: Path, datasets_dir: Path) -> None:
    env = {
        "OPENAML_DATA_ROOTS": str(datasets_dir),
        "OPENAML_HTTP_WORKERS": "2",
        "OPENAML_ENDPOINT_MAX_REQUESTS_PER_SECOND": "4",
    }
    first = LiveServer(tmp_path / "data", env=env).start()
    try:
        ml = first.client()
        model_id = train(ml, datasets_dir, "penguins", "species", "MULTICLASS", "restart")
        ready_endpoint(ml, model_id)
    finally:
        first.stop()
    second = LiveServer(tmp_path / "data", env=env).start()
    try:
        ml = second.client()
        assert ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["PeakRequestsPerSecond"] == 4
        url = ready_endpoint(ml, model_id)
        outcomes = []
        for _ in range(20):
            try:
                ml.predict(MLModelId=model_id, Record={"island": "Dream"}, PredictEndpoint=url)
                outcomes.append("ok")
            except ml.exceptions.LimitExceededException:
                outcomes.append("limited")
        assert "ok" in outcomes and "limited" in outcomes
    finally:
        second.stop()
