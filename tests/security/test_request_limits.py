"""Issue 13, item 2: unauthenticated memory exhaustion — bodies are capped and refused before they are read.

The server read every body whole, before authentication and without a limit. Now a request without a
valid-looking signature is answered from its headers alone, a ``Content-Length`` over
``OPENAML_MAX_REQUEST_BYTES`` is answered 413 before a byte of the body is read, a chunked body is
counted as it streams in, and a connection must finish its headers within
``OPENAML_HEADER_TIMEOUT_SECONDS`` and ``OPENAML_MAX_HEADER_BYTES``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.requests import Request
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.api.app import ANONYMOUS, make_authenticator
from openaml.api.credentials import KeyPair
from openaml.api.sigv4 import presign_url

LIMIT = 64 * 1024
TARGET = "AmazonML_20141212.DescribeDataSources"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a 64 KiB body limit and a one-second header deadline (no job workers)."""
    live = LiveServer(
        tmp_path_factory.mktemp("limited"),
        env={"OPENAML_MAX_REQUEST_BYTES": str(LIMIT), "OPENAML_HEADER_TIMEOUT_SECONDS": "1"},
        workers=0,
    ).start()
    yield live
    live.stop()


def connect(server: LiveServer, timeout: float = 20) -> socket.socket:
    parts = urllib.parse.urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def exchange_head(server: LiveServer, head: str) -> http.client.HTTPResponse:
    """Send a request's head and no body at all; the answer the server gives from the head alone."""
    sock = connect(server)
    sock.sendall(head.encode("latin-1"))
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    sock.close()
    return response


def head(path: str, length: int, *headers: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}", *headers]
    return "\r\n".join(
        [*lines, "Content-Type: application/x-amz-json-1.1", f"X-Amz-Target: {TARGET}", "", ""]
    )


def error_type(response: http.client.HTTPResponse | httpx.Response, body: bytes) -> str:
    payload = json.loads(body)
    assert set(payload) >= {"__type", "message"}, payload
    return str(payload["__type"])


PATHS = ["/", "/any/path", "/openaml/v1/mlmodels/ml-x/predictions", "/console/sign-in"]


@pytest.mark.parametrize("path", PATHS)
def test_a_huge_content_length_is_refused_before_the_body_is_sent(limited: LiveServer, path: str) -> None:
    sock = connect(limited)
    sock.sendall(head(path, 512 * 1024 * 1024).encode())
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    sock.close()
    assert response.status == 413
    assert error_type(response, body) == "RequestTooLargeException"
    assert b"65,536" in body and b"OPENAML_MAX_REQUEST_BYTES" in body


