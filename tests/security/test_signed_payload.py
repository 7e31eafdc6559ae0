"""Issue 13, item 1: the payload hash is computed from the body received, never taken from the request.

A captured signed request plus an ``X-Amz-Content-Sha256`` header naming the original body's hash let
anyone swap the body for fifteen minutes. A supplied hash must now equal the body's, and
``UNSIGNED-PAYLOAD`` is accepted on presigned GETs only. Presigned URLs made by botocore's own
``SigV4QueryAuth`` (which hashes the empty body of a GET) verify as well as the server's ``LogUri`` URLs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.api.sigv4 import presign_url, verify_request
from openaml.errors import InvalidSignatureException

KEYS = {ACCESS_KEY_ID: (SECRET_ACCESS_KEY, "arn:aws:iam::000000000000:user/test")}
TARGET = "AmazonML_20141212.DescribeDataSources"


def captured(url: str, body: bytes, content_sha256: str | None) -> dict[str, str]:
    """The headers of a request botocore signed, optionally with an X-Amz-Content-Sha256 header."""
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET}
    if content_sha256 is not None:
        headers["X-Amz-Content-Sha256"] = content_sha256
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def verify(
    headers: dict[str, str], body: bytes, method: str = "POST", path: str = "/", query: str = ""
) -> Any:
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered.setdefault("host", "127.0.0.1:8080")
    return verify_request(
        method=method,
        raw_path=path,
        query=query,
        headers=lowered,
        body=body,
        principal_for=KEYS.get,
    )


ORIGINAL = json.dumps({"Limit": 1}).encode()
SWAPPED = json.dumps({"Limit": 100, "FilterVariable": "Name", "EQ": "payroll"}).encode()


def test_a_claimed_payload_hash_cannot_carry_another_body() -> None:
    headers = captured("http://127.0.0.1:8080/", ORIGINAL, hashlib.sha256(ORIGINAL).hexdigest())
    assert verify(headers, ORIGINAL).access_key_id == ACCESS_KEY_ID
    with pytest.raises(InvalidSignatureException, match="X-Amz-Content-Sha256"):
        verify(headers, SWAPPED)


def test_unsigned_payload_is_refused_on_a_signed_post() -> None:
    headers = captured("http://127.0.0.1:8080/", ORIGINAL, "UNSIGNED-PAYLOAD")
    with pytest.raises(InvalidSignatureException, match="UNSIGNED-PAYLOAD"):
        verify(headers, SWAPPED)
    with pytest.raises(InvalidSignatureException, match="UNSIGNED-PAYLOAD"):
        verify(headers, ORIGINAL)


def test_the_servers_own_presigned_urls_still_verify() -> None:
    url = presign_url(
        "http://127.0.0.1:8080/openaml/v1/datasources/ds-1/log", ACCESS_KEY_ID, SECRET_ACCESS_KEY
    )
    path, _, query = url.removeprefix("http://127.0.0.1:8080").partition("?")
    assert verify({}, b"", method="GET", path=path, query=query).access_key_id == ACCESS_KEY_ID
    with pytest.raises(InvalidSignatureException):
        verify({}, b"", method="POST", path=path, query=query)  # UNSIGNED-PAYLOAD is for GETs only


def test_a_swapped_body_is_refused_by_the_live_server(server: LiveServer) -> None:
    headers = captured(server.url + "/", ORIGINAL, hashlib.sha256(ORIGINAL).hexdigest())
    assert httpx.post(server.url + "/", content=ORIGINAL, headers=headers).status_code == 200
    swapped = httpx.post(server.url + "/", content=SWAPPED, headers=headers)
    assert swapped.status_code == 403, swapped.text
    assert swapped.json()["__type"] == "InvalidSignatureException"


def presigned(
    server: LiveServer, path: str, token: str | None = None, secret: str = SECRET_ACCESS_KEY
) -> str:
    request = AWSRequest(method="GET", url=server.url + path)
    SigV4QueryAuth(Credentials(ACCESS_KEY_ID, secret, token), "machinelearning", "us-east-1", 600).add_auth(
        request
    )
    return str(request.url)


@pytest.mark.parametrize("token", [None, "a-session-token"])
def test_botocore_presigned_urls_open_extension_routes(server: LiveServer, token: str | None) -> None:
    missing = presigned(server, "/openaml/v1/datasources/ds-not-there/statistics", token)
    response = httpx.get(missing)
    assert (response.status_code, response.json()["__type"]) == (404, "ResourceNotFoundException")
    log = httpx.get(presigned(server, "/openaml/v1/datasources/ds-not-there/log", token))
    assert log.status_code == 404, log.text
    wrong = httpx.get(presigned(server, "/openaml/v1/datasources/ds-not-there/log", token, secret="wrong"))
    assert (wrong.status_code, wrong.json()["__type"]) == (403, "InvalidSignatureException")
    tampered = httpx.get(missing.replace("ds-not-there", "ds-elsewhere"))
    assert tampered.status_code == 403


def test_a_botocore_presigned_url_opens_a_real_log(
    server: LiveServer, finished_resources: dict[str, str]
) -> None:
    data_source = finished_resources["DataSourceId"]
    for path in (
        f"/openaml/v1/datasources/{data_source}/log",
        f"/openaml/v1/datasources/{data_source}/statistics",
    ):
        response = httpx.get(presigned(server, path))
        assert response.status_code == 200, response.text
        assert response.content
