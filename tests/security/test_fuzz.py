"""Issue 13 (fuzz test): no input reaches a 500, and every error is AWS-shaped JSON.

A fixed corpus, generated with a seeded random number generator (so every run sends the same requests),
is sent as raw SigV4-signed HTTP to all 28 Amazon ML operations and to every extension route: bodies with
wrong types, huge, empty, Unicode and NUL strings, nested junk and invalid JSON; path parameters such as
``.``, ``..``, ``%2e%2e``, Unicode digits and very long IDs; wrong methods and junk query strings.
Every answer must have a status below 500, and every error body must be ``{"__type", "message"}``.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import Shape
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.operations.registry import EXTENSION_ROUTES, OPERATIONS

SEED = 13
TARGET_PREFIX = "AmazonML_20141212."
MODEL = botocore.session.get_session().get_service_model("machinelearning")

#: Values of the wrong type or the wrong size for any member.
JUNK: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    1.5e308,
    -0.0,
    "",
    " ",
    "a\x00b",
    "\x00",
    "é🚀\u202e\ufeff",
    "\ud800",  # a lone surrogate (sent as the JSON escape \ud800)
    "x" * 200_000,
    "..",
    "../../etc/passwd",
    "%2e%2e",
    "²",
    "٠",
    "０",
    "s3://",
    "file:///etc/passwd",
    "/",
    [],
    [None, 1, "x"],
    {},
    {"": ""},
    {"a": {"b": [{"c": [1, {"d": None}]}]}},
    {"x" * 300: "y" * 300},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
]

#: Whole bodies that are not a JSON object of members.
RAW_BODIES: list[bytes] = [
    b"",
    b" ",
    b"{",
    b"}",
    b"[]",
    b"null",
    b'"a string"',
    b"12",
    b"\xff\xfe\x00",
    b'{"a": NaN}',
    b'{"a": 1,}',
    b'{"a": "\\ud800"}',
    b'{"DataSourceId": "a", "DataSourceId": "b"}',
    b"\x00" * 64,
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    '{"é": "\u0000"}'.encode(),
]

#: Path parameter values.
PATH_JUNK: list[str] = [
    ".",
    "..",
    "%2e%2e",
    "%2E%2E%2F..%2F..%2Fetc%2Fpasswd",
    "..%2F",
    "%C2%B2",
    "%D9%A0",
    "%EF%BC%90",
    "%00",
    "%FF",
    "%C0%AE",
    "a%2Fb",
    "%20",
    "~",
    "-1",
    "0" * 5000,
    "x" * 3000,
    "%F0%9F%9A%80",
]

NON_CANONICAL_QUERY = "?=&&==&c=%ff"
#: Query strings; all but the last are in canonical form, so botocore signs them as the server reads them.
QUERY_JUNK = ["", "", "?a=%00&b=%C3%BF", "?index=%C2%B2&index=1", "?q=" + "x" * 2000, NON_CANONICAL_QUERY]


def _skeleton(shape: Shape) -> Any:
    """A value of ``shape`` with its required members filled in, pointing at nothing that exists."""
    if shape.type_name == "structure":
        return {name: _skeleton(shape.members[name]) for name in shape.required_members}
    if shape.type_name == "string":
        if shape.enum:
            return shape.enum[0]
        return "/nonexistent/fuzz.csv" if "Location" in shape.name or "Url" in shape.name else "fz-missing-id"
    if shape.type_name in ("integer", "long"):
        return 1
    if shape.type_name in ("float", "double"):
        return 0.5
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "list":
        return []
    if shape.type_name == "map":
        return {}
    return "fz"


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    sign: bool = True

    def describe(self) -> str:
        return f"{self.method} {self.path[:120]} {dict(self.headers)} body={self.body[:160]!r}"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def api_cases(rng: random.Random) -> Iterator[Case]:
    for operation in sorted(OPERATIONS):
        shape = MODEL.operation_model(operation).input_shape
        headers = (
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", TARGET_PREFIX + operation),
        )
        skeleton = _skeleton(shape)
        yield Case("POST", "/", _json(skeleton), headers)
        for member, member_shape in shape.members.items():
            for junk in rng.sample(JUNK, 6):
                yield Case("POST", "/", _json({**skeleton, member: junk}), headers)
            if member_shape.type_name == "structure":
                inner = _skeleton(member_shape)
                for name in member_shape.members:
                    junk = rng.choice(JUNK)
                    yield Case("POST", "/", _json({**skeleton, member: {**inner, name: junk}}), headers)
        for body in rng.sample(RAW_BODIES, 5):
            yield Case("POST", rng.choice(["/", "/any/path"]), body, headers)
    json_type = ("Content-Type", "application/x-amz-json-1.1")
    for target in ("", TARGET_PREFIX, TARGET_PREFIX + "__class__", "AmazonML_20141212.predict", "x" * 5000):
        yield Case("POST", "/", b"{}", (json_type, ("X-Amz-Target", target)))
    for content_type in (
        "",
        "text/plain",
        "application/x-amz-json-1.1; charset=\u00e9",
        "multipart/form-data",
    ):
        yield Case(
            "POST", "/", b"{}", (("Content-Type", content_type), ("X-Amz-Target", TARGET_PREFIX + "Predict"))
        )


def extension_cases(rng: random.Random, real: dict[str, str]) -> Iterator[Case]:
    values = {**real, "ResourceId": real["DataSourceId"], "collection": "datasources", "index": "0"}
    values["chart"] = "confusion-matrix.svg"
    for method, template, _handler in EXTENSION_ROUTES:
        names = re.findall(r"{(\w+)}", template)

        def path(overrides: dict[str, str], template: str = template, names: list[str] = names) -> str:
            filled = template
            for name in names:
                filled = filled.replace("{" + name + "}", overrides.get(name, values.get(name, "fz-missing")))
            return "/openaml/v1" + filled

        headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
        yield Case(method, path({}), b"" if method == "GET" else b"{}", headers)
        for name in names:
            for junk in PATH_JUNK:
                yield Case(method, path({name: junk}) + rng.choice(QUERY_JUNK), b"", headers)
        for other in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"):
            if other != method:
                yield Case(other, path({}), b"{}", headers)
        if method == "POST":
            for junk in rng.sample(JUNK, 12):
                yield Case(method, path({}), _json({"Records": junk, "DataLocationS3": junk}), headers)
                yield Case(method, path({}), _json({"Records": [junk], "DataSchema": junk}), headers)
            for body in RAW_BODIES:
                yield Case(method, path({}), body, headers)
    # Unsigned requests with a junk presigned query string.
    for query in (
        "X-Amz-Signature=x",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=x&X-Amz-Expires=%D9%A3"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260101%2Fus-east-1%2Fmachinelearning%2F"
        "aws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=99999999999999999999"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
    ):
        yield Case("GET", f"/openaml/v1/datasources/{real['DataSourceId']}/log?{query}", b"", (), sign=False)


class Client:
    """One keep-alive connection to the server (reopened after the server closes it); signs with botocore."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.netloc = urllib.parse.urlsplit(server.url).netloc
        self.signer = SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1")
        self.connection: http.client.HTTPConnection | None = None

    def send(self, case: Case) -> tuple[int, dict[str, str], bytes]:
        request = AWSRequest(method=case.method, url=self.server.url + case.path, data=case.body)
        for name, value in case.headers:
            request.headers[name] = value
        if case.sign:
            self.signer.add_auth(request)
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.netloc, timeout=60)
            try:
                self.connection.request(
                    case.method, case.path, body=case.body, headers=dict(request.headers.items())
                )
                response = self.connection.getresponse()
                body = response.read()
                headers = {k.lower(): v for k, v in response.getheaders()}
                if headers.get("connection", "").lower() == "close":
                    self.close()
                return response.status, headers, body
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _aws_error(body: bytes) -> bool:
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("__type"), str)
        and isinstance(payload.get("message"), str)
        and bool(payload["message"])
    )