@pytest.mark.parametrize("path", ["/", "/openaml/v1/datasources/ds-x/statistics"])
def test_a_request_without_a_valid_signature_is_answered_from_its_headers(
    limited: LiveServer, path: str
) -> None:
    cases = {
        (): (403, "MissingAuthenticationTokenException"),
        ("Authorization: AWS4-HMAC-SHA256 Credential=junk",): (400, "IncompleteSignatureException"),
        (
            "X-Amz-Date: 20260101T000000Z",
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20260101/us-east-1/machinelearning/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        ): (403, "InvalidSignatureException"),  # a stale date: refused before the key is looked up
    }
    for extra, (status, code) in cases.items():
        # The body (just under the limit) is never sent: the answer must come from the head alone.
        sock = connect(limited)
        sock.sendall(head(path, LIMIT - 1, *extra).encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        sock.close()
        assert (response.status, error_type(response, body)) == (status, code), body


def signed_headers(url: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET},
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def chunks(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_signed_chunked_body_over_the_limit_is_413(limited: LiveServer) -> None:
    for path in ("/", "/openaml/v1/mlmodels/ml-x/predictions"):
        body = b'{"Prefix": "' + b"a" * (3 * LIMIT) + b'"}'
        headers = signed_headers(limited.url + path, body)
        response = httpx.post(limited.url + path, content=chunks(body), headers=headers, timeout=60)
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert response.status_code == 413, response.text
        assert error_type(response, response.content) == "RequestTooLargeException"
        assert "OPENAML_MAX_REQUEST_BYTES" in response.json()["message"]
    console = httpx.post(
        limited.url + "/console/sign-in",
        content=chunks(b"access_key_id=" + b"a" * (3 * LIMIT)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    assert console.status_code == 413


def test_bodies_within_the_limit_are_read_and_checked(limited: LiveServer) -> None:
    body = b'{"Prefix": "' + b"a" * (LIMIT - 100) + b'"}'
    response = httpx.post(limited.url + "/", content=body, headers=signed_headers(limited.url + "/", body))
    assert (response.status_code, response.json()["__type"]) == (400, "InvalidInputException")
    assert limited.client().describe_data_sources()["Results"] == []


def test_refused_bodies_do_not_grow_the_server_memory(limited: LiveServer) -> None:
    assert limited.process is not None
    process = psutil.Process(limited.process.pid)
    total = 128 * 1024 * 1024
    piece = b"x" * (1024 * 1024)

    def stream() -> Iterator[bytes]:
        for _ in range(total // len(piece)):
            yield piece

    def post(**kwargs: object) -> httpx.Response:
        return httpx.post(limited.url + "/", timeout=120, **kwargs)  # type: ignore[arg-type]

    post(content=b"{}")  # warm up
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            done.wait(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        anonymous_chunked = post(content=stream(), headers={"Content-Type": "application/x-amz-json-1.1"})
        anonymous_sized = post(
            content=stream(),
            headers={"Content-Type": "application/x-amz-json-1.1", "Content-Length": str(total)},
        )
    finally:
        done.set()
        sampler.join()
    # 256 MiB were sent; a server that read them would have grown by at least 128 MiB.
    growth = (peak - baseline) / 2**20
    print(f"server RSS: baseline {baseline / 2**20:.0f} MiB, grew by at most {growth:.1f} MiB")
    assert peak - baseline < 48 * 1024 * 1024, f"RSS grew by {(peak - baseline) / 2**20:.0f} MiB"
    assert anonymous_chunked.status_code == 403 and anonymous_sized.status_code == 413


def test_a_connection_that_never_finishes_its_headers_is_closed(limited: LiveServer) -> None:
    for partial in (b"", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "):
        sock = connect(limited, timeout=30)
        sock.sendall(partial)
        received = b""
        while chunk := sock.recv(4096):  # a server that waits for ever makes this time out
            received += chunk
        sock.close()
        assert received == b"" or received.startswith(b"HTTP/1.1 408"), received


def test_an_oversized_request_head_is_431(limited: LiveServer) -> None:
    sock = connect(limited)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    sock.close()
    assert response.status == 431
    assert httpx.get(limited.url + "/health").status_code == 200


def _request(query: str = "", headers: dict[str, str] | None = None, method: str = "POST") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": method,
        "path": "/openaml/v1/datasources/ds-1/log",
        "raw_path": b"/openaml/v1/datasources/ds-1/log",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8080"), *raw],
    }
    return Request(scope)


def test_anonymous_mode_and_presigned_urls_still_pass_the_header_check(tmp_path: Path) -> None:
    pairs = [KeyPair(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "arn:aws:iam::000000000000:user/test")]
    anonymous = make_authenticator(pairs, allow_anonymous=True)
    assert anonymous(_request())(b"any body") == ANONYMOUS
    url = presign_url(
        "http://127.0.0.1:8080/openaml/v1/datasources/ds-1/log", ACCESS_KEY_ID, SECRET_ACCESS_KEY
    )
    query = url.partition("?")[2]
    signed = make_authenticator(pairs, allow_anonymous=False)
    assert signed(_request(query, method="GET"))(b"").access_key_id == ACCESS_KEY_ID
