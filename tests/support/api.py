"""Helpers for tests that drive a live server: waiting for a job, and signed extension-endpoint reads."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer


def finished(get: Any, timeout: float = 300) -> dict[str, Any]:
    """Poll ``get()`` (a boto3 Get* call) until its ``Status`` is COMPLETED or FAILED; return that answer."""
    deadline = time.monotonic() + timeout
    got: dict[str, Any] = {}
    while time.monotonic() < deadline:
        got = get()
        if got["Status"] in ("COMPLETED", "FAILED"):
            return got
        time.sleep(0.3)
    raise AssertionError(f"did not finish within {timeout} s: {got}")


def signed_get(server: LiveServer, path: str) -> bytes:
    """The body of a ``GET`` of ``path`` on ``server``, SigV4-signed with the test key pair."""
    request = AWSRequest(method="GET", url=server.url + path)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    with urllib.request.urlopen(
        urllib.request.Request(server.url + path, headers=dict(request.headers.items()))
    ) as response:
        return response.read()  # type: ignore[no-any-return]


def signed_json(server: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """``method path`` on ``server`` with a JSON body, SigV4-signed with the test key pair: the HTTP
    status and the decoded answer (the error envelope too)."""
    import json
    import urllib.error

    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = AWSRequest(method=method, url=server.url + path, data=data, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(
        server.url + path, data=data, headers=dict(request.headers.items()), method=method
    )
    try:
        with urllib.request.urlopen(prepared) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
