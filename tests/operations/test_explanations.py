"""Explanations over the wire with real boto3: the model setting, the signed X-OpenAML-Explain header
(added by a ``before-sign`` event hook), the explain and feature-importance routes, batch sidecars."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.operations.test_realtime import ready_endpoint, wait_for
from tests.support.api import finished, signed_get
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

TITANIC_INPUTS = {
    "pclass", "sex", "age", "sibsp", "parch", "fare", "embarked", "class", "who", "adult_male",
    "deck", "embark_town", "alone",
}  # fmt: skip
RECORD = {"pclass": "1", "sex": "female", "age": "30", "fare": "80", "class": "First", "who": "woman"}


def trained(ml: Any, datasets_dir: Path, parameters: dict[str, str], prefix: str) -> str:
    suffix = time.time_ns()
    data_source_id, model_id = f"ds-{prefix}-{suffix}", f"ml-{prefix}-{suffix}"
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "titanic.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "survived"}),
        },
    )
    ml.create_ml_model(
        MLModelId=model_id, MLModelType="BINARY", TrainingDataSourceId=data_source_id, Parameters=parameters
    )
    got = finished(lambda: ml.get_ml_model(MLModelId=model_id))
    assert got["Status"] == "COMPLETED", got.get("Message")
    return model_id


@pytest.fixture(scope="module")
def models(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    ml = server.client()
    return {
        "sgd": trained(ml, datasets_dir, {"openaml.algorithms": "sgd", "openaml.explain": "top:3"}, "ex-sgd"),
        "lightgbm": trained(
            ml,
            datasets_dir,
            {
                "openaml.algorithms": "lightgbm",
                "openaml.timeBudgetSeconds": "3",
                "openaml.maxEnsembleSize": "1",
            },
            "ex-lgb",
        ),
    }


def explain_header(value: str) -> Any:
    """A ``before-sign`` handler that adds ``X-OpenAML-Explain`` (so SigV4 signs it)."""

    def add(request: Any, **_: Any) -> None:
        request.headers["X-OpenAML-Explain"] = value

    return add


def test_the_model_setting_explains_every_prediction(ml: Any, models: dict[str, str]) -> None:
    model_id = models["sgd"]
    url = ready_endpoint(ml, model_id)

    prediction = ml.predict(MLModelId=model_id, Record=RECORD, PredictEndpoint=url)["Prediction"]

    explanation = json.loads(prediction["details"]["openaml.explanation"])
    assert set(explanation) == {"base", "space", "top"}
    assert explanation["space"] == "logodds"
    assert len(explanation["top"]) == 3
    assert {name for name, _ in explanation["top"]} <= TITANIC_INPUTS  # folded: no "sex=female"
    assert ml.get_ml_model(MLModelId=model_id)["TrainingParameters"].get("openaml.explain") in (None, "top:3")


def test_the_signed_header_asks_for_one_requests_explanation(ml: Any, models: dict[str, str]) -> None:
    model_id = models["lightgbm"]
    url = ready_endpoint(ml, model_id)
    plain = ml.predict(MLModelId=model_id, Record=RECORD, PredictEndpoint=url)["Prediction"]
    assert "openaml.explanation" not in plain["details"]

    handler = explain_header("top=2")
    ml.meta.events.register("before-sign.machinelearning.Predict", handler)
    explained = ml.predict(MLModelId=model_id, Record=RECORD, PredictEndpoint=url)["Prediction"]
    ml.meta.events.unregister("before-sign.machinelearning.Predict", handler)

    explanation = json.loads(explained["details"]["openaml.explanation"])
    # One LightGBM model: log-odds; an ensemble of several: the probability its members average.
    assert explanation["space"] in ("logodds", "probability")
    assert len(explanation["top"]) == 2
    assert {name for name, _ in explanation["top"]} <= TITANIC_INPUTS
    assert explained["predictedScores"] == plain["predictedScores"]


def test_a_bad_header_value_is_refused(server: LiveServer, models: dict[str, str]) -> None:
    ml = server.client()
    url = ready_endpoint(ml, models["lightgbm"])
    ml.meta.events.register("before-sign.machinelearning.Predict", explain_header("everything"))

    with pytest.raises(botocore.exceptions.ClientError) as error:
        ml.predict(MLModelId=models["lightgbm"], Record=RECORD, PredictEndpoint=url)

    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    assert "X-OpenAML-Explain" in error.value.response["Error"]["Message"]


def test_an_unsigned_explain_header_is_refused(server: LiveServer, models: dict[str, str]) -> None:
    body = json.dumps({"MLModelId": models["lightgbm"], "Record": RECORD, "PredictEndpoint": server.url})
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=body,
        headers={
            "X-Amz-Target": "AmazonML_20141212.Predict",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    headers = dict(request.headers.items()) | {"X-OpenAML-Explain": "top=5"}  # added after signing

    response = httpx.post(server.url + "/", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["__type"] == "IncompleteSignatureException"
    assert "x-openaml-explain" in response.json()["message"]


def test_the_setting_changes_through_the_explain_route(server: LiveServer, models: dict[str, str]) -> None:
    ml = server.client()
    model_id = models["sgd"]
    url = ready_endpoint(ml, model_id)
    assert json.loads(signed_get(server, f"/openaml/v1/mlmodels/{model_id}/explain"))["Explain"] == "top:3"

    answer = signed_request(server, "PUT", f"/openaml/v1/mlmodels/{model_id}/explain", {"Explain": "off"})

    assert answer.status_code == 200 and answer.json()["Explain"] == "off"
    wait_for(
        lambda: (
            "openaml.explanation"
            not in ml.predict(MLModelId=model_id, Record=RECORD, PredictEndpoint=url)["Prediction"]["details"]
        )
    )
    again = signed_request(server, "PUT", f"/openaml/v1/mlmodels/{model_id}/explain", {"Explain": "top:4"})
    assert again.json() == {"MLModelId": model_id, "Explain": "top:4", "Top": 4}

    def explanation() -> str | None:
        details = ml.predict(MLModelId=model_id, Record=RECORD, PredictEndpoint=url)["Prediction"]["details"]
        return details.get("openaml.explanation")  # type: ignore[no-any-return]

    explained = wait_for(explanation)
    assert len(json.loads(explained)["top"]) == 4
    bad = signed_request(server, "PUT", f"/openaml/v1/mlmodels/{model_id}/explain", {"Explain": "top:x"})
    assert bad.status_code == 400 and bad.json()["__type"] == "InvalidInputException"


def signed_request(server: LiveServer, method: str, path: str, body: Any) -> httpx.Response:
    data = json.dumps(body)
    request = AWSRequest(method=method, url=server.url + path, data=data)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    return httpx.request(method, server.url + path, content=data, headers=dict(request.headers.items()))


def test_feature_importance_is_computed_once_and_names_input_attributes(
    server: LiveServer, models: dict[str, str]
) -> None:
    path = f"/openaml/v1/mlmodels/{models['lightgbm']}/feature-importance"

    first = json.loads(signed_get(server, path))
    second = json.loads(signed_get(server, path))

    assert first == second
    assert first["method"] == "meanAbsoluteContribution" and first["space"] in ("logodds", "probability")
    names = [entry["name"] for entry in first["attributes"]]
    assert set(names) == TITANIC_INPUTS
    values = [entry["importance"] for entry in first["attributes"]]
    assert values == sorted(values, reverse=True) and values[0] > 0
    assert names[0] in {"sex", "who", "adult_male", "fare", "age", "class", "pclass"}


def test_batch_predictions_of_an_explained_model_write_a_sidecar(
    ml: Any, server: LiveServer, models: dict[str, str], datasets_dir: Path
) -> None:
    assert server.scratch is not None
    unlabelled = server.scratch / "explain-input.csv"
    lines = (datasets_dir / "titanic.csv").read_text().splitlines()
    header = lines[0].split(",")
    keep = [index for index, name in enumerate(header) if name != "survived"]
    rows = [",".join(line.split(",")[i] for i in keep) for line in lines[:41]]
    unlabelled.write_text("\n".join(rows) + "\n")
    output = str(server.scratch / "out-explain") + "/"
    signed_request(server, "PUT", f"/openaml/v1/mlmodels/{models['sgd']}/explain", {"Explain": "top:2"})
    suffix = time.time_ns()
    ml.create_data_source_from_s3(
        DataSourceId=f"ds-exin-{suffix}", DataSpec={"DataLocationS3": str(unlabelled)}
    )
    ml.create_batch_prediction(
        BatchPredictionId=f"bp-ex-{suffix}",
        MLModelId=models["sgd"],
        BatchPredictionDataSourceId=f"ds-exin-{suffix}",
        OutputUri=output,
    )

    got = finished(lambda: ml.get_batch_prediction(BatchPredictionId=f"bp-ex-{suffix}"))

    assert got["Status"] == "COMPLETED", got.get("Message")
    manifest = json.loads(Path(output, "batch-prediction", f"bp-ex-{suffix}.manifest").read_text())
    (result,) = manifest.values()
    assert result.endswith("explain-input.csv.gz")  # the manifest lists the result files only
    sidecar = Path(result.removeprefix("file://").removesuffix(".gz") + ".explanations.jsonl.gz")
    explanations = [json.loads(line) for line in gzip.decompress(sidecar.read_bytes()).splitlines()]
    results = gzip.decompress(Path(result.removeprefix("file://")).read_bytes()).splitlines()
    assert len(explanations) == len(results) - 1 == 40
    assert all(len(entry["top"]) == 2 and entry["space"] == "logodds" for entry in explanations)


def test_many_records_in_one_call_are_explained_when_the_body_asks(
    server: LiveServer, models: dict[str, str]
) -> None:
    ml = server.client()
    ready_endpoint(ml, models["lightgbm"])
    path = f"/openaml/v1/mlmodels/{models['lightgbm']}/predictions"

    answer = signed_request(server, "POST", path, {"Records": [RECORD, {"sex": "male"}], "Explain": "top=2"})
    plain = signed_request(server, "POST", path, {"Records": [RECORD]})

    assert answer.status_code == 200
    explanations = [json.loads(p["details"]["openaml.explanation"]) for p in answer.json()["Predictions"]]
    assert [len(e["top"]) for e in explanations] == [2, 2]
    assert "openaml.explanation" not in plain.json()["Predictions"][0]["details"]