def test_the_operations_fuzzed_are_the_service_models() -> None:
    assert sorted(OPERATIONS) == sorted(MODEL.operation_names)
    assert len(OPERATIONS) == 28


@pytest.mark.parametrize("surface", ["api", "extensions"])
def test_fuzzed_requests_get_no_5xx_and_aws_shaped_errors(
    server: LiveServer, finished_resources: dict[str, str], surface: str
) -> None:
    rng = random.Random(SEED)
    cases = list(api_cases(rng) if surface == "api" else extension_cases(rng, finished_resources))
    client = Client(server)
    failures: list[str] = []
    statuses: dict[int, int] = {}
    try:
        for case in cases:
            status, _headers, body = client.send(case)
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 500:
                failures.append(f"{status} for {case.describe()}: {body[:300]!r}")
            elif status >= 400 and case.method != "HEAD" and not _aws_error(body):
                failures.append(f"{status} without an AWS error body for {case.describe()}: {body[:300]!r}")
            elif case.sign and NON_CANONICAL_QUERY not in case.path and b"InvalidSignatureException" in body:
                # botocore signs a query string as sent: only a canonical one must verify.
                failures.append(f"the server disagrees with botocore's signature of {case.describe()}")
    finally:
        client.close()
    print(f"{surface}: {len(cases)} requests, statuses {dict(sorted(statuses.items()))}")
    assert not failures, f"{len(failures)} of {len(cases)} requests failed:\n" + "\n".join(failures[:40])
    assert server.process is not None and server.process.poll() is None
