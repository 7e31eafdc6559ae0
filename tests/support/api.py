"""Helpers for tests that drive a live server: waiting for a job, and signed extension-endpoint reads."""

from __future__ import annotations

import json
import time
import urllib.error
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


def signed_request(server: LiveServer, method: str, path: str, body: Any = None) -> Any:
    """An ``httpx.Response`` to a SigV4-signed extension call (``body`` sent as JSON when given)."""

    import httpx

    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = AWSRequest(method=method, url=server.url + path, data=data, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    return httpx.request(method, server.url + path, content=data, headers=dict(request.headers.items()))


def signed_json_request(server: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """``(status, decoded JSON)`` of a SigV4-signed extension request with a JSON body (None if empty)."""
    response = signed_request(server, method, path, body)
    return response.status_code, response.json() if response.content else None
