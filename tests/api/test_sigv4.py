"""SigV4 verification against requests signed by botocore itself."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openaml.api.sigv4 import canonical_uri, presign_url, verify_request
from openaml.errors import (
    AccessDeniedException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

KEYS = {"AKIDEXAMPLE": ("secret-key", "arn:aws:iam::000000000000:user/alice")}


def signed(
    url: str = "http://127.0.0.1:8080/",
    body: bytes = b"{}",
    secret: str = "secret-key",
    akid: str = "AKIDEXAMPLE",
    region: str = "us-east-1",
    service: str = "machinelearning",
    token: str | None = None,
) -> AWSRequest:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonML_20141212.DescribeDataSources",
        },
    )
    SigV4Auth(Credentials(akid, secret, token), service, region).add_auth(request)
    return request


def verify(
    request: AWSRequest, now: dt.datetime | None = None, path: str | None = None, body: bytes | None = None
):
    from urllib.parse import urlsplit

    parts = urlsplit(request.url)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers.setdefault("host", parts.netloc)
    return verify_request(
        method="POST",
        raw_path=path or parts.path or "/",
        query=parts.query,
        headers=headers,
        body=request.body if body is None else body,
        principal_for=KEYS.get,
        now=now,
    )


def test_accepts_what_botocore_signs_for_any_region_and_path() -> None:
    assert verify(signed()).user_arn.endswith("user/alice")
    assert verify(signed(region="eu-west-1")).access_key_id == "AKIDEXAMPLE"
    assert verify(signed(url="http://localhost:9000/prefix/ml")).access_key_id == "AKIDEXAMPLE"
    assert verify(signed(token="session-token")).access_key_id == "AKIDEXAMPLE"


def test_rejects_a_wrong_secret() -> None:
    with pytest.raises(InvalidSignatureException, match="does not match"):
        verify(signed(secret="wrong"))


def test_rejects_a_tampered_body_and_path() -> None:
    request = signed()
    with pytest.raises(InvalidSignatureException):
        verify(request, body=b'{"Limit": 5}')
    with pytest.raises(InvalidSignatureException):
        verify(request, path="/other")


def test_rejects_an_unknown_key() -> None:
    with pytest.raises(UnrecognizedClientException):
        verify(signed(akid="AKIDUNKNOWN"))


def test_rejects_a_missing_or_malformed_authorization() -> None:
    request = signed()
    del request.headers["Authorization"]
    with pytest.raises(MissingAuthenticationTokenException):
        verify(request)
    request = signed()
    request.headers.replace_header("Authorization", "AWS4-HMAC-SHA256 Credential=x")
    with pytest.raises(IncompleteSignatureException):
        verify(request)


def test_rejects_requests_older_or_newer_than_fifteen_minutes() -> None:
    request = signed()
    now = dt.datetime.now(dt.UTC)
    assert verify(request, now=now + dt.timedelta(minutes=14))
    with pytest.raises(InvalidSignatureException, match="Signature expired"):
        verify(request, now=now + dt.timedelta(minutes=16))
    with pytest.raises(InvalidSignatureException, match="not yet current"):
        verify(request, now=now - dt.timedelta(minutes=16))


def test_rejects_an_impossible_date() -> None:
    request = signed()
    good = request.headers["X-Amz-Date"]
    request.headers.replace_header("X-Amz-Date", "20261399T250000Z")
    authorization = request.headers["Authorization"].replace(f"/{good[:8]}/", "/20261399/")
    request.headers.replace_header("Authorization", authorization)
    with pytest.raises(IncompleteSignatureException, match="not a valid date"):
        verify(request)


def test_rejects_another_service_scope() -> None:
    with pytest.raises(InvalidSignatureException, match="machinelearning"):
        verify(signed(service="s3"))


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", "/"), ("/", "/"), ("/a//b/./c/../d", "/a/b/d"), ("/a/", "/a/"), ("/a b", "/a%20b")],
)
def test_canonical_uri(path: str, expected: str) -> None:
    assert canonical_uri(path) == expected


def _verify_url(url: str, now: dt.datetime | None = None):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return verify_request(
        method="GET",
        raw_path=parts.path,
        query=parts.query,
        headers={"host": parts.netloc},
        body=b"",
        principal_for=KEYS.get,
        now=now,
    )


def test_presigned_urls_open_until_they_expire() -> None:
    url = presign_url(
        "http://127.0.0.1:8080/openaml/v1/datasources/ds-1/log",
        "AKIDEXAMPLE",
        "secret-key",
        expires_seconds=600,
    )
    assert _verify_url(url).access_key_id == "AKIDEXAMPLE"
    with pytest.raises(AccessDeniedException, match="expired"):
        _verify_url(url, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    with pytest.raises(InvalidSignatureException):
        _verify_url(url.replace("ds-1", "ds-2"))
    with pytest.raises(InvalidSignatureException):
        _verify_url(presign_url("http://127.0.0.1:8080/x", "AKIDEXAMPLE", "wrong-secret"))


def test_openaml_headers_must_be_signed_when_present() -> None:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8080/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-OpenAML-Explain": "top=5"},
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret-key"), "machinelearning", "us-east-1").add_auth(request)
    assert verify(request).access_key_id == "AKIDEXAMPLE"  # botocore signed the header

    unsigned = signed()
    unsigned.headers["X-OpenAML-Explain"] = "top=5"  # added after signing
    with pytest.raises(IncompleteSignatureException, match="x-openaml-explain"):
        verify(unsigned)
