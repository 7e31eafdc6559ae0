"""The protocol edge against a live server: boto3, the AWS CLI and raw signed HTTP requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.operations.registry import OPERATIONS
from openaml.operations.validation import operation_names


def signed_post(
    server: LiveServer,
    target: str | None,
    body: bytes,
    content_type: str = "application/x-amz-json-1.1",
    path: str = "/",
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=server.url + path, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    return httpx.post(server.url + path, content=body, headers=dict(request.headers.items()))


def signed_get(server: LiveServer, path: str) -> httpx.Response:
    request = AWSRequest(method="GET", url=server.url + path)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    return httpx.get(server.url + path, headers=dict(request.headers.items()))


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert response.headers["x-amzn-RequestId"]
    return response.status_code, body["__type"], body["message"]


def test_the_unchanged_boto3_client_lists_data_sources(ml: Any) -> None:
    response = ml.describe_data_sources()
    assert isinstance(response["Results"], list)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]


def test_a_request_signed_with_a_wrong_secret_is_refused(server: LiveServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        server.client(secret="not-the-secret").describe_data_sources()
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_access_key_is_refused(server: LiveServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        server.client(access_key="AKIDNOTKNOWN").describe_ml_models()
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_an_unsigned_request_is_refused(server: LiveServer) -> None:
    response = httpx.post(
        server.url + "/",
        content=b"{}",
        headers={
            "X-Amz-Target": "AmazonML_20141212.DescribeDataSources",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert error_of(response)[:2] == (403, "MissingAuthenticationTokenException")


def test_unknown_operation_malformed_json_and_wrong_content_type_are_typed_errors(server: LiveServer) -> None:
    assert error_of(signed_post(server, "AmazonML_20141212.Fly", b"{}"))[:2] == (
        400,
        "UnknownOperationException",
    )
    assert error_of(signed_post(server, None, b"{}"))[:2] == (400, "UnknownOperationException")
    status, code, message = error_of(signed_post(server, "AmazonML_20141212.DescribeDataSources", b"{nope"))
    assert (status, code) == (400, "SerializationException") and "not valid JSON" in message
    assert (
        error_of(signed_post(server, "AmazonML_20141212.DescribeDataSources", b"[]"))[1]
        == "SerializationException"
    )
    status, code, _ = error_of(
        signed_post(server, "AmazonML_20141212.DescribeDataSources", b"{}", "text/plain")
    )
    assert (status, code) == (400, "SerializationException")


def test_the_api_answers_at_any_path(server: LiveServer) -> None:
    response = signed_post(server, "AmazonML_20141212.DescribeMLModels", b"{}", path="/some/prefix")
    assert response.status_code == 200 and isinstance(response.json()["Results"], list)


@pytest.mark.parametrize(
    ("target", "body", "content_type"),
    [
        ("AmazonML_20141212.DescribeMLModels", b"{}", "application/x-amz-json-1.1"),
        ("AmazonML_20141212.Fly", b"{}", "application/x-amz-json-1.1"),
        ("AmazonML_20141212.DescribeDataSources", b"{nope", "application/x-amz-json-1.1"),
        ("AmazonML_20141212.DescribeDataSources", b"{}", "text/plain"),
        ("AmazonML_20141212.GetMLModel", b'{"MLModelId": "a b"}', "application/json"),
        ("AmazonML_20141212.Predict", b'{"MLModelId": "none", "Record": {}, "PredictEndpoint": "x"}', None),
    ],
)
def test_post_at_the_root_answers_as_at_any_other_path(
    server: LiveServer, target: str, body: bytes, content_type: str | None
) -> None:
    """POST / is served before Starlette's stack (protocol.JsonProtocolEndpoint.asgi); every other path
    through it. Both must answer alike: status, body and headers (but the request ID)."""
    answers = [
        signed_post(server, target, body, content_type or "application/x-amz-json-1.1", path=path)
        for path in ("/", "/some/prefix")
    ]
    root, other = answers
    assert root.status_code == other.status_code
    assert root.json() == other.json()
    assert (
        root.headers["x-amzn-RequestId"]
        and root.headers["x-amzn-RequestId"] != other.headers["x-amzn-RequestId"]
    )
    shown = {"content-type", "content-length"}
    assert {k: v for k, v in root.headers.items() if k in shown} == {
        k: v for k, v in other.headers.items() if k in shown
    }
    assert [k.lower() for k in root.headers] == [k.lower() for k in other.headers]


def test_invalid_input_names_the_member(ml: Any) -> None:
    with pytest.raises(ml.exceptions.InvalidInputException) as raised:
        ml.describe_data_sources(Limit=101)
    assert "'Limit'" in raised.value.response["Error"]["Message"]
    assert raised.value.response["code"] == 400
    with pytest.raises(ml.exceptions.InvalidInputException, match="SortOrder"):
        ml.describe_evaluations(SortOrder="up")
    with pytest.raises(ml.exceptions.InvalidInputException, match="DataSourceId"):
        ml.get_data_source(DataSourceId="not valid!")


def test_unknown_ids_are_resource_not_found(ml: Any) -> None:
    with pytest.raises(ml.exceptions.ResourceNotFoundException) as raised:
        ml.get_ml_model(MLModelId="ml-missing")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ml.exceptions.ResourceNotFoundException):
        ml.describe_tags(ResourceId="ev-missing", ResourceType="Evaluation")


def test_every_operation_of_the_service_model_is_dispatched() -> None:
    assert len(operation_names()) == 28
    assert set(OPERATIONS) == set(operation_names())


def test_paginators_work_on_an_empty_listing(ml: Any) -> None:
    pages = list(
        ml.get_paginator("describe_batch_predictions").paginate(
            FilterVariable="Name", EQ="no-such-name", PaginationConfig={"PageSize": 5}
        )
    )
    assert pages[0]["Results"] == [] and len(pages) == 1


def test_the_aws_cli_talks_to_the_server(server: LiveServer) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    aws = [sys.executable, "-m", "awscli", "machinelearning", "--endpoint-url", server.url]
    listed = subprocess.run(
        [*aws, "describe-ml-models"], env=env, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout)["Results"], list)
    missing = subprocess.run(
        [*aws, "get-evaluation", "--evaluation-id", "ev-none"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


def test_extension_endpoints_are_signed_like_the_api(server: LiveServer) -> None:
    unsigned = httpx.get(server.url + "/openaml/v1/datasources/ds-x/statistics")
    assert error_of(unsigned)[:2] == (403, "MissingAuthenticationTokenException")
    assert error_of(signed_get(server, "/openaml/v1/datasources/ds-x/statistics"))[:2] == (
        404,
        "ResourceNotFoundException",
    )
    assert error_of(signed_get(server, "/openaml/v1/nothing/here"))[:2] == (404, "NotFoundException")


def test_health_needs_no_signature(server: LiveServer) -> None:
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
